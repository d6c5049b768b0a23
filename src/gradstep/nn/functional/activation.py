"""Activation functions: ``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``sigmoid``, ``tanh``,
``softmax``, ``log_softmax``, with PyTorch's arguments (including ``inplace``)."""

from __future__ import annotations

import warnings

from ... import _dtype
from ...autograd import ops
from ...autograd.function import Function
from ...autograd.tensor import Tensor
from ...kernels import activation as kact


def _check(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a gradstep Tensor, got "
                        f"{type(input).__name__}")


def _maybe_inplace(input: Tensor, fn, inplace: bool) -> Tensor:
    """``fn(input)``, or, with ``inplace``, ``input`` made to hold it (values and graph position,
    as PyTorch's in-place activations; a leaf that requires grad is refused)."""
    if not inplace:
        return fn(input)
    if input._records_inplace():
        return input._rebase(fn(input._shadow()))
    input._data[...] = fn(input)._data
    input._version += 1
    return input


class _Pointwise(Function):
    """An activation y = f(x) whose backward needs x: the kernel pair is passed as keywords."""

    @staticmethod
    def forward(ctx, x, *, f, df, **params):
        ctx.save_for_backward(x)
        ctx.df, ctx.params = df, params
        return f(x, **params)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return ctx.df(grad, x, **ctx.params)


class _Gelu(Function):
    @staticmethod
    def forward(ctx, x, approximate):
        out, cdf = kact.gelu(x, approximate)
        ctx.save_for_backward(x, cdf)
        ctx.approximate = approximate
        return out

    @staticmethod
    def backward(ctx, grad):
        x, cdf = ctx.saved_tensors
        if isinstance(grad, Tensor) and ctx.approximate != "tanh":  # Phi(x) as an op of x
            cdf = kact.normal_cdf(x, erf=Erf.apply)
        return kact.gelu_backward(grad, x, ctx.approximate, cdf), None


class Erf(Function):
    """erf(x), for GELU's Phi when its gradient's graph is built."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kact.erf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return kact.erf_backward(grad, x)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x)."""
    _check(input, "relu")
    return _maybe_inplace(input, ops.Relu.apply, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    _check(input, "leaky_relu")
    slope = float(negative_slope)
    return _maybe_inplace(input, lambda x: _Pointwise.apply(x, f=kact.leaky_relu, df=kact.leaky_relu_backward,
                                                           negative_slope=slope), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    _check(input, "elu")
    alpha = float(alpha)
    return _maybe_inplace(input, lambda x: _Pointwise.apply(x, f=kact.elu, df=kact.elu_backward, alpha=alpha),
                          inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi: the standard normal CDF), or its tanh approximation with
    ``approximate="tanh"``."""
    _check(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _Gelu.apply(input, approximate)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    _check(input, "sigmoid")
    return ops.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    _check(input, "tanh")
    return ops.Tanh.apply(input)


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input: Tensor, dim, dtype, name: str):
    _check(input, name)
    if dtype is not None:
        input = input.to(_dtype.as_dtype(dtype))
    if dim is None:
        dim = _softmax_dim(name, input.dim())
    return input, dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed stably (shifted by the maximum)."""
    input, dim = _softmax_input(input, dim, dtype, "softmax")
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably."""
    input, dim = _softmax_input(input, dim, dtype, "log_softmax")
    return input.log_softmax(dim)


def relu_(input: Tensor) -> Tensor:
    """relu in place."""
    return relu(input, inplace=True)
