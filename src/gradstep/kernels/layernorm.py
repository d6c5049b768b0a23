"""Layer normalisation (Ba, Kiros & Hinton, 2016, https://arxiv.org/abs/1607.06450).

Each sample is standardised over its last ``k`` axes (PyTorch's ``normalized_shape``), then scaled
and shifted elementwise by ``gamma`` and ``beta`` of that shape::

    y = gamma * (x - mean) / sqrt(var + eps) + beta
"""

from __future__ import annotations

import numpy as np

from .normalize import standardize, standardize_backward


def _last_axes(ndim: int, k: int) -> tuple:
    return tuple(range(ndim - k, ndim))


def layer_norm_forward(x: np.ndarray, k: int, gamma: np.ndarray | None, beta: np.ndarray | None,
                       eps: float):
    """``(y, x_hat, inv_std)`` for normalisation over the last ``k`` axes."""
    x_hat, _, _, inv_std = standardize(x, _last_axes(x.ndim, k), eps)
    y = x_hat if gamma is None else x_hat * gamma
    return (y if beta is None else y + beta), x_hat, inv_std


def layer_norm_backward(dy: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, gamma: np.ndarray | None,
                        k: int, need_x: bool = True, need_affine: bool = True):
    """``(dx, dgamma, dbeta)``; the affine gradients sum over the leading (batch) axes."""
    lead = tuple(range(dy.ndim - k))
    dgamma = dbeta = dx = None
    if need_affine:
        dgamma = np.sum(dy * x_hat, axis=lead)
        dbeta = dy.sum(axis=lead)
    if need_x:
        g = dy if gamma is None else dy * gamma
        dx = standardize_backward(g, x_hat, inv_std, _last_axes(dy.ndim, k))
    return dx, dgamma, dbeta
