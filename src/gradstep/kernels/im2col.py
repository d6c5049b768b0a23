"""Sliding windows over two spatial axes of an array, and their adjoint (col2im).

Convolution and pooling see an image through a window of ``kernel`` taps, moved by ``stride``,
with taps ``dilation`` apart. The windows are read as strided views (``sliding_window_view``),
never by looping over output pixels; gradients are written back with one strided addition per
kernel offset (kh * kw of them), also never per pixel.

The spatial axes are the last two, or the two before ``trailing`` further axes: convolution keeps
the batch axis last (C, H, W, N) so that each copy and addition runs over long contiguous rows.

``pads`` is always ``((top, bottom), (left, right))`` here: the functional layer turns PyTorch's
``padding=1`` / ``'same'`` / ``'valid'`` into this form (``'same'`` may be asymmetric).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]


def out_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int, dilation: int) -> int:
    """Number of window positions along one axis: floor((size + pads - extent) / stride) + 1."""
    return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1


def pad2d(x: np.ndarray, pads: Pads, value: float = 0.0, trailing: int = 0) -> np.ndarray:
    """``x`` with ``pads`` around its spatial axes, filled with ``value`` (``x`` itself if none)."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    widths = [(0, 0)] * (x.ndim - 2 - trailing) + [(pt, pb), (pl, pr)] + [(0, 0)] * trailing
    return np.pad(x, widths, constant_values=value)


def crop2d(xp: np.ndarray, pads: Pads, trailing: int = 0) -> np.ndarray:
    """Remove ``pads`` from the spatial axes (a view): the inverse of ``pad2d``."""
    (pt, pb), (pl, pr) = pads
    h, w = xp.shape[xp.ndim - 2 - trailing:xp.ndim - trailing]
    return xp[(Ellipsis, slice(pt, h - pb), slice(pl, w - pr)) + (slice(None),) * trailing]


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, trailing: int = 0) -> np.ndarray:
    """A read-only view of the windows of the padded ``xp``: the spatial axes become the (OH, OW)
    window positions and two axes (KH, KW) of taps are appended at the end."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    axes = (xp.ndim - 2 - trailing, xp.ndim - 1 - trailing)
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=axes)
    keep = (slice(None),) * trailing
    return view[(Ellipsis, slice(None, None, sh), slice(None, None, sw)) + keep
                + (slice(None, None, dh), slice(None, None, dw))]


def offset_slices(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair,
                  trailing: int = 0) -> Iterator[tuple]:
    """For each kernel offset (i, j): the index selecting, from the padded input, the (OH, OW)
    grid of inputs that tap (i, j) of every window reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    keep = (slice(None),) * trailing
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i, j, (Ellipsis, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)) + keep


def col2im(cols: np.ndarray, padded_shape: tuple, stride: Pair, dilation: Pair,
           trailing: int = 0) -> np.ndarray:
    """Adjoint of ``windows``: sum window values back onto the padded input they were read from.

    ``cols`` has shape (KH, KW, *padded_shape with the spatial axes replaced by OH, OW):
    ``cols[i, j]`` holds, for every window, the gradient of tap (i, j). Overlapping windows
    accumulate. Loops over the kh * kw offsets only.
    """
    kh, kw = cols.shape[:2]
    out_hw = cols.shape[cols.ndim - 2 - trailing:cols.ndim - trailing]
    dxp = np.zeros(padded_shape, dtype=cols.dtype)
    for i, j, index in offset_slices((kh, kw), stride, dilation, out_hw, trailing):
        dxp[index] += cols[i, j]
    return dxp
