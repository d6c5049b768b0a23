"""Every op of the table: gradcheck in float64, and values and gradients against PyTorch."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd.gradcheck import gradcheck

from .op_table import CASES

DIFF = [c for c in CASES if c.differentiable]


def _inputs(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [inp.make(rng, dtype) for inp in case.inputs]


def _gs_tensors(case, arrays):
    # from_numpy keeps non-contiguous views as they are
    return [gs.from_numpy(a).requires_grad_(inp.grad and case.differentiable)
            for a, inp in zip(arrays, case.inputs)]


@pytest.mark.parametrize("fast_mode", [False, True], ids=["slow", "fast"])
@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_gradcheck(case, fast_mode):
    arrays = _inputs(case, np.float64)
    tensors = _gs_tensors(case, arrays)
    assert gradcheck(lambda *xs: case.fn(gs, *xs), tensors, eps=1e-6, atol=1e-5, rtol=1e-3,
                     fast_mode=fast_mode)


def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_torch(case, torch):
    arrays = _inputs(case, np.float32, seed=1)
    g_in = _gs_tensors(case, arrays)
    t_in = [torch.from_numpy(a.copy()).requires_grad_(inp.grad and case.differentiable)
            for a, inp in zip(arrays, case.inputs)]
    g_out = case.fn(gs, *g_in)
    t_out = case.fn(torch, *t_in)

    assert g_out.shape == tuple(t_out.shape)
    assert g_out.dtype.name == _torch_dtype_name(t_out)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), atol=1e-6, rtol=1e-3)
    if not case.differentiable:
        assert not g_out.requires_grad
        return

    proj = np.random.default_rng(2).standard_normal(g_out.shape).astype(np.float32)
    g_out.backward(gs.tensor(proj))
    t_out.backward(torch.from_numpy(proj))
    for i, (g, t) in enumerate(zip(g_in, t_in)):
        if t.grad is None:
            assert g.grad is None or not np.any(g.grad.numpy()), f"input {i}"
            continue
        assert g.grad is not None, f"input {i} got no gradient"
        assert g.grad.dtype == np.float32
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), atol=1e-4, rtol=1e-3,
                                   err_msg=f"gradient of input {i}")


def test_every_op_of_the_issue_is_in_the_table():
    names = {c.name.split("_")[0] for c in CASES}
    wanted = {"add", "sub", "mul", "div", "pow", "matmul", "neg", "exp", "log", "sqrt", "abs", "sin",
              "cos", "tanh", "sigmoid", "relu", "clamp", "maximum", "minimum", "where", "sum", "mean",
              "var", "max", "min", "argmax", "reshape", "view", "flatten", "squeeze", "unsqueeze",
              "transpose", "permute", "T", "index", "cat", "stack", "softmax", "setitem",
              "gt", "eq"}
    assert wanted <= names, wanted - names
