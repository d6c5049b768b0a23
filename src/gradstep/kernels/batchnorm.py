"""Batch normalisation (Ioffe & Szegedy, 2015, https://arxiv.org/abs/1502.03167).

Input (N, C, *): statistics per channel C over the batch and every other axis. In training the
batch's own mean and variance standardise it and the gradient flows through them (the compact
formula in ``normalize``); in evaluation fixed running statistics are used, an affine map.

    y = gamma * x_hat + beta
"""

from __future__ import annotations

import numpy as np

from .normalize import count_over, standardize, standardize_backward, sum_over


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
    """y = gamma * x_hat + beta per channel, in one new array."""
    if gamma is None and beta is None:
        return x_hat
    if gamma is None:
        return np.add(x_hat, _per_channel(beta, x_hat.ndim))
    y = np.multiply(x_hat, _per_channel(gamma, x_hat.ndim))
    if beta is not None:
        y += _per_channel(beta, x_hat.ndim)
    return y


def batch_norm_backward(dy: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, gamma: np.ndarray | None,
                        batch_stats: bool, need_x: bool = True, need_affine: bool = True):
    """``(dx, dgamma, dbeta)``. With ``batch_stats`` the statistics depend on x (training);
    without, they are constants and dx is just the affine map's derivative."""
    axes = channel_axes(dy.ndim)
    dgamma = dbeta = dx = None
    if need_affine or (need_x and batch_stats):
        # sum(dy) and sum(dy * x_hat) per channel: beta's and gamma's gradients, and (over the
        # count m) the two means of the compact formula, gamma being constant per channel:
        # dx = gamma * inv_std * (dy - mean(dy) - x_hat * mean(dy * x_hat))
        sum_dy, sum_dyx = sum_over(dy, axes), sum_over(dy, axes, x_hat)
        if need_affine:
            dgamma, dbeta = sum_dyx.reshape(-1), sum_dy.reshape(-1)
        m = count_over(dy, axes)
        mean_dy, mean_dyx = np.divide(sum_dy, m, dtype=dy.dtype), np.divide(sum_dyx, m, dtype=dy.dtype)
    if need_x:
        scale = inv_std if gamma is None else inv_std * _per_channel(gamma, dy.ndim)
        if batch_stats:
            dx = standardize_backward(dy, x_hat, scale, axes, mean_dy, mean_dyx)
        else:
            dx = dy * scale
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
