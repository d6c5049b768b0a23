"""2-D convolution (cross-correlation, as in PyTorch) as one matrix multiply per group.

Shapes: input x (N, C, H, W), weight w (O, C/groups, KH, KW), bias b (O,), output (N, O, OH, OW).
With G groups the channels split into G independent convolutions of C/G inputs and O/G outputs.

The input's windows are copied into a matrix ``cols`` with one row per (channel, tap) and one
column per output pixel; then, per group g::

    out[g] = w[g] @ cols[g]            (+ b)

Backward, with dout[g] the output gradient in the layout of the product::

    dw[g]    = dout[g] @ cols[g].T
    db       = sum of dout over N, OH, OW
    dcols[g] = w[g].T @ dout[g]        then col2im(dcols) = dx (overlapping windows add up)

Two layouts; the im2col copy and the col2im additions run over rows of output pixels.

*Per image* (planes of at least 14 x 14 outputs, see ``_image_pays``). ``cols`` is (N, C*KH*KW,
OH*OW), one matrix per image, rows ordered (channel, tap) as the weight's, so the product
``w @ cols[n]`` of every image comes out in (N, O, OH*OW) order: no transposes. The weight's
gradient sums the images' products ``cols[n] @ dout[n].T``; col2im adds rows of OW values.

*Batch last* (small planes). Images are laid out (C, H, W, N), so that the strided window copy
and the col2im additions run over rows of OW * N values; ``cols`` is (G, C/G*KH*KW, OH*OW*N)
and the output is transposed back to (N, O, OH, OW).
"""

from __future__ import annotations

import numpy as np

from .. import _threads
from .im2col import Pads, col2im, crop2d, out_size, windows
from .parallel import parallel_for

Pair = tuple[int, int]


def _batch_last(a: np.ndarray, pads: Pads = ((0, 0), (0, 0))) -> np.ndarray:
    """(N, C, H, W) -> contiguous (C, H, W, N), zero-padded by ``pads`` on the spatial axes: the
    transposing copy and the padding are one pass."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return np.ascontiguousarray(a.transpose(1, 2, 3, 0))
    n, c, h, w = a.shape
    out = np.zeros((c, h + pt + pb, w + pl + pr, n), dtype=a.dtype)
    out[:, pt:pt + h, pl:pl + w, :] = a.transpose(1, 2, 3, 0)
    return out


def _batch_first(a: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """(C, H, W, N) -> contiguous (N, C, H, W), plus ``bias[c]`` on channel c if given, one channel
    at a time: a single transposing copy of the whole array is several times slower when N is a
    power of two (cache aliasing)."""
    out = np.empty((a.shape[3], a.shape[0], a.shape[1], a.shape[2]), dtype=a.dtype)
    for c in range(a.shape[0]):
        if bias is None:
            out[:, c] = a[c].transpose(2, 0, 1)
        else:
            np.add(a[c].transpose(2, 0, 1), bias[c], out=out[:, c])
    return out


BLOCK = 4096  # rows or columns of one block of a batch-last product (see ``_blocked_matmul``)


def _blocked_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (stacked, (G, M, K) @ (G, K, N)) computed in blocks of BLOCK columns of the result
    (or of rows, when it has fewer columns than rows), the blocks split over the threads. The
    blocks are fixed by the shapes alone, so the result is the same bits with any number of
    threads (a BLAS may round a product differently when it is cut elsewhere)."""
    out = np.empty(a.shape[:-1] + b.shape[-1:], dtype=np.result_type(a, b))
    columns = out.shape[-1] >= out.shape[-2]
    size = out.shape[-1] if columns else out.shape[-2]
    blocks = -(-size // BLOCK)

    def run(i: int, j: int) -> None:
        for k in range(i, j):
            part = slice(k * BLOCK, (k + 1) * BLOCK)
            if columns:
                np.matmul(a, b[..., part], out=out[..., part])
            else:
                np.matmul(a[..., part, :], b, out=out[..., part, :])

    macs = out.size * a.shape[-1]      # as elements, so that it splits where a product of as many would
    parallel_for(run, blocks, macs * _threads.SPLIT_MIN_ELEMENTS // _threads.MATMUL_MIN_MACS)
    return out


def _window_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair,
                 groups: int) -> tuple[np.ndarray, int, int]:
    """The im2col matrix ``cols`` (G, C/G*KH*KW, OH*OW*N) and the output's OH, OW."""
    n = x.shape[0]
    o, cg, kh, kw = w_shape
    xp = _batch_last(x, pads)                                          # (C, Hp, Wp, N)
    win = windows(xp, (kh, kw), stride, dilation, trailing=1)          # (C, OH, OW, N, KH, KW) view
    oh, ow = win.shape[1:3]
    # (G, Cg, OH, OW, N, KH, KW) -> (G, Cg, KH, KW, OH, OW, N): the one im2col copy
    cols = (win.reshape(groups, cg, oh, ow, n, kh, kw).transpose(0, 1, 5, 6, 2, 3, 4)
            .reshape(groups, cg * kh * kw, oh * ow * n))
    return cols, oh, ow


def _window_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's output and the im2col matrix ``cols`` that the backward pass needs."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    cols, oh, ow = _window_cols(x, w.shape, stride, pads, dilation, groups)
    out = _blocked_matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)   # (G, O/G, OH*OW*N)
    return _batch_first(out.reshape(o, oh, ow, n), b), cols


def _window_backward(grad: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair,
                    pads: Pads, dilation: Pair, groups: int, need_x: bool = True,
                    need_w: bool = True, need_b: bool = True, dw_out: np.ndarray | None = None,
                    db_out: np.ndarray | None = None):
    """Gradients ``(dx, dw, db)`` of the convolution; each is None when its ``need_*`` is False.
    dw and db are written into ``dw_out`` / ``db_out`` (arrays of w's and b's shapes) when given."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    g = _batch_last(grad).reshape(groups, o // groups, oh * ow * n)     # layout of the forward's product
    dw = db = dx = None
    if need_w:                 # dw[g].T = cols[g] @ dout[g].T: 0.8x the time of dout[g] @ cols[g].T
        dw = np.empty(w.shape, dtype=w.dtype) if dw_out is None else dw_out
        dwt = _blocked_matmul(cols, g.transpose(0, 2, 1))               # (G, Cg*KH*KW, O/G)
        dw.reshape(g.shape[0], g.shape[1], cols.shape[1])[...] = dwt.transpose(0, 2, 1)
    if need_b:
        db = g.reshape(o, -1).sum(axis=1, out=db_out)
    if need_x:
        wm = w.reshape(groups, o // groups, cg * kh * kw)
        dcols = _blocked_matmul(wm.transpose(0, 2, 1), g)               # (G, Cg*KH*KW, OH*OW*N)
        dcols = dcols.reshape(c, kh, kw, oh, ow, n).transpose(1, 2, 0, 3, 4, 5)
        (pt, pb), (pl, pr) = pads
        dxp = col2im(dcols, (c, h + pt + pb, wd + pl + pr, n), stride, dilation, trailing=1)
        dx = _batch_first(crop2d(dxp, pads, trailing=1))
    return dx, dw, db


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

    parallel_for(images, n, x.size + cols.size + out.size)
    return out.reshape(n, o, oh, ow), cols


def _image_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b, dw_out,
                    db_out):
    """``(dx, dw, db)`` in the per-image layout, images split over the threads; see
    ``conv2d_backward``."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    g = _by_group(grad.reshape(n, o, oh * ow), groups, 1)              # (N, [G,] O/G, OH*OW)
    dw = db = dx = None
    if need_w:                 # dw[g].T = sum over images of cols[g] @ dout[g].T (the faster product)
        per_image = np.empty(cols.shape[:-1] + g.shape[-2:-1], dtype=grad.dtype)  # (N, [G,] Cg*KH*KW, O/G)

        def images(i: int, j: int) -> None:
            np.matmul(cols[i:j], np.swapaxes(g[i:j], -1, -2), out=per_image[i:j])

        parallel_for(images, n, cols.size + g.size)
        dw = np.empty(w.shape, dtype=w.dtype) if dw_out is None else dw_out
        # summed here, in one order, so that the bits do not depend on the number of threads
        np.sum(per_image, axis=0, out=np.swapaxes(_by_group(dw.reshape(o, -1), groups, 0), -1, -2))
    if need_b:
        db = grad.reshape(n, o, oh * ow).sum(axis=(0, 2), out=db_out)
    if need_x:
        wmt = np.swapaxes(_by_group(w.reshape(o, -1), groups, 0), -1, -2)
        (pt, pb), (pl, pr) = pads
        dx = np.empty(x_shape, dtype=grad.dtype)

        def images(i: int, j: int) -> None:
            dcols = np.matmul(wmt, g[i:j]).reshape(j - i, c, kh, kw, oh, ow)
            dxp = col2im(dcols.transpose(2, 3, 0, 1, 4, 5), (j - i, c, h + pt + pb, wd + pl + pr), stride,
                         dilation)
            dx[i:j] = crop2d(dxp, pads)

        parallel_for(images, n, grad.size + cols.size + dx.size)
    return dx, dw, db


def _image_pays(x_shape: tuple, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair) -> bool:
    """Whether to use the per-image layout: output rows of at least 24 pixels, which its copies and
    additions run over. Measured on the small CNN (one BLAS thread): on 28 x 28 planes per image
    takes 0.65x the time of batch last forward, 0.25x for the weight's gradient and 0.37x for the
    input's; on 14 x 14 planes 0.85x forward and 0.9x for the weight's gradient, but 1.35x for the
    input's (rows of 14 values against batch last's 14 * N), 1.15x in all."""
    (pl, pr), d = pads[1], dilation[1]
    return out_size(x_shape[3], w_shape[3], stride[1], pl, pr, d) >= 24


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's output and the matrix ``cols`` that the backward pass needs (in the
    per-image layout when ``_image_pays``, else batch last)."""
    if _image_pays(x.shape, w.shape, stride, pads, dilation):
        return _image_forward(x, w, b, stride, pads, dilation, groups)
    return _window_forward(x, w, b, stride, pads, dilation, groups)


def conv2d_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair,
                groups: int) -> np.ndarray:
    """The matrix ``cols`` that ``conv2d_forward`` returns, without the product (for the weight's
    gradient alone)."""
    if _image_pays(x.shape, w_shape, stride, pads, dilation):
        return _image_cols(x, w_shape, stride, pads, dilation, groups)[0]
    return _window_cols(x, w_shape, stride, pads, dilation, groups)[0]


def conv2d_backward(grad: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair,
                    pads: Pads, dilation: Pair, groups: int, need_x: bool = True,
                    need_w: bool = True, need_b: bool = True, dw_out: np.ndarray | None = None,
                    db_out: np.ndarray | None = None):
    """Gradients ``(dx, dw, db)`` of the convolution; each is None when its ``need_*`` is False.
    dw and db are written into ``dw_out`` / ``db_out`` (arrays of w's and b's shapes) when given."""
    if _image_pays(x_shape, w.shape, stride, pads, dilation):
        return _image_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b,
                               dw_out, db_out)
    return _window_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b,
                            dw_out, db_out)
