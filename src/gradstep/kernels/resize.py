"""Resampling along one axis as a matrix: ``out = W @ in`` with ``W`` of shape (out_size, in_size).

A 2-D resize is ``W_h @ image @ W_w.T``; its gradient is the same products transposed, so
``interpolate`` and the image ``Resize`` transform share these weights. Bilinear with antialiasing
is the triangle filter widened by the scale factor when shrinking (what PIL and PyTorch's
``antialias=True`` do); without it, or when enlarging, it is plain linear interpolation between
the two nearest samples (half-pixel centres unless ``align_corners``).
"""

from __future__ import annotations

import numpy as np


def resize_weights(in_size: int, out_size: int, mode: str = "bilinear", align_corners: bool = False,
                   antialias: bool = False, scale: float | None = None) -> np.ndarray:
    """The (out_size, in_size) float64 resampling matrix of ``mode`` ('nearest', 'nearest-exact',
    'bilinear'/'linear'); ``scale`` overrides in_size / out_size (PyTorch's ``scale_factor``)."""
    w = np.zeros((out_size, in_size))
    if out_size == 0 or in_size == 0:
        return w
    ratio = scale if scale is not None else in_size / out_size
    dst = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * ratio).astype(np.int64)
        w[dst, np.minimum(src, in_size - 1)] = 1.0
        return w
    if mode not in ("bilinear", "linear"):
        raise ValueError(f"resize: unsupported mode {mode!r}; expected 'nearest', 'nearest-exact' or "
                         f"'bilinear'")
    if antialias and ratio > 1 and not align_corners:
        support = ratio  # the triangle filter stretched over `ratio` input samples each side
        center = (dst + 0.5) * ratio
        lo = np.maximum((center - support + 0.5).astype(np.int64), 0)
        hi = np.minimum((center + support + 0.5).astype(np.int64), in_size)
        for i in range(out_size):
            j = np.arange(lo[i], hi[i])
            tri = np.maximum(0.0, 1.0 - np.abs((j - center[i] + 0.5) / ratio))
            total = tri.sum()
            w[i, j] = tri / total if total > 0 else 0.0
        return w
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros(out_size)
    else:
        src = np.maximum((dst + 0.5) * ratio - 0.5, 0.0)
    left = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    right = np.minimum(left + 1, in_size - 1)
    frac = src - left
    np.add.at(w, (dst, left), 1.0 - frac)
    np.add.at(w, (dst, right), frac)
    return w
