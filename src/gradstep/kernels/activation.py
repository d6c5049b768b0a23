"""Activations, forward and backward: ReLU's kernels (for the autograd primitive ``Relu``), and
LeakyReLU, ELU, GELU, which are not primitive Tensor operations.

ReLU on a large float array runs a compiled loop when ``jit.enabled()`` (split over threads in
chunks of elements): one pass for the output and the mask where NumPy makes two, and the
backward's product without NumPy's bool-to-float cast; the same bits as the NumPy kernels.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _threads
from . import jit
from .parallel import parallel_for

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)


RELU_MIN_COMPILED = 16_384  # elements: below, NumPy's two calls cost no more than a compiled call


def _compiled_flat(*arrays) -> bool:
    first = arrays[0]
    return (first.size >= RELU_MIN_COMPILED and first.dtype in (np.float32, np.float64)
            and all(isinstance(a, np.ndarray) and a.shape == first.shape and a.flags.c_contiguous
                    for a in arrays) and jit.enabled())


def relu(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(max(x, 0), x > 0)``; NaN stays NaN (its mask is False), -0.0 becomes 0.0."""
    if _compiled_flat(x):
        y, mask = np.empty_like(x), np.empty(x.shape, bool)
        flat = x.reshape(-1), y.reshape(-1), mask.reshape(-1)
        _elements(lambda i, j: _relu_loop(*(a[i:j] for a in flat)), x.size)
        return y, mask
    # against zeros broadcast over the first axis: NumPy's maximum with a scalar 0 is 2.6x slower
    zeros = np.zeros(x.shape[1:], dtype=x.dtype) if x.ndim else x.dtype.type(0)
    return np.maximum(x, zeros), x > 0


def relu_backward(grad: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``grad * mask`` (so a NaN gradient stays NaN where the mask is 0, as in the product)."""
    if isinstance(grad, np.ndarray) and _compiled_flat(grad, mask):
        dx = np.empty_like(grad)
        flat = grad.reshape(-1), mask.reshape(-1), dx.reshape(-1)
        _elements(lambda i, j: _relu_backward_loop(*(a[i:j] for a in flat)), grad.size)
        return dx
    return grad * mask


def _elements(fn, size: int) -> None:
    parallel_for(fn, size, size, _threads.LOOP_MIN_ELEMENTS)


@jit.compiled
def _relu_loop(x, y, mask):  # pragma: no cover - compiled, so coverage cannot see it
    zero = x.dtype.type(0)
    for i in range(x.shape[0]):
        v = x[i]
        m = v > zero
        mask[i] = m
        y[i] = v if (m or v != v) else zero      # np.maximum(v, 0): NaN wins, a tie gives the 0


@jit.compiled
def _relu_backward_loop(grad, mask, dx):  # pragma: no cover
    one, zero = grad.dtype.type(1), grad.dtype.type(0)
    for i in range(grad.shape[0]):
        dx[i] = grad[i] * (one if mask[i] else zero)


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
