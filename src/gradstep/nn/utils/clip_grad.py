"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients together) and ``clip_grad_value_``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...autograd.tensor import Tensor


def _grads(parameters) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad._data for p in parameters if p._grad is not None]


def _vector_norm(a: np.ndarray, norm_type: float) -> np.ndarray:
    """||a||_p over all elements, in a's dtype (a 0-d array)."""
    flat = a.reshape(-1)
    if norm_type == 2.0:
        return np.sqrt(np.dot(flat, flat))
    absolute = np.abs(flat)
    if math.isinf(norm_type):
        if flat.size == 0:
            return np.zeros((), a.dtype)
        return absolute.max() if norm_type > 0 else absolute.min()
    if norm_type == 0:
        return np.asarray(np.count_nonzero(flat), a.dtype)
    if norm_type == 1.0:
        return absolute.sum()
    return np.power(np.power(absolute, norm_type).sum(), 1.0 / norm_type).astype(a.dtype)


def get_total_norm(tensors: Iterable[Tensor] | Tensor, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    return _total_norm([t._data for t in tensors], float(norm_type), error_if_nonfinite)


def _total_norm(arrays: list[np.ndarray], norm_type: float, error_if_nonfinite: bool) -> Tensor:
    if not arrays:
        return Tensor._make(np.zeros((), np.float32))
    norms = np.stack([_vector_norm(a, norm_type) for a in arrays])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is "
                           f"non-finite ({float(total)}), so it cannot be clipped. To disable this "
                           f"error and scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    return Tensor._make(np.asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # an infinite norm gives NaN gradients, as in PyTorch
        for g in _grads(parameters):
            g *= g.dtype.type(coef)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector
    (``norm_type`` may be ``inf``). Returns that total norm (before clipping) as a tensor.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = _total_norm(_grads(parameters), float(norm_type), error_if_nonfinite)
    if _grads(parameters):
        clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element of ``parameters`` into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
