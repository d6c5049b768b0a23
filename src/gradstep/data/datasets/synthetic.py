"""Synthetic data sets: the linear regression of the Gluon tutorial, spirals and moons.

All draw from gradstep's generators (``generator``, or the default one seeded by
``gradstep.manual_seed``), so they repeat exactly; features are float32, class labels int64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ...autograd import Tensor
from ...random import Generator, rng
from ..dataset import TensorDataset

__all__ = ["make_linear_regression", "LinearRegression", "make_spirals", "Spirals", "make_moons", "Moons"]


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _noise(noise) -> float:
    if noise is None:
        return 0.0
    if not isinstance(noise, (int, float)) or noise < 0 or not math.isfinite(noise):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    return float(noise)


def _generator(generator: Generator | None, seed: int | None) -> Generator | None:
    if seed is not None and generator is not None:
        raise ValueError("give either seed or generator, not both")
    return Generator(seed) if seed is not None else generator


def make_linear_regression(num_examples: int = 1000, true_w: Sequence[float] = (2.0, -3.4),
                           true_b: float = 4.2, noise: float = 0.01,
                           generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """``X ~ N(0, 1)`` of shape (num_examples, len(true_w)) and ``y = X @ true_w + true_b + noise * N(0, 1)``
    of shape (num_examples, 1): the data of the Gluon linear-regression tutorial by default."""
    n = _positive_int(num_examples, "num_examples")
    w = np.asarray(true_w, dtype=np.float32)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"true_w must be a non-empty sequence of numbers (one per feature), got {true_w!r}")
    sigma = _noise(noise)
    g = rng(generator)
    X = g.standard_normal((n, w.size), dtype=np.float32)
    y = X @ w + np.float32(true_b)
    y += np.float32(sigma) * g.standard_normal(n, dtype=np.float32)
    return Tensor._make(X), Tensor._make(y.reshape(n, 1))


class LinearRegression(TensorDataset):
    """``(x, y)`` samples from ``make_linear_regression``; keeps ``true_w`` and ``true_b`` to compare with.

    ``seed`` gives the data set its own generator; otherwise it draws from ``generator`` or the
    default one.
    """

    def __init__(self, num_examples: int = 1000, true_w: Sequence[float] = (2.0, -3.4), true_b: float = 4.2,
                 noise: float = 0.01, generator: Generator | None = None, seed: int | None = None):
        X, y = make_linear_regression(num_examples, true_w, true_b, noise, _generator(generator, seed))
        super().__init__(X, y)
        self.X, self.y = X, y
        self.true_w = np.asarray(true_w, dtype=np.float32)
        self.true_b = float(true_b)
        self.noise = float(noise)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
                 generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Interleaved 2-D spirals, one arm per class (cs231n's toy set): radius grows from 0 to 1 along
    an arm while the angle sweeps 4 radians, plus ``noise * N(0, 1)`` on the angle."""
    n = _positive_int(n_samples, "n_samples")
    k = _positive_int(n_classes, "n_classes")
    sigma = _noise(noise)
    g = rng(generator)
    sizes = [n // k + (1 if j < n % k else 0) for j in range(k)]
    xs, ys = [], []
    for j, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m, dtype=np.float32)
        t = np.linspace(j * 4, (j + 1) * 4, m, dtype=np.float32) + np.float32(sigma) * g.standard_normal(
            m, dtype=np.float32)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(m, j, dtype=np.int64))
    return Tensor._make(np.concatenate(xs).astype(np.float32)), Tensor._make(np.concatenate(ys))


def make_moons(n_samples: int = 100, noise: float | None = None, shuffle: bool = True,
               generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (scikit-learn's ``make_moons``): class 0 the upper, class 1 the lower."""
    n = _positive_int(n_samples, "n_samples")
    sigma = _noise(noise)
    g = rng(generator)
    n_out = n // 2
    n_in = n - n_out
    a_out = np.linspace(0, np.pi, n_out)
    a_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(a_out), np.sin(a_out)], 1),
                        np.stack([1 - np.cos(a_in), 1 - np.sin(a_in) - 0.5], 1)]).astype(np.float32)
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if shuffle:
        perm = g.permutation(n)
        X, y = X[perm], y[perm]
    if sigma:
        X += np.float32(sigma) * g.standard_normal(X.shape, dtype=np.float32)
    return Tensor._make(X), Tensor._make(y)


class Spirals(TensorDataset):
    """``(point, class)`` samples from ``make_spirals``."""

    def __init__(self, n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
                 generator: Generator | None = None, seed: int | None = None):
        X, y = make_spirals(n_samples, n_classes, noise, _generator(generator, seed))
        super().__init__(X, y)
        self.classes = [str(j) for j in range(n_classes)]


class Moons(TensorDataset):
    """``(point, class)`` samples from ``make_moons``."""

    def __init__(self, n_samples: int = 100, noise: float | None = 0.1, shuffle: bool = True,
                 generator: Generator | None = None, seed: int | None = None):
        X, y = make_moons(n_samples, noise, shuffle, _generator(generator, seed))
        super().__init__(X, y)
        self.classes = ["0", "1"]
