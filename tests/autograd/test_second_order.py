"""Second derivatives of every op of the table: double backward against PyTorch's in float64, and
gradgradcheck against central differences of the first derivatives."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd import gradgradcheck

from .op_table import CASES, Case, I

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


# PyTorch has no double backward for cdist ("the derivative for '_cdist_backward' is not
# implemented"): its rows are checked against finite differences only (test_gradgradcheck)
_TORCH_HAS_NO_SECOND = {"cdist"}
# the 2-norm is not twice differentiable at a zero vector: PyTorch's second derivative there is NaN,
# gradstep's is 0 (its first derivative there is the subgradient 0, as PyTorch's)
_NAN_IN_TORCH = {"norm_zero_vector"}


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_double_backward_matches_torch(case, torch):
    arrays = _arrays(case)
    g_first, g_second = _double_backward(
        gs, case, arrays, lambda a, req: gs.from_numpy(a.copy()).requires_grad_(req))
    if case.name in _TORCH_HAS_NO_SECOND:
        with pytest.raises(NotImplementedError, match="not implemented"):
            _double_backward(torch, case, arrays,
                             lambda a, req: torch.from_numpy(a.copy()).requires_grad_(req))
        return
    t_first, t_second = _double_backward(
        torch, case, arrays, lambda a, req: torch.from_numpy(a.copy()).requires_grad_(req))
    for i, (g, t) in enumerate(zip(g_first, t_first)):
        np.testing.assert_allclose(g, t, atol=1e-10, rtol=1e-7, err_msg=f"first derivative, input {i}")
    for i, (g, t) in enumerate(zip(g_second, t_second)):
        if case.name in _NAN_IN_TORCH:
            assert np.isnan(t).any() and np.all(g[np.isnan(t)] == 0)
            g, t = g[~np.isnan(t)], t[~np.isnan(t)]
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


# --------------------------------------------------------------------------- nn.functional rows

_LABELS = np.array([0, 2, 1])
_INDICES = np.array([[0, 2, 1], [2, 2, 3]])
_RUNNING = (np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0]))
_WEIGHT = np.array([0.5, 1.0, 2.0])


def _f(m):
    return m.nn.functional


NN_CASES = [
    Case("linear", lambda m, x, w, b: _f(m).linear(x, w, b), (I(3, 4), I(2, 4), I(2))),
    Case("linear_3d", lambda m, x, w: _f(m).linear(x * x, w), (I(2, 3, 4), I(2, 4))),
    Case("conv2d", lambda m, x, w, b: _f(m).conv2d(x * x, w, b, padding=1),
         (I(2, 2, 5, 5), I(3, 2, 3, 3), I(3))),
    Case("conv2d_strided", lambda m, x, w: _f(m).conv2d(x, w * w, stride=2, dilation=1),
         (I(2, 2, 6, 6), I(2, 2, 3, 3))),
    Case("conv2d_groups", lambda m, x, w: _f(m).conv2d(x * x, w, groups=2, padding=1),
         (I(1, 4, 5, 5), I(4, 2, 3, 3))),
    Case("max_pool2d", lambda m, x: _f(m).max_pool2d(x * x, 2), (I(2, 2, 4, 4),)),
    Case("max_pool2d_overlap", lambda m, x: _f(m).max_pool2d(x * x, 3, 1, 1), (I(1, 2, 4, 4),)),
    Case("cross_entropy", lambda m, x: _f(m).cross_entropy(x, m.from_numpy(_LABELS)), (I(3, 3),)),
    Case("cross_entropy_weighted", lambda m, x: _f(m).cross_entropy(
        x, m.from_numpy(_LABELS), weight=m.from_numpy(_WEIGHT), label_smoothing=0.1), (I(3, 3),)),
    Case("cross_entropy_soft", lambda m, x, t: _f(m).cross_entropy(x, t.softmax(1)), (I(3, 3), I(3, 3))),
    Case("nll_loss", lambda m, x: _f(m).nll_loss(x.log_softmax(1), m.from_numpy(_LABELS), reduction="sum"),
         (I(3, 3),)),
    Case("mse_loss", lambda m, x, t: _f(m).mse_loss(x * x, t), (I(3, 4), I(3, 4))),
    Case("huber_loss", lambda m, x, t: _f(m).huber_loss(x, t, delta=0.5), (I(3, 4), I(3, 4))),
    Case("bce_logits", lambda m, x, t: _f(m).binary_cross_entropy_with_logits(x * x, t.sigmoid()),
         (I(3, 4), I(3, 4))),
    Case("bce", lambda m, x, t: _f(m).binary_cross_entropy(x.sigmoid(), t.sigmoid()), (I(3, 4), I(3, 4))),
    Case("batch_norm_train", lambda m, x, w, b: _f(m).batch_norm(x, None, None, w, b, training=True),
         (I(4, 3, 2, 2), I(3), I(3))),
    Case("batch_norm_eval", lambda m, x, w, b: _f(m).batch_norm(
        x * x, m.from_numpy(_RUNNING[0].copy()), m.from_numpy(_RUNNING[1].copy()), w, b),
        (I(4, 3, 2), I(3), I(3))),
    Case("layer_norm", lambda m, x, w, b: _f(m).layer_norm(x, (4,), w, b), (I(3, 4), I(4), I(4))),
    Case("layer_norm_2d", lambda m, x: _f(m).layer_norm(x, (3, 4)), (I(2, 3, 4),)),
    Case("gelu", lambda m, x: _f(m).gelu(x), (I(3, 4),)),
    Case("gelu_tanh", lambda m, x: _f(m).gelu(x, approximate="tanh"), (I(3, 4),)),
    Case("embedding", lambda m, w: _f(m).embedding(m.from_numpy(_INDICES), w * w, padding_idx=1), (I(4, 3),)),
    Case("embedding_freq", lambda m, w: _f(m).embedding(m.from_numpy(_INDICES), w * w,
                                                        scale_grad_by_freq=True), (I(4, 3),)),
    Case("avg_pool2d", lambda m, x: _f(m).avg_pool2d(x * x, 2), (I(2, 2, 4, 4),)),
    Case("avg_pool2d_pad", lambda m, x: _f(m).avg_pool2d(x * x, 3, 1, 1, count_include_pad=False),
         (I(1, 2, 4, 4),)),
    Case("adaptive_avg_pool2d", lambda m, x: _f(m).adaptive_avg_pool2d(x * x, (2, 3)), (I(1, 2, 5, 5),)),
    Case("elu", lambda m, x: _f(m).elu(x * x - 1), (I(3, 4),)),
    Case("leaky_relu", lambda m, x: _f(m).leaky_relu(x, 0.2) * x, (I(3, 4),)),
]


@pytest.mark.parametrize("case", NN_CASES, ids=[c.id for c in NN_CASES])
def test_nn_double_backward_matches_torch(case, torch):
    test_double_backward_matches_torch(case, torch)


@pytest.mark.parametrize("case", NN_CASES, ids=[c.id for c in NN_CASES])
def test_nn_gradgradcheck(case):
    test_gradgradcheck(case)


def test_dropout_is_twice_differentiable():
    x = gs.from_numpy(np.random.default_rng(0).standard_normal((3, 4))).requires_grad_()

    def f(a):
        gs.manual_seed(0)  # the same mask on every call
        return gs.nn.functional.dropout(a * a, 0.5)
    assert gradgradcheck(f, [x])


def test_second_backward_through_a_once_differentiable_op_names_it():
    class Cube(gs.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @gs.autograd.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = gs.tensor([1.0, -2.0], dtype=gs.float64, requires_grad=True)
    (g,) = gs.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)  # the first derivative works
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    with pytest.raises(RuntimeError, match="^CubeBackward is not twice differentiable"):
        gs.autograd.grad(g.sum(), x)


def test_a_saved_intermediate_used_on_tensors_names_the_op():
    class Square(gs.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            two_x = 2 * x
            ctx.save_for_backward(two_x)  # computed from x, but neither input nor output
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (two_x,) = ctx.saved_tensors
            return grad * two_x

    x = gs.tensor([1.0, 2.0], dtype=gs.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="SquareBackward is not twice differentiable: its backward "
                                           "uses saved value 0"):
        gs.autograd.grad(Square.apply(x).sum(), x, create_graph=True)


def test_custom_function_on_saved_inputs_is_twice_differentiable():
    class Cube(gs.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = gs.tensor([1.0, -2.0], dtype=gs.float64, requires_grad=True)
    (g,) = gs.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = gs.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, -12.0])


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_accumulates_a_differentiable_grad(torch):
    res = []
    for m in (gs, torch):
        x = m.tensor([0.5, -1.5], dtype=m.float64, requires_grad=True)
        y = m.tensor([2.0, 3.0], dtype=m.float64, requires_grad=True)
        (x * x * y).sum().backward(create_graph=True)
        (x.exp() * y).sum().backward(create_graph=True, inputs=[x])  # only x.grad changes
        penalty = (x.grad * x.grad).sum() + (y.grad * y.grad).sum()
        gx, gy = m.autograd.grad(penalty, [x, y])
        res.append([x.grad.detach().numpy(), y.grad.detach().numpy(), gx.numpy(), gy.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, atol=1e-10, rtol=1e-7)


def test_grad_of_a_non_leaf_and_unused_inputs(torch):
    res = []
    for m in (gs, torch):
        x = m.tensor([0.5, -1.5], dtype=m.float64, requires_grad=True)
        h = x.tanh()
        z = m.tensor([1.0], dtype=m.float64, requires_grad=True)
        gh, gz = m.autograd.grad((h * h * h).sum(), [h, z], allow_unused=True, create_graph=True)
        assert gz is None
        (gx,) = m.autograd.grad(gh.sum(), x)
        res.append([gh.detach().numpy(), gx.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, atol=1e-10, rtol=1e-7)


def test_backward_inputs_accumulates_only_into_them(torch):
    res = []
    for m in (gs, torch):
        x = m.tensor([0.5, -1.5], dtype=m.float64, requires_grad=True)
        y = m.tensor([2.0, 3.0], dtype=m.float64, requires_grad=True)
        (x * y).sum().backward(inputs=[y])
        assert x.grad is None
        (x * y * y).sum().backward(inputs=[y])
        res.append(y.grad.numpy())
    np.testing.assert_allclose(res[0], res[1], atol=1e-12)
