"""2-D convolution (cross-correlation, as in PyTorch) by im2col and one matrix multiply per group.

Shapes: input x (N, C, H, W), weight w (O, C/groups, KH, KW), bias b (O,), output (N, O, OH, OW).
With G groups the channels split into G independent convolutions of C/G inputs and O/G outputs.

Forward, per group g, with cols[g] the (C/G * KH * KW, OH * OW * N) matrix of input windows::

    out[g] = w[g] @ cols[g]            (+ b)

Backward, with dout[g] the (O/G, OH * OW * N) output gradient::

    dw[g]    = dout[g] @ cols[g].T
    db       = sum of dout over N, OH, OW
    dcols[g] = w[g].T @ dout[g]        then col2im(dcols) = dx (overlapping windows add up)

Inside, images are laid out (C, H, W, N), batch last: then the im2col copy and the col2im
additions run over contiguous rows of OW * N values rather than OW, which is several times
faster for the small images of MNIST-sized networks.
"""

from __future__ import annotations

import numpy as np

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


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, pads: Pads,
                   dilation: Pair, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's output and the im2col matrix ``cols`` (G, C/G*KH*KW, OH*OW*N) that the
    backward pass needs."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    xp = _batch_last(x, pads)                                          # (C, Hp, Wp, N)
    win = windows(xp, (kh, kw), stride, dilation, trailing=1)          # (C, OH, OW, N, KH, KW) view
    oh, ow = win.shape[1:3]
    # (G, Cg, OH, OW, N, KH, KW) -> (G, Cg, KH, KW, OH, OW, N): the one im2col copy
    cols = (win.reshape(groups, cg, oh, ow, n, kh, kw).transpose(0, 1, 5, 6, 2, 3, 4)
            .reshape(groups, cg * kh * kw, oh * ow * n))
    out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)   # (G, O/G, OH*OW*N)
    return _batch_first(out.reshape(o, oh, ow, n), b), cols


def conv2d_backward(grad: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair,
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
