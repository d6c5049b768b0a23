"""What every reliability case checks: the exit code, one line naming the problem, no traceback,
and that no file written before changed (hashes before and after)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
# a run that takes a fraction of a second: the linear-regression data set, one epoch
TINY = ("--dataset", "linreg", "--epochs", "1", "--batch-size", "50", "--quiet")
# a small classification run (the shipped Fashion-MNIST sample, 300 images)
SMALL = ("--subset", "300", "--hidden", "16", "--batch-size", "50", "--quiet")


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(*args) -> Result:
    """``gradstep ARGS`` in this process; an exception escaping ``main`` fails the test."""
    from gradstep.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return Result(code, out.getvalue(), err.getvalue())


def run(*args, timeout: float = 180, cwd=None, preexec=None) -> Result:
    """``python -m gradstep ARGS`` in a new process."""
    r = subprocess.run([sys.executable, "-m", "gradstep", *map(str, args)], capture_output=True, text=True,
                       env=ENV, timeout=timeout, cwd=cwd, preexec_fn=preexec)
    return Result(r.returncode, r.stdout, r.stderr)


def python(code: str, *args, timeout: float = 180) -> Result:
    """``python -c CODE ARGS`` in a new process."""
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                       env=ENV, timeout=timeout)
    return Result(r.returncode, r.stdout, r.stderr)


def one_line(r: Result, code: int, *words: str) -> str:
    """Assert exit ``code`` and a stderr of one line, without a traceback, holding every word."""
    assert r.code == code, f"exit {r.code}, expected {code}\nstdout: {r.out}\nstderr: {r.err}"
    assert "Traceback" not in r.err, r.err
    lines = [ln for ln in r.err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{r.err}"
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


def hashes(*roots) -> dict:
    """sha256 of every file under ``roots`` (files themselves allowed), by path."""
    out = {}
    for root in map(Path, roots):
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def listing(folder) -> list[str]:
    """The names in ``folder`` (empty if it does not exist)."""
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []
