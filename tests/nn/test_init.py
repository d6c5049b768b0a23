"""nn.init: PyTorch's fan computations and gains, the distributions' bounds and moments, seeding,
and every layer's default initialisation."""

import math

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.nn import init

SHAPES = [(3, 4), (200, 784), (5, 3, 2, 2), (8, 1, 3, 3), (2, 3, 4, 5, 6), (4, 0)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_in_and_fan_out_match_torch(shape, torch):
    assert init._calculate_fan_in_and_fan_out(gs.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(gs.empty(5))


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                                ("tanh", None), ("relu", None), ("leaky_relu", None),
                                                ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)),
                                                ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param, torch):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        init.calculate_gain("swish")


def _moments(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), np.abs(a).max()


# (function, kwargs, shape, expected bound or None, expected std)
FAN_IN, FAN_OUT = 500, 400
DISTRIBUTIONS = [
    (init.uniform_, dict(a=-2.0, b=3.0), None, 5 / math.sqrt(12), 0.5),
    (init.normal_, dict(mean=1.0, std=0.5), None, 0.5, 1.0),
    (init.xavier_uniform_, dict(gain=2.0), 2 * math.sqrt(6 / (FAN_IN + FAN_OUT)), None, 0.0),
    (init.xavier_normal_, dict(), None, math.sqrt(2 / (FAN_IN + FAN_OUT)), 0.0),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), 1 / math.sqrt(FAN_IN), None, 0.0),
    (init.kaiming_uniform_, dict(mode="fan_out", nonlinearity="relu"), math.sqrt(6 / FAN_OUT), None, 0.0),
    (init.kaiming_normal_, dict(nonlinearity="relu"), None, math.sqrt(2 / FAN_IN), 0.0),
    (init.kaiming_normal_, dict(a=0.1, mode="fan_out"), None, math.sqrt(2 / (1 + 0.01) / FAN_OUT), 0.0),
]


@pytest.mark.parametrize("fn,kwargs,bound,std,mean", DISTRIBUTIONS,
                         ids=[f"{d[0].__name__}-{i}" for i, d in enumerate(DISTRIBUTIONS)])
def test_distribution_bounds_and_moments(fn, kwargs, bound, std, mean):
    t = nn.Parameter(gs.empty(FAN_OUT, FAN_IN))
    assert fn(t, **kwargs) is t
    assert t.dtype == np.float32 and t.requires_grad and t.grad_fn is None
    m, s, top = _moments(t)
    if bound is not None:
        assert top <= bound * (1 + 1e-6)
        assert top > 0.99 * bound
        std = bound / math.sqrt(3)
    assert s == pytest.approx(std, rel=0.01)
    assert m == pytest.approx(mean, abs=4 * std / math.sqrt(t.numel()))


def test_constant_zeros_ones_eye():
    t = gs.empty(3, 4)
    assert (init.constant_(t, 0.5).numpy() == 0.5).all()
    assert (init.zeros_(t).numpy() == 0).all()
    assert (init.ones_(t).numpy() == 1).all()
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))


def test_seeded_and_generator_streams_are_reproducible():
    gs.manual_seed(3)
    a = init.kaiming_uniform_(gs.empty(4, 5)).numpy().copy()
    gs.manual_seed(3)
    b = init.kaiming_uniform_(gs.empty(4, 5)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = gs.Generator(7), gs.Generator(7)
    np.testing.assert_array_equal(init.normal_(gs.empty(3), generator=g1).numpy(),
                                  init.normal_(gs.empty(3), generator=g2).numpy())
    gs.manual_seed(3)
    l1 = nn.Linear(5, 4)
    gs.manual_seed(3)
    l2 = nn.Linear(5, 4)
    np.testing.assert_array_equal(l1.weight.detach().numpy(), l2.weight.detach().numpy())
    assert not np.array_equal(l1.weight.detach().numpy(), nn.Linear(5, 4).weight.detach().numpy())


def test_linear_default_init_follows_torch(torch):
    g = nn.Linear(784, 200)
    t = torch.nn.Linear(784, 200)
    bound = 1 / math.sqrt(784)
    for name in ("weight", "bias"):
        gv = getattr(g, name).detach().numpy()
        tv = getattr(t, name).detach().numpy()
        assert np.abs(gv).max() <= bound and np.abs(tv).max() <= bound
        # both are U(-bound, bound): compare each with its standard deviation, bound / sqrt(3)
        rel = 0.15 if name == "bias" else 0.01  # 200 biases vs 156,800 weights
        assert gv.std() == pytest.approx(bound / math.sqrt(3), rel=rel)
        assert tv.std() == pytest.approx(bound / math.sqrt(3), rel=rel)
    assert nn.Linear(3, 2, dtype=gs.float64).weight.dtype == np.float64


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2, 2)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = gs.nn.init.orthogonal_(gs.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)


def test_trunc_normal_stays_in_its_bounds_and_keeps_its_spread():
    w = gs.nn.init.trunc_normal_(gs.empty(20000), std=0.5, a=-0.6, b=1.0).numpy()
    assert w.min() >= -0.6 and w.max() <= 1.0
    assert abs(w.std() - 0.38) < 0.02  # a normal of std 0.5 cut at -1.2 and 2 sigma
    with pytest.raises(ValueError, match="smaller than b"):
        gs.nn.init.trunc_normal_(gs.empty(3), a=1.0, b=0.0)
