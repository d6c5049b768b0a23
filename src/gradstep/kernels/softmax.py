"""Softmax and log-softmax, shifted by the maximum so inputs like 1e6 do not overflow."""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def softmax_backward(grad: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    """dL/dx = y * (g - sum(g * y)) for y = softmax(x)."""
    return y * (grad - (grad * y).sum(axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """x - max - log(sum(exp(x - max)))."""
    s = x - x.max(axis=axis, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return s


def log_softmax_backward(grad: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    """dL/dx = g - softmax(x) * sum(g) for y = log_softmax(x)."""
    return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True)
