"""The engine: graph traversal, accumulation, grad modes, freeing, hooks, autograd.grad."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd import Function, grad


def test_deep_chain_backpropagates_without_recursion():
    x = gs.tensor(2.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_gradients_accumulate_across_backward_calls():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_subexpression_gets_both_contributions():
    x = gs.tensor(3.0, requires_grad=True)
    y = x * x          # used twice below
    z = y * y + y      # z = x^4 + x^2, dz/dx = 4x^3 + 2x
    z.backward()
    assert x.grad.item() == pytest.approx(4 * 27 + 6)


def test_retain_graph_allows_a_second_backward():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_graph_is_freed_after_backward():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_no_grad_enable_grad_set_grad_enabled():
    x = gs.ones(2, requires_grad=True)
    with gs.no_grad():
        assert not (x * 2).requires_grad
        with gs.enable_grad():
            assert (x * 2).requires_grad
        assert not gs.is_grad_enabled()
    assert gs.is_grad_enabled()

    @gs.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    gs.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        gs.set_grad_enabled(True)
    with gs.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad


def test_leaf_flags_and_detach():
    x = gs.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad_fn is not None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    d[0] = 5.0  # shares memory, like PyTorch
    assert y[0].item() == 5.0
    assert "MulBackward" in repr(y)


def test_non_leaf_grad_is_not_kept_unless_retained():
    x = gs.ones(2, requires_grad=True)
    y = x * 2
    z = y * 3
    y.retain_grad()
    z.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [3, 3])
    assert z.grad is None


def test_hooks_see_and_can_replace_gradients():
    x = gs.ones(3, requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    # y's hook turns dL/dy = 1 into 2, so x's hook sees 2 * 2 = 4 and makes it 40
    np.testing.assert_allclose(seen[0], [4, 4, 4])
    np.testing.assert_allclose(x.grad.numpy(), [40, 40, 40])
    h.remove()


def test_autograd_grad_leaves_dot_grad_untouched():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    w = gs.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = grad((x * w).sum(), [x])
    np.testing.assert_allclose(gx.numpy(), [3, 4])
    assert x.grad is None and w.grad is None


def test_backward_with_explicit_gradient():
    x = gs.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(gs.tensor([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 0, 12])


def test_custom_function():
    class Cube(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * a ** 2

    x = gs.tensor([2.0], requires_grad=True, dtype=gs.float64)
    Cube.apply(x).sum().backward()
    assert x.grad.item() == 12.0
    assert gs.gradcheck(lambda t: Cube.apply(t), [gs.randn(4, dtype=gs.float64, requires_grad=True)])


def test_seed_002_param_data_update_and_handwritten_adagrad():
    """param.data = param.data - lr * param.grad.data, and sqr[:] = sqr + grad ** 2 (seed 002)."""
    w = gs.tensor([1.0, -2.0], requires_grad=True)
    sqr = gs.zeros_like(w)
    for _ in range(3):
        w.grad = None
        (w * w).sum().backward()
        sqr[:] = sqr + w.grad.data ** 2
        div = 0.1 / gs.sqrt(sqr + 1e-10) * w.grad.data
        w.data = w.data - div
    ref_w, ref_s = np.array([1.0, -2.0], np.float32), np.zeros(2, np.float32)
    for _ in range(3):
        g = 2 * ref_w
        ref_s = ref_s + g ** 2
        ref_w = ref_w - 0.1 / np.sqrt(ref_s + 1e-10) * g
    np.testing.assert_allclose(w.detach().numpy(), ref_w, rtol=1e-6)
    assert w.dtype == np.float32 and w.requires_grad and w.is_leaf


def test_inplace_update_under_no_grad_keeps_leaf():
    w = gs.ones(3, requires_grad=True)
    (w * 2).sum().backward()
    with gs.no_grad():
        w -= 0.5 * w.grad
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), [0, 0, 0])


def test_inplace_on_a_nonleaf_does_not_reroute_earlier_uses():
    w = gs.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1
    y = x * 2          # recorded before the in-place op: dy/dw = 2
    x.mul_(3)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


def test_inplace_change_of_a_saved_tensor_is_an_error():
    w = gs.tensor([1.0, 2.0], requires_grad=True)
    x = gs.tensor([3.0, 4.0])
    y = w * x          # saves x for dy/dw
    x.mul_(5)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*version 0, now 1"):
        y.sum().backward()


ALIASES = {
    "detach": lambda x: x.detach(),
    "view": lambda x: x.view(2, 2),
    "reshape": lambda x: x.reshape(-1),
    "slice": lambda x: x[1:],
    "transpose": lambda x: x.view(2, 2).t(),
    "view of a view": lambda x: x.view(2, 2)[0],
}


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("changed", ["alias", "original"])
def test_inplace_change_through_an_alias_of_a_saved_tensor_is_an_error(torch, alias, changed):
    """A tensor and its views and detach() share one version counter, as in PyTorch: changing the
    memory through either is seen by a node that saved the other."""
    for lib in (gs, torch):
        x = lib.tensor([3.0, 4.0, 5.0, 6.0])
        a = ALIASES[alias](x)
        saved, other = (x, a) if changed == "alias" else (a, x)
        w = lib.ones(tuple(saved.shape), requires_grad=True)
        y = w * saved   # saves `saved` for dy/dw
        before = saved._version
        other.mul_(5)
        assert saved._version == before + 1 and other._version == saved._version, lib.__name__
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place "
                                               "operation"):
            y.sum().backward()


def test_data_and_copies_do_not_share_the_version_counter(torch):
    for lib in (gs, torch):
        x = lib.tensor([3.0, 4.0])
        d, c = x.data, x.clone()
        d.add_(1)
        c.add_(1)
        assert (x._version, d._version, c._version) == (0, 1, 1), lib.__name__
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = w * x
        x.data.mul_(2)  # .data is the documented way around the check, in both libraries
        y.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), [8.0, 10.0])


def test_edge_values_match_pytorch():
    x = gs.tensor([0.0, 1.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])           # not nan at 0
    assert gs.tensor([-float("inf"), 1.0]).relu().tolist() == [0.0, 1.0]  # not nan
    w = gs.tensor([1.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore"):  # 1/0 = inf, as NumPy warns
        z = w / gs.tensor([0.0, 1.0])
    z.zero_()
    assert z.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="negative integer powers"):
        gs.tensor([1, 2]) ** -1
