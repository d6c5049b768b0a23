"""Softmax cross-entropy's compiled loops (kernels.loss, the plain case: class indices, no class
weights, no smoothing) give the NumPy body's bits, forward and backward, NaN and inf included."""

import numpy as np
import pytest

from gradstep.kernels import jit
from gradstep.kernels import loss as kloss


def _both(fn, *args):
    """``fn(*args)`` with compiled kernels off, then on."""
    try:
        jit.use(False)
        reference = fn(*args)
        jit.use(True)
        return reference, fn(*args)
    finally:
        jit.use(None)


def _same(a, b) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)  # NaN where NaN; equal otherwise
    assert np.array_equal(np.signbit(a), np.signbit(b))


def _cases():
    rng = np.random.default_rng(0)
    for k in range(60):
        m, c = int(rng.integers(1, 70)), int(rng.integers(1, 25))
        dtype = (np.float32, np.float64)[k % 2]
        x = (rng.standard_normal((m, c)) * (0.1, 3.0, 40.0)[k % 3]).astype(dtype)
        if k % 5 == 0:
            x[0, rng.integers(c)] = np.nan
        if k % 7 == 0:
            x[-1, :] = x[-1, 0]  # ties: the first maximum
        if k % 11 == 0:
            x[0, 0] = np.inf
        if k % 13 == 0:
            x[-1, -1] = -np.inf
        target = rng.integers(0, c, m).astype((np.int64, np.int32)[k % 4 == 3])
        row_grad = (np.asarray(1 / m, dtype) if k % 3 else rng.standard_normal(m).astype(dtype))
        yield x, target, row_grad


@pytest.mark.parametrize("x, target, row_grad", list(_cases()))
def test_compiled_cross_entropy_gives_the_numpy_bits(x, target, row_grad):
    (l0, d0, saved0), (l1, d1, saved1) = _both(kloss.cross_entropy, x, target)
    assert d0 == d1
    _same(l0, l1)
    _same(saved0.exps, saved1.exps)
    _same(saved0.sums, saved1.sums)
    (g0, _), (g1, _) = _both(lambda: kloss.cross_entropy_backward(row_grad, saved1))
    _same(g0, g1)


def test_compiled_loops_run_in_the_plain_case_only(monkeypatch):
    calls = []
    original = kloss._shift_rows
    monkeypatch.setattr(kloss, "_shift_rows", lambda *a: calls.append(1) or original(*a))
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 2])
    try:
        jit.use(True)
        kloss.cross_entropy(x, y)
        assert calls == [1]
        kloss.cross_entropy(x, y, weight=np.ones(3, np.float32))
        kloss.cross_entropy(x, y, label_smoothing=0.1)
        assert calls == [1]
        jit.use(False)
        kloss.cross_entropy(x, y)
        assert calls == [1]
    finally:
        jit.use(None)


@pytest.mark.parametrize("target, message", [([0, 3], "Target 3 is out of bounds"),
                                             ([-1, 0], "Target -1 is out of bounds")])
def test_a_bad_label_is_refused_as_before(target, message):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(kloss.LabelError, match=message):
        kloss.cross_entropy(x, np.array(target))


def test_ignored_rows_take_the_numpy_path_with_its_bits():
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    y = np.array([1, -100, 3, 0, -100])
    (l0, d0, s0), (l1, d1, s1) = _both(kloss.cross_entropy, x, y)
    assert d0 == d1 == 3
    _same(l0, l1)
    r = np.asarray(1 / 3, np.float32)
    (g0, _), (g1, _) = _both(lambda: kloss.cross_entropy_backward(r, s1))
    _same(g0, g1)
