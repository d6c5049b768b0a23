"""Seed 001's FullyConnectedNet, {affine - [batch norm] - relu - [dropout]} x (L - 1) - affine -
softmax, built twice: from gradstep modules and from the cs231n-style functions (the reusable
``gradstep.models.cs231n`` classes). Same weights, same batch, same dropout masks: the two give
the same loss and gradients."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.models import FullyConnectedNet, TwoLayerNet
from gradstep.nn import functional as F

INPUT_SHAPE = (3, 4, 2)          # flattened to 24 by the first affine layer
NUM_CLASSES = 5


def module_net(model: FullyConnectedNet) -> nn.Sequential:
    """The same architecture from modules, with the cs231n model's parameters copied in
    (cs231n's W is (in, out); Linear's weight is (out, in))."""
    dtype = model.dtype
    mods = [nn.Flatten()]
    for i in range(1, model.num_layers + 1):
        w, b = model.params[f"W{i}"], model.params[f"b{i}"]
        linear = nn.Linear(*w.shape, dtype=dtype)
        linear.load_state_dict({"weight": w.T, "bias": b})
        mods.append(linear)
        if i == model.num_layers:
            break
        if model.use_batchnorm:
            bn = nn.BatchNorm1d(w.shape[1], dtype=dtype)     # momentum 0.1 == cs231n's 0.9 on the old value
            bn.load_state_dict({"weight": model.params[f"gamma{i}"], "bias": model.params[f"beta{i}"]},
                               strict=False)
            mods.append(bn)
        mods.append(nn.ReLU())
        if model.use_dropout:
            mods.append(nn.Dropout(model.dropout_param["p"]))
    return nn.Sequential(*mods)


def module_loss_and_grads(net: nn.Sequential, model: FullyConnectedNet, X, y):
    """Cross-entropy plus cs231n's 0.5 * reg * sum(W^2), and the gradients under cs231n's names."""
    scores = net(gs.from_numpy(X))
    linears = [m for m in net if isinstance(m, nn.Linear)]
    bns = [m for m in net if isinstance(m, nn.BatchNorm1d)]
    loss = F.cross_entropy(scores, gs.from_numpy(y))
    for lin in linears:
        loss = loss + 0.5 * model.reg * (lin.weight * lin.weight).sum()
    net.zero_grad()
    loss.backward()
    grads = {}
    for i, lin in enumerate(linears, start=1):
        grads[f"W{i}"], grads[f"b{i}"] = lin.weight.grad.numpy().T, lin.bias.grad.numpy()
    for i, bn in enumerate(bns, start=1):
        grads[f"gamma{i}"], grads[f"beta{i}"] = bn.weight.grad.numpy(), bn.bias.grad.numpy()
    return loss.item(), grads


CONFIGS = [dict(reg=0.0), dict(normalization="batchnorm"), dict(dropout=0.3),
           dict(normalization="batchnorm", dropout=0.5, reg=0.1), dict(use_batchnorm=True, reg=0.05)]


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_modules_and_cs231n_functions_agree(config, dtype, tol):
    model = FullyConnectedNet([7, 6, 5], input_dim=24, num_classes=NUM_CLASSES, weight_scale=0.3,
                              dtype=dtype, **{"reg": 0.0, **config})
    net = module_net(model)
    rng = np.random.default_rng(0)
    for step in range(3):
        X = rng.standard_normal((8, *INPUT_SHAPE)).astype(dtype)
        y = rng.integers(0, NUM_CLASSES, 8)
        gs.manual_seed(100 + step)           # the same dropout masks, drawn in the same order
        loss, grads = model.loss(X, y)
        gs.manual_seed(100 + step)
        m_loss, m_grads = module_loss_and_grads(net, model, X, y)
        assert isinstance(loss, float)
        np.testing.assert_allclose(loss, m_loss, rtol=tol)
        assert set(grads) == set(m_grads) == set(model.params)
        for k in grads:
            assert grads[k].dtype == dtype, k
            np.testing.assert_allclose(grads[k], m_grads[k], rtol=tol, atol=tol, err_msg=k)

    bns = [m for m in net if isinstance(m, nn.BatchNorm1d)]
    for bn_param, bn in zip(model.bn_params, bns):
        # cs231n's momentum 0.9 on the old value is PyTorch's 0.1 on the new one: same running mean
        np.testing.assert_allclose(bn_param["running_mean"], bn.running_mean.numpy(), rtol=tol, atol=tol)
        # the variance conventions differ (cs231n: biased, from zeros); use the module's for test mode
        bn_param["running_var"] = bn.running_var.numpy().copy()
    X = rng.standard_normal((4, *INPUT_SHAPE)).astype(dtype)
    scores = model.loss(X)
    net.eval()
    with gs.no_grad():
        np.testing.assert_allclose(scores, net(gs.from_numpy(X)).numpy(), rtol=tol, atol=tol)


def test_two_layer_net_matches_modules_and_default_dtype():
    model = TwoLayerNet(input_dim=24, hidden_dim=10, num_classes=NUM_CLASSES, weight_scale=0.1, reg=0.2)
    assert set(model.params) == {"W1", "b1", "W2", "b2"}
    assert model.params["W1"].dtype == np.float32 and model.params["W1"].shape == (24, 10)
    net = module_net(model)
    X = np.random.default_rng(1).standard_normal((6, *INPUT_SHAPE)).astype(np.float32)
    y = np.arange(6) % NUM_CLASSES
    loss, grads = model.loss(X, y)
    m_loss, m_grads = module_loss_and_grads(net, model, X, y)
    np.testing.assert_allclose(loss, m_loss, rtol=1e-5)
    for k in grads:
        np.testing.assert_allclose(grads[k], m_grads[k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_weights_come_from_the_seeded_stream():
    gs.manual_seed(9)
    a = FullyConnectedNet([4], input_dim=3, num_classes=2, weight_scale=1.0).params["W1"]
    gs.manual_seed(9)
    b = FullyConnectedNet([4], input_dim=3, num_classes=2, weight_scale=1.0).params["W1"]
    np.testing.assert_array_equal(a, b)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="normalization"):
        FullyConnectedNet([3], normalization="groupnorm")
    with pytest.raises(ValueError, match="dropout"):
        FullyConnectedNet([3], dropout=1.0)
