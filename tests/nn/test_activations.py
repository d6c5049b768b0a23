"""Activation behaviours beyond the table: in-place semantics, the legacy softmax dim, arguments."""

import numpy as np
import pytest

import gradstep as gs
import gradstep.nn.functional as F
from gradstep import nn


@pytest.mark.parametrize("fn", [F.relu, F.leaky_relu, F.elu])
def test_inplace_activation_writes_into_its_input(fn):
    x = gs.randn(3, 4)
    before = x.numpy().copy()
    out = fn(x, inplace=True)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), fn(gs.tensor(before)).numpy())


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        nn.ReLU(inplace=True)(gs.randn(3, requires_grad=True))
    with gs.no_grad():
        x = gs.randn(3, requires_grad=True)
        nn.ReLU(inplace=True)(x)
    assert (x.detach().numpy() >= 0).all()


def test_inplace_inside_a_graph_differentiates_like_out_of_place():
    a = gs.randn(4, 5, requires_grad=True)
    y = a * 2.0
    F.relu(y, inplace=True)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2.0 * (a.detach().numpy() > 0))


def test_softmax_without_dim_warns_and_uses_torchs_legacy_choice(torch):
    x = np.random.randn(2, 3, 4).astype(np.float32)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        g = nn.Softmax()(gs.tensor(x))
    with pytest.warns(UserWarning):
        t = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def test_softmax_dtype_argument_and_gelu_argument_check():
    assert F.softmax(gs.randn(2, 3), dim=1, dtype=gs.float64).dtype == np.float64
    assert F.log_softmax(gs.randn(2, 3), 1).dtype == np.float32
    with pytest.raises(ValueError, match="approximate argument must be either none or tanh"):
        nn.GELU(approximate="fast")
    with pytest.raises(TypeError, match="must be a gradstep Tensor"):
        F.relu(np.ones(3))


@pytest.mark.parametrize("fn", [F.gelu, lambda x: F.gelu(x, approximate="tanh"), F.elu, F.leaky_relu,
                                F.sigmoid, F.tanh])
def test_activations_keep_dtype_and_handle_extremes(fn):
    for dt in (gs.float32, gs.float64):
        x = gs.tensor([-1e4, -30.0, 0.0, 30.0, 1e4], dtype=dt, requires_grad=True)
        y = fn(x)
        y.sum().backward()
        assert y.dtype == dt and x.grad.dtype == dt
        assert np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))
