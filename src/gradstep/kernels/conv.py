"""2-D convolution (cross-correlation, as in PyTorch) as one matrix product per image and group.

Shapes: input x (N, C, H, W), weight w (O, C/groups, KH, KW), bias b (O,), output (N, O, OH, OW).
With G groups the channels split into G independent convolutions of C/G inputs and O/G outputs.

Each image's windows are copied into a matrix ``cols[n]`` (C*KH*KW, OH*OW), rows ordered
(channel, tap) as the weight's, one column per output pixel; then, per group g::

    out[n, g] = w[g] @ cols[n, g]            (+ b): already in (N, O, OH*OW) order, no transposes

Backward, with dout[n, g] the output gradient of image n as (O/G, OH*OW)::

    dw[g]    = sum over n of dout[n, g] @ cols[n, g].T     (computed transposed: the faster product)
    db       = sum of dout over N, OH, OW
    dcols[g] = w[g].T @ dout[g]        then col2im(dcols) = dx (overlapping windows add up)

The input gradient has two layouts, chosen by the width of the output rows, which its col2im
additions run over (``_dx_batch_last``): per image for rows of at least BATCH_LAST_BELOW pixels,
and on small planes (the CNN's 14 x 14) batch last, (C, H, W, k) for a chunk of k images, so that
col2im adds rows of OW * k values (measured on the CNN's second layer, one thread: 2.2 ms against
3.6 per image).

Threads: images are split over ``parallel_for``; the weight's gradient sums per-image products in
image order and the batch-last chunks are fixed by the shapes (CHUNK_IMAGES), so the bits do not
depend on the number of threads.
"""

from __future__ import annotations

import numpy as np

from .. import _threads
from .im2col import Pads, col2im, crop2d, out_size, windows
from .parallel import parallel_for

Pair = tuple[int, int]

BATCH_LAST_BELOW = 24  # output rows narrower than this take the input gradient batch last
CHUNK_IMAGES = 32      # images per chunk of the batch-last input gradient (16: 1.1x, 64: 1.14x the time)


def _padded(x: np.ndarray, pads: Pads) -> np.ndarray:
    """``x`` zero-padded by ``pads`` on its last two axes, in one new array (``x`` if no padding)."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    return xp


def _by_group(a: np.ndarray, groups: int, axis: int) -> np.ndarray:
    """``a`` with ``axis`` split into (G, size/G); left alone for one group (NumPy's stacked product
    of 3-D arrays is faster than of 4-D ones)."""
    if groups == 1:
        return a
    return a.reshape(a.shape[:axis] + (groups, a.shape[axis] // groups) + a.shape[axis + 1:])


def _image_cols_shape(n: int, groups: int, rows: int, pixels: int) -> tuple:
    """(N, G, rows, pixels), without the G axis for one group (see ``_by_group``)."""
    return (n, groups, rows, pixels) if groups > 1 else (n, rows, pixels)


def _image_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair, groups: int,
                out: np.ndarray | None = None) -> tuple[np.ndarray, int, int]:
    """``cols`` (N, [G,] C/G*KH*KW, OH*OW) of the per-image layout (written into ``out`` if given),
    and the output's OH, OW."""
    n = x.shape[0]
    o, cg, kh, kw = w_shape
    win = windows(_padded(x, pads), (kh, kw), stride, dilation)       # (N, C, OH, OW, KH, KW) view
    oh, ow = win.shape[2:4]
    # (N, G, Cg, OH, OW, KH, KW) -> (N, G, Cg, KH, KW, OH, OW): the one im2col copy
    taps = win.reshape(n, groups, cg, oh, ow, kh, kw).transpose(0, 1, 2, 5, 6, 3, 4)
    if out is None:
        out = np.empty(_image_cols_shape(n, groups, cg * kh * kw, oh * ow), dtype=x.dtype)
    out.reshape(taps.shape)[...] = taps
    return out, oh, ow


def _image_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution in the per-image layout: the output and ``cols``; images are split over
    the threads (``parallel_for``)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = pads
    oh = out_size(h, kh, stride[0], pt, pb, dilation[0])
    ow = out_size(wd, kw, stride[1], pl, pr, dilation[1])
    cols = np.empty(_image_cols_shape(n, groups, cg * kh * kw, oh * ow), dtype=x.dtype)
    out = np.empty((n, o, oh * ow), dtype=x.dtype)
    wm = _by_group(w.reshape(o, -1), groups, 0)

    def images(i: int, j: int) -> None:
        _image_cols(x[i:j], w.shape, stride, pads, dilation, groups, out=cols[i:j])
        np.matmul(wm, cols[i:j], out=_by_group(out[i:j], groups, 1))
        if b is not None:
            out[i:j] += b.reshape(o, 1)

    _over_chunks(images, n, n * o * cg * kh * kw * oh * ow)
    return out.reshape(n, o, oh, ow), cols


def _over_chunks(fn, n: int, macs: int) -> list:
    """``[fn(i, j), ...]`` over fixed chunks of CHUNK_IMAGES images, split over the threads when the
    products' ``macs`` pay for it (the crossover of products, ``_threads.MATMUL_MIN_MACS``: the
    CNN's second layer, 58 M, splits; its first, 7 M, gains ~0.05 ms per pass on two free cores
    and stays on one thread)."""
    return parallel_for(fn, n, macs, _threads.MATMUL_MIN_MACS, chunks=-(-n // CHUNK_IMAGES))


def _image_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b, dw_out,
                    db_out):
    """``(dx, dw, db)`` in one pass over fixed chunks of images, split over the threads; see
    ``conv2d_backward``."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    g = _by_group(grad.reshape(n, o, oh * ow), groups, 1)              # (N, [G,] O/G, OH*OW)
    dw = db = dx = per_image = None
    if need_w:                                                            # (N, [G,] Cg*KH*KW, O/G)
        per_image = np.empty(cols.shape[:-1] + g.shape[-2:-1], dtype=grad.dtype)
    if need_x:
        wmt = np.swapaxes(_by_group(w.reshape(o, -1), groups, 0), -1, -2)    # ([G,] Cg*KH*KW, O/G)
        dx = np.empty(x_shape, dtype=grad.dtype)
    (pt, pb), (pl, pr) = pads

    def chunk(i: int, j: int):
        if need_w:             # dw[g].T = sum over images of cols[g] @ dout[g].T (the faster product)
            np.matmul(cols[i:j], np.swapaxes(g[i:j], -1, -2), out=per_image[i:j])
        if need_x and ow < BATCH_LAST_BELOW:
            _dx_batch_last(grad[i:j], wmt, (kh, kw), stride, pads, dilation, groups, dx[i:j])
        elif need_x:
            dcols = np.matmul(wmt, g[i:j]).reshape(j - i, c, kh, kw, oh, ow)
            dxp = col2im(dcols.transpose(2, 3, 0, 1, 4, 5), (j - i, c, h + pt + pb, wd + pl + pr), stride,
                         dilation)
            dx[i:j] = crop2d(dxp, pads)
        return grad[i:j].sum(axis=(0, 2, 3)) if need_b else None

    parts = _over_chunks(chunk, n, n * o * cg * kh * kw * oh * ow * (need_x + need_w))
    # the chunks' sums added here, in one order, so that the bits do not depend on the threads
    if need_w:
        dw = np.empty(w.shape, dtype=w.dtype) if dw_out is None else dw_out
        np.sum(per_image, axis=0, out=np.swapaxes(_by_group(dw.reshape(o, -1), groups, 0), -1, -2))
    if need_b:
        db = np.empty(o, dtype=grad.dtype) if db_out is None else db_out
        db[...] = parts[0]
        for part in parts[1:]:
            db += part
    return dx, dw, db


def _dx_batch_last(grad: np.ndarray, wmt: np.ndarray, kernel: Pair, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int, dx: np.ndarray) -> None:
    """The input gradient of k images into ``dx`` (k, C, H, W) from their output gradient (k, O, OH,
    OW), laid out (C, H, W, k) in between: the product then has OH*OW*k columns and col2im adds
    rows of OW * k values."""
    (k, o, oh, ow), (c, h, wd), (kh, kw) = grad.shape, dx.shape[1:], kernel
    gb = np.empty((o, oh, ow, k), dtype=grad.dtype)
    gb[...] = grad.transpose(1, 2, 3, 0)
    dcols = np.matmul(wmt, _by_group(gb.reshape(o, -1), groups, 0))       # ([G,] Cg*KH*KW, OH*OW*k)
    dcols = dcols.reshape(c, kh, kw, oh, ow, k).transpose(1, 2, 0, 3, 4, 5)
    (pt, pb), (pl, pr) = pads
    dxp = col2im(dcols, (c, h + pt + pb, wd + pl + pr, k), stride, dilation, trailing=1)
    dx[...] = crop2d(dxp, pads, trailing=1).transpose(3, 0, 1, 2)


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's output and the matrix ``cols`` that the backward pass needs."""
    return _image_forward(x, w, b, stride, pads, dilation, groups)


def conv2d_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair,
                groups: int) -> np.ndarray:
    """The matrix ``cols`` that ``conv2d_forward`` returns, without the product (for the weight's
    gradient alone)."""
    return _image_cols(x, w_shape, stride, pads, dilation, groups)[0]


def conv2d_backward(grad: np.ndarray, cols: np.ndarray | None, w: np.ndarray, x_shape: tuple, stride: Pair,
                    pads: Pads, dilation: Pair, groups: int, need_x: bool = True,
                    need_w: bool = True, need_b: bool = True, dw_out: np.ndarray | None = None,
                    db_out: np.ndarray | None = None):
    """Gradients ``(dx, dw, db)`` of the convolution; each is None when its ``need_*`` is False
    (``cols`` is read only for dw). dw and db are written into ``dw_out`` / ``db_out`` (arrays of
    w's and b's shapes) when given."""
    return _image_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b,
                           dw_out, db_out)
