"""Batch normalisation (Ioffe & Szegedy, 2015, https://arxiv.org/abs/1502.03167).

Input (N, C, *): statistics per channel C over the batch and every other axis. In training the
batch's own mean and variance standardise it and the gradient flows through them (the compact
formula in ``normalize``); in evaluation fixed running statistics are used, an affine map.

    y = gamma * x_hat + beta

The NumPy functions are the reference (six passes over memory forward, four back). With
``jit.enabled()`` and an input of 3 or more axes, ``batch_norm_train(..., keep_x_hat=False)``,
``batch_norm_eval`` and ``batch_norm_backward`` given ``x`` instead of ``x_hat`` run compiled
loops: one pass for the statistics and one for y forward, the same two back, x_hat recomputed
from x rather than stored. Per channel sums are taken in x's dtype over the images of a chunk
(chunks fixed by the shape, ``_chunks``, so the bits do not depend on the threads that run them)
and in float64 across positions and chunks; the variance is ``E[(x-k)^2] - E[x-k]^2`` about a
sample ``k`` of the channel. So the statistics (and dgamma, dbeta) differ from the reference's
float32 sums within float32 rounding, while the elementwise steps are the reference's float
operations in its order: eval forward and, given the same statistics, the normalisation and dx
are bit for bit the reference's.
"""

from __future__ import annotations

import numpy as np

from .. import _threads
from . import jit
from .normalize import count_over, standardize, standardize_backward, sum_over
from .parallel import parallel_for

MAX_CHUNKS = 8  # image chunks of the compiled statistics (each costs ~10 us more on one thread)


def channel_axes(ndim: int) -> tuple:
    """Every axis but the channel axis 1."""
    return (0,) + tuple(range(2, ndim))


def _per_channel(a: np.ndarray, ndim: int) -> np.ndarray:
    return a.reshape((1, -1) + (1,) * (ndim - 2))


def compiled_runs(x: np.ndarray) -> bool:
    """Whether the compiled loops take ``x``: an array of 3 or more axes, float32 or float64."""
    return (isinstance(x, np.ndarray) and x.ndim >= 3 and x.dtype in (np.float32, np.float64)
            and jit.enabled())


def batch_norm_train(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, eps: float,
                     keep_x_hat: bool = True):
    """Standardise with the batch's statistics. Returns ``(y, x_hat, inv_std, mean, var)``;
    ``mean`` and ``var`` (biased) are per channel, shape (C,). Without ``keep_x_hat`` x_hat may be
    None (the compiled path: ``batch_norm_backward`` recomputes it from x and mean)."""
    if not keep_x_hat and compiled_runs(x):
        x3 = _by_channel(x)
        shift = x3[0, :, 0].copy()  # a sample of each channel: the sums of squares about it lose no digits
        if np.isfinite(shift).all():  # (an infinite one would make the mean NaN, not infinite)
            return _train_compiled(x, x3, shift, gamma, beta, eps)
    x_hat, mean, var, inv_std = standardize(x, channel_axes(x.ndim), eps)
    return _affine(x_hat, gamma, beta), x_hat, inv_std, mean.reshape(-1), var.reshape(-1)


def batch_norm_eval(x: np.ndarray, mean: np.ndarray, var: np.ndarray, gamma: np.ndarray | None,
                    beta: np.ndarray | None, eps: float, keep_x_hat: bool = True):
    """Standardise with given (running) statistics. Returns ``(y, x_hat, inv_std)`` (x_hat None
    without ``keep_x_hat`` on the compiled path)."""
    inv_std = 1.0 / np.sqrt(_per_channel(var, x.ndim) + eps)
    if not keep_x_hat and compiled_runs(x):
        x3 = _by_channel(x)
        y = _normalized(x3, mean.astype(x.dtype, copy=False), inv_std.reshape(-1), gamma, beta)
        return y.reshape(x.shape), None, inv_std
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


def batch_norm_backward(dy: np.ndarray, x_hat: np.ndarray | None, inv_std: np.ndarray,
                        gamma: np.ndarray | None, batch_stats: bool, need_x: bool = True,
                        need_affine: bool = True, x: np.ndarray | None = None,
                        mean: np.ndarray | None = None):
    """``(dx, dgamma, dbeta)``. With ``batch_stats`` the statistics depend on x (training);
    without, they are constants and dx is just the affine map's derivative. ``x_hat`` None:
    recomputed from ``x`` and the per-channel ``mean`` (in the compiled loops when they run)."""
    if x_hat is None:
        if compiled_runs(dy):
            return _backward_compiled(dy, x, mean, inv_std, gamma, batch_stats, need_x, need_affine)
        x_hat = (x - _per_channel(mean, x.ndim)) * inv_std
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


# ----------------------------------------------------------------------------- compiled path

def _by_channel(a: np.ndarray) -> np.ndarray:
    """(N, C, L): every axis after the channel axis as one."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def _images(fn, x3: np.ndarray, chunks: int | None = None) -> list:
    """``fn(start, stop)`` over ranges of images, split over threads when the pass is large."""
    return parallel_for(fn, x3.shape[0], x3.size, _threads.LOOP_MIN_ELEMENTS, chunks=chunks)


def _chunks(a: np.ndarray) -> int:
    """Chunks of the statistics: one per ``LOOP_MIN_ELEMENTS`` (so they split where the other
    passes do; each costs ~10 µs on one thread), at most ``MAX_CHUNKS`` and the images. A
    function of the shape alone."""
    return max(1, min(a.shape[0], MAX_CHUNKS, a.size // _threads.LOOP_MIN_ELEMENTS))


def _channel_sums(a: np.ndarray, b: np.ndarray, shift_a: np.ndarray, shift_b: np.ndarray) -> np.ndarray:
    """(C, 2) float64: per channel, sum(a - shift_a) and sum((a - shift_a) * (b - shift_b)) of
    (N, C, L) arrays, over chunks of images fixed by the shape, the chunks added in order."""
    parts = _images(lambda i, j: _sums_loop(a[i:j], b[i:j], shift_a, shift_b), a, _chunks(a))
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _normalized(x3, mean, inv_std, gamma, beta) -> np.ndarray:
    """((x - mean) * inv_std) * gamma + beta per channel, in x's dtype (gamma and beta optional)."""
    y = np.empty_like(x3)
    dt = x3.dtype
    g = np.ones(1, dt) if gamma is None else gamma.astype(dt, copy=False)
    b = np.zeros(1, dt) if beta is None else beta.astype(dt, copy=False)
    _images(lambda i, j: _affine_loop(x3[i:j], mean, inv_std, g, b, gamma is not None, beta is not None,
                                      y[i:j]), x3)
    return y


def _train_compiled(x, x3, shift, gamma, beta, eps):
    n, _, length = x3.shape
    m = n * length
    sums = _channel_sums(x3, x3, shift, shift) / m
    mean64 = shift + sums[:, 0]
    var64 = np.maximum(sums[:, 1] - sums[:, 0] * sums[:, 0], 0.0)
    mean, var = mean64.astype(x.dtype), var64.astype(x.dtype)
    inv_std = (1.0 / np.sqrt(var64 + eps)).astype(x.dtype)
    y = _normalized(x3, mean, inv_std, gamma, beta)
    return y.reshape(x.shape), None, _per_channel(inv_std, x.ndim), mean, var


def _backward_compiled(dy, x, mean, inv_std, gamma, batch_stats, need_x, need_affine):
    dy3, x3 = _by_channel(dy), _by_channel(x)
    dt = dy.dtype
    inv = inv_std.reshape(-1).astype(dt, copy=False)
    mean = mean.astype(dt, copy=False)
    dgamma = dbeta = dx = None
    if need_affine or (need_x and batch_stats):
        sums = _channel_sums(dy3, x3, np.zeros_like(mean), mean)
        sum_dy, sum_dyx = sums[:, 0], sums[:, 1] * inv     # sum(dy), sum(dy * x_hat)
        if need_affine:
            dgamma, dbeta = sum_dyx.astype(dt), sum_dy.astype(dt)
        m = dy3.shape[0] * dy3.shape[2]
        mean_dy, mean_dyx = (sum_dy / m).astype(dt), (sum_dyx / m).astype(dt)
    else:
        mean_dy = mean_dyx = np.zeros_like(mean)
    if need_x:
        scale = inv if gamma is None else inv * gamma.astype(dt, copy=False)
        out = np.empty_like(dy3)
        _images(lambda i, j: _dx_loop(dy3[i:j], x3[i:j], mean, inv, scale, mean_dy, mean_dyx, batch_stats,
                                      out[i:j]), dy3)
        dx = out.reshape(dy.shape)
    return dx, dgamma, dbeta


@jit.compiled
def _sums_loop(a, b, shift_a, shift_b):  # pragma: no cover - compiled, so coverage cannot see it
    """(C, 2) float64: sums of a - ka and of (a - ka) * (b - kb) per channel. Per position over
    the images in a's dtype (vectorised), then over the positions in eight float64 lanes."""
    n, channels, length = a.shape
    out = np.empty((channels, 2), np.float64)
    acc = np.empty((2, length), a.dtype)
    tail = length - length % 8
    for c in range(channels):
        ka, kb = shift_a[c], shift_b[c]
        acc[:] = 0
        for i in range(n):
            for j in range(length):
                d = a[i, c, j] - ka
                acc[0, j] += d
                acc[1, j] += d * (b[i, c, j] - kb)
        for k in range(2):
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            for j in range(0, tail, 8):
                s0 += acc[k, j]
                s1 += acc[k, j + 1]
                s2 += acc[k, j + 2]
                s3 += acc[k, j + 3]
                s4 += acc[k, j + 4]
                s5 += acc[k, j + 5]
                s6 += acc[k, j + 6]
                s7 += acc[k, j + 7]
            for j in range(tail, length):
                s0 += acc[k, j]
            out[c, k] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    return out


@jit.compiled
def _affine_loop(x, mean, inv_std, gamma, beta, has_gamma, has_beta, y):  # pragma: no cover
    n, channels, length = x.shape
    for i in range(n):
        for c in range(channels):
            m, s = mean[c], inv_std[c]
            g, b = gamma[c if has_gamma else 0], beta[c if has_beta else 0]
            for j in range(length):
                v = (x[i, c, j] - m) * s
                if has_gamma:
                    v = v * g
                if has_beta:
                    v = v + b
                y[i, c, j] = v


@jit.compiled
def _dx_loop(dy, x, mean, inv_std, scale, mean_dy, mean_dyx, batch_stats, dx):  # pragma: no cover
    n, channels, length = dy.shape
    for i in range(n):
        for c in range(channels):
            m, s, k, mg, mgx = mean[c], inv_std[c], scale[c], mean_dy[c], mean_dyx[c]
            for j in range(length):
                if batch_stats:
                    x_hat = (x[i, c, j] - m) * s
                    dx[i, c, j] = ((dy[i, c, j] - x_hat * mgx) - mg) * k
                else:
                    dx[i, c, j] = dy[i, c, j] * k
