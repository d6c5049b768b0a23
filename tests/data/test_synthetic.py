"""Synthetic data sets: seed 004's linear regression, spirals, moons."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.data.datasets import LinearRegression, Moons, Spirals, make_linear_regression, make_spirals


def test_linear_regression_defaults_are_seed_004s():
    ds = LinearRegression()
    assert len(ds) == 1000 and ds.X.shape == (1000, 2) and ds.y.shape == (1000, 1)
    assert ds.X.dtype == np.float32 and ds.y.dtype == np.float32
    assert ds.true_w.tolist() == pytest.approx([2.0, -3.4]) and ds.true_b == 4.2
    X, y = ds.X.numpy().astype(np.float64), ds.y.numpy()[:, 0].astype(np.float64)
    residual = y - (X @ np.array([2.0, -3.4]) + 4.2)
    assert 0.008 < residual.std() < 0.012  # noise 0.01
    assert abs(X.mean()) < 0.1 and 0.9 < X.std() < 1.1
    coef, *_ = np.linalg.lstsq(np.c_[X, np.ones(1000)], y, rcond=None)
    assert np.allclose(coef, [2.0, -3.4, 4.2], atol=0.005)


def test_linear_regression_is_configurable_and_seeded():
    a = LinearRegression(50, true_w=[1.0, 2.0, 3.0], true_b=-1.0, noise=0.0, seed=3)
    b = LinearRegression(50, true_w=[1.0, 2.0, 3.0], true_b=-1.0, noise=0.0, seed=3)
    assert np.array_equal(a.X.numpy(), b.X.numpy())
    assert np.allclose(a.y.numpy()[:, 0], a.X.numpy() @ np.array([1, 2, 3], np.float32) - 1, atol=1e-5)
    gs.manual_seed(0)
    x1, _ = make_linear_regression(5)
    gs.manual_seed(0)
    x2, _ = make_linear_regression(5)
    assert np.array_equal(x1.numpy(), x2.numpy())
    with pytest.raises(ValueError, match="num_examples"):
        LinearRegression(0)
    with pytest.raises(ValueError, match="noise"):
        LinearRegression(noise=-1)
    with pytest.raises(ValueError, match="true_w"):
        LinearRegression(true_w=[])
    with pytest.raises(ValueError, match="either seed or generator"):
        LinearRegression(seed=1, generator=gs.Generator(1))


def test_spirals_and_moons():
    X, y = make_spirals(301, n_classes=3, noise=0.0)
    assert (
        X.shape == (301, 2) and X.dtype == np.float32 and np.bincount(y.numpy()).tolist() == [101, 100, 100]
    )
    r = np.linalg.norm(X.numpy(), axis=1)
    assert r.max() <= 1.0 + 1e-6 and r.min() == 0.0
    s = Spirals(seed=1)
    assert len(s) == 300 and s.classes == ["0", "1", "2"]
    m = Moons(101, noise=0.0, seed=0)
    Xm, ym = m.tensors
    assert np.bincount(ym.numpy()).tolist() == [50, 51]
    upper = Xm.numpy()[ym.numpy() == 0]
    assert np.allclose(np.linalg.norm(upper, axis=1), 1.0, atol=1e-6)
