"""The differentiable math of ``Tensor`` (arithmetic, comparisons, elementwise functions,
reductions, shape and indexing) and the functions of several tensors (``matmul``, ``where``,
``cat``, ``stack``, ...), all built on the primitives in ``ops``.

``Tensor`` subclasses ``TensorMath``; this module is imported first and binds ``Tensor`` and
``ops`` at its end, once ``tensor.py`` has defined the class.
"""

from __future__ import annotations

import builtins
import numbers
from collections import namedtuple

import numpy as np

from .. import _dtype
from .._errors import ShapeError
from . import grad_mode

_grad_state = grad_mode._state

MaxResult = namedtuple("MaxResult", ["values", "indices"])

_SCALARS = (builtins.bool, builtins.int, builtins.float)


class TensorMath:
    """Mixin holding Tensor's math methods; see ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other):
        return _binop(ops.Add, self, other)

    def __radd__(self, other):  # self first, as PyTorch records it (grad_fn.next_functions order)
        return _binop(ops.Add, self, other)

    def __sub__(self, other):
        return _binop(ops.Sub, self, other)

    def __rsub__(self, other):
        return _binop(ops.Sub, self, other, True)

    def __mul__(self, other):
        return _binop(ops.Mul, self, other)

    def __rmul__(self, other):  # self first, as PyTorch records it (grad_fn.next_functions order)
        return _binop(ops.Mul, self, other)

    def __truediv__(self, other):
        return _binop(ops.Div, self, other, False, True)

    def __rtruediv__(self, other):
        return _binop(ops.Div, self, other, True, True)

    def __pow__(self, other):
        return _binop(ops.Pow, self, other)

    def __rpow__(self, other):
        return _binop(ops.Pow, self, other, True)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_as_tensor_like(other, self), self)

    def __neg__(self):
        if self._data.dtype.kind == "b":
            raise TypeError("negation of a bool tensor is not supported; use ~ (logical not)")
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __floordiv__(self, other):
        return _nograd_binop(np.floor_divide, self, other)

    def __mod__(self, other):
        return _nograd_binop(np.remainder, self, other)

    add = __add__
    sub = subtract = __sub__
    mul = multiply = __mul__
    div = divide = true_divide = __truediv__
    pow = __pow__
    neg = negative = __neg__

    def matmul(self, other):
        return matmul(self, other)

    mm = matmul

    # comparisons and logic (no gradient)
    def __eq__(self, other):  # type: ignore[override]
        return _nograd_binop(np.equal, self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _nograd_binop(np.not_equal, self, other)

    def __lt__(self, other):
        return _nograd_binop(np.less, self, other)

    def __le__(self, other):
        return _nograd_binop(np.less_equal, self, other)

    def __gt__(self, other):
        return _nograd_binop(np.greater, self, other)

    def __ge__(self, other):
        return _nograd_binop(np.greater_equal, self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __and__(self, other):
        return _nograd_binop(np.bitwise_and, self, other)

    def __or__(self, other):
        return _nograd_binop(np.bitwise_or, self, other)

    def __xor__(self, other):
        return _nograd_binop(np.bitwise_xor, self, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError(f"~ needs a bool or integer tensor, got {self.dtype}")
        return Tensor._make(np.invert(self._data))

    def logical_not(self):
        return Tensor._make(np.logical_not(self._data))

    def isnan(self):
        return Tensor._make(np.isnan(self._data))

    def isinf(self):
        return Tensor._make(np.isinf(self._data))

    def isfinite(self):
        return Tensor._make(np.isfinite(self._data))

    def sign(self):
        return Tensor._make(np.sign(self._data))

    def floor(self):
        return Tensor._make(np.floor(self._data))

    def ceil(self):
        return Tensor._make(np.ceil(self._data))

    def round(self):
        return Tensor._make(np.round(self._data))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return Tensor._make(np.all(self._data, axis=_dims(dim, self.ndim), keepdims=keepdim))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return Tensor._make(np.any(self._data, axis=_dims(dim, self.ndim), keepdims=keepdim))

    # ------------------------------------------------------------------ elementwise

    def exp(self):
        return ops.Exp.apply(_floating(self))

    def log(self):
        return ops.Log.apply(_floating(self))

    def sqrt(self):
        return ops.Sqrt.apply(_floating(self))

    def rsqrt(self):
        return 1 / self.sqrt()

    def square(self):
        return self * self

    def abs(self):
        return ops.Abs.apply(self)

    def sin(self):
        return ops.Sin.apply(_floating(self))

    def cos(self):
        return ops.Cos.apply(_floating(self))

    def tanh(self):
        return ops.Tanh.apply(_floating(self))

    def sigmoid(self):
        return ops.Sigmoid.apply(_floating(self))

    def relu(self):
        return ops.Relu.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max")
        for name, v in (("min", min), ("max", max)):
            if v is not None and not isinstance(v, numbers.Real):
                raise TypeError(f"clamp's {name} must be a number, got {type(v).__name__}")
        return ops.Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def softmax(self, dim: builtins.int):
        return ops.Softmax.apply(_floating(self), _dim(dim, self.ndim))

    def log_softmax(self, dim: builtins.int):
        return ops.LogSoftmax.apply(_floating(self), _dim(dim, self.ndim))

    def masked_fill(self, mask, value):
        return where(mask, _as_tensor_like(value, self).to(self.dtype), self)

    # ------------------------------------------------------------------ reductions

    def sum(self, dim=None, keepdim: builtins.bool = False, dtype=None, *, axis=None, keepdims=None):
        """Sum over ``dim`` (or all); ``axis``/``keepdims`` are PyTorch's NumPy-style aliases."""
        if axis is not None or keepdims is not None:
            dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        t = self.to(dtype) if dtype is not None else self
        return ops.Sum.apply(t, _dims(dim, self.ndim), keepdim)

    def mean(self, dim=None, keepdim: builtins.bool = False, dtype=None, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        t = self.to(dtype) if dtype is not None else self
        if t.dtype.kind != "f":
            raise TypeError(f"mean() needs a floating point tensor, got {t.dtype}; "
                            f"call .float() first or pass dtype=")
        return ops.Mean.apply(t, _dims(dim, self.ndim), keepdim)

    def var(self, dim=None, unbiased: builtins.bool | None = None, keepdim: builtins.bool = False, *,
            correction=None, axis=None, keepdims=None):
        """Variance; ``correction=1`` (the default, Bessel's) divides by N - 1."""
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        return ops.Var.apply(_floating(self), _dims(dim, self.ndim), correction, keepdim)

    def std(self, dim=None, unbiased: builtins.bool | None = None, keepdim: builtins.bool = False, *,
            correction=None, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def max(self, dim=None, keepdim: builtins.bool = False, *, axis=None, keepdims=None):
        """``max()``: the largest element; ``max(dim)``: ``(values, indices)``; ``max(other)``: maximum."""
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return _minmax(self, dim, keepdim, True)

    def min(self, dim=None, keepdim: builtins.bool = False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return _minmax(self, dim, keepdim, False)

    def argmax(self, dim=None, keepdim: builtins.bool = False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return _arg(self, dim, keepdim, np.argmax)

    def argmin(self, dim=None, keepdim: builtins.bool = False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return _arg(self, dim, keepdim, np.argmin)

    def logsumexp(self, dim=None, keepdim: builtins.bool = False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        if dim is None:
            raise TypeError("logsumexp() needs dim (the dimension(s) to reduce)")
        m = self.detach().max(dim, keepdim=True).values
        m = where(m.isfinite(), m, 0.0)
        out = (self - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dim)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape):
        shape = _size_args(shape)
        try:
            return ops.Reshape.apply(self, shape)
        except ValueError:
            raise ShapeError(f"cannot reshape a tensor of shape {self.shape} ({self.numel()} "
                             f"elements) into shape {shape}") from None

    view = reshape

    def view_as(self, other: Tensor):
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:s] + (builtins.int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def squeeze(self, dim=None):
        shape = self.shape
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            dims = _dims(dim, self.ndim)
            new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
        return self if new == shape else self.reshape(new)

    def unsqueeze(self, dim: builtins.int):
        d = _dim(dim, self.ndim + 1)
        shape = self.shape
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def permute(self, *dims):
        dims = _size_args(dims)
        if len(dims) != self.ndim or sorted(_dim(d, self.ndim) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute needs a permutation of the {self.ndim} dims of a tensor of "
                             f"shape {self.shape}, got {dims}")
        return ops.Permute.apply(self, tuple(_dim(d, self.ndim) for d in dims))

    def transpose(self, dim0: builtins.int, dim1: builtins.int):
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = d1, d0
        return ops.Permute.apply(self, tuple(dims))

    swapaxes = transpose

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dims, got shape {self.shape}")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        return self if self.ndim < 2 else ops.Permute.apply(self, tuple(range(self.ndim))[::-1])

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _size_args(sizes)
        shape = self.shape
        lead = len(sizes) - len(shape)
        if lead < 0:
            raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                             f"tensor's number of dims ({len(shape)})")
        target = tuple(shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
        try:
            return ops.Expand.apply(self, target)
        except ValueError:
            raise ShapeError(f"cannot expand a tensor of shape {shape} to {sizes}") from None

    def expand_as(self, other: Tensor):
        return self.expand(other.shape)

    def __getitem__(self, index):
        index, basic = _normalize_index(index)
        try:
            return ops.Index.apply(self, index, basic)
        except IndexError as e:
            raise IndexError(f"{e} (indexing a tensor of shape {self.shape})") from None

    def __iter__(self):
        if self.ndim == 0:  # raised by iter() itself, as PyTorch does, so np.iterable(t) is False
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))


# ---------------------------------------------------------------------- helpers

def _to_array(data, float_dtype) -> np.ndarray:
    """Data of any kind to a NumPy array, giving Python floats ``float_dtype`` as PyTorch does."""
    if isinstance(data, np.ndarray):
        arr = data
    else:
        tensor_floats: list[np.dtype] = []
        if isinstance(data, (list, tuple)):
            data = _scalarize_tensors(data, tensor_floats)
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f"could not make a tensor from this data: {e}") from None
        if arr.dtype.kind == "f" and not isinstance(data, np.generic):
            # a float tensor inside the list keeps its precision (torch.tensor([t64]) is float64)
            arr = arr.astype(np.result_type(*tensor_floats) if tensor_floats else float_dtype)
        elif arr.dtype.kind in "iu" and not isinstance(data, np.generic):
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"could not make a tensor from data of type {type(data).__name__} "
                        f"(numpy dtype {arr.dtype}); expected numbers")
    return arr


def _scalarize_tensors(data, tensor_floats: list):
    """A nested list with each Tensor in it read as one number, as ``torch.tensor`` reads it
    (``torch.tensor([t1, t2])`` of one-element tensors has shape (2,); use ``stack`` for more)."""
    if not any(isinstance(x, (Tensor, list, tuple)) for x in data):
        return data
    out = []
    for x in data:
        if isinstance(x, Tensor):
            if x._data.size != 1:
                raise ValueError(f"only one element tensors can be converted to Python scalars (got a "
                                 f"tensor of shape {tuple(x.shape)} in the data; join tensors with stack)")
            if x.dtype.kind == "f":
                tensor_floats.append(x.dtype)
            x = x._data.reshape(())
        elif isinstance(x, (list, tuple)):
            x = _scalarize_tensors(x, tensor_floats)
        out.append(x)
    return out


def _as_tensor_like(value, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, _SCALARS):
        return Tensor._make(np.asarray(value, dtype=_dtype.scalar_result(like.dtype, value)))
    return Tensor._make(_to_array(value, _dtype.get_default_dtype()))


def _coerce(a: Tensor, b):
    """Operands of a binary op: b a Tensor or a Python scalar, dtypes promoted as PyTorch does."""
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da != db:
            dt = _dtype.promote(a._data, b._data)
            if da != dt:
                a = a.to(dt)
            if db != dt:
                b = b.to(dt)
        return a, b
    if isinstance(b, np.generic):
        b = b.item()  # a NumPy float64 scalar must not promote a float32 tensor
    if isinstance(b, _SCALARS):
        dt = _dtype.scalar_result(a._data.dtype, b)
        if dt != a._data.dtype:
            a = a.to(dt)
        return a, b
    if isinstance(b, (np.ndarray, list, tuple)):
        return _coerce(a, _as_tensor_like(b, a))
    return None


def _binop(fn, a: Tensor, b, reverse: builtins.bool = False, true_div: builtins.bool = False):
    r = _coerce(a, b)
    if r is None:
        return NotImplemented
    a, b = r
    if true_div and a._data.dtype.kind != "f":
        a = a.to(_dtype.get_default_dtype())
        if isinstance(b, Tensor):
            b = b.to(_dtype.get_default_dtype())
    try:
        return fn.apply(b, a) if reverse else fn.apply(a, b)
    except ValueError as e:
        if isinstance(e, ShapeError) or "broadcast" not in str(e):
            raise
        sa, sb = a.shape, np.shape(b._data if isinstance(b, Tensor) else b)
        if reverse:
            sa, sb = sb, sa
        raise ShapeError(f"operands of shapes {sa} and {sb} do not broadcast together "
                         f"(trailing dimensions must be equal or 1)") from None


def _nograd_binop(ufunc, a: Tensor, b):
    r = _coerce(a, b)
    if r is None:
        return NotImplemented
    a, b = r
    bd = b._data if isinstance(b, Tensor) else b
    try:
        return Tensor._make(ufunc(a._data, bd))
    except ValueError as e:
        if "broadcast" not in str(e):
            raise
        raise ShapeError(f"operands of shapes {a.shape} and {np.shape(bd)} do not broadcast "
                         f"together (trailing dimensions must be equal or 1)") from None


def _floating(t: Tensor) -> Tensor:
    return t if t._data.dtype.kind == "f" else t.to(_dtype.get_default_dtype())


def _dim(d, ndim: builtins.int) -> builtins.int:
    """Normalise one dim index (negative counts from the end), with PyTorch's error message."""
    try:
        d = d.__index__()
    except AttributeError:
        raise TypeError(f"dim must be an integer, got {type(d).__name__}") from None
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= d <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                         f"got {d})")
    return d % max(ndim, 1)


def _alias(dim, axis, keepdim, keepdims):
    """``dim``/``keepdim`` with PyTorch's NumPy-style aliases ``axis``/``keepdims`` applied."""
    if axis is not None:
        if dim is not None:
            raise TypeError("got both dim and its alias axis; give one")
        dim = axis
    return dim, (keepdim if keepdims is None else keepdims)


def _dims(dim, ndim: builtins.int):
    """None, or a tuple of normalised dims."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        dims = tuple(_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise ValueError(f"dim {tuple(dim)} names a dimension twice")
        return dims if ndim else None
    return (_dim(dim, ndim),) if ndim else None


def _size_args(args) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(a.__index__() for a in args)
    except AttributeError:
        raise TypeError(f"sizes must be integers, got {args}") from None


def _normalize_index(index):
    """Tensors and lists in an index become arrays; returns (index, whether it is basic indexing)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if isinstance(i, Tensor):
            i = i._data
        elif isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray):
            if i.ndim == 0 and i.dtype.kind in "iu":
                i = builtins.int(i)
            else:
                if i.dtype.kind not in "biu":
                    raise IndexError(f"tensors used as indices must be integer or bool, got {i.dtype}")
                basic = False
        elif isinstance(i, (builtins.bool, np.bool_)):
            basic = False
        out.append(i)
    return tuple(out), basic


def _minmax(t: Tensor, dim, keepdim, largest):
    if isinstance(dim, Tensor):
        return maximum(t, dim) if largest else minimum(t, dim)
    if t.numel() == 0:
        raise RuntimeError(f"{'max' if largest else 'min'}() of an empty tensor of shape {t.shape}")
    if dim is None:
        return ops.MaxAll.apply(t, largest)
    axis = _dim(dim, t.ndim)
    if t.ndim == 0:
        return MaxResult(t.clone(), Tensor._make(np.zeros((), np.int64)))
    ctx = ops.MaxDim()
    values = ops.MaxDim._run(ctx, (t, axis, keepdim, largest), {})
    return MaxResult(values, Tensor._make(ctx.indices))


def _arg(t: Tensor, dim, keepdim, fn):
    if dim is None:
        out = fn(t._data)
        return Tensor._make(np.asarray(out, dtype=np.int64).reshape((1,) * t.ndim if keepdim else ()))
    axis = _dim(dim, t.ndim)
    return Tensor._make(np.asarray(fn(t._data, axis=axis, keepdims=keepdim), dtype=np.int64))


# ---------------------------------------------------------------------- functions of several tensors

def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's (and PyTorch's) rules for 1-D and batched operands."""
    if not isinstance(a, Tensor):
        a = _as_tensor_like(a, b)
    if not isinstance(b, Tensor):
        b = _as_tensor_like(b, a)
    if a.dtype != b.dtype:
        raise TypeError(f"matmul needs operands of one dtype, got {a.dtype} and {b.dtype}; "
                        f"convert one with .float() or .double()")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"both arguments to matmul need at least 1 dim, got shapes {a.shape} and {b.shape}")
    try:
        return ops.MatMul.apply(a, b)
    except ValueError:
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last dim of the "
                         f"first ({ka}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} "
                         f"dim of the second ({kb})"
                         + ("" if ka != kb else " and the batch dims must broadcast")) from None


def _pair(a, b):
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError("at least one operand must be a Tensor")
        r = _coerce(b, a)
        if r is None:
            raise TypeError(f"unsupported operand type {type(a).__name__}")
        return r[1], r[0]
    r = _coerce(a, b)
    if r is None:
        raise TypeError(f"unsupported operand type {type(b).__name__}")
    return r


def maximum(a, b) -> Tensor:
    a, b = _pair(a, b)
    return _broadcasting(ops.Maximum, a, b)


def minimum(a, b) -> Tensor:
    a, b = _pair(a, b)
    return _broadcasting(ops.Minimum, a, b)


def _broadcasting(fn, *args):
    try:
        return fn.apply(*args)
    except ValueError as e:
        if "broadcast" not in str(e):
            raise
        shapes = " and ".join(str(np.shape(a._data if isinstance(a, Tensor) else a)) for a in args)
        raise ShapeError(f"operands of shapes {shapes} do not broadcast together") from None


def where(condition, input, other) -> Tensor:
    """Elements of ``input`` where ``condition`` holds, else of ``other``."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where expects a bool condition, got {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor._make(_to_array(input, _dtype.get_default_dtype()))
    input, other = _pair(input, other)
    return _broadcasting(ops.Where, Tensor._make(cond), input, other)


def _stack_args(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name} expects a non-empty sequence of tensors")
    tensors = [t if isinstance(t, Tensor) else _as_tensor_like(t, tensors[0]) for t in tensors]
    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dt:
            dt = _dtype.promote(np.zeros((1,), dt), np.zeros((1,), t.dtype))
    return [t.to(dt) for t in tensors]


def cat(tensors, dim: builtins.int = 0, *, axis=None) -> Tensor:
    dim = dim if axis is None else axis
    tensors = _stack_args(tensors, "cat")
    ndim = tensors[0].ndim
    axis = _dim(dim, ndim)
    for i, t in enumerate(tensors):
        mismatch = any(s != s0 for j, (s, s0) in enumerate(zip(t.shape, tensors[0].shape)) if j != axis)
        if t.ndim != ndim or mismatch:
            raise ShapeError(f"cat: tensor {i} has shape {t.shape}, which does not match "
                             f"{tensors[0].shape} outside dim {axis}")
    return ops.Cat.apply(*tensors, axis=axis)


def stack(tensors, dim: builtins.int = 0, *, axis=None) -> Tensor:
    dim = dim if axis is None else axis
    tensors = _stack_args(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack expects tensors of one shape, but tensor 0 has shape "
                             f"{tensors[0].shape} and tensor {i} has shape {t.shape}")
    return ops.Stack.apply(*tensors, axis=_dim(dim, tensors[0].ndim + 1))


from . import ops  # noqa: E402
from .tensor import Tensor  # noqa: E402  (circular: Tensor subclasses TensorMath)
