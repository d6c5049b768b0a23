"""Helpers for running programs through ``python -m gradstep.torch``."""

import os
import subprocess
import sys
import textwrap

import pytest


def run_doorway(tmp_path, source: str, *args: str, timeout: float = 120):
    """Write ``source`` to a script and run it with ``python -m gradstep.torch``; the finished process."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "gradstep.torch", str(script), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def doorway(tmp_path):
    def run(source: str, *args: str, ok: bool = True, timeout: float = 120):
        p = run_doorway(tmp_path, source, *args, timeout=timeout)
        if ok and p.returncode != 0:
            raise AssertionError(f"the script failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p
    return run
