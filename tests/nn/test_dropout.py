"""Dropout: identity in eval, inverted scaling in train, masks reproducible from the seed, p
validated; cs231n's dropout_forward/backward share the kernel."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import layers, nn
from gradstep.nn import functional as F


def test_identity_in_eval():
    d = nn.Dropout(0.7).eval()
    x = gs.randn(5, 6, requires_grad=True)
    y = d(x)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((5, 6)))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_train_zeroes_about_p_and_scales_the_rest(p):
    x = gs.rand(200, 300, dtype=gs.float64) + 1.0
    y = nn.Dropout(p)(x).numpy()
    kept = y != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(y[kept], x.numpy()[kept] / (1 - p), rtol=1e-12)


def test_gradient_is_the_mask():
    x = gs.randn(4, 50, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.backward(gs.ones(4, 50))
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-5)
    assert x.grad.dtype == np.float32 and y.dtype == np.float32


def test_mask_reproducible_from_manual_seed():
    x = gs.ones(8, 8)
    gs.manual_seed(42)
    a = nn.Dropout(0.5)(x).numpy()
    b = nn.Dropout(0.5)(x).numpy()
    gs.manual_seed(42)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), a)
    assert not np.array_equal(a, b)            # the stream moves on
    g1, g2 = gs.Generator(7), gs.Generator(7)
    np.testing.assert_array_equal(F.dropout(x, generator=g1).numpy(), F.dropout(x, generator=g2).numpy())
    gs.manual_seed(42)                          # same mask whatever the dtype
    np.testing.assert_array_equal(F.dropout(x.double(), 0.5).numpy() != 0, a != 0)


def test_p_edges_and_inplace():
    x = gs.randn(3, 4)
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((3, 4)))
    y = x.clone()
    gs.manual_seed(1)
    out = F.dropout(y, 0.5, inplace=True)
    gs.manual_seed(1)
    assert out is y and np.array_equal(y.numpy(), F.dropout(x, 0.5).numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None])
def test_p_validation(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(gs.ones(2), p)


def test_repr():
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"


# ------------------------------------------------------------------ cs231n's dropout functions

def test_cs231n_dropout_uses_the_same_stream_and_kernel():
    x = np.random.default_rng(0).standard_normal((6, 7)).astype(np.float32)
    gs.manual_seed(3)
    out, cache = layers.dropout_forward(x, {"p": 0.3, "mode": "train"})
    gs.manual_seed(3)
    np.testing.assert_array_equal(out, nn.Dropout(0.3)(gs.from_numpy(x)).numpy())
    dx = layers.dropout_backward(np.ones_like(x), cache)
    np.testing.assert_array_equal(dx, (out != 0) / np.float32(0.7))
    assert out.dtype == dx.dtype == np.float32


def test_cs231n_dropout_seed_and_test_mode():
    x = np.ones((5, 5))
    a, _ = layers.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 123})
    b, _ = layers.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 123})
    np.testing.assert_array_equal(a, b)
    out, cache = layers.dropout_forward(x, {"p": 0.5, "mode": "test"})
    assert out is x and layers.dropout_backward(x, cache) is x
    with pytest.raises(ValueError, match="p"):
        layers.dropout_forward(x, {"p": 2, "mode": "train"})


@pytest.mark.parametrize("make,shape", [(lambda: gs.nn.Dropout2d(0.5), (8, 6, 3, 3)),
                                        (lambda: gs.nn.Dropout1d(0.3), (8, 6, 5))])
def test_channel_dropout_zeroes_whole_channels_and_scales_the_rest(make, shape):
    layer = make()
    x = gs.ones(*shape)
    y = layer(x).numpy().reshape(shape[0], shape[1], -1)
    per_channel = y.max(-1)
    assert np.all(y.min(-1) == per_channel)  # each channel all zero or all kept
    assert set(np.unique(per_channel)) == {0.0, np.float32(1 / (1 - layer.p))}
    layer.eval()
    assert layer(x) is x


@pytest.mark.parametrize("shape", [(40, 30), (6, 5, 7)])
def test_dropout2d_on_2d_and_3d_inputs_warns_and_runs_as_torch(shape, torch):
    # PyTorch drops per (dim 0, dim 1) entry: a 2-D (N, C) input element-wise, a 3-D one as (N, C, L)
    for m in (gs, torch):
        layer = m.nn.Dropout2d(0.5)
        with pytest.warns(UserWarning, match="dropout2d"):
            y = layer(m.ones(*shape)).numpy().reshape(shape[0], shape[1], -1)
        assert np.all(y.min(-1) == y.max(-1)) and set(np.unique(y)) == {0.0, 2.0}
        assert 0.3 < (y == 0).mean() < 0.7
        assert (y.min((1, 2)) != y.max((1, 2))).any()  # not whole samples
        layer.eval()
        with pytest.warns(UserWarning, match="dropout2d"):
            x = m.ones(*shape)
            assert layer(x) is x


def test_dropout2d_on_1d_input_warns_then_raises_as_torch(torch):
    for m in (gs, torch):
        with pytest.warns(UserWarning, match="dropout2d"), pytest.raises(RuntimeError, match="2 dim"):
            m.nn.functional.dropout2d(m.ones(3), 0.5)
