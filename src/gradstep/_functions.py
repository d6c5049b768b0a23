"""The function forms of Tensor methods in the ``gradstep`` namespace (``gradstep.exp(x)``, ...)."""

from __future__ import annotations

import numpy as np

from ._dtype import get_default_dtype
from .autograd.more_math import bmm, dot, mv, outer
from .autograd.tensor import Tensor
from .autograd.tensor_math import _as_tensor_like, cat, matmul, maximum, minimum, stack, where

__all__ = ["exp", "log", "sqrt", "rsqrt", "square", "abs", "sin", "cos", "tanh", "sigmoid", "relu",
           "clamp", "clip", "maximum", "minimum", "where", "sum", "mean", "var", "std", "max", "min",
           "argmax", "argmin", "logsumexp", "reshape", "flatten", "squeeze", "unsqueeze",
           "transpose", "permute", "cat", "concat", "concatenate", "stack", "softmax", "log_softmax",
           "matmul", "mm", "add", "sub", "mul", "div", "pow", "neg", "eq", "ne", "lt", "le", "gt",
           "ge", "isnan", "isinf", "isfinite", "sign", "all", "any", "allclose", "equal", "clone",
           "detach", "masked_fill", "sinh", "cosh", "tan", "atan", "arctan", "log1p", "expm1", "log2",
           "log10", "exp2", "reciprocal", "cumsum", "split", "tensor_split", "chunk", "unbind",
           "narrow", "dot", "mv", "outer", "ger", "bmm", "swapaxes"]


def _t(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return _as_tensor_like(x, Tensor._make(np.zeros((), get_default_dtype())))


def exp(input):
    return _t(input).exp()


def log(input):
    return _t(input).log()


def sqrt(input):
    return _t(input).sqrt()


def rsqrt(input):
    return _t(input).rsqrt()


def square(input):
    return _t(input).square()


def abs(input):
    return _t(input).abs()


def sin(input):
    return _t(input).sin()


def cos(input):
    return _t(input).cos()


def tanh(input):
    return _t(input).tanh()


def sigmoid(input):
    return _t(input).sigmoid()


def relu(input):
    return _t(input).relu()


def sinh(input):
    return _t(input).sinh()


def cosh(input):
    return _t(input).cosh()


def tan(input):
    return _t(input).tan()


def atan(input):
    return _t(input).atan()


arctan = atan


def log1p(input):
    return _t(input).log1p()


def expm1(input):
    return _t(input).expm1()


def log2(input):
    return _t(input).log2()


def log10(input):
    return _t(input).log10()


def exp2(input):
    return _t(input).exp2()


def reciprocal(input):
    return _t(input).reciprocal()


def clamp(input, min=None, max=None):
    return _t(input).clamp(min, max)


clip = clamp


def sum(input, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    return _t(input).sum(dim, keepdim, dtype, axis=axis, keepdims=keepdims)


def mean(input, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    return _t(input).mean(dim, keepdim, dtype, axis=axis, keepdims=keepdims)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    return _t(input).var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    return _t(input).std(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).max(dim, keepdim, axis=axis, keepdims=keepdims)


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).min(dim, keepdim, axis=axis, keepdims=keepdims)


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).argmax(dim, keepdim, axis=axis, keepdims=keepdims)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).argmin(dim, keepdim, axis=axis, keepdims=keepdims)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).logsumexp(dim, keepdim, axis=axis, keepdims=keepdims)


def reshape(input, shape):
    return _t(input).reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return _t(input).flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return _t(input).squeeze(dim)


def unsqueeze(input, dim):
    return _t(input).unsqueeze(dim)


def transpose(input, dim0, dim1):
    return _t(input).transpose(dim0, dim1)


swapaxes = transpose


def permute(input, dims):
    return _t(input).permute(dims)


concat = concatenate = cat


def softmax(input, dim):
    return _t(input).softmax(dim)


def log_softmax(input, dim):
    return _t(input).log_softmax(dim)


mm = matmul


def add(input, other, *, alpha=1):
    return _t(input) + (other * alpha if alpha != 1 else other)


def sub(input, other, *, alpha=1):
    return _t(input) - (other * alpha if alpha != 1 else other)


def mul(input, other):
    return _t(input) * other


def div(input, other):
    return _t(input) / other


def pow(input, exponent):
    if isinstance(input, Tensor):
        return input ** exponent
    return _t(exponent).__rpow__(input)


def neg(input):
    return -_t(input)


def eq(input, other):
    return _t(input) == other


def ne(input, other):
    return _t(input) != other


def lt(input, other):
    return _t(input) < other


def le(input, other):
    return _t(input) <= other


def gt(input, other):
    return _t(input) > other


def ge(input, other):
    return _t(input) >= other


def isnan(input):
    return _t(input).isnan()


def isinf(input):
    return _t(input).isinf()


def isfinite(input):
    return _t(input).isfinite()


def sign(input):
    return _t(input).sign()


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).all(dim, keepdim, axis=axis, keepdims=keepdims)


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).any(dim, keepdim, axis=axis, keepdims=keepdims)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.allclose(_t(input)._data, _t(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    a, b = _t(input), _t(other)
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


def clone(input):
    return _t(input).clone()


def detach(input):
    return _t(input).detach()


def masked_fill(input, mask, value):
    return _t(input).masked_fill(mask, value)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    return _t(input).cumsum(dim, dtype=dtype, axis=axis)


def split(tensor, split_size_or_sections, dim=0):
    return _t(tensor).split(split_size_or_sections, dim)


def tensor_split(input, indices_or_sections, dim=0):
    return _t(input).tensor_split(indices_or_sections, dim)


def chunk(input, chunks, dim=0):
    return _t(input).chunk(chunks, dim)


def unbind(input, dim=0):
    return _t(input).unbind(dim)


def narrow(input, dim, start, length):
    return _t(input).narrow(dim, start, length)


ger = outer
