"""Standardisation over some axes, the shared core of batch and layer normalisation.

    x_hat = (x - mean) / sqrt(var + eps)          (mean and the biased var taken over ``axes``)

Backward, with m the number of values averaged and g = dL/dx_hat (the compact formula)::

    dL/dx = (1 / sqrt(var + eps)) * (g - mean(g) - x_hat * mean(g * x_hat))

Batch norm standardises over every axis but the channel axis; layer norm over the last ones.
"""

from __future__ import annotations

import numpy as np


def standardize(x: np.ndarray, axes: tuple, eps: float):
    """``(x_hat, mean, var, inv_std)``; ``mean``, ``var`` (biased) and ``inv_std`` keep the reduced
    axes with size 1 so they broadcast against ``x``."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return centred * inv_std, mean, var, inv_std


def standardize_backward(g: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axes: tuple) -> np.ndarray:
    """dL/dx from g = dL/dx_hat when mean and var were computed from x itself."""
    mean_g = g.mean(axis=axes, keepdims=True)
    mean_gx = np.mean(g * x_hat, axis=axes, keepdims=True)
    return inv_std * (g - mean_g - x_hat * mean_gx)
