"""``batch_norm`` and ``layer_norm`` as autograd operations over ``gradstep.kernels.batchnorm`` and
``gradstep.kernels.layernorm``."""

from __future__ import annotations

import numbers
from functools import partial

from ..._errors import ShapeError
from ...autograd import Function, Tensor
from ...kernels import batchnorm as kbn
from ...kernels import layernorm as kln
from ._args import check_input, check_same_dtype


class _NormFunction(Function):
    """The backward both norms share: the kernel's (dx, dgamma, dbeta), each only when needed.
    ``forward`` stores the kernel's backward, its own arguments bound, as ``ctx.kernel_backward``;
    a saved x_hat of None means the kernel recomputes it from x (``ctx.mean``)."""

    @staticmethod
    def backward(ctx, grad):
        x_hat, inv_std, gamma, x = ctx.saved_tensors
        recompute = {}
        if isinstance(grad, Tensor):  # building the gradient's graph: the forward's x_hat and
            x_hat, inv_std = ctx.standardize(x)  # 1/std again, as ops of x
        elif x_hat is None:
            recompute = {"x": x, "mean": ctx.mean}
        need_x, need_gamma, need_beta = ctx.needs_input_grad
        dx, dgamma, dbeta = ctx.kernel_backward(grad, x_hat, inv_std, gamma=gamma, need_x=need_x,
                                                need_affine=need_gamma or need_beta, **recompute)
        return dx, (dgamma if need_gamma else None), (dbeta if need_beta else None)


class BatchNormFunction(_NormFunction):
    """Batch norm of x with learnable (gamma, beta). In training the batch's statistics are used
    (the gradient flows through them) and ``running`` = (mean, var) arrays, if given, are updated
    in place; otherwise ``running`` holds the statistics to use."""

    @staticmethod
    def forward(ctx, x, gamma, beta, running, training, momentum, eps):
        if training:
            y, x_hat, inv_std, mean, var = kbn.batch_norm_train(x, gamma, beta, eps, keep_x_hat=False)
            if running is not None:
                kbn.update_running_stats(*running, mean, var, x.size // x.shape[1], momentum)
            ctx.standardize = lambda x: kbn.batch_norm_train(x, None, None, eps)[1:3]
        else:
            stats = tuple(r.copy() for r in running)
            y, x_hat, inv_std = kbn.batch_norm_eval(x, *stats, gamma, beta, eps, keep_x_hat=False)
            mean = stats[0]
            ctx.standardize = lambda x: kbn.batch_norm_eval(x, *stats, None, None, eps)[1:3]
        ctx.mean = mean
        ctx.save_for_backward(x_hat, inv_std, gamma, x)
        ctx.kernel_backward = partial(kbn.batch_norm_backward, batch_stats=training)
        return y


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of an (N, C, *) input, as ``torch.nn.functional.batch_norm``.

    In training the batch's statistics are used and, when given, ``running_mean`` and
    ``running_var`` are updated in place: ``running = (1 - momentum) * running + momentum *
    batch``, with the unbiased batch variance. Otherwise the running statistics are used.
    """
    check_input("batch_norm", input, (2, 3, 4, 5))
    check_same_dtype("batch_norm", input, weight=weight, bias=bias, running_mean=running_mean,
                     running_var=running_var)
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"batch_norm: {name} must have shape ({c},) for an input with {c} channels "
                             f"(shape {tuple(input.shape)}), got {tuple(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    running = None if running_mean is None else (running_mean._data, running_var._data)
    if not training and running is None:
        raise ValueError("batch_norm: running_mean and running_var are required when training=False")
    if training and input.numel() // max(c, 1) < 2:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input "
                         f"of shape {tuple(input.shape)}")
    out = BatchNormFunction.apply(input, weight, bias, running=running, training=bool(training),
                                  momentum=float(momentum), eps=float(eps))
    if training and running is not None:
        running_mean._version += 1
        running_var._version += 1
    return out


class LayerNormFunction(_NormFunction):
    """Layer norm of x over its last ``k`` axes with elementwise (gamma, beta)."""

    @staticmethod
    def forward(ctx, x, gamma, beta, k, eps):
        y, x_hat, inv_std = kln.layer_norm_forward(x, k, gamma, beta, eps)
        ctx.save_for_backward(x_hat, inv_std, gamma, x)
        ctx.standardize = lambda x: kln.layer_norm_forward(x, k, None, None, eps)[1:]
        ctx.kernel_backward = partial(kln.layer_norm_backward, k=k)
        return y


def normalized_shape_tuple(normalized_shape) -> tuple:
    """An int or a sequence of ints as a tuple of positive ints."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    shape = tuple(normalized_shape)
    if not shape or not all(isinstance(s, numbers.Integral) and s > 0 for s in shape):
        raise ValueError(f"normalized_shape must be a positive int or a non-empty sequence of them, "
                         f"got {normalized_shape!r}")
    return tuple(int(s) for s in shape)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes, as ``torch.nn.functional.layer_norm``."""
    shape = normalized_shape_tuple(normalized_shape)
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm: input must be a Tensor, got {type(input).__name__}")
    check_input("layer_norm", input, tuple(range(len(shape), len(shape) + 8)))
    check_same_dtype("layer_norm", input, weight=weight, bias=bias)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ShapeError(f"layer_norm: given normalized_shape={list(shape)}, expected an input of shape "
                         f"[*, {', '.join(map(str, shape))}], got {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"layer_norm: {name} must have shape {shape}, got {tuple(t.shape)}")
    return LayerNormFunction.apply(input, weight, bias, k=len(shape), eps=float(eps))


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its own positions, then scale and shift per channel,
    as ``torch.nn.functional.instance_norm`` (running statistics are not supported)."""
    if running_mean is not None or running_var is not None or not use_input_stats:
        raise ValueError("instance_norm: running statistics are not supported; use the input's statistics")
    if not isinstance(input, Tensor) or input.ndim < 3:
        raise ShapeError(f"instance_norm expects (N, C, ...) input, got {getattr(input, 'shape', input)}")
    dims = tuple(range(2, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) / (var + eps).sqrt()
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out
