"""Each misuse raises an exception of the documented type whose message names what is wrong."""

import numpy as np
import pytest

import gradstep as gs


def test_backward_on_non_scalar_without_gradient():
    x = gs.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 3\)"):
        (x * 2).backward()


def test_backward_twice_through_freed_graph():
    x = gs.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gs.ones(2).sum().backward()


def test_gradient_of_wrong_shape():
    x = gs.ones(2, 3, requires_grad=True)
    with pytest.raises(gs.ShapeError, match=r"\(3,\).*\(2, 3\)"):
        (x * 2).backward(gs.ones(3))


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
                                lambda a, b: a / b, gs.maximum, lambda a, b: a > b])
def test_shapes_that_do_not_broadcast(op):
    a, b = gs.ones(2, 3), gs.ones(4)
    with pytest.raises(gs.ShapeError, match=r"\(2, 3\).*\(4,\)"):
        op(a, b)
    with pytest.raises(ValueError):  # ShapeError is a ValueError (and a RuntimeError, like PyTorch's)
        op(a, b)


def test_matmul_shapes_named():
    with pytest.raises(gs.ShapeError, match=r"\(3, 4\) and \(5, 2\)"):
        gs.ones(3, 4) @ gs.ones(5, 2)


def test_matmul_dtypes_named():
    with pytest.raises(TypeError, match="float32 and float64"):
        gs.ones(3, 4) @ gs.ones(4, 2, dtype=gs.float64)


def test_inplace_on_leaf_that_requires_grad():
    w = gs.ones(3, requires_grad=True)
    for f in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.__isub__(1), lambda: w.zero_(),
              lambda: w.__setitem__(0, 5.0), lambda: w.copy_(gs.zeros(3))):
        with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad \(shape \(3,\)\)"):
            f()
    with gs.no_grad():
        w.add_(1)  # fine under no_grad
    assert w[0].item() == 2.0


def test_reshape_names_both_shapes():
    with pytest.raises(gs.ShapeError, match=r"\(2, 3\).*\(4,\)"):
        gs.ones(2, 3).reshape(4)


def test_dim_out_of_range():
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        gs.ones(2, 3).sum(dim=2)


def test_index_out_of_range_names_shape():
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        gs.ones(2, 3)[5]


def test_requires_grad_on_integer_tensor():
    with pytest.raises(RuntimeError, match="floating point"):
        gs.tensor([1, 2], requires_grad=True)


def test_numpy_of_tensor_requiring_grad():
    with pytest.raises(RuntimeError, match="detach"):
        gs.ones(2, requires_grad=True).numpy()


def test_item_of_many_elements():
    with pytest.raises(RuntimeError, match="3 elements"):
        gs.ones(3).item()


def test_inplace_broadcast_into_smaller_tensor():
    with pytest.raises(gs.ShapeError, match=r"shape \(3,\)"):
        gs.ones(3).add_(gs.ones(2, 3))


def test_inplace_integer_with_float():
    with pytest.raises(TypeError, match="int64"):
        gs.tensor([1, 2]).add_(0.5)


def test_bad_data_for_tensor():
    with pytest.raises(TypeError, match="str"):
        gs.tensor("abc")
    with pytest.raises(ValueError, match="could not make a tensor"):
        gs.tensor([[1.0, 2.0], [3.0]])


def test_cat_and_stack_shape_mismatch():
    with pytest.raises(gs.ShapeError, match=r"tensor 1 has shape \(2, 4\)"):
        gs.cat([gs.ones(2, 3), gs.ones(2, 4)])
    with pytest.raises(gs.ShapeError, match=r"\(2, 3\).*\(3, 2\)"):
        gs.stack([gs.ones(2, 3), gs.ones(3, 2)])


def test_negative_size():
    with pytest.raises(ValueError, match="negative"):
        gs.zeros(2, -1)


def test_gradcheck_reports_index_and_values():
    class Wrong(gs.Function):
        @staticmethod
        def forward(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 a g

    x = gs.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(AssertionError, match=r"input 0 .* index \(0,\): analytic .*, numerical"):
        gs.gradcheck(lambda t: Wrong.apply(t), [x])
