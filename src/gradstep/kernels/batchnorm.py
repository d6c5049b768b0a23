"""Batch normalisation (Ioffe & Szegedy, 2015, https://arxiv.org/abs/1502.03167).

Input (N, C, *): statistics per channel C over the batch and every other axis. In training the
batch's own mean and variance standardise it and the gradient flows through them (the compact
formula in ``normalize``); in evaluation fixed running statistics are used, an affine map.

    y = gamma * x_hat + beta
"""

from __future__ import annotations

import numpy as np

from .normalize import standardize, standardize_backward


def channel_axes(ndim: int) -> tuple:
    """Every axis but the channel axis 1."""
    return (0,) + tuple(range(2, ndim))


def _per_channel(a: np.ndarray, ndim: int) -> np.ndarray:
    return a.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm_train(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, eps: float):
    """Standardise with the batch's statistics. Returns ``(y, x_hat, inv_std, mean, var)``;
    ``mean`` and ``var`` (biased) are per channel, shape (C,)."""
    x_hat, mean, var, inv_std = standardize(x, channel_axes(x.ndim), eps)
    return _affine(x_hat, gamma, beta), x_hat, inv_std, mean.reshape(-1), var.reshape(-1)


def batch_norm_eval(x: np.ndarray, mean: np.ndarray, var: np.ndarray, gamma: np.ndarray | None,
                    beta: np.ndarray | None, eps: float):
    """Standardise with given (running) statistics. Returns ``(y, x_hat, inv_std)``."""
    inv_std = 1.0 / np.sqrt(_per_channel(var, x.ndim) + eps)
    x_hat = (x - _per_channel(mean, x.ndim)) * inv_std
    return _affine(x_hat, gamma, beta), x_hat, inv_std


def _affine(x_hat: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None) -> np.ndarray:
    y = x_hat if gamma is None else x_hat * _per_channel(gamma, x_hat.ndim)
    return y if beta is None else y + _per_channel(beta, x_hat.ndim)


def batch_norm_backward(dy: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, gamma: np.ndarray | None,
                        batch_stats: bool, need_x: bool = True, need_affine: bool = True):
    """``(dx, dgamma, dbeta)``. With ``batch_stats`` the statistics depend on x (training);
    without, they are constants and dx is just the affine map's derivative."""
    axes = channel_axes(dy.ndim)
    dgamma = dbeta = dx = None
    if need_affine:
        dgamma = np.sum(dy * x_hat, axis=axes)
        dbeta = dy.sum(axis=axes)
    if need_x:
        g = dy if gamma is None else dy * _per_channel(gamma, dy.ndim)
        dx = standardize_backward(g, x_hat, inv_std, axes) if batch_stats else g * inv_std
    return dx, dgamma, dbeta


def update_running_stats(running_mean: np.ndarray, running_var: np.ndarray, mean: np.ndarray,
                         var: np.ndarray, count: int, weight: float, unbiased: bool = True) -> None:
    """Exponential moving averages, in place: ``running = (1 - weight) * running + weight * batch``.

    PyTorch passes ``weight = momentum`` (0.1 by default) and the unbiased batch variance
    ``var * count / (count - 1)``; cs231n's ``running = momentum * running + (1 - momentum) *
    batch`` with momentum 0.9 is ``weight = 1 - momentum`` and the biased variance.
    """
    if unbiased:
        var = var * (count / (count - 1))
    running_mean *= 1.0 - weight
    running_mean += weight * mean
    running_var *= 1.0 - weight
    running_var += weight * var
