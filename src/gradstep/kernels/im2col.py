"""Sliding windows over the last two axes of an array, and their adjoint (col2im).

Convolution and pooling see an image through a window of ``kernel`` taps, moved by ``stride``,
with taps ``dilation`` apart. Pooling reads the windows tap by tap (``offset_slices``: one strided
view per kernel offset, never a loop over output pixels); convolution copies them into its im2col
matrix and adds its gradient back (``image_cols``, ``image_col2im``, below).

``pads`` is always ``((top, bottom), (left, right))`` here: the functional layer turns PyTorch's
``padding=1`` / ``'same'`` / ``'valid'`` into this form (``'same'`` may be asymmetric).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import jit

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]


def out_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int, dilation: int) -> int:
    """Number of window positions along one axis: floor((size + pads - extent) / stride) + 1."""
    return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1


def pad2d(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """``x`` with ``pads`` around its last two axes, filled with ``value`` (``x`` itself if none)."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pt, pb), (pl, pr)], constant_values=value)


def crop2d(xp: np.ndarray, pads: Pads) -> np.ndarray:
    """Remove ``pads`` from the last two axes (a view): the inverse of ``pad2d``."""
    (pt, pb), (pl, pr) = pads
    h, w = xp.shape[-2:]
    return xp[..., pt:h - pb, pl:w - pr]


def offset_slices(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> Iterator[tuple]:
    """For each kernel offset (i, j): the index selecting, from the padded input, the (OH, OW)
    grid of inputs that tap (i, j) of every window reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i, j, (Ellipsis, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


# -- a convolution's im2col matrix per image, through shifted planes -------------------------------
#
# cols[n, c, i, j, y, p] = x_padded[n, c, y * sh + i * dh, p * sw + j * dw] (rows (c, i, j), as a
# weight (O, C, KH, KW) flattens; columns (y, p), the output pixels). Copied tap by tap, each row
# of cols is OH runs of OW values (14 on the small CNN's second layer: slow to copy). Instead the
# KW column shifts of each padded plane are copied first, ``planes[n, c, j, r, p] = x_padded[n, c, r,
# p * sw + j * dw]`` (KW * Hp short rows, the zero padding written there, no padded copy of x);
# then for stride 1 every (c, i, j) row of cols is one contiguous run of OH * OW values of plane j
# from row i * dh: a long copy. The input gradient takes the same path backwards.

def _planes_shape(x_shape: tuple, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> tuple:
    """(N, C, KW, Hp, OW): Hp the padded rows that windows read."""
    hp = (out_hw[0] - 1) * stride[0] + (kernel[0] - 1) * dilation[0] + 1
    return x_shape[:2] + (kernel[1], hp, out_hw[1])


def _plane_parts(x_shape: tuple, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair, out_hw: Pair,
                 hp: int) -> Iterator[tuple]:
    """For each column shift j: the index into plane j and the matching one into x (unpadded) of
    the values that are not padding."""
    (pt, _), (pl, _) = pads
    h, w, sw = x_shape[2], x_shape[3], stride[1]
    r0, r1 = min(pt, hp), min(hp, pt + h)
    for j in range(kernel[1]):
        off = j * dilation[1] - pl                                     # x column of p = 0
        lo = min(out_hw[1], max(0, -(off // sw)))                      # first p with p * sw + off >= 0
        hi = max(lo, min(out_hw[1], -((off - w) // sw)))               # p * sw + off < w below hi
        if r1 > r0 and hi > lo:
            yield ((slice(None), slice(None), j, slice(r0, r1), slice(lo, hi)),
                   (slice(None), slice(None), slice(r0 - pt, r1 - pt),
                    slice(lo * sw + off, (hi - 1) * sw + off + 1, sw)))


def _taps(planes: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """The view (N, C, KH, KW, OH, OW) of ``planes`` that im2col copies: [n, c, i, j, y, p] =
    planes[n, c, j, y * sh + i * dh, p]."""
    s = planes.strides
    shape = planes.shape[:2] + kernel + out_hw
    return as_strided(planes, shape, (s[0], s[1], dilation[0] * s[3], s[2], stride[0] * s[3], s[4]),
                      writeable=True)


def image_cols(x: np.ndarray, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair,
               out: np.ndarray) -> None:
    """Write the im2col matrix of every image of ``x`` (N, C, H, W), zero-padded by ``pads``, into
    the first C/G * KH * KW rows of each group of ``out`` (N, G, rows, OH * OW) (a view: a
    convolution may keep more rows there)."""
    oh, ow = out_hw = _out_hw(x.shape, kernel, stride, pads, dilation)
    n, g = out.shape[:2]
    shape = (n, g, x.shape[1] // g) + kernel + out_hw
    planes = np.zeros(_planes_shape(x.shape, kernel, stride, dilation, out_hw), dtype=x.dtype)
    for to, frm in _plane_parts(x.shape, kernel, stride, pads, dilation, out_hw, planes.shape[3]):
        planes[to] = x[frm]
    dst = out[:, :, :shape[2] * kernel[0] * kernel[1]].reshape(shape, copy=False)
    dst[...] = _taps(planes, kernel, stride, dilation, out_hw).reshape(shape)


def image_col2im(dcols: np.ndarray, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair,
                 dx: np.ndarray) -> None:
    """Adjoint of ``image_cols``: ``dx`` (N, C, H, W) becomes, at every pixel, the sum of the
    gradients ``dcols`` (N, C * KH * KW, OH * OW) of the taps that read it (the padding's share
    dropped). Taps add up row shift by row shift into the KW column-shifted planes, then the planes
    into ``dx``. The compiled loop (run when ``jit.enabled()``: 0.35x the time on the small CNN's
    14 x 14 planes, 0.25x on its 28 x 28 ones) does the same additions in the same order, plane by
    plane: the same bits."""
    out_hw = _out_hw(dx.shape, kernel, stride, pads, dilation)
    shape = _planes_shape(dx.shape, kernel, stride, dilation, out_hw)
    if jit.enabled() and dcols.flags.c_contiguous and dx.flags.c_contiguous:
        _col2im_loop(dcols.reshape(dx.shape[0], -1, out_hw[0] * out_hw[1]), *kernel, *stride, pads[0][0],
                     pads[1][0], *dilation, *out_hw, shape[3], dx)
        return
    planes = np.zeros(shape, dtype=dx.dtype)
    taps, d = _taps(planes, kernel, stride, dilation, out_hw), dcols.reshape(dx.shape[:2] + kernel + out_hw)
    for i in range(kernel[0]):       # one tap row at a time: its windows' rows do not overlap
        taps[:, :, i] += d[:, :, i]
    dx[...] = 0
    for to, frm in _plane_parts(dx.shape, kernel, stride, pads, dilation, out_hw, planes.shape[3]):
        dx[frm] += planes[to]


@jit.compiled
def _col2im_loop(d, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, hp, dx):  # pragma: no cover - compiled
    """``image_col2im`` for one (image, channel) plane at a time, its planes in the cache. Slices
    and loop counters from 0 (never negative indices) let the compiler vectorise the loops."""
    n_img, c_in, h, w = dx.shape
    planes = np.empty((kw, hp, ow), dx.dtype)
    flat = planes.reshape(-1)
    r0, r1 = min(pt, hp), min(hp, pt + h)
    for n in range(n_img):
        for c in range(c_in):
            flat[:] = 0
            for i in range(kh):
                for j in range(kw):
                    src = d[n, (c * kh + i) * kw + j]
                    if sh == 1:                        # rows y and y + 1 adjacent: one run
                        dst = flat[(j * hp + i * dh) * ow:]
                        for q in range(oh * ow):
                            dst[q] += src[q]
                        continue
                    for y in range(oh):
                        dst, part = planes[j, y * sh + i * dh], src[y * ow:(y + 1) * ow]
                        for p in range(ow):
                            dst[p] += part[p]
            out = dx[n, c]
            out[:] = 0
            for j in range(kw):
                off = j * dw - pl
                lo = min(ow, max(0, -(off // sw)))
                hi = max(lo, min(ow, -((off - w) // sw)))
                for r in range(r0, r1):
                    dst, src = out[r - pt, lo * sw + off:], planes[j, r, lo:hi]
                    if sw == 1:                            # contiguous: vectorised
                        for p in range(hi - lo):
                            dst[p] += src[p]
                        continue
                    for p in range(hi - lo):
                        dst[p * sw] += src[p]


def _out_hw(shape: tuple, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair) -> Pair:
    return (out_size(shape[2], kernel[0], stride[0], *pads[0], dilation[0]),
            out_size(shape[3], kernel[1], stride[1], *pads[1], dilation[1]))
