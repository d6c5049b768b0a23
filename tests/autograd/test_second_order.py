"""Second derivatives of every op of the table: double backward against PyTorch's in float64, and
gradgradcheck against central differences of the first derivatives."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd import gradgradcheck

from .op_table import CASES

DIFF = [c for c in CASES if c.differentiable]


def _arrays(case, seed=0):
    rng = np.random.default_rng(seed)
    return [inp.make(rng, np.float64) for inp in case.inputs]


def _double_backward(m, case, arrays, leaf):
    """d/dx of v . (d/dx r . f(x)): the Hessian of the projected output applied to v, per input."""
    xs = [leaf(a, inp.grad) for a, inp in zip(arrays, case.inputs)]
    out = case.fn(m, *xs)
    rng = np.random.default_rng(7)
    r = rng.standard_normal(tuple(out.shape))
    wrt = [x for x, inp in zip(xs, case.inputs) if inp.grad]
    gs_ = m.autograd.grad((out * m.from_numpy(r)).sum(), wrt, create_graph=True, allow_unused=True)
    vs = [rng.standard_normal(tuple(x.shape)) for x in wrt]
    total = sum((g * m.from_numpy(v)).sum() for g, v in zip(gs_, vs)
                if g is not None and g.requires_grad)
    firsts = [np.zeros(x.shape) if g is None else _np(g) for g, x in zip(gs_, wrt)]
    if not isinstance(total, (m.Tensor,)):
        return firsts, [np.zeros(x.shape) for x in wrt]
    seconds = m.autograd.grad(total, wrt, allow_unused=True)
    return firsts, [np.zeros(x.shape) if h is None else _np(h) for h, x in zip(seconds, wrt)]


def _np(t):
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's ZeroTensors refuse .numpy()
        return np.zeros(tuple(t.shape))
    return t.detach().numpy()


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_double_backward_matches_torch(case, torch):
    arrays = _arrays(case)
    g_first, g_second = _double_backward(
        gs, case, arrays, lambda a, req: gs.from_numpy(a.copy()).requires_grad_(req))
    t_first, t_second = _double_backward(
        torch, case, arrays, lambda a, req: torch.from_numpy(a.copy()).requires_grad_(req))
    for i, (g, t) in enumerate(zip(g_first, t_first)):
        np.testing.assert_allclose(g, t, atol=1e-10, rtol=1e-7, err_msg=f"first derivative, input {i}")
    for i, (g, t) in enumerate(zip(g_second, t_second)):
        np.testing.assert_allclose(g, t, atol=1e-10, rtol=1e-7, err_msg=f"second derivative, input {i}")


# kinks: finite differences straddle them when an input lands near one; the double backward test
# above checks these against PyTorch
_NONSMOOTH = {"abs", "relu", "clamp", "clamp_min", "clamp_max", "maximum", "minimum", "where",
              "masked_fill", "max", "max_dim", "min", "min_dim", "index_mask", "setitem_mask"}


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_gradgradcheck(case):
    arrays = _arrays(case)
    tensors = [gs.from_numpy(a).requires_grad_(inp.grad) for a, inp in zip(arrays, case.inputs)]
    assert gradgradcheck(lambda *xs: case.fn(gs, *xs), tensors, eps=1e-6, atol=1e-5, rtol=1e-3)
