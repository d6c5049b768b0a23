"""BatchNorm and LayerNorm semantics beyond the layer table (training vs eval, momentum None,
track_running_stats False, affine False, errors), and cs231n's batchnorm_forward/backward, which
run the same kernel."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import layers, nn
from gradstep.autograd.gradcheck import numerical_gradient
from gradstep.nn import functional as F

from .conv_norm_table import assert_raises_naming


def test_training_normalises_each_channel_and_updates_running_stats():
    bn = nn.BatchNorm2d(3)
    x = np.random.default_rng(0).normal(2.0, 3.0, (8, 3, 4, 4)).astype(np.float32)
    y = bn(gs.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)   # unbiased, as PyTorch
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == np.int64


def test_eval_uses_running_stats():
    bn = nn.BatchNorm1d(2, eps=0.0 + 1e-5)
    with gs.no_grad():
        bn.running_mean.copy_(gs.tensor([1.0, -1.0]))
        bn.running_var.copy_(gs.tensor([4.0, 0.25]))
        bn.weight.copy_(gs.tensor([2.0, 1.0]))
        bn.bias.copy_(gs.tensor([0.5, 0.0]))
    bn.eval()
    x = gs.tensor([[3.0, 0.0], [1.0, -1.0]])
    expected = (x.numpy() - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0.0]
    np.testing.assert_allclose(bn(x).detach().numpy(), expected, rtol=1e-6)
    assert bn.num_batches_tracked.item() == 0          # eval never updates
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -1.0])


def test_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm1d(3, momentum=None)
    rng = np.random.default_rng(1)
    batches = [rng.normal(k, 1.0, (5, 3)).astype(np.float32) for k in range(4)]
    for b in batches:
        bn(gs.from_numpy(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], axis=0),
                               rtol=1e-5)


def test_track_running_stats_false_has_no_buffers_and_uses_batch_stats_in_eval():
    bn = nn.BatchNorm2d(2, track_running_stats=False).eval()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    y = bn(gs.randn(4, 2, 3, 3) * 5 + 3).detach().numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)


def test_affine_false_has_no_parameters():
    bn = nn.BatchNorm1d(4, affine=False)
    assert list(bn.parameters()) == [] and bn.weight is None
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm1d_on_2d_and_3d_and_state_dict_from_torch(torch):
    for shape in [(6, 4), (6, 4, 5)]:
        t_bn, g_bn = torch.nn.BatchNorm1d(4), nn.BatchNorm1d(4)
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        for _ in range(3):
            t_bn(torch.from_numpy(x))
        g_bn.load_state_dict({k: v.numpy() for k, v in t_bn.state_dict().items()})
        assert g_bn.num_batches_tracked.item() == 3
        t_bn.eval()
        g_bn.eval()
        np.testing.assert_allclose(g_bn(gs.from_numpy(x)).detach().numpy(),
                                   t_bn(torch.from_numpy(x)).detach().numpy(), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.BatchNorm1d(3)(gs.randn(1, 3)), ValueError, ["more than 1 value per channel", "(1, 3)"]),
    (lambda: nn.BatchNorm1d(3)(gs.randn(2, 3, 4, 4)), ValueError, ["2D or 3D", "4D"]),
    (lambda: nn.BatchNorm2d(3)(gs.randn(2, 3)), ValueError, ["4D", "2D"]),
    (lambda: nn.BatchNorm2d(3)(gs.randn(2, 4, 3, 3)), ValueError, ["(3,)", "4 channels"]),
    (lambda: nn.BatchNorm1d(3, momentum=1.5), ValueError, ["momentum", "1.5"]),
    (lambda: nn.BatchNorm1d(0), ValueError, ["num_features"]),
    (lambda: nn.BatchNorm1d(3).double()(gs.randn(2, 3)), TypeError, ["float32", "float64"]),
    (lambda: F.batch_norm(gs.randn(2, 3), None, None), ValueError, ["training=False"]),
    (lambda: nn.LayerNorm(4)(gs.randn(2, 5)), ValueError, ["normalized_shape=[4]", "(2, 5)"]),
    (lambda: nn.LayerNorm((2, 0)), ValueError, ["normalized_shape"]),
])
def test_errors_name_the_problem(call, error, words):
    assert_raises_naming(call, error, words)


def test_layer_norm_normalises_each_sample():
    x = gs.randn(3, 4, 5) * 4 + 2
    y = nn.LayerNorm((4, 5))(x).detach().numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, atol=1e-3)


# ------------------------------------------------------------------ cs231n's batchnorm functions

def test_cs231n_batchnorm_running_average_convention():
    x = np.random.default_rng(0).normal(3.0, 2.0, (10, 4))
    bn_param = {"mode": "train"}
    out, _ = layers.batchnorm_forward(x, np.ones(4), np.zeros(4), bn_param)
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-12)
    # running = 0.9 * running + 0.1 * batch, from zeros, with the biased variance
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(0))
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(0))
    bn_param["mode"] = "test"
    out, _ = layers.batchnorm_forward(x, np.ones(4), np.zeros(4), bn_param)
    np.testing.assert_allclose(out, (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + 1e-5))


def test_cs231n_batchnorm_equals_the_module_in_training():
    rng = np.random.default_rng(0)
    x, gamma, beta, dout = rng.standard_normal((6, 5)), rng.standard_normal(5), rng.standard_normal(5), \
        rng.standard_normal((6, 5))
    out, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    gx, gg, gb = (gs.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    y = F.batch_norm(gx, None, None, gg, gb, training=True)
    y.backward(gs.tensor(dout))
    np.testing.assert_allclose(out, y.detach().numpy(), atol=1e-12)
    for a, t in ((dx, gx), (dgamma, gg), (dbeta, gb)):
        np.testing.assert_allclose(a, t.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_cs231n_batchnorm_backward_numerically(mode):
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.normal(5, 3, (4, 3)), rng.standard_normal(3), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    bn_param = {"mode": mode, "running_mean": rng.standard_normal(3), "running_var": rng.random(3) + 0.5}

    def f(_):
        param = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in bn_param.items()}
        return np.sum(layers.batchnorm_forward(x, gamma, beta, param)[0] * dout)

    _, cache = layers.batchnorm_forward(x, gamma, beta, dict(bn_param))
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    assert layers.batchnorm_backward_alt is layers.batchnorm_backward
    for analytic, arr in ((dx, x), (dgamma, gamma), (dbeta, beta)):
        np.testing.assert_allclose(analytic, numerical_gradient(f, arr), atol=1e-6, rtol=1e-5)


def test_cs231n_batchnorm_keeps_float32():
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    bn_param = {"mode": "train"}
    out, cache = layers.batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32), bn_param)
    grads = layers.batchnorm_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and bn_param["running_var"].dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    with pytest.raises(ValueError, match="mode"):
        layers.batchnorm_forward(x, None, None, {"mode": "eval"})
