"""gradstep.layers (seed 001's cs231n API): numeric gradient checks with cs231n's rel_error, the
same results as the autograd modules, and TwoLayerNet written both ways."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import layers, nn
from gradstep.autograd.gradcheck import numerical_gradient, rel_error


def _num_grad_array(f, x, dout):
    """cs231n's eval_numerical_gradient_array: d sum(f(x) * dout) / dx."""
    return numerical_gradient(lambda a: np.sum(f(a) * dout), x)


@pytest.fixture
def rng():
    return np.random.default_rng(231)


def test_affine_numeric_gradients(rng):
    x, w, b = rng.standard_normal((10, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((10, 5))
    out, cache = layers.affine_forward(x, w, b)
    assert out.shape == (10, 5)
    dx, dw, db = layers.affine_backward(dout, cache)
    assert rel_error(dx, _num_grad_array(lambda a: layers.affine_forward(a, w, b)[0], x.copy(), dout)) < 1e-8
    assert rel_error(dw, _num_grad_array(lambda a: layers.affine_forward(x, a, b)[0], w.copy(), dout)) < 1e-8
    assert rel_error(db, _num_grad_array(lambda a: layers.affine_forward(x, w, a)[0], b.copy(), dout)) < 1e-8


def test_affine_forward_cs231n_reference_values():
    # the assignment's own check: linspace inputs give these outputs
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, _ = layers.affine_forward(x, w, b)
    correct = np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
    assert rel_error(out, correct) < 1e-8


def test_relu_and_affine_relu_numeric_gradients(rng):
    x = rng.standard_normal((10, 10))
    dout = rng.standard_normal((10, 10))
    out, cache = layers.relu_forward(x)
    np.testing.assert_array_equal(out, np.maximum(0, x))
    assert rel_error(layers.relu_backward(dout, cache),
                     _num_grad_array(lambda a: layers.relu_forward(a)[0], x.copy(), dout)) < 1e-8
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((12, 10)), rng.standard_normal(10)
    out, cache = layers.affine_relu_forward(x, w, b)
    dx, dw, db = layers.affine_relu_backward(dout[:2], cache)
    assert rel_error(dx, _num_grad_array(lambda a: layers.affine_relu_forward(a, w, b)[0], x.copy(),
                                         dout[:2])) < 1e-7
    assert rel_error(dw, _num_grad_array(lambda a: layers.affine_relu_forward(x, a, b)[0], w.copy(),
                                         dout[:2])) < 1e-7


@pytest.mark.parametrize("loss_fn", [layers.softmax_loss, layers.svm_loss])
def test_losses_numeric_gradients(loss_fn, rng):
    x = 0.001 * rng.standard_normal((50, 10))
    y = rng.integers(0, 10, 50)
    loss, dx = loss_fn(x, y)
    assert rel_error(dx, numerical_gradient(lambda a: loss_fn(a, y)[0], x.copy())) < 1e-7
    # the assignment's sanity checks: ~log(10) for softmax, ~9 for the SVM at tiny scores
    expected = np.log(10) if loss_fn is layers.softmax_loss else 9.0
    assert loss == pytest.approx(expected, rel=0.01)


def test_layers_match_the_autograd_modules(rng):
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    y = rng.integers(0, 5, 4)
    h, fc_cache = layers.affine_relu_forward(x, w, b)
    loss, dscores = layers.softmax_loss(h, y)
    dx, dw, db = layers.affine_relu_backward(dscores, fc_cache)

    lin = nn.Linear(6, 5).double()
    lin.load_state_dict({"weight": w.T, "bias": b})
    xt = gs.tensor(x, requires_grad=True)
    out = nn.ReLU()(lin(xt.flatten(1)))
    np.testing.assert_allclose(out.detach().numpy(), h, rtol=1e-12)
    ce = nn.CrossEntropyLoss()(out, gs.tensor(y))
    ce.backward()
    assert ce.item() == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(lin.weight.grad.numpy(), dw.T, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(lin.bias.grad.numpy(), db, rtol=1e-10, atol=1e-14)


def test_svm_loss_matches_torch_multi_margin(rng, torch):
    x = rng.standard_normal((8, 6))
    y = rng.integers(0, 6, 8)
    loss, dx = layers.svm_loss(x, y)
    tx = torch.tensor(x, requires_grad=True)
    t = torch.nn.functional.multi_margin_loss(tx, torch.tensor(y)) * 6  # torch divides by C
    t.backward()
    assert loss == pytest.approx(t.item(), rel=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12)


def test_label_out_of_range_in_cs231n_losses():
    with pytest.raises(IndexError, match="Target 10 is out of bounds.*10 classes"):
        layers.softmax_loss(np.zeros((2, 10)), np.array([1, 10]))
    with pytest.raises(IndexError, match="Target -1"):
        layers.svm_loss(np.zeros((2, 10)), np.array([-1, 0]))


class TwoLayerNet:
    """Seed 001's TwoLayerNet, verbatim in structure: affine - relu - affine - softmax, L2 reg."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3,
                 reg=0.0, rng=None):
        self.reg = reg
        self.params = {"W1": rng.normal(0, weight_scale, (input_dim, hidden_dim)),
                       "b1": np.zeros(hidden_dim),
                       "W2": rng.normal(0, weight_scale, (hidden_dim, num_classes)),
                       "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        h, cache1 = layers.affine_relu_forward(X, self.params["W1"], self.params["b1"])
        scores, cache2 = layers.affine_forward(h, self.params["W2"], self.params["b2"])
        if y is None:
            return scores
        loss, dscores = layers.softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(self.params["W1"] ** 2) + np.sum(self.params["W2"] ** 2))
        grads = {}
        dh, grads["W2"], grads["b2"] = layers.affine_backward(dscores, cache2)
        grads["W2"] += self.reg * self.params["W2"]
        _, grads["W1"], grads["b1"] = layers.affine_relu_backward(dh, cache1)
        grads["W1"] += self.reg * self.params["W1"]
        return loss, grads


def test_two_layer_net_from_layers_equals_the_module_network(rng):
    N, D, H, C, reg = 3, 5, 50, 7, 0.1
    model = TwoLayerNet(D, H, C, weight_scale=1e-1, reg=reg, rng=rng)
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)
    loss, grads = model.loss(X, y)

    net = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C)).double()
    net.load_state_dict({"0.weight": model.params["W1"].T, "0.bias": model.params["b1"],
                         "2.weight": model.params["W2"].T, "2.bias": model.params["b2"]})
    np.testing.assert_allclose(net(gs.tensor(X)).detach().numpy(), model.loss(X), rtol=1e-12)
    out = nn.CrossEntropyLoss()(net(gs.tensor(X)), gs.tensor(y))
    out = out + 0.5 * reg * ((net[0].weight ** 2).sum() + (net[2].weight ** 2).sum())
    out.backward()
    assert out.item() == pytest.approx(loss, rel=1e-12)
    for name, param, transpose in [("W1", net[0].weight, True), ("b1", net[0].bias, False),
                                   ("W2", net[2].weight, True), ("b2", net[2].bias, False)]:
        g = param.grad.numpy()
        np.testing.assert_allclose(g.T if transpose else g, grads[name], rtol=1e-10, atol=1e-14,
                                   err_msg=name)
    # and cs231n's own numeric check of the layer-built network
    for name in ("W1", "b2"):
        num = numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name])
        assert rel_error(num, grads[name]) < 1e-6, name
