"""gradstep's malloc policy: freed arrays are reused by the next step instead of faulting in fresh
pages, unless the user chose otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradstep import _memory

SRC = str(Path(__file__).resolve().parents[1] / "src")

# three training steps of the small CNN, then the minor page faults of two more
_STEPS = """
import resource, numpy as np, gradstep as gs
from gradstep.models import cnn
gs.manual_seed(0)
net = cnn(1, 10)
opt = gs.optim.Adam(net.parameters())
x = gs.from_numpy(np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32))
y = gs.from_numpy(np.arange(64) % 10)
def step():
    opt.zero_grad()
    gs.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
step(); step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(**env_vars) -> int:
    env = {k: v for k, v in os.environ.items() if k not in _memory.USER_VARS + (_memory.ENV,)}
    env.update(env_vars, PYTHONPATH=SRC, GRADSTEP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _STEPS], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(_memory._mallopt() is None, reason="the policy is glibc's mallopt")
def test_training_steps_reuse_freed_memory_instead_of_faulting_in_pages():
    reused, fresh = _faults(), _faults(GRADSTEP_MALLOC="default")
    # without the policy every step maps thousands of fresh pages (64 x 16 x 28 x 28 floats are 200 pages)
    assert fresh > 1000
    assert reused < fresh / 10


def test_environment_policy():
    assert _memory.apply_default({"GRADSTEP_MALLOC": "default"}) is False
    assert _memory.apply_default({"MALLOC_TRIM_THRESHOLD_": "0"}) is False  # the user chose: untouched
    assert _memory.apply_default({}) is (_memory._mallopt() is not None)
    with pytest.raises(ValueError, match="GRADSTEP_MALLOC must be unset or 'default'"):
        _memory.apply_default({"GRADSTEP_MALLOC": "big"})
