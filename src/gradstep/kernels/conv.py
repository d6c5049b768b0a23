"""2-D convolution (cross-correlation, as in PyTorch) as one matrix product per image and group.

Shapes: input x (N, C, H, W), weight w (O, C/groups, KH, KW), bias b (O,), output (N, O, OH, OW).
With G groups the channels split into G independent convolutions of C/G inputs and O/G outputs.

Each image's windows are copied into a matrix ``cols[n]`` (C*KH*KW, OH*OW), rows ordered
(channel, tap) as the weight's, one column per output pixel; then, per group g::

    out[n, g] = w[g] @ cols[n, g]      (+ b): already in (N, O, OH*OW) order, no transposes

Backward, with dout[n, g] the output gradient of image n as (O/G, OH*OW)::

    dw[g]    = sum over n of dout[n, g] @ cols[n, g].T     (computed transposed: the faster product)
    db       = sum of dout over N, OH, OW
    dcols[g] = w[g].T @ dout[g]        then col2im(dcols) = dx (overlapping windows add up)

With a bias, each group's rows of ``cols`` end with a row of ones and the bias is the weight's
last column: the product adds it, and the weight gradient's product yields db as its last row.

``cols`` is copied and col2im added through shifted planes (``image_cols``, ``image_col2im``),
which turn the short rows of small planes into long runs; col2im runs a compiled loop when
``jit.enabled()`` (the same bits as its NumPy body).

Threads: each fixed chunk of CHUNK_IMAGES images does its whole forward (im2col, product, bias)
or backward (weight-gradient products, input gradient, bias-gradient partial sum), and the chunks
are split over ``parallel_for``. The weight's and bias's gradients add the per-image and per-chunk
parts in one order afterwards, so the bits do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np

from .. import _threads
from .im2col import Pads, image_col2im, image_cols, out_size
from .parallel import parallel_for

Pair = tuple[int, int]

CHUNK_IMAGES = 32  # images per chunk: two chunks of the CNN's batch of 64 for two threads


def _by_group(a: np.ndarray, groups: int, axis: int) -> np.ndarray:
    """``a`` with ``axis`` split into (G, size/G); left alone for one group (NumPy's stacked product
    of 3-D arrays is faster than of 4-D ones)."""
    if groups == 1:
        return a
    return a.reshape(a.shape[:axis] + (groups, a.shape[axis] // groups) + a.shape[axis + 1:])


def _empty_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair, groups: int,
                bias: bool = False) -> np.ndarray:
    """An empty ``cols`` (N, [G,] C/G*KH*KW, OH*OW) of the per-image layout, with a row of ones
    after each group's rows when ``bias``: the product then adds the bias, and the weight
    gradient's product sums the bias gradient (0.6x and 0.55x the time of a separate pass on the
    CNN's first layer, 0.94x and 0.97x on its second)."""
    o, cg, kh, kw = w_shape
    oh = out_size(x.shape[2], kh, stride[0], *pads[0], dilation[0])
    ow = out_size(x.shape[3], kw, stride[1], *pads[1], dilation[1])
    rows = cg * kh * kw + bias
    shape = (x.shape[0], groups, rows, oh * ow) if groups > 1 else (x.shape[0], rows, oh * ow)
    return np.empty(shape, dtype=x.dtype)


def _fill_cols(x: np.ndarray, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair, groups: int,
               cols: np.ndarray, bias: bool) -> None:
    """im2col of ``x`` into ``cols`` (of ``_empty_cols``'s shape), and its rows of ones."""
    by_group = cols.reshape((cols.shape[0], groups) + cols.shape[-2:])
    image_cols(x, kernel, stride, pads, dilation, by_group)
    if bias:
        by_group[:, :, -1] = 1


def _image_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution in the per-image layout: the output and ``cols`` (with its rows of ones when
    there is a bias); chunks of images are split over the threads."""
    n, o, (cg, kh, kw) = x.shape[0], w.shape[0], w.shape[1:]
    oh = out_size(x.shape[2], kh, stride[0], *pads[0], dilation[0])
    ow = out_size(x.shape[3], kw, stride[1], *pads[1], dilation[1])
    cols = _empty_cols(x, w.shape, stride, pads, dilation, groups, b is not None)
    out = np.empty((n, o, oh * ow), dtype=x.dtype)
    wm = _by_group(w.reshape(o, -1), groups, 0)                       # ([G,] O/G, Cg*KH*KW)
    if b is not None:                                                   # (bias in the last column)
        wm = np.concatenate([wm, _by_group(b.reshape(o, 1), groups, 0)], axis=-1)

    def images(i: int, j: int) -> None:
        _fill_cols(x[i:j], (kh, kw), stride, pads, dilation, groups, cols[i:j], b is not None)
        np.matmul(wm, cols[i:j], out=_by_group(out[i:j], groups, 1))

    _over_chunks(images, n, n * o * cg * kh * kw * oh * ow)
    return out.reshape(n, o, oh, ow), cols


def _over_chunks(fn, n: int, macs: int) -> list:
    """``[fn(i, j), ...]`` over fixed chunks of CHUNK_IMAGES images, split over the threads when the
    products' ``macs`` pay for it (the crossover of products, ``_threads.MATMUL_MIN_MACS``: the
    CNN's second layer, 58 M, splits; its first, 7 M, stays on one thread: split in two it took
    as long forward and 0.72-1.08x the wall time backward, benchmarks/analysis.md)."""
    return parallel_for(fn, n, macs, _threads.MATMUL_MIN_MACS, chunks=-(-n // CHUNK_IMAGES))


def _image_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b, dw_out,
                    db_out):
    """``(dx, dw, db)`` in one pass over fixed chunks of images, split over the threads; see
    ``conv2d_backward``."""
    n, (o, cg, kh, kw), (oh, ow) = x_shape[0], w.shape, grad.shape[2:]
    g = _by_group(grad.reshape(n, o, oh * ow), groups, 1)              # (N, [G,] O/G, OH*OW)
    rows = cg * kh * kw
    ones = need_w and cols.shape[-2] == rows + 1      # the forward's rows of ones: db from the product
    dw = db = dx = per_image = None
    if need_w:                                                            # (N, [G,] rows [+ 1], O/G)
        per_image = np.empty(cols.shape[:-1] + g.shape[-2:-1], dtype=grad.dtype)
    if need_x:
        wmt = np.swapaxes(_by_group(w.reshape(o, -1), groups, 0), -1, -2)    # ([G,] Cg*KH*KW, O/G)
        dx = np.empty(x_shape, dtype=grad.dtype)

    def chunk(i: int, j: int):
        if need_w:             # dw[g].T = sum over images of cols[g] @ dout[g].T (the faster product)
            np.matmul(cols[i:j], np.swapaxes(g[i:j], -1, -2), out=per_image[i:j])
        if need_x:
            image_col2im(np.matmul(wmt, g[i:j]), (kh, kw), stride, pads, dilation, dx[i:j])
        return grad[i:j].sum(axis=(0, 2, 3)) if need_b and not ones else None

    parts = _over_chunks(chunk, n, n * o * rows * oh * ow * (need_x + need_w))
    # the images' and chunks' parts added here, in one order: the bits do not depend on the threads
    if need_w:
        total = per_image.sum(axis=0)                                     # ([G,] rows [+ 1], O/G)
        dw = np.empty(w.shape, dtype=w.dtype) if dw_out is None else dw_out
        np.swapaxes(_by_group(dw.reshape(o, -1), groups, 0), -1, -2)[...] = total[..., :rows, :]
    if need_b:
        db = np.empty(o, dtype=grad.dtype) if db_out is None else db_out
        if ones:
            db[...] = total[..., rows, :].reshape(o)
        else:
            db[...] = parts[0]
            for part in parts[1:]:
                db += part
    return dx, dw, db


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's output and the matrix ``cols`` that the backward pass needs."""
    return _image_forward(x, w, b, stride, pads, dilation, groups)


def conv2d_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair,
                groups: int) -> np.ndarray:
    """The matrix ``cols`` that ``conv2d_forward`` returns, without the product (for the weight's
    gradient alone)."""
    cols = _empty_cols(x, w_shape, stride, pads, dilation, groups)
    _fill_cols(x, w_shape[2:], stride, pads, dilation, groups, cols, False)
    return cols


def conv2d_backward(grad: np.ndarray, cols: np.ndarray | None, w: np.ndarray, x_shape: tuple, stride: Pair,
                    pads: Pads, dilation: Pair, groups: int, need_x: bool = True,
                    need_w: bool = True, need_b: bool = True, dw_out: np.ndarray | None = None,
                    db_out: np.ndarray | None = None):
    """Gradients ``(dx, dw, db)`` of the convolution; each is None when its ``need_*`` is False
    (``cols`` is read only for dw, and db when dw is computed). dw and db are written into
    ``dw_out`` / ``db_out`` (arrays of w's and b's shapes) when given."""
    return _image_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b,
                           dw_out, db_out)
