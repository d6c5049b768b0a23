"""The primitive differentiable operations.

Each forward saves what its backward needs; each backward reads like the derivative. Composite
operations (``std``, ``flatten``, ...) are built from these in ``tensor.py`` and need no backward
of their own.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import activation as kact
from ..kernels import softmax as ksoftmax
from ..kernels.broadcast import unbroadcast
from ..kernels.parallel import matmul
from .function import Function, call, value
from .tensor import Tensor


def _shape(x):
    return np.shape(x)


def _as_array(x):
    """An indexing result as an array (NumPy gives a scalar for one element); tensors stay."""
    return x if hasattr(x, "shape") else np.asarray(x)


# --------------------------------------------------------------------------- arithmetic

class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return np.add(a, b)

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (unbroadcast(grad, sa) if na else None), (unbroadcast(grad, sb) if nb else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (unbroadcast(grad, sa) if na else None), (unbroadcast(-grad, sb) if nb else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        # d(ab)/da = b, d(ab)/db = a
        return (unbroadcast(grad * b, _shape(a)) if na else None,
                unbroadcast(grad * a, _shape(b)) if nb else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.true_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        gb = grad / b
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        return (unbroadcast(gb, _shape(a)) if na else None,
                unbroadcast(-gb * a / b, _shape(b)) if nb else None)


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        integers = np.asarray(a).dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu"
        if integers and np.any(np.less(b, 0)):
            raise ValueError("integers to negative integer powers are not allowed (as in PyTorch); "
                             "make the base a float tensor first: x.float() ** n")
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        # d(a^b)/da = b a^(b-1) (0 where b == 0, as PyTorch), d(a^b)/db = a^b log(a)
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if na:
                ga = grad * b * np.power(a, b - 1)
                if np.any(np.equal(b, 0)):
                    ga = np.where(np.equal(b, 0), np.zeros((), ga.dtype), ga)
                ga = unbroadcast(ga, _shape(a))
            if nb:
                gb = grad * out * np.log(a)
                gb = unbroadcast(np.where((a == 0) & (b >= 0), np.zeros((), out.dtype), gb), _shape(b))
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (grad * b if na else None), (grad * a if nb else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        # d(AB)/dA = G B^T, d(AB)/dB = A^T G
        ga = gb = None
        if na:
            ga = unbroadcast(matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape)
            ga = ga.reshape(a.shape)
        if nb:
            gb = unbroadcast(matmul(np.swapaxes(a2, -1, -2), g2), b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb


# --------------------------------------------------------------------------- elementwise

class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # 1/0 is inf, as in PyTorch, silently
            return grad / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # 1/0 is inf, as in PyTorch, silently
            return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.sign(a)


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad * np.sin(a)


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx, a):
        out, mask = kact.relu(a)
        ctx.save_for_backward(mask)
        return out

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return kact.relu_backward(grad, mask)


class Clamp(Function):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return grad * mask, None, None


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = map(value, ctx.saved_tensors)
        # the larger operand takes the gradient; ties share it equally (as PyTorch does)
        wa = (a > b) + 0.5 * (a == b)
        return _split_by_weight(grad, wa, a, b, ctx.needs_input_grad)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = map(value, ctx.saved_tensors)
        wa = (a < b) + 0.5 * (a == b)
        return _split_by_weight(grad, wa, a, b, ctx.needs_input_grad)


def _split_by_weight(grad, wa, a, b, needs):
    wa = wa.astype(grad.dtype, copy=False)
    ga = unbroadcast(grad * wa, _shape(a)) if needs[0] else None
    gb = unbroadcast(grad * (1 - wa), _shape(b)) if needs[1] else None
    return ga, gb


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (_shape(a), _shape(b))
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        ga = unbroadcast(np.where(cond, grad, zero), ctx.shapes[0]) if na else None
        gb = unbroadcast(np.where(cond, zero, grad), ctx.shapes[1]) if nb else None
        return None, ga, gb


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return (grad.to(ctx.src) if isinstance(grad, Tensor) else grad.astype(ctx.src)), None


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


# --------------------------------------------------------------------------- reductions

def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape = a.shape
        ctx.axes = axes
        out = np.sum(a, axis=axes, keepdims=keepdim)
        if a.dtype.kind in "bu" or (a.dtype.kind == "i" and a.dtype != np.int64):
            out = np.asarray(out, dtype=np.int64)
        return out

    @staticmethod
    def backward(ctx, grad):
        axes = range(len(ctx.shape)) if ctx.axes is None else ctx.axes
        g = grad.reshape(_keepdim_shape(ctx.shape, axes))
        return np.broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape = a.shape
        ctx.axes = axes
        ctx.count = a.size if axes is None else math.prod(a.shape[i] for i in axes)
        if ctx.count == 0:  # the mean of nothing is nan, as in PyTorch, without NumPy's warning
            return np.full(np.sum(a, axis=axes, keepdims=keepdim).shape, np.nan, dtype=a.dtype)
        return np.mean(a, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        axes = range(len(ctx.shape)) if ctx.axes is None else ctx.axes
        g = grad.reshape(_keepdim_shape(ctx.shape, axes)) / max(ctx.count, 1)
        return np.broadcast_to(g, ctx.shape), None, None


class Var(Function):
    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        count = a.size if axes is None else math.prod(a.shape[i] for i in axes)
        diff = a - a.mean(axis=axes, keepdims=True)
        denom = max(count - correction, 0)
        ctx.save_for_backward(a, diff)
        ctx.axes = axes
        ctx.denom = denom
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray((diff * diff).sum(axis=axes, keepdims=keepdim) / denom, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        a, diff = ctx.saved_tensors
        if isinstance(grad, Tensor):  # building the gradient's graph: diff as ops of a
            diff = a - np.mean(a, axis=ctx.axes, keepdims=True)
        axes = range(diff.ndim) if ctx.axes is None else ctx.axes
        g = grad.reshape(_keepdim_shape(diff.shape, axes))
        # d var / d x_i = 2 (x_i - mean) / (N - correction)
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * diff * (2 / ctx.denom if ctx.denom else np.inf), None, None, None


class MaxAll(Function):
    """max() or min() over every element; ties share the gradient equally."""

    @staticmethod
    def forward(ctx, a, largest):
        out = a.max() if largest else a.min()
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        mask = a == out
        return grad * mask / int(mask.sum()), None


class MaxDim(Function):
    """max(dim) or min(dim): the gradient goes to the element each index points at."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, largest):
        idx = np.expand_dims(a.argmax(axis=axis) if largest else a.argmin(axis=axis), axis)
        values = np.take_along_axis(a, idx, axis=axis)
        ctx.shape = a.shape
        ctx.idx_shape = idx.shape
        where = list(np.indices(idx.shape, sparse=True))
        where[axis] = idx
        ctx.where = tuple(where)  # the chosen elements as an advanced index: a[where] == values
        ctx.indices = idx if keepdim else np.squeeze(idx, axis)
        return values if keepdim else np.squeeze(values, axis)

    @staticmethod
    def backward(ctx, grad):
        return call(Scatter, grad.reshape(ctx.idx_shape), ctx.shape, ctx.where, False), None, None, None


# --------------------------------------------------------------------------- shape

class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims)), None


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape), None


class Index(Function):
    @staticmethod
    def forward(ctx, a, index, basic):
        ctx.shape = a.shape
        ctx.index = index
        ctx.basic = basic
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return call(Scatter, grad, ctx.shape, ctx.index, ctx.basic), None, None


class Scatter(Function):
    """Zeros of ``shape`` with ``values`` added at ``index``: the adjoint of indexing (its backward
    is indexing again)."""

    @staticmethod
    def forward(ctx, values, shape, index, basic):
        ctx.index = index
        g = np.zeros(shape, dtype=values.dtype)
        if basic:
            g[index] = values
        else:
            np.add.at(g, index, values)  # repeated indices accumulate
        return g

    @staticmethod
    def backward(ctx, grad):
        return _as_array(grad[ctx.index]), None, None, None


class IndexPut(Function):
    """``out = a.copy(); out[index] = v``: what ``a[index] = v`` records under autograd."""

    @staticmethod
    def forward(ctx, a, v, index):
        ctx.index = index
        ctx.vshape = _shape(v)
        out = a.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, grad):
        ga = gv = None
        if ctx.needs_input_grad[0]:
            written = np.zeros(grad.shape, dtype=bool)
            written[ctx.index] = True
            ga = np.where(written, np.zeros((), grad.dtype), grad)
        if ctx.needs_input_grad[1]:
            gv = unbroadcast(_as_array(grad[ctx.index]), ctx.vshape)
        return ga, gv, None


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


# --------------------------------------------------------------------------- softmax

class Softmax(Function):
    @staticmethod
    def forward(ctx, a, axis):
        out = ksoftmax.softmax(a, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return ksoftmax.softmax_backward(grad, out, ctx.axis), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, a, axis):
        out = ksoftmax.log_softmax(a, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return ksoftmax.log_softmax_backward(grad, out, ctx.axis), None
