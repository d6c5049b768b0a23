"""cs231n's modular layer API (seed 001): ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> gradients``, on NumPy arrays.

These are thin adapters over the same code the autograd operations run, so each derivative
exists once: ``affine_*`` call ``kernels.linear`` (cs231n's weight ``w`` of shape (D, M) is
passed as the transposed view of PyTorch's (M, D) layout), ``relu_*`` drive the autograd ``Relu``
operation's own forward and backward, and the losses call ``kernels.loss``.
"""

from __future__ import annotations

import numpy as np

from .autograd import ops
from .kernels import linear as klinear
from .kernels import loss as kloss


def _run_forward(fn, *arrays, **kwargs):
    """Run an autograd Function's forward on arrays; the ctx it fills is the cache for backward."""
    ctx = fn()
    ctx.needs_input_grad = [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays]
    return fn.forward(ctx, *arrays, **kwargs), ctx


def _run_backward(ctx, dout):
    return type(ctx).backward(ctx, dout)


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    """out = x.reshape(N, D) @ w + b for x of shape (N, d1, ..., dk), w (D, M), b (M,).

    Returns ``(out, cache)`` with ``cache = (x, w, b)``.
    """
    out = klinear.linear_forward(x.reshape(x.shape[0], -1), w.T, b)
    return out, (x, w, b)


def affine_backward(dout: np.ndarray, cache):
    """(dx, dw, db) of the affine layer: dx has x's shape, dw is (D, M), db is (M,)."""
    x, w, b = cache
    dx, dwt, db = klinear.linear_backward(dout, x.reshape(x.shape[0], -1), w.T)
    return dx.reshape(x.shape), dwt.T, db


def relu_forward(x: np.ndarray):
    """out = max(0, x); returns ``(out, cache)``."""
    return _run_forward(ops.Relu, x)


def relu_backward(dout: np.ndarray, cache) -> np.ndarray:
    """dx = dout where x > 0, else 0."""
    return _run_backward(cache, dout)


def affine_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    """An affine layer followed by a ReLU; returns ``(out, (fc_cache, relu_cache))``."""
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout: np.ndarray, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def softmax_loss(x: np.ndarray, y: np.ndarray):
    """Softmax cross-entropy averaged over the N rows of scores ``x`` (N, C) with labels ``y`` (N,).

    Returns ``(loss, dx)``; the same kernel as ``nn.CrossEntropyLoss`` (dx = (softmax - onehot) / N).
    """
    losses, denom, saved = kloss.cross_entropy(x, np.asarray(y))
    row_grad = kloss.reduce_backward(np.ones((), x.dtype), "mean", denom, losses.shape)
    dx, _ = kloss.cross_entropy_backward(row_grad, saved)
    return float(kloss.reduce(losses, "mean", denom)), dx


def svm_loss(x: np.ndarray, y: np.ndarray):
    """Multi-class SVM (hinge, margin 1) loss averaged over the N rows; returns ``(loss, dx)``."""
    loss, dx = kloss.multiclass_svm(x, np.asarray(y))
    return float(loss), dx


# ----------------------------------------------------------------------------------------------
# Batch normalisation and dropout (batchnorm_forward/backward, dropout_forward/backward) go below.
# ----------------------------------------------------------------------------------------------
