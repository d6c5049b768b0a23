"""Activations that are not primitive Tensor operations: LeakyReLU, ELU, GELU, forward and backward.

(ReLU, sigmoid, tanh and softmax are autograd primitives of their own.)
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)


def leaky_relu(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """x where x > 0, else negative_slope * x."""
    return np.where(x > 0, x, x * negative_slope)


def leaky_relu_backward(grad: np.ndarray, x: np.ndarray, negative_slope: float) -> np.ndarray:
    """d/dx = 1 where x > 0, else negative_slope."""
    return np.where(x > 0, grad, grad * negative_slope)


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_backward(grad: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """d/dx = 1 where x > 0, else alpha * exp(x)."""
    return np.where(x > 0, grad, grad * (alpha * np.exp(np.minimum(x, 0))))


def normal_cdf(x: np.ndarray, erf=None) -> np.ndarray:
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, with the exact erf of Python's math module (NumPy has
    none; this is the slow part of GELU, so its backward reuses the forward's Phi), or ``erf``."""
    if erf is not None:
        return 0.5 * (1.0 + erf(x * _INV_SQRT_2))
    return 0.5 * (1.0 + np.asarray(_erf(x * _INV_SQRT_2), dtype=x.dtype))


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in x's dtype."""
    return np.asarray(_erf(x), dtype=x.dtype)


def erf_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d erf(x)/dx = 2 / sqrt(pi) exp(-x^2)."""
    return grad * (2 * _INV_SQRT_2PI * math.sqrt(2.0)) * np.exp(-(x * x))


def gelu(x: np.ndarray, approximate: str = "none"):
    """(y, Phi(x) or None): y = x * Phi(x); with ``approximate="tanh"``,
    y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))), None
    cdf = normal_cdf(x)
    return x * cdf, cdf


def gelu_backward(grad: np.ndarray, x: np.ndarray, approximate: str = "none", cdf=None) -> np.ndarray:
    """d/dx = Phi(x) + x phi(x); for the tanh form, 0.5 (1 + t) + 0.5 x (1 - t^2) du/dx."""
    if approximate == "tanh":
        x2 = x * x
        t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x2 * x))
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x2)
        return grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return grad * ((normal_cdf(x) if cdf is None else cdf) + x * pdf)
