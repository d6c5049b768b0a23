"""Backwards that write a parameter's first gradient straight into its gradient buffer
(``Function.grad_buffer``): same bits as a new array, and only where nothing else can see it."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.autograd import grad


def _step_weights(flat: bool, model, x, y, steps=3):
    gs.manual_seed(0)
    net = model()
    opt = gs.optim.Adam(net.parameters(), flat=flat)
    for _ in range(steps):
        loss = nn.CrossEntropyLoss()(net(gs.from_numpy(x)), gs.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in net.parameters()]


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_gradients_written_into_flat_buffers_are_bitwise_those_of_new_arrays(kind):
    rng = np.random.default_rng(0)
    if kind == "linear":
        def model():
            return nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
        x = rng.standard_normal((5, 12)).astype(np.float32)
    else:
        def model():
            return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))
        x = rng.standard_normal((5, 2, 6, 6)).astype(np.float32)
    y = rng.integers(0, 3, 5)
    flat, per_param = _step_weights(True, model, x, y), _step_weights(False, model, x, y)
    for a, b in zip(flat, per_param):
        assert np.array_equal(a, b)


def test_linear_backward_fills_the_grad_buffer_itself():
    lin = nn.Linear(4, 3)
    opt = gs.optim.SGD(lin.parameters(), lr=0.1)
    buffers = [p._grad_buffer for p in lin.parameters()]
    lin(gs.randn(2, 4)).sum().backward()
    for p, buf in zip(lin.parameters(), buffers):
        assert p.grad._data is buf
    opt.step()


def test_a_weight_used_twice_gets_the_sum_of_both_gradients():
    lin = nn.Linear(3, 3)
    gs.optim.SGD(lin.parameters(), lr=0.1)  # gives the parameters gradient buffers
    ref = nn.Linear(3, 3)
    ref.load_state_dict(lin.state_dict())
    x = gs.randn(2, 3)
    lin(lin(x)).sum().backward()
    ref(ref(x)).sum().backward()
    for p, q in zip(lin.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_existing_gradients_accumulate_and_hooks_see_the_gradient():
    lin = nn.Linear(3, 2)
    gs.optim.SGD(lin.parameters(), lr=0.1)
    x = gs.randn(4, 3)
    seen = []
    lin.bias.register_hook(lambda g: seen.append(g.numpy().copy()))
    lin(x).sum().backward()
    first = lin.weight.grad.numpy().copy()
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * first, rtol=1e-6)
    assert len(seen) == 2 and np.allclose(seen[0], 4.0)


def test_autograd_grad_leaves_the_buffers_and_grads_alone():
    lin = nn.Linear(3, 2)
    gs.optim.SGD(lin.parameters(), lr=0.1)
    lin.weight._grad_buffer.fill(7.0)
    (dw,) = grad(lin(gs.randn(4, 3)).sum(), [lin.weight])
    assert lin.weight.grad is None
    assert np.all(lin.weight._grad_buffer == 7.0) and dw._data is not lin.weight._grad_buffer


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("into_buffer", [False, True])
def test_one_sample_weight_gradient_is_the_matmul_bit_for_bit(dtype, into_buffer):
    """A batch of one takes an elementwise outer product instead of a matmul; the bits must not change."""
    from gradstep.kernels.linear import linear_backward

    rng = np.random.default_rng(3)
    g = rng.standard_normal((1, 7)).astype(dtype)
    x = rng.standard_normal((1, 11)).astype(dtype)
    w = rng.standard_normal((7, 11)).astype(dtype)
    out = np.full((7, 11), np.nan, dtype) if into_buffer else None
    _, dw, db = linear_backward(g, x, w, dw_out=out)
    assert dw.dtype == dtype and np.array_equal(dw, np.matmul(g.T, x))
    assert np.array_equal(db, g[0])
    if into_buffer:
        assert dw is out
