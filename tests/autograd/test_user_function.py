"""A user's autograd.Function works on Tensors, as in PyTorch: forward and backward may call tensor
methods and nn.functional; values, gradients and second derivatives match torch's."""

import numpy as np
import pytest

import gradstep as gs


def _functions(m):
    F = m.nn.functional

    class ClampedCube(m.autograd.Function):  # tensor methods in forward and backward
        @staticmethod
        def forward(ctx, x, lo):
            ctx.save_for_backward(x)
            ctx.lo = lo
            return x.clamp(min=lo) ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x.clamp(min=ctx.lo) ** 2 * (x > ctx.lo).to(x.dtype), None

    class Conv(m.autograd.Function):  # nn.functional inside, its adjoint by hand (the conv-bn tutorial's way)
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return F.conv2d(x, w)

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            gw = F.conv2d(x.transpose(0, 1), grad.transpose(0, 1)).transpose(0, 1)
            return F.conv_transpose2d(grad, w), gw

    class Scale(m.autograd.Function):  # PyTorch 2's forward without ctx, plus setup_context
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

    return ClampedCube, Conv, Scale


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_user_function_on_tensors_matches_pytorch(torch, dtype):
    rng = np.random.default_rng(0)
    x0, w0, u0 = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(7)
    res = {}
    for m in (gs, torch):
        ClampedCube, Conv, Scale = _functions(m)
        dt = getattr(m, dtype)
        x = m.tensor(x0, dtype=dt, requires_grad=True)
        w = m.tensor(w0, dtype=dt, requires_grad=True)
        u = m.tensor(u0, dtype=dt, requires_grad=True)
        y = Conv.apply(x, w)
        c = ClampedCube.apply(u, -0.5)
        s = Scale.apply(u, 2.5)
        ((y * y).sum() + c.sum() + (s * c).sum()).backward()
        res[m.__name__] = [t.detach().numpy() for t in (y, c, s, x.grad, w.grad, u.grad)] + [
            str(y.dtype).split(".")[-1], type(y.grad_fn).__name__ if m is torch else y.grad_fn.name()]
    ours, theirs = res["gradstep"], res["torch"]
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(ours[:6], theirs[:6]):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert ours[6] == theirs[6] == dtype and ours[7] == theirs[7] == "ConvBackward"


def test_user_function_second_derivative_and_gradcheck(torch):
    res = []
    for m in (gs, torch):
        ClampedCube, Conv, Scale = _functions(m)
        u = m.tensor([0.3, -1.0, 2.0], dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(ClampedCube.apply(u, -0.5).sum(), u, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), u)
        res.append((g.detach().numpy(), h.numpy()))
        x = m.rand(2, 2, 5, 4, dtype=m.float64, requires_grad=True)
        w = m.rand(3, 2, 2, 2, dtype=m.float64, requires_grad=True)
        assert m.autograd.gradcheck(Conv.apply, (x, w))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)


def test_forward_runs_without_recording_and_sees_tensors():
    seen = {}

    class Probe(gs.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["type"], seen["grad_enabled"] = type(x), gs.is_grad_enabled()
            return x.exp()

        @staticmethod
        def backward(ctx, grad):
            seen["grad_type"] = type(grad)
            return grad

    x = gs.ones(3, requires_grad=True)
    y = Probe.apply(x)
    assert y.requires_grad and y.grad_fn.name() == "ProbeBackward"
    assert y.grad_fn.next_functions[0][0] is not None
    y.sum().backward()
    assert seen == {"type": gs.Tensor, "grad_enabled": False, "grad_type": gs.Tensor}
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, np.float32))


def test_several_outputs_are_refused_in_one_line():
    class Two(gs.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x * 2

        @staticmethod
        def backward(ctx, a, b):
            return a + 2 * b

    with pytest.raises(TypeError, match="returned 2 outputs; gradstep's Function supports one output"):
        Two.apply(gs.ones(2, requires_grad=True))
