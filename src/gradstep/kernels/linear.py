"""The affine map ``y = x W^T + b`` and its derivatives, for PyTorch's ``(out, in)`` weight layout.

cs231n's ``affine_forward`` keeps its weight as ``(in, out)``; it passes the transposed view here,
so both APIs run this one copy of the math.
"""

from __future__ import annotations

import numpy as np

from .parallel import matmul


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,) or None."""
    if x.ndim == 2:
        out = matmul(x, w.T)
    else:
        out = matmul(x.reshape(-1, x.shape[-1]), w.T).reshape(*x.shape[:-1], w.shape[0])
    if b is not None:
        out += b
    return out


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
        if g2.shape[0] == 1:  # one sample: dW is an outer product, done faster elementwise (same bits)
            dw = np.multiply(g2.T, x2, out=dw_out)
        else:
            dw = matmul(g2.T, x2, out=dw_out)
    if need_b:
        db = g2.sum(axis=0) if db_out is None else g2.sum(axis=0, out=db_out)
    return dx, dw, db
