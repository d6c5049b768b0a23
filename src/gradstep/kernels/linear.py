"""The affine map ``y = x W^T + b`` and its derivatives, for PyTorch's ``(out, in)`` weight layout.

cs231n's ``affine_forward`` keeps its weight as ``(in, out)``; it passes the transposed view here,
so both APIs run this one copy of the math.
"""

from __future__ import annotations

import numpy as np

from . import jit
from .activation import relu
from .parallel import matmul


def _swap_pays(rows: int, w: np.ndarray) -> bool:
    """Whether ``(W x^T)^T`` is the faster way to ``x W^T``: for a few rows (4 to 64) through a
    layer of 128 or more outputs, OpenBLAS's one-thread sgemm runs 0.55-0.97x as long with the
    output's long side as its rows (measured, 784-200 at batch 64: 0.88x), with the same sums in
    the same order (the same bits)."""
    return 4 <= rows <= 64 and w.shape[0] >= 128 and w.flags.c_contiguous


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,) or None; C-contiguous."""
    x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    if _swap_pays(x2.shape[0], w):
        out_t = matmul(w, x2.T).T  # F-ordered; the copy to C order adds the bias on the way
        out = np.add(out_t, b, order="C") if b is not None else np.ascontiguousarray(out_t)
    else:
        out = matmul(x2, w.T)
        if b is not None:
            out += b
    return out if x.ndim == 2 else out.reshape(*x.shape[:-1], w.shape[0])


def linear_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``relu(linear_forward(x, w, b))`` and ReLU's mask, with the same bits. Where the product is
    taken as ``(W x^T)^T`` (``_swap_pays``) and compiled kernels are on, the copy to C order, the
    bias and ReLU are one pass over the output instead of two (what a captured step runs for a
    Linear followed by a ReLU, ``train.compiled_step``)."""
    if (b is not None and x.ndim == 2 and _swap_pays(x.shape[0], w) and x.dtype == w.dtype == b.dtype
            and w.dtype in (np.float32, np.float64) and jit.enabled()):
        r = matmul(w, x.T)  # (out, rows)
        y = np.empty((x.shape[0], w.shape[0]), r.dtype)
        mask = np.empty(y.shape, bool)
        _bias_relu_transposed(r, b, y, mask)
        return y, mask
    return relu(linear_forward(x, w, b))


@jit.compiled
def _bias_relu_transposed(r, b, y, mask):  # pragma: no cover - compiled, so coverage cannot see it
    """y = max(r^T + b, 0) and mask = r^T + b > 0, as ``np.add`` then ``activation.relu``. r is
    read a row at a time (contiguous); the mask is taken from y afterwards (y > 0 exactly where
    r^T + b > 0: a NaN stays NaN and is not positive)."""
    zero = y.dtype.type(0)
    for i in range(y.shape[1]):
        bi = b[i]
        for j in range(y.shape[0]):
            v = r[i, j] + bi
            y[j, i] = v if (v > zero or v != v) else zero
    for j in range(y.shape[0]):
        for i in range(y.shape[1]):
            mask[j, i] = y[j, i] > zero


def linear_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, need_x: bool = True,
                    need_w: bool = True, need_b: bool = True, dw_out: np.ndarray | None = None,
                    db_out: np.ndarray | None = None):
    """(dx, dW, db) for y = x W^T + b, given dL/dy; None for each gradient not needed.

    dx = G W,  dW = G^T x,  db = sum of G over every row (G and x flattened to 2-D). dW and db are
    written into ``dw_out`` / ``db_out`` when given (e.g. a parameter's gradient buffer).
    """
    g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
    dx = dw = db = None
    if need_x:
        dx = matmul(g2, w)
        if x.ndim != 2:
            dx = dx.reshape(x.shape)
    if need_w:
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        if g2.shape[0] == 1:  # one sample: dW is an outer product, done faster elementwise;
            # einsum's loop is 1.5x as fast as multiply's broadcast (784-200: 29 against 42 µs), with
            # the same values (a zero product may come out +0 where multiply gives -0)
            dw = np.einsum("j,k->jk", g2[0], x2[0], out=dw_out)
        else:
            dw = matmul(g2.T, x2, out=dw_out)
    if need_b:
        db = g2.sum(axis=0) if db_out is None else g2.sum(axis=0, out=db_out)
    return dx, dw, db
