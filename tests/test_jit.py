"""The switch of compiled kernels (gradstep.kernels.jit): lazy numba, GRADSTEP_JIT, use()."""

import subprocess
import sys

import numpy as np
import pytest

from gradstep.kernels import jit


def _fresh(code: str, **env) -> str:
    import os
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip() + run.stderr.strip()


def test_import_gradstep_does_not_import_numba():
    assert _fresh("import sys, gradstep; print('numba' in sys.modules)") == "False"


@pytest.mark.parametrize("value, expected", [("0", "False"), ("off", "False"), ("1", "True")])
def test_environment_switches_compiled_kernels(value, expected):
    assert _fresh("from gradstep.kernels import jit; print(jit.enabled())", GRADSTEP_JIT=value) == expected


def test_a_bad_environment_value_warns_in_one_line_and_keeps_them_on():
    out = _fresh("import warnings; warnings.simplefilter('always')\n"
                 "from gradstep.kernels import jit; print(jit.enabled())", GRADSTEP_JIT="maybe")
    assert out.startswith("True") and "GRADSTEP_JIT='maybe' is not understood (allowed: 1 or 0)" in out


def test_use_overrides_and_restores():
    try:
        jit.use(False)
        assert not jit.enabled()
        jit.use(True)
        assert jit.enabled()
    finally:
        jit.use(None)


def test_compiled_function_runs_the_loop_as_written():
    @jit.compiled
    def running_sum(a, out):
        s = a.dtype.type(0)
        for i in range(a.shape[0]):
            s += a[i]
            out[i] = s

    a = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    out = np.empty_like(a)
    running_sum(a, out)
    expected = np.cumsum(a)  # sequential float32 sums, the same order
    assert out.dtype == np.float32 and np.array_equal(out, expected)
