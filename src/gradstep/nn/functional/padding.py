"""``pad``: PyTorch's padding of the last dims (``(left, right, top, bottom, ...)``), constant,
reflect, replicate or circular, as differentiable indexing so gradients flow back to the input."""

from __future__ import annotations

import numpy as np

from ..._errors import ArgumentError, ShapeError
from ...autograd.tensor import Tensor

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each position of the padded axis (size lo + n + hi), the input position it copies."""
    pos = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise ShapeError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the dimension's "
                             f"size {n}")
        period = 2 * (n - 1) if n > 1 else 1
        pos = np.abs(pos) % period
        return np.where(pos >= n, period - pos, pos)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if lo > n or hi > n:
        raise ShapeError(f"pad: circular padding ({lo}, {hi}) can be at most the dimension's size {n}")
    return pos % n


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right)`` for the last, then (top,
    bottom) for the one before, ...; negative amounts crop (constant mode)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError(f"pad: padding length {len(pad)} must be even and at most twice the number of dims "
                         f"({input.ndim})")
    if mode not in _MODES:
        raise ArgumentError(f"pad: unsupported mode {mode!r}; expected one of {', '.join(_MODES)}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]  # last dim first
    out = input
    if mode == "constant":
        fill = 0.0 if value is None else value
        crop = [slice(None)] * input.ndim
        grow = [(0, 0)] * input.ndim
        for i, (lo, hi) in enumerate(pairs):
            d = input.ndim - 1 - i
            crop[d] = slice(max(-lo, 0), input.shape[d] - max(-hi, 0))
            grow[d] = (max(lo, 0), max(hi, 0))
        out = out[tuple(crop)]
        shape = tuple(s + lo + hi for s, (lo, hi) in zip(out.shape, grow))
        framed = Tensor._make(np.full(shape, fill, dtype=out.dtype))
        framed[tuple(slice(lo, lo + s) for s, (lo, _) in zip(out.shape, grow))] = out
        return framed
    if value is not None and value != 0:
        raise ArgumentError(f"pad: padding mode {mode!r} doesn't take in value argument")
    for i, (lo, hi) in enumerate(pairs):
        d = input.ndim - 1 - i
        if lo < 0 or hi < 0:
            raise ArgumentError(f"pad: negative padding is only supported in constant mode, got {(lo, hi)}")
        out = out.index_select(d, Tensor._make(_source_index(out.shape[d], lo, hi, mode)))
    return out
