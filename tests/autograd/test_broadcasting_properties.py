"""Property-based tests of broadcasting and reductions (shapes drawn by hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gradstep as gs

settings.register_profile("gradstep", max_examples=60, deadline=None)
settings.load_profile("gradstep")


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3),
       st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
def test_binary_broadcast_gradients_have_input_shapes(shapes, op):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(0)
    a = gs.tensor(rng.uniform(0.5, 2, sa), requires_grad=True)
    b = gs.tensor(rng.uniform(0.5, 2, sb), requires_grad=True)
    f = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
         "maximum": lambda: gs.maximum(a, b)}[op]
    y = f()
    assert y.shape == out_shape
    g = rng.standard_normal(out_shape)
    y.backward(gs.tensor(g))
    assert a.grad.shape == sa and b.grad.shape == sb
    if op == "add":  # the gradient of a broadcast operand is the sum over the copies
        expect = np.broadcast_to(g, out_shape).sum(axis=tuple(range(len(out_shape) - len(sa)))) \
            if len(out_shape) > len(sa) else g
        expect = expect.sum(axis=tuple(i for i, s in enumerate(sa) if s == 1 and expect.shape[i] != 1),
                            keepdims=True).reshape(sa)
        np.testing.assert_allclose(a.grad.numpy(), expect, rtol=1e-12)


@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), st.data())
def test_reductions_over_any_dims(shape, data):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    keepdim = data.draw(st.booleans())
    x = gs.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    for name in ("sum", "mean"):
        y = getattr(x, name)(dim=tuple(dims), keepdim=keepdim)
        ref = getattr(np, name)(x.detach().numpy(), axis=tuple(dims), keepdims=keepdim)
        np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-12)
        x.grad = None
        y.sum().backward()
        n = np.prod([shape[d] for d in dims])
        np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 if name == "sum" else 1.0 / n))


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), st.data())
def test_index_with_repeated_integer_arrays_accumulates(shape, data):
    idx = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=8))
    x = gs.zeros(*shape, dtype=gs.float64, requires_grad=True)
    x[gs.tensor(idx)].sum().backward()
    counts = np.bincount(idx, minlength=shape[0]).astype(float)
    expect = np.broadcast_to(counts.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    np.testing.assert_array_equal(x.grad.numpy(), expect)
