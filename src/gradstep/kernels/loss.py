"""Loss functions and their derivatives: softmax cross-entropy, NLL, the multi-class SVM, and the
pointwise losses (squared, absolute, smooth L1, Huber, binary cross-entropy), with PyTorch's
reductions.

Class losses work on rows: ``classes_last`` turns an (N, C, d1, ...) score array into (M, C)
rows with M = N * d1 * ...; a per-row loss is then reduced by ``reduce``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit

REDUCTIONS = ("none", "mean", "sum")


class LabelError(IndexError, ValueError):
    """A class label outside [0, C): an IndexError as in PyTorch and a ValueError for gradstep."""


# --------------------------------------------------------------------------- layout and reduction

def classes_last(x: np.ndarray) -> np.ndarray:
    """(C,) -> (1, C); (N, C) unchanged; (N, C, d1, ...) -> (N * d1 * ..., C)."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def classes_back(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """The inverse of ``classes_last`` for an array of the original ``shape``."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = rows.reshape(shape[0], *shape[2:], shape[1])
    return np.moveaxis(moved, -1, 1)


def reduce(losses: np.ndarray, reduction: str, denom) -> np.ndarray:
    """'none': the losses; 'sum': their sum; 'mean': their sum / ``denom``."""
    if reduction == "none":
        return losses
    total = np.add.reduce(losses, axis=None)  # losses.sum() without its Python wrapper
    if reduction == "sum":
        return total
    if not denom:  # nothing to average (an empty batch, every label ignored): NaN as in PyTorch
        return np.asarray(np.nan, dtype=losses.dtype)
    return np.asarray(total / denom, dtype=losses.dtype)


def reduce_backward(grad: np.ndarray, reduction: str, denom, shape: tuple) -> np.ndarray:
    """dL/d(loss of each element) given dL/d(reduced loss): an array of ``shape`` for 'none', a
    0-d array (broadcasting over every element) for 'sum' and 'mean'."""
    if reduction == "none":
        return grad.reshape(shape)
    if reduction == "mean":
        return grad / denom if denom else np.full_like(grad, np.nan)
    return grad


# --------------------------------------------------------------------------- class labels

def _raise_bad_label(target: np.ndarray, n_classes: int, ignore_index: int | None) -> None:
    bad = (target < 0) | (target >= n_classes)
    if ignore_index is not None:
        bad &= target != ignore_index
    if bad.any():
        label = int(target[bad].reshape(-1)[0])
        raise LabelError(f"Target {label} is out of bounds: class labels must be in [0, {n_classes}) "
                         f"for {n_classes} classes")


def check_labels(target: np.ndarray, n_classes: int, ignore_index: int | None = None) -> None:
    """Raise ``LabelError`` naming the first label outside [0, n_classes) (other than ignore_index)."""
    if target.size and (target.min() < 0 or target.max() >= n_classes):
        _raise_bad_label(target, n_classes, ignore_index)


def _label_weights(target: np.ndarray, n_classes: int, weight, ignore_index: int, dtype):
    """Validated labels for a class loss: (labels with ignored rows set to 0, per-row weight w[y]
    with 0 on ignored rows -- or None when every row weighs 1 --, mask of ignored rows or None)."""
    ignored = None
    if target.size:
        lo, hi = np.minimum.reduce(target), np.maximum.reduce(target)
        if lo < 0 or hi >= n_classes:
            _raise_bad_label(target, n_classes, ignore_index)
        if lo <= ignore_index <= hi:
            mask = target == ignore_index
            if mask.any():
                ignored = mask
                target = np.where(mask, 0, target)
    if weight is None and ignored is None:
        return target, None, None
    w = np.ones(target.shape, dtype) if weight is None else weight[target]
    if ignored is not None:
        w[ignored] = 0
    return target, w, ignored


class CrossEntropySaved(NamedTuple):
    """What the backward of softmax cross-entropy needs (softmax = exps / sums)."""
    exps: np.ndarray             # exp(x - max), (M, C)
    sums: np.ndarray             # their row sums, (M, 1)
    logp: np.ndarray | None      # log-softmax (M, C), kept when backward needs it
    target: np.ndarray           # (M,) labels (ignored rows set to 0), or (M, C) probabilities
    weight: np.ndarray | None    # class weights (C,)
    row_weight: np.ndarray | None  # (M,) w[y], 0 where ignored; None when all are 1
    ignored: np.ndarray | None   # (M,) mask of ignored rows, None if there are none
    smoothing: float


def cross_entropy(x: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                  ignore_index: int = -100, label_smoothing: float = 0.0):
    """Per-row softmax cross-entropy of scores ``x`` (M, C), its 'mean' denominator, and the saved
    state for ``cross_entropy_backward``.

    ``target`` holds class indices (M,) or class probabilities (M, C). With label smoothing e the
    target distribution is (1 - e) * target + e / C. A row's loss is sum_c a_c * (-log p_c) with
    a_c = w_c * target_c; 'mean' divides by sum of w[y] over non-ignored rows (indices) or by M
    (probabilities), as PyTorch does. log p = x - max - log(sum(exp(x - max))) is finite for any
    finite x.
    """
    m, c = x.shape
    if _compiled_rows(x, target, weight, label_smoothing):
        shifted = np.empty_like(x)
        if _shift_rows(x, target, ignore_index, shifted):  # else a label to ignore or refuse: below
            e = np.exp(shifted)
            s = e.sum(axis=1, keepdims=True)
            log_s = np.log(s)
            losses = np.empty(m, x.dtype)
            _label_terms(log_s, shifted, target, losses)
            return losses, m, CrossEntropySaved(e, s, None, target, None, None, None, 0.0)
    rows = np.arange(m)
    # each row's max, picked at its argmax (the same value; twice as fast as max for few classes)
    shifted = x - x[rows, x.argmax(axis=1)][:, None] if c else x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    log_s = np.log(s)
    eps = float(label_smoothing)
    if target.dtype.kind == "f":
        logp = shifted - log_s
        losses = -(_soft_coefficients(target, weight, eps) * logp).sum(axis=1)
        return losses, m, CrossEntropySaved(e, s, logp, target, weight, None, None, eps)
    target, row_w, ignored = _label_weights(target, c, weight, ignore_index, x.dtype)
    logp = None
    if eps:
        logp = shifted - log_s
        losses = -logp[rows, target]
    else:
        losses = log_s[:, 0] - shifted[rows, target]
    if row_w is not None:
        losses *= row_w
    if eps:
        smooth = -(logp.sum(axis=1) if weight is None else logp @ weight)
        if ignored is not None:
            smooth[ignored] = 0
        losses = (1.0 - eps) * losses + (eps / c) * smooth
    denom = m if row_w is None else row_w.sum()
    return losses, denom, CrossEntropySaved(e, s, logp, target, weight, row_w, ignored, eps)


def _soft_coefficients(target: np.ndarray, weight, eps: float) -> np.ndarray:
    """a = w * ((1 - e) * target + e / C) for probability targets."""
    tt = target * (1.0 - eps) + eps / target.shape[1] if eps else target
    return tt if weight is None else tt * weight


def cross_entropy_backward(row_grad: np.ndarray, saved: CrossEntropySaved, need_target: bool = False):
    """(dL/dx, dL/dtarget or None) given dL/d(loss of each row): ``row_grad`` of shape (M,), or
    0-d for a gradient shared by every row.

    With a_c the coefficient of -log p_c in a row's loss, d loss / d x_j = p_j * sum(a) - a_j:
    softmax minus the one-hot label in the plain case.
    """
    e, s, logp, target, weight, row_w, ignored, eps = saved
    m, c = e.shape
    if (row_w is None and _compiled_rows(e, target, weight, eps) and row_grad.dtype == e.dtype
            and row_grad.size in (1, m)):
        dx = np.empty_like(e)
        _softmax_minus_onehot(e, s, target, row_grad.reshape(-1), dx)
        return dx, None
    r = row_grad[..., None]
    dx = e / s
    if target.dtype.kind == "f":
        a = _soft_coefficients(target, weight, eps)
        dx *= r * a.sum(axis=1, keepdims=True)
        dx -= r * a
        dt = None
        if need_target:
            dt = -(1.0 - eps) * r * (logp if weight is None else logp * weight)
        return dx, dt
    # a = (1 - e) w[y] onehot(y) + k w, with k = e / C on rows that are not ignored
    onehot = row_grad if row_w is None else row_grad * row_w
    if eps:
        k = eps / c if ignored is None else np.where(ignored, 0.0, eps / c).astype(e.dtype)
        onehot = (1.0 - eps) * onehot
        rk = row_grad * k
        dx *= (onehot + rk * (c if weight is None else weight.sum()))[..., None]
        dx -= rk[..., None] if weight is None else rk[..., None] * weight
    else:
        dx *= onehot[..., None]
    dx[np.arange(m), target] -= onehot
    return dx, None


# The plain case (class indices, no class weights, no smoothing) as compiled loops, run when
# compiled kernels are on: bitwise equal to the NumPy code above, since they do its exact
# operations (the row max as argmax picks it, the subtraction, the gather; the division and the
# products of the backward) in its order, while exp, the row sums and log stay NumPy calls (numba's
# exp and log differ from NumPy's vectorised ones in the last bit). tests/nn/test_loss_compiled.py.

def _compiled_rows(x: np.ndarray, target: np.ndarray, weight, smoothing: float) -> bool:
    return (type(x) is np.ndarray and weight is None and not smoothing and target.dtype.kind in "iu"
            and target.ndim == 1 and x.shape[0] > 0 and x.shape[1] > 0 and x.flags.c_contiguous
            and jit.enabled())


@jit.compiled
def _shift_rows(x, target, ignore_index, shifted):  # pragma: no cover - compiled
    """shifted = x - (each row's max); False if a label is out of range or ignore_index."""
    m, c = x.shape
    plain = True
    for i in range(m):
        t = target[i]
        if t < 0 or t >= c or t == ignore_index:
            plain = False
        top = x[i, 0]  # the value at np.argmax: the first maximum, or the first NaN
        for j in range(1, c):
            if top != top:
                break
            v = x[i, j]
            if v > top or v != v:
                top = v
        for j in range(c):
            shifted[i, j] = x[i, j] - top
    return plain


@jit.compiled
def _label_terms(log_s, shifted, target, losses):  # pragma: no cover - compiled
    """A row's loss: log(sum(exp(shifted))) - shifted[label]."""
    for i in range(losses.shape[0]):
        losses[i] = log_s[i, 0] - shifted[i, target[i]]


@jit.compiled
def _softmax_minus_onehot(e, s, target, row_grad, dx):  # pragma: no cover - compiled
    """dx = (e / s) * r, minus r at the label (r: one value per row, or one for all)."""
    m, c = e.shape
    per_row = row_grad.shape[0] > 1
    for i in range(m):
        r = row_grad[i] if per_row else row_grad[0]
        total = s[i, 0]
        for j in range(c):
            dx[i, j] = (e[i, j] / total) * r
        dx[i, target[i]] = dx[i, target[i]] - r


def nll(logp: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, ignore_index: int = -100):
    """Per-row negative log-likelihood -w[y] * logp[y] of log-probabilities (M, C), the 'mean'
    denominator sum(w[y]), and the saved (labels, row weights) for ``nll_backward``."""
    m, c = logp.shape
    target, row_w, _ = _label_weights(target, c, weight, ignore_index, logp.dtype)
    losses = -logp[np.arange(m), target]
    if row_w is None:
        return losses, m, (target, None)
    return losses * row_w, row_w.sum(), (target, row_w)


def nll_backward(row_grad: np.ndarray, saved, shape: tuple, dtype) -> np.ndarray:
    """d loss / d logp: -w[y] * row_grad at each row's label, zero elsewhere."""
    target, row_w = saved
    onehot = np.zeros(shape, dtype)
    onehot[np.arange(shape[0]), target] = 1
    return onehot * (-row_grad if row_w is None else -row_grad * row_w)[..., None]


def multiclass_svm(x: np.ndarray, y: np.ndarray):
    """cs231n's multi-class SVM (hinge) loss with margin 1, averaged over the N rows, and dL/dx.

    loss_i = sum_{j != y_i} max(0, x_ij - x_iy_i + 1).
    """
    n = x.shape[0]
    check_labels(y, x.shape[1])
    rows = np.arange(n)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = margins.sum() / n
    positive = (margins > 0).astype(x.dtype)
    positive[rows, y] -= positive.sum(axis=1)
    return loss, positive / n


# --------------------------------------------------------------------------- pointwise losses

class Pointwise(NamedTuple):
    """An elementwise loss l(x, t): its value and its partial derivatives (dl/dx, dl/dt)."""
    value: object      # (x, t, **params) -> l
    partials: object   # (x, t, need_x, need_t, **params) -> (dl/dx or None, dl/dt or None)


def _of_difference(f, df) -> Pointwise:
    """A loss of d = x - t alone: dl/dx = f'(d), dl/dt = -f'(d)."""
    def value(x, t, **params):
        return f(x - t, **params)

    def partials(x, t, need_x, need_t, **params):
        g = df(x - t, **params)
        return (g if need_x else None), (-g if need_t else None)
    return Pointwise(value, partials)


def _smooth_l1(d, beta: float):
    a = np.abs(d)
    if beta == 0:
        return a
    return np.where(a < beta, (0.5 / beta) * d * d, a - 0.5 * beta)


def _smooth_l1_grad(d, beta: float):
    if beta == 0:
        return np.sign(d)
    return np.where(np.abs(d) < beta, d * (1.0 / beta), np.sign(d))


def _huber(d, delta: float):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _huber_grad(d, delta: float):
    return np.clip(d, -delta, delta)


SQUARED = _of_difference(lambda d: d * d, lambda d: 2 * d)
HALF_SQUARED = _of_difference(lambda d: 0.5 * d * d, lambda d: d)
ABSOLUTE = _of_difference(np.abs, np.sign)
SMOOTH_L1 = _of_difference(_smooth_l1, _smooth_l1_grad)
HUBER = _of_difference(_huber, _huber_grad)


def _bce(x, t):
    """-(t log x + (1 - t) log(1 - x)), each log clamped at -100 as in PyTorch."""
    with np.errstate(divide="ignore"):
        return -(t * np.maximum(np.log(x), -100.0) + (1 - t) * np.maximum(np.log1p(-x), -100.0))


def _bce_partials(x, t, need_x, need_t):
    dx = dt = None
    if need_x:
        dx = (x - t) / np.maximum((1 - x) * x, 1e-12)
    if need_t:
        with np.errstate(divide="ignore"):
            dt = np.log1p(-x) - np.log(x)
    return dx, dt


BINARY_CROSS_ENTROPY = Pointwise(_bce, _bce_partials)


def _softplus_neg(x):
    """log(1 + exp(-x)), stable for any x."""
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _bce_logits(x, t, pos_weight=None):
    """(1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)): BCE of sigmoid(x), stable for any x."""
    lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
    return (1 - t) * x + lw * _softplus_neg(x)


def _bce_logits_partials(x, t, need_x, need_t, pos_weight=None):
    sp = _softplus_neg(x)
    dx = dt = None
    if need_x:
        sig = np.exp(-sp)
        dx = sig - t if pos_weight is None else (1 + (pos_weight - 1) * t) * sig - pos_weight * t
    if need_t:
        dt = -x if pos_weight is None else (pos_weight - 1) * sp - x
    return dx, dt


BINARY_CROSS_ENTROPY_WITH_LOGITS = Pointwise(_bce_logits, _bce_logits_partials)
