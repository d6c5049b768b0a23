"""The compiled loops of batch norm, ReLU and max pooling (``kernels.jit``) against their NumPy
reference kernels, and one thread against two (the same bits)."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import _threads
from gradstep.kernels import batchnorm as kbn
from gradstep.kernels import jit
from gradstep.nn import functional as F

from .test_conv import two_threads  # noqa: F401 - a fixture: two threads, every split taken

F32 = dict(rtol=1e-5, atol=2e-6)  # float32 rounding of values of order 1 (sums: relative to their size)


@pytest.fixture
def compiled():
    """Runs the test body's calls with the compiled loops on; NumPy inside ``reference()``."""
    jit.use(True)
    yield
    jit.use(None)


def reference(fn, *args, **kwargs):
    jit.use(False)
    try:
        return fn(*args, **kwargs)
    finally:
        jit.use(True)


def _bn_inputs(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)   # an offset mean: the shifted sums matter
    return (x, rng.standard_normal(shape).astype(dtype), rng.standard_normal(c).astype(dtype),
            rng.standard_normal(c).astype(dtype))


@pytest.mark.parametrize("shape", [(6, 3, 5, 7), (4, 2, 9), (3, 4, 2, 3, 5), (5, 6, 1, 1)])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_batch_norm_training_matches_the_numpy_kernel(compiled, shape, affine):
    x, dy, gamma, beta = _bn_inputs(shape)
    gamma, beta = (gamma if affine[0] else None), (beta if affine[1] else None)
    y, x_hat, inv_std, mean, var = kbn.batch_norm_train(x, gamma, beta, 1e-5, keep_x_hat=False)
    assert x_hat is None and y.dtype == mean.dtype == var.dtype == inv_std.dtype == np.float32
    want = reference(kbn.batch_norm_train, x, gamma, beta, 1e-5)
    for got, ref in zip((y, inv_std, mean, var), (want[0], *want[2:])):
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, **F32)
    # the elementwise pass is the reference's float operations: given its statistics, its bits
    y_same = kbn._normalized(kbn._by_channel(x), want[3], want[2].reshape(-1), gamma, beta)
    np.testing.assert_array_equal(y_same.reshape(shape), want[0])
    got = kbn.batch_norm_backward(dy, None, inv_std, gamma, True, x=x, mean=mean)
    ref = reference(kbn.batch_norm_backward, dy, want[1], want[2], gamma, True)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5 * np.abs(r).max())
    # dx's pass is the reference's float operations too: given its statistics and means, its bits
    m = x.size // shape[1]
    mean_dy, mean_dyx = (np.divide(s, m, dtype=np.float32) for s in (ref[2], ref[1]))
    inv = want[2].reshape(-1)
    scale = inv if gamma is None else inv * gamma
    dx = np.empty_like(kbn._by_channel(dy))
    kbn._dx_loop(kbn._by_channel(dy), kbn._by_channel(x), want[3], inv, scale, mean_dy, mean_dyx, True, dx)
    np.testing.assert_array_equal(dx.reshape(shape), ref[0])


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_matches_the_numpy_kernel_bit_for_bit(compiled, affine):
    x, dy, gamma, beta = _bn_inputs((5, 4, 6, 3), seed=1)
    gamma, beta = (gamma, beta) if affine else (None, None)
    mean, var = np.float32([1, -2, 0.5, 4]), np.float32([0.5, 2, 3, 0.25])
    y, x_hat, inv_std = kbn.batch_norm_eval(x, mean, var, gamma, beta, 1e-5, keep_x_hat=False)
    want = reference(kbn.batch_norm_eval, x, mean, var, gamma, beta, 1e-5)
    assert x_hat is None
    np.testing.assert_array_equal(y, want[0])
    got = kbn.batch_norm_backward(dy, None, inv_std, gamma, False, x=x, mean=mean)
    ref = reference(kbn.batch_norm_backward, dy, want[1], want[2], gamma, False)
    np.testing.assert_array_equal(got[0], ref[0])                     # dx = dy * scale
    for g, r in zip(got[1:], ref[1:]):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5 * np.abs(r).max())


def test_batch_norm_float64_and_only_some_gradients(compiled):
    x, dy, gamma, beta = _bn_inputs((4, 3, 5, 5), np.float64)
    y, _, inv_std, mean, var = kbn.batch_norm_train(x, gamma, beta, 1e-5, keep_x_hat=False)
    want = reference(kbn.batch_norm_train, x, gamma, beta, 1e-5)
    assert y.dtype == mean.dtype == np.float64
    np.testing.assert_allclose(y, want[0], rtol=1e-12, atol=1e-12)
    dx, dgamma, dbeta = kbn.batch_norm_backward(dy, None, inv_std, gamma, True, need_affine=False, x=x,
                                                mean=mean)
    assert dgamma is None and dbeta is None
    np.testing.assert_allclose(dx, reference(kbn.batch_norm_backward, dy, want[1], want[2], gamma, True)[0],
                               rtol=1e-10, atol=1e-10)
    dx, dgamma, dbeta = kbn.batch_norm_backward(dy, None, inv_std, gamma, True, need_x=False, x=x, mean=mean)
    assert dx is None and dgamma.shape == dbeta.shape == (3,)


def test_batch_norm_non_finite_values_give_the_numpy_kernels_statistics(compiled):
    x, _, gamma, beta = _bn_inputs((4, 3, 5, 5), seed=8)
    x[0, 0, 0, 0], x[1, 1, 2, 2], x[2, 2, 1, 1] = np.inf, -np.inf, np.nan   # channel 0: its sample is inf
    with np.errstate(invalid="ignore"):                          # inf - inf, in both paths
        got = kbn.batch_norm_train(x, gamma, beta, 1e-5, keep_x_hat=False)
        want = reference(kbn.batch_norm_train, x, gamma, beta, 1e-5)
    for g, r in zip((got[0], *got[2:]), (want[0], *want[2:])):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
        np.testing.assert_array_equal(np.isinf(g), np.isinf(r))
    assert np.isinf(got[3][0]) and np.isinf(got[3][1]) and np.isnan(got[3][2])


def _bn_module_step(x, dy, training=True):
    bn = gs.nn.BatchNorm2d(x.shape[1])
    with gs.no_grad():
        bn.weight.copy_(gs.from_numpy(np.linspace(0.5, 1.5, x.shape[1], dtype=np.float32)))
    bn.train(training)
    xt = gs.tensor(x, requires_grad=True)
    y = bn(xt)
    y.backward(gs.from_numpy(dy))
    return [a.copy() for a in (y.detach().numpy(), xt.grad.numpy(), bn.weight.grad.numpy(),
                               bn.bias.grad.numpy(), bn.running_mean.numpy(), bn.running_var.numpy())]


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_module_compiled_against_numpy(compiled, monkeypatch, training):
    """BatchNorm2d end to end (running statistics included), the compiled path against NumPy."""
    x, dy, _, _ = _bn_inputs((8, 4, 6, 6), seed=2)
    calls = []
    for name in ("_train_compiled", "_normalized", "_backward_compiled"):
        real = getattr(kbn, name)
        monkeypatch.setattr(kbn, name, lambda *a, real=real, name=name: (calls.append(name), real(*a))[1])
    got = _bn_module_step(x, dy, training)
    assert calls == (["_train_compiled", "_normalized", "_backward_compiled"] if training
                     else ["_normalized", "_backward_compiled"])
    want = reference(_bn_module_step, x, dy, training)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(r).max()))


def test_batch_norm_module_non_contiguous_input(compiled):
    x, dy, _, _ = _bn_inputs((6, 5, 4, 3), seed=3)
    xt = np.swapaxes(x, 2, 3)                 # a view: the kernel copies it to (N, C, L) order
    got = _bn_module_step(xt, np.ascontiguousarray(np.swapaxes(dy, 2, 3)))
    want = reference(_bn_module_step, np.ascontiguousarray(xt), np.ascontiguousarray(np.swapaxes(dy, 2, 3)))
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(r).max()))


def test_batch_norm_threads_give_the_same_bits(compiled, two_threads, monkeypatch):  # noqa: F811
    """The statistics' chunks are fixed by the shape and added in order: two threads, one thread,
    the same bits."""
    monkeypatch.setattr(_threads, "LOOP_MIN_ELEMENTS", 1)
    x, dy, _, _ = _bn_inputs((16, 3, 8, 8), seed=4)
    threaded = _bn_module_step(x, dy)
    assert two_threads.count(2) >= 4        # statistics and normalisation, forward and backward
    gs.set_num_threads(1)
    for got, want in zip(threaded, _bn_module_step(x, dy)):
        np.testing.assert_array_equal(got, want)


def test_batch_norm_second_order_runs_on_tensors(compiled):
    """create_graph=True: the backward runs on tensors (x_hat recomputed as ops of x), and its
    gradient equals the NumPy path's."""
    def grad_of_grad():
        x = gs.tensor(_bn_inputs((4, 2, 3, 3), np.float64, seed=5)[0], requires_grad=True)
        y = F.batch_norm(x, None, None, training=True)
        (g,) = gs.autograd.grad((y * y * y).sum(), x, create_graph=True)
        (gg,) = gs.autograd.grad((g * g).sum(), x)
        return g.detach().numpy(), gg.numpy()

    got, want = grad_of_grad(), reference(grad_of_grad)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-9)
    assert np.abs(got[1]).max() > 0


def _pool_input(shape, dtype=np.float32, seed=0):
    """Values from a small set (so windows tie), with -0.0, +0.0 and infinities among them."""
    rng = np.random.default_rng(seed)
    values = np.array([-np.inf, -2.0, -0.0, 0.0, 1.0, 3.0, np.inf], dtype)
    return values[rng.integers(0, len(values), shape)]


def _pool_step(x, **kw):
    xt = gs.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, 2, **kw)
    g = np.cos(np.arange(y.numel(), dtype=x.dtype)).reshape(y.shape)
    g.reshape(-1)[::7] = -g.reshape(-1)[::7]
    g.reshape(-1)[5] = np.nan                               # a NaN gradient: 0 * NaN for the losers
    y.backward(gs.from_numpy(g))
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("shape, dtype", [((3, 4, 6, 8), np.float32), ((2, 6, 4), np.float64),
                                          ((2, 3, 5, 6), np.float32)])   # odd height: the NumPy kernel
def test_max_pool_2x2_matches_the_numpy_kernel_bit_for_bit(compiled, shape, dtype):
    """Ties (first in row-major order wins), signed zeros, infinities, a NaN gradient."""
    x = _pool_input(shape, dtype)
    got, want = _pool_step(x), reference(_pool_step, x)
    for g, r in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_array_equal(g, r)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(r))
    x_view = np.swapaxes(_pool_input((2, 3, 8, 6), dtype, seed=1), 2, 3)  # non-contiguous
    for g, r in zip(_pool_step(x_view), reference(_pool_step, np.ascontiguousarray(x_view))):
        np.testing.assert_array_equal(g, r)


def test_max_pool_2x2_a_nan_wins_as_in_pytorch(compiled, torch):
    x = _pool_input((2, 2, 4, 4), seed=2)
    x[0, 1, 2, 3] = x[1, 0, 0, 0] = np.nan
    got = _pool_step(x)
    for g, r in zip(got, reference(_pool_step, x)):
        np.testing.assert_array_equal(g, r)
    np.testing.assert_array_equal(got[0], torch.nn.functional.max_pool2d(torch.from_numpy(x), 2).numpy())


def test_max_pool_and_threads_give_the_same_bits(compiled, two_threads, monkeypatch):  # noqa: F811
    monkeypatch.setattr(_threads, "LOOP_MIN_ELEMENTS", 1)
    x = np.random.default_rng(5).standard_normal((4, 5, 8, 8)).astype(np.float32)
    threaded = _pool_step(x)
    assert two_threads.count(2) >= 2                 # forward and backward split over planes
    gs.set_num_threads(1)
    for got, want in zip(threaded, _pool_step(x)):
        np.testing.assert_array_equal(got, want)


def _relu_step(x, g):
    xt = gs.tensor(x, requires_grad=True)
    y = F.relu(xt)
    y.backward(gs.from_numpy(g))
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("shape, dtype", [((40, 25, 20), np.float32), ((3, 7), np.float64)])
def test_relu_matches_the_numpy_kernel_bit_for_bit(compiled, monkeypatch, shape, dtype):
    """NaN stays NaN, -0.0 becomes +0.0, a NaN gradient gives NaN where the mask is 0 (grad * mask)."""
    from gradstep.kernels import activation
    monkeypatch.setattr(activation, "RELU_MIN_COMPILED", 1)
    rng = np.random.default_rng(6)
    values = np.array([np.nan, -np.inf, -1.5, -0.0, 0.0, 2.0, np.inf], dtype)
    x = values[rng.integers(0, len(values), shape)]
    g = rng.standard_normal(shape).astype(dtype)
    g.reshape(-1)[::5] = np.nan
    g.reshape(-1)[1::5] *= -1
    calls = []
    real = activation._relu_loop
    monkeypatch.setattr(activation, "_relu_loop", lambda *a: (calls.append(1), real(*a))[1])
    got = _relu_step(x, g)
    assert calls                                        # the compiled loop ran
    for a, b in zip(got, reference(_relu_step, x, g)):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def test_relu_threads_give_the_same_bits(compiled, two_threads, monkeypatch):  # noqa: F811
    monkeypatch.setattr(_threads, "LOOP_MIN_ELEMENTS", 1)
    rng = np.random.default_rng(7)
    x, g = (rng.standard_normal((8, 50, 50)).astype(np.float32) for _ in range(2))
    threaded = _relu_step(x, g)
    assert two_threads.count(2) >= 2
    gs.set_num_threads(1)
    for got, want in zip(threaded, _relu_step(x, g)):
        np.testing.assert_array_equal(got, want)
