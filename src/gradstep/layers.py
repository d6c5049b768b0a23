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
from .kernels import batchnorm as kbn
from .kernels import dropout as kdropout
from .kernels import linear as klinear
from .kernels import loss as kloss
from .random import Generator, rng


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
# Batch normalisation and dropout
# ----------------------------------------------------------------------------------------------


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict):
    """Batch normalisation of x (N, D) with cs231n's ``bn_param``; returns ``(out, cache)``.

    ``bn_param`` keys: ``mode`` ('train' or 'test', required), ``eps`` (1e-5), ``momentum`` (0.9),
    ``running_mean`` and ``running_var`` (created as zeros of shape (D,) on first use and updated
    in place in the dict). In 'train' the batch's mean and (biased) variance are used and

        running = momentum * running + (1 - momentum) * batch        (cs231n's convention)

    which is the same kernel as ``nn.BatchNorm1d``'s update with weight ``1 - momentum`` on the
    new value; PyTorch's ``momentum=0.1`` is that weight, and PyTorch uses the unbiased variance.
    In 'test' the running statistics are used.
    """
    mode = bn_param.get("mode")
    if mode not in ("train", "test"):
        raise ValueError(f"Invalid forward batchnorm mode {mode!r}; expected 'train' or 'test'")
    eps = float(bn_param.get("eps", 1e-5))
    momentum = float(bn_param.get("momentum", 0.9))
    d = x.shape[1]
    running_mean = bn_param.setdefault("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.setdefault("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        out, x_hat, inv_std, mean, var = kbn.batch_norm_train(x, gamma, beta, eps)
        kbn.update_running_stats(running_mean, running_var, mean, var, x.shape[0], 1.0 - momentum,
                                 unbiased=False)
    else:
        out, x_hat, inv_std = kbn.batch_norm_eval(x, running_mean, running_var, gamma, beta, eps)
    return out, (x_hat, inv_std, gamma, mode == "train")


def batchnorm_backward(dout: np.ndarray, cache):
    """``(dx, dgamma, dbeta)`` of ``batchnorm_forward``, by the compact formula of the kernel."""
    x_hat, inv_std, gamma, batch_stats = cache
    return kbn.batch_norm_backward(dout, x_hat, inv_std, gamma, batch_stats)


batchnorm_backward_alt = batchnorm_backward  # cs231n's name for the simplified (compact) backward


def dropout_forward(x: np.ndarray, dropout_param: dict):
    """Inverted dropout with cs231n's ``dropout_param``; returns ``(out, cache)``.

    Keys: ``p``, the probability of DROPPING each value (cs231n's 2016 convention and PyTorch's);
    ``mode`` ('train' or 'test'); ``seed`` (optional): when given, the mask is drawn from a fresh
    generator seeded with it (for gradient checks), else from gradstep's default stream
    (``gradstep.manual_seed``), the stream ``nn.Dropout`` draws from. In 'test' out = x.
    """
    p = dropout_param.get("p")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout_param['p'] must be a probability in [0, 1], got {p!r}")
    mode = dropout_param.get("mode")
    if mode not in ("train", "test"):
        raise ValueError(f"Invalid dropout mode {mode!r}; expected 'train' or 'test'")
    if mode == "test":
        return x, (dropout_param, None)
    seed = dropout_param.get("seed")
    stream = rng(None if seed is None else Generator(seed))
    mask = kdropout.dropout_mask(x.shape, float(p), stream, x.dtype)
    return x * mask, (dropout_param, mask)


def dropout_backward(dout: np.ndarray, cache) -> np.ndarray:
    """dx = dout * mask in 'train' (the same mask), dout in 'test'."""
    _, mask = cache
    return dout if mask is None else dout * mask
