"""Standardisation over some axes, the shared core of batch and layer normalisation.

    x_hat = (x - mean) / sqrt(var + eps)          (mean and the biased var taken over ``axes``)

Backward, with m the number of values averaged and g = dL/dx_hat (the compact formula)::

    dL/dx = (1 / sqrt(var + eps)) * (g - mean(g) - x_hat * mean(g * x_hat))

Batch norm standardises over every axis but the channel axis; layer norm over the last ones.
The arrays are large (a batch of feature maps), so the cost is passes over memory: the means
are ``einsum`` reductions (one pass, no temporary for mean(g * x_hat)), and each step writes into
arrays already made rather than into new temporaries.
"""

from __future__ import annotations

import numpy as np

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def sum_over(a: np.ndarray, axes: tuple, b: np.ndarray | None = None) -> np.ndarray:
    """The sum of ``a`` (or of ``a * b``) over ``axes``, keeping them with size 1: one pass."""
    if not isinstance(a, np.ndarray):  # tensors, building a gradient's graph: the same sum
        return np.sum(a if b is None else a * b, axis=axes, keepdims=True)
    idx = _LETTERS[:a.ndim]
    kept = "".join(c for i, c in enumerate(idx) if i not in axes)
    total = np.einsum(f"{idx}->{kept}", a) if b is None else np.einsum(f"{idx},{idx}->{kept}", a, b)
    return np.asarray(total).reshape(tuple(1 if i in axes else n for i, n in enumerate(a.shape)))


def count_over(a: np.ndarray, axes: tuple) -> int:
    """How many values each sum over ``axes`` adds up."""
    count = 1
    for i in axes:
        count *= a.shape[i]
    return count


def mean_over(a: np.ndarray, axes: tuple, b: np.ndarray | None = None) -> np.ndarray:
    """The mean of ``a`` (or of ``a * b``) over ``axes``, keeping them with size 1: one pass."""
    return np.divide(sum_over(a, axes, b), count_over(a, axes), dtype=a.dtype)


def standardize(x: np.ndarray, axes: tuple, eps: float):
    """``(x_hat, mean, var, inv_std)``; ``mean``, ``var`` (biased) and ``inv_std`` keep the reduced
    axes with size 1 so they broadcast against ``x``."""
    mean = mean_over(x, axes)
    x_hat = np.subtract(x, mean)                 # centred, standardised in place below
    var = mean_over(x_hat, axes, x_hat)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat *= inv_std
    return x_hat, mean, var, inv_std


def standardize_backward(g: np.ndarray, x_hat: np.ndarray, scale: np.ndarray, axes: tuple,
                         mean_g: np.ndarray | None = None, mean_gx: np.ndarray | None = None) -> np.ndarray:
    """dL/dx = scale * (g - mean(g) - x_hat * mean(g * x_hat)) from g = dL/dx_hat, when mean and var
    were computed from x itself; ``scale`` is 1 / sqrt(var + eps) (times anything constant over
    the averaged axes). ``mean_g`` and ``mean_gx`` may be given when the caller has them."""
    if mean_g is None:
        mean_g = mean_over(g, axes)
    if mean_gx is None:
        mean_gx = mean_over(g, axes, x_hat)
    dx = np.multiply(x_hat, mean_gx)
    np.subtract(g, dx, out=dx)
    dx -= mean_g
    dx *= scale
    return dx
