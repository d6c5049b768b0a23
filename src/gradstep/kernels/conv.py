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

Two layouts; each copies and adds long contiguous runs of values, never single pixels.

*Shifted planes* (stride 1 and planes large against the kernel, see ``_shifted_pays``). The
zero-padded (Hp, Wp) planes of all images and channels are laid end to end in one flat array,
and the output is computed at every position of the padded plane; the positions past OH rows or
OW columns are thrown away. Tap (i, j) of output position p then reads flat input
p + i * dh * Wp + j * dw: for each tap, the inputs of a whole image (all its channels) are one
contiguous slice, shifted. ``cols`` is (N, KH*KW*C, Hp*Wp), one matrix per image, rows ordered
(tap, channel), and the product comes out in (N, O, ...) order; col2im is KH * KW additions of
shifted contiguous slices. The thrown-away positions get a zero gradient, so whatever they read
adds nothing to dw or dx. This spends (Hp*Wp) / (OH*OW) times the arithmetic of the exact
product (1.15x for 28 x 28 images, 3 x 3 kernel, padding 1) to skip the transposes.

*Batch last* (any stride, and small planes). Images are laid out (C, H, W, N), so that the
strided window copy and the col2im additions run over rows of OW * N values; ``cols`` is
(G, C/G*KH*KW, OH*OW*N) and the output is transposed back to (N, O, OH, OW).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .im2col import Pads, col2im, crop2d, windows

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
    out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)   # (G, O/G, OH*OW*N)
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
    if need_w:
        out = None if dw_out is None else dw_out.reshape(g.shape[0], g.shape[1], cols.shape[1])
        dw = np.matmul(g, cols.transpose(0, 2, 1), out=out).reshape(w.shape)
        if dw_out is not None:
            dw = dw_out
    if need_b:
        db = g.reshape(o, -1).sum(axis=1, out=db_out)
    if need_x:
        wm = w.reshape(groups, o // groups, cg * kh * kw)
        dcols = np.matmul(wm.transpose(0, 2, 1), g)                     # (G, Cg*KH*KW, OH*OW*N)
        dcols = dcols.reshape(c, kh, kw, oh, ow, n).transpose(1, 2, 0, 3, 4, 5)
        (pt, pb), (pl, pr) = pads
        dxp = col2im(dcols, (c, h + pt + pb, wd + pl + pr, n), stride, dilation, trailing=1)
        dx = _batch_first(crop2d(dxp, pads, trailing=1))
    return dx, dw, db


def _flat_planes(n: int, c: int, padded_hw: Pair, tail: int, dtype) -> np.ndarray:
    """Zeros for N * C padded planes end to end, plus ``tail`` values that the last plane's
    thrown-away positions read past its end."""
    return np.zeros(n * c * padded_hw[0] * padded_hw[1] + tail, dtype=dtype)


def _planes(flat: np.ndarray, n: int, c: int, padded_hw: Pair) -> np.ndarray:
    """The (N, C, Hp, Wp) view of the planes in ``flat``, without the tail."""
    return flat[:n * c * padded_hw[0] * padded_hw[1]].reshape(n, c, *padded_hw)


def _shifted_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, Cg, KH, KW) -> the matrix (O, KH*KW*Cg) whose columns follow ``cols``' rows, (tap,
    channel); (G, O/G, KH*KW*Cg) for several groups."""
    o, cg, kh, kw = w.shape
    m = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2).reshape(groups, o // groups, -1)
    return m[0] if groups == 1 else m


def _by_group(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, R, P) -> (N, G, R/G, P); left 3-D for one group (NumPy's stacked product is faster)."""
    return a if groups == 1 else a.reshape(a.shape[0], groups, a.shape[1] // groups, a.shape[2])


def _shifted_cols(x: np.ndarray, w_shape: tuple, pads: Pads, dilation: Pair, groups: int) -> np.ndarray:
    """``cols`` (N, KH*KW*C, Hp*Wp) of the shifted-planes layout."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w_shape
    (pt, pb), (pl, pr) = pads
    hp, wp = h + pt + pb, wd + pl + pr
    (dh, dw), plane = dilation, hp * wp
    xf = _flat_planes(n, c, (hp, wp), (kh - 1) * dh * wp + (kw - 1) * dw, x.dtype)
    _planes(xf, n, c, (hp, wp))[:, :, pt:pt + h, pl:pl + wd] = x
    s = xf.strides[0]
    shifted = as_strided(xf, (n, groups, kh, kw, cg, plane),
                         (c * plane * s, cg * plane * s, dh * wp * s, dw * s, plane * s, s), writeable=False)
    return shifted.reshape(n, c * kh * kw, plane)                       # the one copy


def _shifted_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, pads: Pads, dilation: Pair,
                     groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Stride-1 convolution in the shifted-planes layout: the output and ``cols``."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = pads
    hp, wp = h + pt + pb, wd + pl + pr
    dh, dw = dilation
    cols = _shifted_cols(x, w.shape, pads, dilation, groups)
    out = np.matmul(_shifted_weight(w, groups), _by_group(cols, groups))
    out = out.reshape(n, o, hp, wp)[:, :, :hp - dh * (kh - 1), :wp - dw * (kw - 1)]
    return (np.ascontiguousarray(out) if b is None else np.add(out, b.reshape(o, 1, 1))), cols


def _shifted_backward(grad, cols, w, x_shape, pads, dilation, groups, need_x, need_w, need_b, dw_out,
                      db_out):
    """``(dx, dw, db)`` in the shifted-planes layout; see ``conv2d_backward``."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = pads
    hp, wp = h + pt + pb, wd + pl + pr
    oh, ow = grad.shape[2:]
    g = np.zeros((n, o, hp, wp), dtype=grad.dtype)                      # zero at thrown-away positions
    g[:, :, :oh, :ow] = grad
    g = _by_group(g.reshape(n, o, hp * wp), groups)
    dw = db = dx = None
    if need_w:                       # dw[g].T = sum over images of cols[g] @ dout[g].T, rows (tap, channel)
        dwt = np.matmul(_by_group(cols, groups), np.swapaxes(g, -1, -2)).sum(axis=0)
        dw = np.empty(w.shape, dtype=w.dtype) if dw_out is None else dw_out
        dw.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)[...] = \
            dwt.reshape(groups, kh, kw, cg, o // groups)
    if need_b:
        db = g.reshape(n, o, -1).sum(axis=(0, 2), out=db_out)
    if need_x:
        wm = _shifted_weight(w, groups)
        dcols = np.matmul(np.swapaxes(wm, -1, -2), g).reshape(n, groups, kh, kw, cg * hp * wp)
        (dh, dwl), size = dilation, n * c * hp * wp
        dxf = _flat_planes(n, c, (hp, wp), (kh - 1) * dh * wp + (kw - 1) * dwl, grad.dtype)
        for i in range(kh):
            for j in range(kw):
                off = i * dh * wp + j * dwl
                dxf[off:off + size].reshape(n, groups, -1)[...] += dcols[:, :, i, j]
        dx = np.ascontiguousarray(_planes(dxf, n, c, (hp, wp))[:, :, pt:pt + h, pl:pl + wd])
    return dx, dw, db


def _shifted_pays(x_shape: tuple, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair) -> bool:
    """Whether to use the shifted-planes layout: stride 1 and at most 1.2x the exact product's
    arithmetic. Measured on the small CNN (one BLAS thread), it beats batch last on 28 x 28
    planes (1.15x; 0.7x the time forward and backward) and loses on 14 x 14 ones (1.31x)."""
    (pt, pb), (pl, pr) = pads
    hp, wp = x_shape[2] + pt + pb, x_shape[3] + pl + pr
    oh, ow = hp - dilation[0] * (w_shape[2] - 1), wp - dilation[1] * (w_shape[3] - 1)
    return tuple(stride) == (1, 1) and hp * wp <= 1.2 * oh * ow


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's output and the matrix ``cols`` that the backward pass needs (in the
    shifted-planes layout when ``_shifted_pays``, else batch last)."""
    if _shifted_pays(x.shape, w.shape, stride, pads, dilation):
        return _shifted_forward(x, w, b, pads, dilation, groups)
    return _window_forward(x, w, b, stride, pads, dilation, groups)


def conv2d_cols(x: np.ndarray, w_shape: tuple, stride: Pair, pads: Pads, dilation: Pair,
                groups: int) -> np.ndarray:
    """The matrix ``cols`` that ``conv2d_forward`` returns, without the product (for the weight's
    gradient alone)."""
    if _shifted_pays(x.shape, w_shape, stride, pads, dilation):
        return _shifted_cols(x, w_shape, pads, dilation, groups)
    return _window_cols(x, w_shape, stride, pads, dilation, groups)[0]


def conv2d_backward(grad: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair,
                    pads: Pads, dilation: Pair, groups: int, need_x: bool = True,
                    need_w: bool = True, need_b: bool = True, dw_out: np.ndarray | None = None,
                    db_out: np.ndarray | None = None):
    """Gradients ``(dx, dw, db)`` of the convolution; each is None when its ``need_*`` is False.
    dw and db are written into ``dw_out`` / ``db_out`` (arrays of w's and b's shapes) when given."""
    if _shifted_pays(x_shape, w.shape, stride, pads, dilation):
        return _shifted_backward(grad, cols, w, x_shape, pads, dilation, groups, need_x, need_w, need_b,
                                 dw_out, db_out)
    return _window_backward(grad, cols, w, x_shape, stride, pads, dilation, groups, need_x, need_w, need_b,
                            dw_out, db_out)
