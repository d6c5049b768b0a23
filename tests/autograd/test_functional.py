"""gradstep.autograd.functional against torch.autograd.functional on three small models (linear
regression, an MLP with tanh and ReLU, a small conv net with batch norm and max pooling), in
float64, as functions of their parameters."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd import functional as gsf

RNG = np.random.default_rng(0)
X_FLAT = RNG.standard_normal((6, 4))
Y_REAL = RNG.standard_normal((6, 2))
X_IMG = RNG.standard_normal((3, 1, 6, 6))
LABELS = np.array([0, 2, 1, 1, 0, 2])


def _linear(m, w, b):
    return m.nn.functional.linear(m.from_numpy(X_FLAT), w, b)


def _mlp(m, w1, b1, w2, b2, w3, b3):
    f = m.nn.functional
    h = m.tanh(f.linear(m.from_numpy(X_FLAT), w1, b1))
    return f.linear(m.relu(f.linear(h, w2, b2)), w3, b3)


def _cnn(m, k, c, gamma, beta, w, b):
    f = m.nn.functional
    h = f.batch_norm(f.conv2d(m.from_numpy(X_IMG), k, c, padding=1), None, None, gamma, beta, training=True)
    h = f.max_pool2d(m.relu(h), 2)
    return f.linear(h.flatten(1), w, b)


MODELS = {
    # name: (outputs of the parameters, loss of the outputs, parameter shapes)
    "linear": (_linear, lambda m, out: m.nn.functional.mse_loss(out, m.from_numpy(Y_REAL)),
               [(2, 4), (2,)]),
    "mlp": (_mlp, lambda m, out: m.nn.functional.cross_entropy(out, m.from_numpy(LABELS)),
            [(5, 4), (5,), (4, 5), (4,), (3, 4), (3,)]),
    "cnn": (_cnn, lambda m, out: m.nn.functional.cross_entropy(out, m.from_numpy(LABELS[:3])),
            [(2, 1, 3, 3), (2,), (2,), (2,), (3, 18), (3,)]),
}


def _params(shapes, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * 0.7 for s in shapes]


def _fns(m, name):
    outputs, loss, _ = MODELS[name]
    return (lambda *p: outputs(m, *p)), (lambda *p: loss(m, outputs(m, *p)))


def _np(x):
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    return x.detach().numpy()


def _close(a, b, what):
    if isinstance(a, list):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{what}[{i}]")
        return
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, atol=1e-10, rtol=1e-7, err_msg=what)


def _both(torch, name, call):
    """``call(module, functional, outputs_fn, loss_fn, params, vectors)`` with each library."""
    shapes = MODELS[name][2]
    params, vectors = _params(shapes), _params(shapes, seed=2)
    res = []
    for m, fn in ((gs, gsf), (torch, torch.autograd.functional)):
        outputs, loss = _fns(m, name)
        res.append(_np(call(fn, outputs, loss, tuple(m.from_numpy(p.copy()) for p in params),
                            tuple(m.from_numpy(v.copy()) for v in vectors), m)))
    return res


@pytest.mark.parametrize("name", MODELS)
def test_hessian(torch, name):
    g, t = _both(torch, name, lambda fn, out, loss, p, v, m: fn.hessian(loss, p))
    _close(g, t, "hessian")


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("product", ["hvp", "vhp"])
def test_hessian_vector_products(torch, name, product):
    g, t = _both(torch, name, lambda fn, out, loss, p, v, m: getattr(fn, product)(loss, p, v))
    _close(g, t, product)


@pytest.mark.parametrize("name", MODELS)
def test_jvp_vjp_jacobian(torch, name):
    g, t = _both(torch, name, lambda fn, out, loss, p, v, m: fn.jvp(out, p, v))
    _close(g, t, "jvp")
    rng = np.random.default_rng(3)
    u = rng.standard_normal(g[0].shape)
    g, t = _both(torch, name, lambda fn, out, loss, p, v, m: fn.vjp(out, p, m.from_numpy(u.copy())))
    _close(g, t, "vjp")
    g, t = _both(torch, name, lambda fn, out, loss, p, v, m: fn.jacobian(out, p))
    _close(g, t, "jacobian")


def test_single_tensor_inputs_and_create_graph(torch):
    x = np.array([0.3, -1.2, 2.0])
    res = []
    for m, fn in ((gs, gsf), (torch, torch.autograd.functional)):
        xt = m.from_numpy(x.copy())
        f = lambda a: (a.sin() * a * a).sum()  # noqa: E731
        h = fn.hessian(f, xt)
        xr = m.from_numpy(x.copy()).requires_grad_(True)
        _, hv = fn.hvp(f, xr, m.ones_like(xr), create_graph=True)
        (third,) = m.autograd.grad(hv.sum(), xr)  # a third derivative, through the hvp's graph
        res.append((h.numpy(), third.numpy()))
    for a, b in zip(res[0], res[1]):
        np.testing.assert_allclose(a, b, atol=1e-10, rtol=1e-7)


def test_bad_input_gets_one_clear_line():
    x = gs.ones(3, dtype=gs.float64)
    with pytest.raises(RuntimeError, match="single tensor with one element"):
        gsf.hessian(lambda a: a * 2, x)
    with pytest.raises(ValueError, match=r"v\[0\] has shape \(2,\), expected \(3,\)"):
        gsf.hvp(lambda a: a.sum(), x, gs.ones(2, dtype=gs.float64))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        gsf.vjp(lambda a, b: a * 2, (x, x.clone()), gs.ones(3, dtype=gs.float64), strict=True)
    with pytest.raises(TypeError, match="inputs must be a Tensor"):
        gsf.jacobian(lambda a: a, [1.0])
