"""gradstep's BLAS thread policy: one thread at import unless the user chose, and the override."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import gradstep as gs
from gradstep import _threads

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def restore_threads():
    before = gs.get_num_threads()
    yield
    gs.set_num_threads(before)


def _threads_in_fresh_process(**env_vars) -> int:
    env = {k: v for k, v in os.environ.items() if k not in _threads.USER_VARS + (_threads.ENV,)}
    env.update(env_vars, PYTHONPATH=SRC)
    out = subprocess.run([sys.executable, "-c", "import gradstep; print(gradstep.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_import_limits_blas_to_one_thread_unless_the_user_chose():
    assert _threads_in_fresh_process() == 1
    assert _threads_in_fresh_process(GRADSTEP_NUM_THREADS="2") == 2
    assert _threads_in_fresh_process(OPENBLAS_NUM_THREADS="2") == 2  # the user's choice stands


def test_set_num_threads_changes_and_restores(restore_threads):
    gs.set_num_threads(2)
    assert gs.get_num_threads() == 2
    gs.set_num_threads(1)
    assert gs.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_what_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="positive int"):
        gs.set_num_threads(bad)


def test_environment_policy(restore_threads):
    gs.set_num_threads(2)
    _threads.apply_default({"OMP_NUM_THREADS": "3"})  # the user chose: untouched
    assert gs.get_num_threads() == 2
    _threads.apply_default({"GRADSTEP_NUM_THREADS": "default"})
    assert gs.get_num_threads() == 2
    _threads.apply_default({"GRADSTEP_NUM_THREADS": "1", "OMP_NUM_THREADS": "3"})
    assert gs.get_num_threads() == 1
    with pytest.raises(ValueError, match="GRADSTEP_NUM_THREADS"):
        _threads.apply_default({"GRADSTEP_NUM_THREADS": "many"})
