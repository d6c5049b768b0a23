"""float32 by default, float64 everywhere, PyTorch's promotion rules, no silent float64."""

import numpy as np
import pytest

import gradstep as gs


def test_defaults():
    assert gs.tensor(1.5).dtype == gs.float32
    assert gs.tensor([1.0, 2]).dtype == gs.float32
    assert gs.tensor([1, 2]).dtype == gs.int64
    assert gs.tensor([True]).dtype == gs.bool
    assert gs.zeros(2).dtype == gs.float32
    assert gs.randn(2).dtype == gs.float32
    assert gs.arange(3).dtype == gs.int64 and gs.arange(0.0, 1.0, 0.5).dtype == gs.float32
    assert gs.Tensor([1, 2]).dtype == gs.float32   # like torch.Tensor


def test_numpy_arrays_keep_their_dtype_like_torch_tensor():
    assert gs.tensor(np.zeros(2)).dtype == gs.float64
    assert gs.tensor(np.zeros(2, np.int32)).dtype == gs.int32
    assert gs.tensor(np.zeros(2), dtype=gs.float32).dtype == gs.float32
    a = np.zeros(3)
    assert gs.from_numpy(a)._data is a
    t = gs.tensor(a)
    t[0] = 1
    assert a[0] == 0  # tensor() copies


def test_float64_everywhere():
    x = gs.randn(3, 4, dtype=gs.float64, requires_grad=True)
    y = (x.exp() @ x.T).softmax(-1).log().mean()
    y.backward()
    assert y.dtype == gs.float64 and x.grad.dtype == gs.float64


def test_no_silent_promotion_by_numpy_float64_scalars():
    x = gs.ones(3, requires_grad=True)
    for s in (np.float64(0.5), np.float32(0.5), 0.5, 2, np.int64(2)):
        for y in (x * s, s * x, x + s, x - s, s - x, x / s, s / x, x ** s):
            assert y.dtype == gs.float32, (type(s), y.dtype)
    y = (x * np.float64(3.0)).sum()
    y.backward()
    assert x.grad.dtype == gs.float32
    assert (x * np.ones(3, np.float32)).dtype == gs.float32


def test_integer_and_bool_results():
    i = gs.tensor([1, 2, 3])
    assert (i + 1).dtype == gs.int64
    assert (i * 1.5).dtype == gs.float32
    assert (i / 2).dtype == gs.float32
    assert i.sum().dtype == gs.int64
    assert (i > 1).dtype == gs.bool
    assert i.float().dtype == gs.float32


DTYPE_PAIRS = [("float32", 1, "float64", 1), ("float32", 1, "float64", 0), ("float32", 0, "float64", 1),
               ("int64", 1, "float32", 1), ("int64", 1, "float64", 0), ("int32", 1, "int64", 0),
               ("int32", 1, "int64", 1), ("bool", 1, "int64", 0), ("uint8", 1, "int8", 1),
               ("bool", 1, "float32", 0), ("float16", 1, "float32", 0)]


@pytest.mark.parametrize("da,na,db,nb", DTYPE_PAIRS)
def test_promotion_matches_torch(torch, da, na, db, nb):
    def make(m, dt, nd):
        shape = (2,) if nd else ()
        return m.zeros(shape, dtype=getattr(m, dt))
    g = make(gs, da, na) + make(gs, db, nb)
    t = make(torch, da, na) + make(torch, db, nb)
    assert g.dtype.name == str(t.dtype).replace("torch.", "")


def test_set_default_dtype():
    gs.set_default_dtype(gs.float64)
    try:
        assert gs.tensor(1.0).dtype == gs.float64 and gs.zeros(1).dtype == gs.float64
    finally:
        gs.set_default_dtype(gs.float32)
    with pytest.raises(TypeError):
        gs.set_default_dtype(gs.int64)


def test_log_softmax_is_stable_for_huge_inputs():
    x = gs.tensor([[1e6, 0.0, -1e6], [1e6, 1e6, 1e6]], requires_grad=True)
    y = x.log_softmax(1)
    assert np.isfinite(y.detach().numpy()).all()
    np.testing.assert_allclose(y.detach().numpy()[0], [0, -1e6, -2e6])
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert np.isfinite(x.softmax(1).detach().numpy()).all()
