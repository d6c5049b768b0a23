"""Primitive operations of the wider torch API (hyperbolic and other elementwise functions whose
composites would lose precision, and the running sum). Written like those in ``ops``: a forward
on arrays that saves what the backward needs, and a backward that reads like the derivative.
"""

from __future__ import annotations

import numpy as np

from ..kernels.broadcast import unbroadcast
from .function import Function, call, value
from .tensor import Tensor
from .tensor_math import where


class Sinh(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.cosh(a)


class Cosh(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.sinh(a)


class Tan(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.tan(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 + out * out)


class Atan(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (1 + a * a)


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # 1/0 is inf, as in PyTorch, silently
            return grad / (1 + a)


class Expm1(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Cumsum(Function):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return np.cumsum(a, axis=axis, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        # d out_j / d a_i = 1 for j >= i: the gradient is the reversed running sum of grad
        axis = ctx.axis
        return np.flip(np.cumsum(np.flip(grad, axis), axis=axis), axis)


class Prod(Function):
    """Product over ``axis`` (None: all). The gradient of each factor is the product of the others,
    taken from running products on its left and right so that zeros are handled exactly."""

    @staticmethod
    def forward(ctx, a, axis, keepdim):
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdim = axis, keepdim
        return np.prod(a, axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        axis = ctx.axis
        x = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
        if isinstance(grad, Tensor):  # building the gradient's graph: the product of the others
            eye = np.eye(x.shape[-1], dtype=bool)  # as a product of x with a 1 in its own place,
            others = where(eye, 1.0, x[..., None, :]).prod(-1)  # again exact at zeros
        else:
            ones = np.ones_like(x[..., :1])
            left = np.cumprod(np.concatenate([ones, x[..., :-1]], -1), -1)
            right = np.flip(np.cumprod(np.concatenate([ones, np.flip(x[..., 1:], -1)], -1), -1), -1)
            others = left * right
        if axis is None:
            return np.reshape(grad, ()) * others.reshape(a.shape)
        g = grad if ctx.keepdim else np.expand_dims(grad, axis)
        return g * np.moveaxis(others, -1, axis)


class VectorNorm2(Function):
    """The 2-norm over ``axes``; its gradient at a zero vector is zero, as PyTorch's."""

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        out = np.sqrt(np.sum(a * a, axis=axes, keepdims=True))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else np.squeeze(out, axis=axes) if axes is not None else out.reshape(())

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if isinstance(grad, Tensor):  # building the gradient's graph: the norm as an op of a
            out = VectorNorm2.apply(a, ctx.axes, True)
        if not ctx.keepdim:
            grad = np.reshape(grad, out.shape)
        zero = value(out) == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(zero, np.zeros((), a.dtype), grad / np.where(zero, np.ones((), a.dtype), out))
        return a * scale


class IndexAdd(Function):
    """``out = a.copy(); out[index] += v`` with repeated positions adding up (``scatter_add``,
    ``index_add``)."""

    @staticmethod
    def forward(ctx, a, v, index):
        ctx.index = index
        out = a.copy()
        np.add.at(out, index, v)
        return out

    @staticmethod
    def backward(ctx, grad):
        gv = grad[ctx.index] if ctx.needs_input_grad[1] else None
        if isinstance(gv, np.generic):
            gv = np.asarray(gv)
        return grad, gv, None


class Atan2(Function):
    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / (x * x + y * y)
        ny, nx = ctx.needs_input_grad
        return (unbroadcast(scale * x, np.shape(y)) if ny else None,
                unbroadcast(-scale * y, np.shape(x)) if nx else None)


class Asin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # +-1 give inf, as in PyTorch
            return grad / np.sqrt(1 - a * a)


class Acos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -grad / np.sqrt(1 - a * a)


class Einsum(Function):
    """``np.einsum`` on explicit subscripts (``"ij,jk->ik"``, no ellipsis). The gradient of each
    operand is again an einsum: of the output's gradient with the other operands, onto the
    operand's subscripts (a letter only that operand has is broadcast back with ones; a repeated
    letter, a diagonal, is put back with identity matrices). Being an einsum, the backward is
    differentiable the same way."""

    @staticmethod
    def forward(ctx, *arrays, inputs, output):
        ctx.save_for_backward(*arrays)
        ctx.subs = (inputs, output)
        return np.einsum(",".join(inputs) + "->" + output, *arrays)

    @staticmethod
    def backward(ctx, grad):
        arrays = ctx.saved_tensors
        inputs, output = ctx.subs
        const = (lambda a: Tensor._make(a)) if isinstance(grad, Tensor) else (lambda a: a)
        grads = []
        for k, (need, sub) in enumerate(zip(ctx.needs_input_grad, inputs)):
            if not need:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(inputs, arrays)) if j != k]
            known = set(output).union(*[set(s) for s, _ in others])
            sizes = dict(zip(sub, np.shape(arrays[k])))
            dtype = np.asarray(arrays[k]).dtype if not isinstance(arrays[k], Tensor) else arrays[k].dtype
            ones = [(c, const(np.ones(sizes[c], dtype))) for c in dict.fromkeys(sub) if c not in known]
            # a letter repeated in the operand (a diagonal): later occurrences get fresh letters tied
            # to the first by an identity matrix
            fresh = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "".join(inputs) + output)
            renamed, deltas, seen = [], [], set()
            for c in sub:
                if c in seen:
                    f = next(fresh)
                    deltas.append((c + f, const(np.eye(sizes[c], dtype=dtype))))
                    renamed.append(f)
                else:
                    seen.add(c)
                    renamed.append(c)
            terms = [(output, grad), *others, *ones, *deltas]
            grads.append(call(Einsum, *[a for _, a in terms], inputs=tuple(s for s, _ in terms),
                              output="".join(renamed)))
        return tuple(grads)
