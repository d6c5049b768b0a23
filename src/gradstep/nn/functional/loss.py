"""Loss functions with PyTorch's signatures and ``reduction='mean'|'sum'|'none'``.

``cross_entropy`` and ``nll_loss`` are fused nodes over ``kernels.loss``; the pointwise losses
(``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``, ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``, ``l2_loss``) share one node driven by a kernel pair.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..._errors import ShapeError
from ...autograd.function import Function
from ...autograd.tensor import Tensor
from ...autograd.tensor_math import where
from ...kernels import loss as kloss
from ...kernels.broadcast import unbroadcast


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    """The reduction, from PyTorch's deprecated ``size_average``/``reduce`` when either is given."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use reduction='mean' "
                      "(or 'sum', 'none') instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return ("mean" if size_average else "sum") if reduce else "none"
    if reduction not in kloss.REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected 'mean', 'sum' "
                         f"or 'none'")
    return reduction


def _tensor(x, name: str, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: {what} must be a gradstep Tensor, got {type(x).__name__}")
    return x


def _floating_input(input, name: str) -> Tensor:
    _tensor(input, name, "input")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")
    return input


def _weight_array(weight, like: Tensor):
    """``weight`` as an array of the input's dtype (None stays None)."""
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    return w.astype(like.dtype, copy=False)


# --------------------------------------------------------------------------- class losses

class _ClassLoss(Function):
    """Cross-entropy or NLL over the class dim (dim 1, or dim 0 of an unbatched (C,) input)."""

    @staticmethod
    def forward(ctx, x, target, weight, *, log_probs, ignore_index, label_smoothing, reduction):
        rows = kloss.classes_last(x)
        soft = target.dtype.kind == "f"
        trows = kloss.classes_last(target) if soft else target.reshape(-1)
        if log_probs:  # x already holds log-probabilities: plain NLL
            losses, denom, saved = kloss.nll(rows, trows, weight, ignore_index)
        else:
            losses, denom, saved = kloss.cross_entropy(rows, trows, weight, ignore_index, label_smoothing)
        batch_shape = (x.shape[:1] + x.shape[2:]) if x.ndim > 1 else ()
        ctx.saved = saved
        ctx.save_for_backward(x, target)
        ctx.log_probs, ctx.reduction, ctx.denom = log_probs, reduction, denom
        ctx.x_shape, ctx.batch_shape, ctx.rows_shape = x.shape, batch_shape, rows.shape
        return kloss.reduce(losses.reshape(batch_shape), reduction, denom)

    @staticmethod
    def backward(ctx, grad):
        r = kloss.reduce_backward(grad, ctx.reduction, ctx.denom, ctx.batch_shape)
        if r.ndim:
            r = r.reshape(-1)
        if ctx.log_probs:
            dx_rows, dt_rows = kloss.nll_backward(r, ctx.saved, ctx.rows_shape, grad.dtype), None
        else:
            saved = ctx.saved
            if isinstance(grad, Tensor):  # building the gradient's graph: the values
                saved = _saved_on_tensors(saved, *ctx.saved_tensors)  # forward kept, as ops of x
            dx_rows, dt_rows = kloss.cross_entropy_backward(r, saved, ctx.needs_input_grad[1])
        dx = kloss.classes_back(dx_rows, ctx.x_shape) if ctx.needs_input_grad[0] else None
        dt = None if dt_rows is None else kloss.classes_back(dt_rows, ctx.x_shape)
        return dx, dt, None


def _saved_on_tensors(saved: kloss.CrossEntropySaved, x, target) -> kloss.CrossEntropySaved:
    """What cross-entropy's forward saved, recomputed from the input tensor x (and a soft target)
    so that the backward's result depends on them: softmax as exps / 1, log-softmax."""
    rows = kloss.classes_last(x)
    soft = saved.target.dtype.kind == "f"
    return saved._replace(exps=rows.softmax(1), sums=1.0,
                          logp=None if saved.logp is None else rows.log_softmax(1),
                          target=kloss.classes_last(target) if soft else saved.target)


def _class_loss(name, input, target, weight, ignore_index, reduction, label_smoothing, log_probs):
    _floating_input(input, name)
    _tensor(target, name, "target")
    shape = input._data.shape  # plain tuples: these checks run at every step
    if not shape:
        raise ShapeError(f"{name}: input must have a class dimension, got a 0-d tensor")
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    batch_shape = (shape[:1] + shape[2:]) if len(shape) > 1 else ()
    kind = target._data.dtype.kind
    if kind == "f":
        if log_probs:
            raise TypeError(f"{name}: target must hold class indices (an integer tensor), got dtype "
                            f"{target.dtype}")
        if target.shape != input.shape:
            raise ShapeError(f"{name}: a floating point target holds class probabilities and must "
                             f"have the input's shape {input.shape}, got {target.shape}; for class "
                             f"indices of shape {batch_shape} use an integer tensor (target.long())")
        target = target.to(input.dtype)
    elif kind in "iu":
        if target._data.shape != batch_shape:
            raise ShapeError(f"{name}: expected class-index target of shape {batch_shape} for input "
                             f"of shape {input.shape}, got {target.shape}")
    else:
        raise TypeError(f"{name}: target must be integer class indices or floating point class "
                        f"probabilities, got dtype {target.dtype}")
    w = _weight_array(weight, input)
    if w is not None and w.shape != (n_classes,):
        raise ShapeError(f"{name}: weight must have one entry per class, shape ({n_classes},), got "
                         f"{w.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    return _ClassLoss.apply(input, target, w, log_probs=log_probs, ignore_index=int(ignore_index),
                            label_smoothing=float(label_smoothing), reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of unnormalised scores ``input`` (N, C) or (N, C, d1, ...) or (C,).

    ``target``: class indices (N,) / (N, d1, ...) as an integer tensor, or class probabilities of
    the input's shape. Fused (log-softmax and NLL in one node) and stable for any finite scores.
    Labels outside [0, C) other than ``ignore_index`` raise an error naming the label.
    """
    return _class_loss("cross_entropy", input, target, weight, ignore_index,
                       _reduction(reduction, size_average, reduce), label_smoothing, False)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (e.g. from ``log_softmax``)."""
    return _class_loss("nll_loss", input, target, weight, ignore_index,
                       _reduction(reduction, size_average, reduce), 0.0, True)


# --------------------------------------------------------------------------- pointwise losses

class _PointwiseLoss(Function):
    """sum / mean / none of weight * l(x, t) for a ``kloss.Pointwise`` kernel l."""

    @staticmethod
    def forward(ctx, x, t, weight, *, kernel, reduction, params):
        losses = kernel.value(x, t, **params)
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(x, t, weight)
        ctx.kernel, ctx.reduction, ctx.params, ctx.shape = kernel, reduction, params, losses.shape
        return kloss.reduce(losses, reduction, losses.size)

    @staticmethod
    def backward(ctx, grad):
        x, t, weight = ctx.saved_tensors
        nx, nt, _ = ctx.needs_input_grad
        g = kloss.reduce_backward(grad, ctx.reduction, int(np.prod(ctx.shape)), ctx.shape)
        if weight is not None:
            g = g * weight
        dx, dt = ctx.kernel.partials(x, t, nx, nt, **ctx.params)
        return (unbroadcast(g * dx, x.shape) if nx else None,
                unbroadcast(g * dt, t.shape) if nt else None, None)


def _check_broadcasts_to(name: str, label: str, array: np.ndarray, shape: tuple) -> None:
    """Raise ShapeError unless ``array`` broadcasts to the loss's ``shape`` (without growing it)."""
    try:
        ok = np.broadcast_shapes(array.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{name}: {label} of shape {array.shape} does not broadcast to the loss's "
                         f"shape {shape}")


def _pointwise(name: str, kernel, input, target, reduction: str, weight=None, strict_shape=False,
               **params) -> Tensor:
    _floating_input(input, name)
    _tensor(target, name, "target")
    if target.shape != input.shape:
        if strict_shape:
            raise ShapeError(f"{name}: Using a target size ({target.shape}) that is different to the "
                             f"input size ({input.shape}) is deprecated. Please ensure they have the "
                             f"same size.")
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ShapeError(f"{name}: input of shape {input.shape} and target of shape "
                             f"{target.shape} do not broadcast together") from None
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    w = _weight_array(weight, input) if isinstance(weight, (Tensor, np.ndarray)) else weight
    shape = np.broadcast_shapes(input.shape, target.shape)
    for label, array in (("weight", w), *params.items()):  # weight, pos_weight
        if isinstance(array, np.ndarray):
            _check_broadcasts_to(name, label, array, shape)
    return _PointwiseLoss.apply(input, target, w, kernel=kernel, reduction=reduction, params=params)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced."""
    return _pointwise("mse_loss", kloss.SQUARED, input, target, _reduction(reduction, size_average, reduce))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """|input - target|, reduced."""
    return _pointwise("l1_loss", kloss.ABSOLUTE, input, target, _reduction(reduction, size_average, reduce))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    return _pointwise("smooth_l1_loss", kloss.SMOOTH_L1, input, target,
                      _reduction(reduction, size_average, reduce), beta=float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got {delta}")
    return _pointwise("huber_loss", kloss.HUBER, input, target, _reduction(reduction), delta=float(delta))


def l2_loss(input: Tensor, target: Tensor, weight: float = 1.0, reduction: str = "mean") -> Tensor:
    """MXNet Gluon's L2 loss: weight / 2 * (input - target)^2, reduced as PyTorch's losses are.

    See ``nn.L2Loss`` for how the reductions relate to Gluon's per-sample losses.
    """
    return _pointwise("l2_loss", kloss.HALF_SQUARED, input, target, _reduction(reduction),
                      weight=None if weight == 1 else float(weight))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1]; logs clamped at -100."""
    _floating_input(input, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1 or np.isnan(x).any()):
        raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1 "
                         f"(got values in [{x.min()}, {x.max()}]); use binary_cross_entropy_with_logits "
                         f"for unnormalised scores")
    return _pointwise("binary_cross_entropy", kloss.BINARY_CROSS_ENTROPY, input, target,
                      _reduction(reduction, size_average, reduce), weight, strict_shape=True)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed stably from the logits; ``pos_weight``
    (broadcast over the last dim) scales the loss of positive targets."""
    pw = _weight_array(pos_weight, input)
    return _pointwise("binary_cross_entropy_with_logits", kloss.BINARY_CROSS_ENTROPY_WITH_LOGITS, input,
                      target, _reduction(reduction, size_average, reduce), weight, strict_shape=True,
                      pos_weight=pw)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target * (log(target) - input) (0 where target is 0), with
    ``input`` log-probabilities; ``reduction='batchmean'`` divides the sum by the batch size."""
    if reduction == "batchmean":
        red = "batchmean"
    else:
        red = _reduction(reduction, size_average, reduce)
    if red == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support "
                      "size. 'batchmean' divides only by the batch size, and aligns with the KL div math "
                      "definition.", UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe = target.clamp(min=np.finfo(target.dtype).tiny) if target.dtype.kind == "f" else target
        loss = where(target > 0, target * (safe.log() - input), 0.0)
    if red == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, red)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    red = _reduction(reduction, size_average, reduce)
    eps = 1e-12  # PyTorch's, under the square root of each squared norm
    cos = (input1 * input2).sum(-1) / ((input1 * input1).sum(-1) + eps).sqrt() / (
        (input2 * input2).sum(-1) + eps).sqrt()
    loss = where(target == 1, 1 - cos, (cos - margin).clamp(min=0.0))
    return _reduce(loss, red)
