"""Shared fixtures. ``torch`` gives the PyTorch module to parity tests, or skips them with the
reason; with GRADSTEP_REQUIRE_TORCH=1 (set by .ci/run) a missing torch fails them instead."""

import os

import numpy as np
import pytest
from hypothesis import settings

import gradstep as gs

try:
    import torch as _torch
except ImportError:  # pragma: no cover - depends on the environment
    _torch = None

# Property-based tests explore new examples on every run of `make test`; CI (.ci/run sets
# HYPOTHESIS_PROFILE=ci) draws the same ones every time, so that a red CI means a regression.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

TORCH_MISSING = ("PyTorch is not installed, so this parity test is skipped; "
                 "`pip install torch==2.13.0` (a CPU build) to run it")


@pytest.fixture
def torch():
    if _torch is None:
        if os.environ.get("GRADSTEP_REQUIRE_TORCH") == "1":
            pytest.fail("GRADSTEP_REQUIRE_TORCH=1 but PyTorch is not installed")
        pytest.skip(TORCH_MISSING)
    _torch.set_num_threads(1)
    _torch.manual_seed(0)  # PyTorch's own random draws repeat too, whatever ran before
    return _torch


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    gs.manual_seed(0)
    np.random.seed(0)
    yield
