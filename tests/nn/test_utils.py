"""nn.utils against torch.nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector,
vector_to_parameters."""

import math

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn


def _pair(torch, scale=1.0):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    arrays = [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]
    gp = [nn.Parameter(gs.tensor(a)) for a in arrays]
    tp = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    grads = [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]
    for p, g in zip(gp, grads):
        p.grad = gs.tensor(g)
    for p, g in zip(tp, grads):
        p.grad = torch.tensor(g)
    return gp, tp


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, torch):
    gp, tp = _pair(torch)
    nt = float(norm_type)
    g_total = nn.utils.clip_grad_norm_(gp, max_norm, norm_type=nt)
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=nt)
    assert isinstance(g_total, gs.Tensor) and g_total.dtype == np.float32
    np.testing.assert_allclose(g_total.item(), t_total.item(), rtol=1e-5)
    for g, t in zip(gp, tp):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_single_tensor_and_missing_grads(torch):
    p = nn.Parameter(gs.ones(3))
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0
    p.grad = gs.tensor([3.0, 4.0, 0.0])
    assert nn.utils.clip_grad_norm_([p, nn.Parameter(gs.ones(2))], 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)


def test_clip_grad_norm_error_if_nonfinite():
    p = nn.Parameter(gs.ones(2))
    p.grad = gs.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert not math.isfinite(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_torch(torch):
    gp, tp = _pair(torch, scale=2.0)
    assert nn.utils.clip_grad_value_(gp, 0.7) is None
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for g, t in zip(gp, tp):
        np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_parameters_to_vector_and_back(torch):
    gp, tp = _pair(torch)
    gv = nn.utils.parameters_to_vector(gp)
    tv = torch.nn.utils.parameters_to_vector(tp)
    np.testing.assert_array_equal(gv.detach().numpy(), tv.detach().numpy())
    assert gv.requires_grad
    for p in gp:
        p.grad = None
    (gv * gs.arange(gv.numel()).float()).sum().backward()
    np.testing.assert_array_equal(gp[1].grad.numpy(), np.arange(12, 16))
    new = gs.arange(gv.numel()).float()
    nn.utils.vector_to_parameters(new, gp)
    np.testing.assert_array_equal(gp[0].detach().numpy(), np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(gp[2].detach().numpy(), np.arange(16, 24).reshape(2, 2, 2))
    new.numpy()[0] = -1  # parameters view the vector, as in PyTorch
    assert gp[0].detach().numpy()[0, 0] == -1
    with pytest.raises(gs.ShapeError, match="has 5 elements but the parameters have 24"):
        nn.utils.vector_to_parameters(gs.zeros(5), gp)
    with pytest.raises(TypeError, match="expected gradstep.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(24), gp)
