"""Pooling beyond the layer table: random geometries (ceil_mode, padding, dilation) against
PyTorch, return_indices, adaptive bins of any size, and errors."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradstep as gs
from gradstep import nn
from gradstep.nn import functional as F

from .conv_norm_table import assert_raises_naming


@st.composite
def pool_geometry(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return dict(kernel_size=k, stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))),
                ceil_mode=draw(st.booleans()), hw=(draw(st.integers(4, 9)), draw(st.integers(4, 9))))


def _compare(g_fn, t_fn, shape, torch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_out, t_out = g_fn(gx), t_fn(tx)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), atol=1e-12)
    proj = rng.standard_normal(tuple(t_out.shape))
    g_out.backward(gs.tensor(proj))
    t_out.backward(torch.tensor(proj))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=pool_geometry(), dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)))
def test_max_pool_random_geometries_match_torch(g, dilation, torch):
    hw = g.pop("hw")
    if any(d * (k - 1) + 1 > s + 2 * p for d, k, s, p in zip(dilation, g["kernel_size"], hw, g["padding"])):
        return
    _compare(lambda x: F.max_pool2d(x, dilation=dilation, **g),
             lambda x: torch.nn.functional.max_pool2d(x, dilation=dilation, **g), (2, 2) + hw, torch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=pool_geometry(), count_include_pad=st.booleans())
def test_avg_pool_random_geometries_match_torch(g, count_include_pad, torch):
    hw = g.pop("hw")
    _compare(lambda x: F.avg_pool2d(x, count_include_pad=count_include_pad, **g),
             lambda x: torch.nn.functional.avg_pool2d(x, count_include_pad=count_include_pad, **g),
             (2, 2) + hw, torch)


@pytest.mark.parametrize("in_hw, out", [((7, 9), (3, 4)), ((3, 4), (5, 7)), ((6, 6), 1), ((5, 8), (5, 8)),
                                        ((9, 4), (None, 3))])
def test_adaptive_any_output_size_matches_torch(in_hw, out, torch):
    _compare(lambda x: F.adaptive_avg_pool2d(x, out),
             lambda x: torch.nn.functional.adaptive_avg_pool2d(x, out), (2, 3) + in_hw, torch)


def test_return_indices_match_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    args = dict(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True)
    out, idx = F.max_pool2d(gs.from_numpy(x), return_indices=True, **args)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x), return_indices=True, **args)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())
    m_out, m_idx = nn.MaxPool2d(2, return_indices=True)(gs.from_numpy(x))
    assert m_out.shape == m_idx.shape == (2, 3, 4, 4)


def test_max_pool_ties_and_padding():
    # ties go to the first tap; -inf padding never wins, even over negative inputs
    x = gs.tensor([[[[1.0, 1.0], [1.0, 1.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0], [0, 0]])
    neg = gs.full((1, 1, 3, 3), -5.0)
    assert F.max_pool2d(neg, 3, stride=1, padding=1).numpy().max() == -5.0


def test_float64_stays_float64():
    x = gs.randn(1, 2, 6, 6, dtype=gs.float64)
    for f in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 2, 1),
              lambda t: F.adaptive_avg_pool2d(t, (2, 5))):
        assert f(x).dtype == np.float64
        assert f(x.float()).dtype == np.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.max_pool2d(gs.randn(1, 1, 5, 5), 3, padding=2), ValueError, ["half of kernel_size", "(2, 2)"]),
    (lambda: F.avg_pool2d(gs.randn(1, 1, 2, 2), 3), ValueError, ["too small", "(1, 1, 2, 2)"]),
    (lambda: F.max_pool2d(gs.tensor([[[[1, 2], [3, 4]]]]), 2), TypeError, ["floating point", "int64"]),
    (lambda: F.max_pool2d(gs.randn(5, 5), 2), ValueError, ["3-D or 4-D", "(5, 5)"]),
    (lambda: F.avg_pool2d(gs.randn(1, 1, 4, 4), 2, divisor_override=0), ValueError, ["divisor_override"]),
    (lambda: F.adaptive_avg_pool2d(gs.randn(1, 1, 4, 4), 0), ValueError, ["output_size"]),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, ["MaxPool2d", "half of kernel_size"]),
    (lambda: nn.AvgPool2d(0), ValueError, ["AvgPool2d: kernel_size"]),
    (lambda: nn.AdaptiveAvgPool2d((2, 3, 4)), TypeError, ["output_size"]),
])
def test_errors_name_the_problem(call, error, words):
    assert_raises_naming(call, error, words)


def test_max_pool_nan_wins_as_in_torch(torch):
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 3, 3] = x[0, 0, 3, 2] = np.nan
    g_out, g_idx = F.max_pool2d(gs.tensor(x), 2, return_indices=True)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(g_out.numpy(), t_out.numpy())      # NaNs in the same places
    np.testing.assert_array_equal(g_idx.numpy(), t_idx.numpy())
