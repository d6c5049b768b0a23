"""The wider torch API of ``Tensor`` that tutorials use beyond the core math: more elementwise
functions, running sums, splitting, and the vector and matrix products (``dot``, ``mv``, ``outer``,
``bmm``). Composites of the primitives in ``ops`` where that keeps the precision; the few new
primitives are in ``more_ops``.

``Tensor`` subclasses ``MoreMath`` next to ``TensorMath``; this module is imported while
``tensor.py`` is, so it reaches ``Tensor`` and the primitives through its package at call time.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from .. import autograd as _ag
from .._errors import ArgumentError, DTypeError, ShapeError
from .tensor_math import _alias, _as_tensor_like, _dim, _floating, matmul, where


class MoreMath:
    """Mixin holding Tensor's wider API; see ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ elementwise

    def sinh(self):
        return _ag.more_ops.Sinh.apply(_floating(self))

    def cosh(self):
        return _ag.more_ops.Cosh.apply(_floating(self))

    def tan(self):
        return _ag.more_ops.Tan.apply(_floating(self))

    def atan(self):
        return _ag.more_ops.Atan.apply(_floating(self))

    arctan = atan

    def asin(self):
        return _ag.more_ops.Asin.apply(_floating(self))

    arcsin = asin

    def acos(self):
        return _ag.more_ops.Acos.apply(_floating(self))

    arccos = acos

    def log1p(self):
        return _ag.more_ops.Log1p.apply(_floating(self))

    def expm1(self):
        return _ag.more_ops.Expm1.apply(_floating(self))

    def log2(self):
        return self.log() * (1 / np.log(2))

    def log10(self):
        return self.log() * (1 / np.log(10))

    def exp2(self):
        return 2.0 ** _floating(self)

    def reciprocal(self):
        return 1 / _floating(self)

    def trunc(self):
        return self._make(np.trunc(self._data))

    fix = trunc

    def frac(self):
        return self - self.detach().trunc()

    def fmod(self, other):
        """Remainder with the sign of the dividend (C's fmod); ``remainder``/``%`` take the divisor's."""
        return self - (self / other).detach().trunc() * other

    def remainder(self, other):
        return self - (self / other).detach().floor() * other

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def lerp(self, end, weight):
        """``self + weight * (end - self)``."""
        return self + weight * (end - self)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        prod = matmul(mat1, mat2)
        return (self if beta == 1 else self * beta) + (prod if alpha == 1 else prod * alpha)

    # logic (no gradient)

    def logical_and(self, other):
        return self._make(np.logical_and(self._data, _array(other)))

    def logical_or(self, other):
        return self._make(np.logical_or(self._data, _array(other)))

    def logical_xor(self, other):
        return self._make(np.logical_xor(self._data, _array(other)))

    def bitwise_and(self, other):
        return self & other

    def bitwise_or(self, other):
        return self | other

    def bitwise_xor(self, other):
        return self ^ other

    def bitwise_not(self):
        return ~self

    def histc(self, bins: builtins.int = 100, min=0, max=0):
        """Counts in ``bins`` equal bins over [min, max] (the data's range when both are 0), in this dtype."""
        data = self._data.reshape(-1)
        lo, hi = (data.min(), data.max()) if min == 0 and max == 0 and data.size else (min, max)
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if lo > hi:
            raise ArgumentError(f"histc: max ({max}) must be larger than min ({min})")
        counts, _ = np.histogram(data[(data >= lo) & (data <= hi)], bins=bins, range=(float(lo), float(hi)))
        return self._make(counts.astype(self.dtype))

    def isclose(self, other, rtol: builtins.float = 1e-05, atol: builtins.float = 1e-08,
                equal_nan: builtins.bool = False):
        return self._make(np.isclose(self._data, _array(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def allclose(self, other, rtol: builtins.float = 1e-05, atol: builtins.float = 1e-08,
                 equal_nan: builtins.bool = False) -> builtins.bool:
        return builtins.bool(self.isclose(other, rtol, atol, equal_nan).all())

    def equal(self, other) -> builtins.bool:
        return self.shape == other.shape and builtins.bool(np.array_equal(self._data, other._data))

    def count_nonzero(self, dim=None):
        d = None if dim is None else tuple(_dim(x, self.ndim) for x in (dim if isinstance(dim, (list, tuple))
                                                                         else (dim,)))
        return self._make(np.asarray(np.count_nonzero(self._data, axis=d), dtype=np.int64))

    # ------------------------------------------------------------------ reductions

    def prod(self, dim=None, keepdim: builtins.bool = False, *, dtype=None, axis=None, keepdims=None):
        """Product of all elements, or over ``dim``; bool and integer tensors multiply as int64."""
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        t = self.to(dtype if dtype is not None else _dtype.int64 if self.dtype.kind in "biu" else self.dtype)
        if dim is None or self.ndim == 0:
            return _ag.more_ops.Prod.apply(t, None, False)
        return _ag.more_ops.Prod.apply(t, _dim(dim, self.ndim), keepdim)

    def amax(self, dim=(), keepdim: builtins.bool = False):
        """Largest values over ``dim`` (all dims by default); ties share the gradient evenly (PyTorch's)."""
        return _extreme(self, dim, keepdim, True)

    def amin(self, dim=(), keepdim: builtins.bool = False):
        return _extreme(self, dim, keepdim, False)

    def norm(self, p="fro", dim=None, keepdim: builtins.bool = False, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default): ``'fro'`` and 2 are Euclidean,
        ``inf`` the largest magnitude, 1 the sum of magnitudes, other p ``sum(|x|**p) ** (1/p)``."""
        t = _floating(self if dtype is None else self.to(dtype))
        dims = _norm_dims(dim, t.ndim)
        if p in ("fro", 2, 2.0):
            return _ag.more_ops.VectorNorm2.apply(t, dims, keepdim)
        if p == "nuc" or isinstance(p, str):
            raise ArgumentError(f"norm: p={p!r} is not supported; expected 'fro' or a number")
        a = t.abs()
        if p == np.inf:
            return a.amax(() if dims is None else dims, keepdim)
        if p == -np.inf:
            return a.amin(() if dims is None else dims, keepdim)
        if p == 1:
            return a.sum(dims, keepdim)
        if p == 0:
            return (a != 0).to(t.dtype).sum(dims, keepdim)
        return (a ** p).sum(dims, keepdim) ** (1.0 / p)

    # ------------------------------------------------------------------ in place
    # Each is its out-of-place form written back into self: recorded (and so done out of place and
    # rebound) when autograd must see it, else computed without a graph and copied in.

    def _inplace_from(self, fn, *others):
        if self._records_inplace(*others):
            return self._rebase(fn(self._shadow()))
        with _ag.no_grad():
            out = fn(self)
        if out.shape != self.shape:
            raise ShapeError(f"in-place result of shape {out.shape} does not fit a tensor of shape "
                             f"{self.shape}")
        np.copyto(self._data, out._data, casting="same_kind")
        self._version += 1
        return self

    def exp_(self):
        return self._inplace_from(lambda t: t.exp())

    def log_(self):
        return self._inplace_from(lambda t: t.log())

    def sqrt_(self):
        return self._inplace_from(lambda t: t.sqrt())

    def abs_(self):
        return self._inplace_from(lambda t: t.abs())

    def neg_(self):
        return self._inplace_from(lambda t: -t)

    def relu_(self):
        return self._inplace_from(lambda t: t.relu())

    def sigmoid_(self):
        return self._inplace_from(lambda t: t.sigmoid())

    def tanh_(self):
        return self._inplace_from(lambda t: t.tanh())

    def sin_(self):
        return self._inplace_from(lambda t: t.sin())

    def cos_(self):
        return self._inplace_from(lambda t: t.cos())

    def square_(self):
        return self._inplace_from(lambda t: t * t)

    def reciprocal_(self):
        return self._inplace_from(lambda t: t.reciprocal())

    def floor_(self):
        return self._inplace_from(lambda t: t.floor())

    def round_(self):
        return self._inplace_from(lambda t: t.round())

    def pow_(self, exponent):
        return self._inplace_from(lambda t: t ** exponent, exponent)

    def clamp_min_(self, min):
        return self._inplace_from(lambda t: t.clamp(min=min))

    def clamp_max_(self, max):
        return self._inplace_from(lambda t: t.clamp(max=max))

    def masked_fill_(self, mask, value):
        return self._inplace_from(lambda t: t.masked_fill(mask, value), value)

    def lerp_(self, end, weight):
        return self._inplace_from(lambda t: t.lerp(end, weight), end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 * tensor2`` (the optimizers' second-moment update)."""
        return self._inplace_from(lambda t: t + value * tensor1 * tensor2, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 / tensor2`` (Adam's step)."""
        return self._inplace_from(lambda t: t + value * tensor1 / tensor2, tensor1, tensor2)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 / tensor2

    def cumsum_(self, dim):
        return self._inplace_from(lambda t: t.cumsum(dim))

    # in-place shape changes rebind self to a view of new shape (PyTorch's metadata change)

    def _reshape_(self, out):
        if self._records_inplace():
            return self._rebase(out)
        self._data = out._data
        return self

    def squeeze_(self, dim=None):
        return self._reshape_(self.squeeze(dim))

    def unsqueeze_(self, dim: builtins.int):
        return self._reshape_(self.unsqueeze(dim))

    def t_(self):
        return self._reshape_(self.t())

    def transpose_(self, dim0: builtins.int, dim1: builtins.int):
        return self._reshape_(self.transpose(dim0, dim1))

    # ------------------------------------------------------------------ new tensors like this one

    def new_tensor(self, data, dtype=None, device=None, requires_grad: builtins.bool = False):
        return _creation().tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: builtins.bool = False):
        return _creation().zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: builtins.bool = False):
        return _creation().ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: builtins.bool = False):
        return _creation().empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: builtins.bool = False):
        return _creation().full(size, fill_value, dtype=dtype or self.dtype, device=device,
                                requires_grad=requires_grad)

    def byte(self):
        return self.to(_dtype.uint8)

    def char(self):
        return self.to(_dtype.int8)

    def short(self):
        return self.to(_dtype.int16)

    # ------------------------------------------------------------------ random fills

    def bernoulli(self, p=None, *, generator=None):
        """Draws of 1 with probability ``p`` (default: this tensor's values), else 0, in this dtype."""
        probs = self._data if p is None else np.broadcast_to(_array(p), self.shape)
        if np.any((probs < 0) | (probs > 1)):
            raise ArgumentError("bernoulli expects all probabilities to be in [0, 1]")
        return self._make((_rng(generator).random(self.shape) < probs).astype(self.dtype))

    def bernoulli_(self, p=0.5, *, generator=None):
        return self._fill_random(self.bernoulli(p, generator=generator)._data)

    def exponential_(self, lambd: builtins.float = 1.0, *, generator=None):
        return self._fill_random(_rng(generator).exponential(1.0 / lambd, self.shape))

    def random_(self, from_=0, to=None, *, generator=None):
        if to is None:
            top = 2 ** 24 if self.dtype.kind == "f" else np.iinfo(self.dtype).max
            from_, to = 0, from_ or top
        return self._fill_random(_rng(generator).integers(from_, to, self.shape))

    def geometric_(self, p: builtins.float, *, generator=None):
        return self._fill_random(_rng(generator).geometric(p, self.shape))

    # ------------------------------------------------------------------ scans

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        """Running sum along ``dim``; bool and integer tensors sum as int64, as in PyTorch."""
        dim, _ = _alias(dim, axis, False, None)
        if dim is None:
            raise TypeError("cumsum() needs dim (the dimension to sum along)")
        t = self
        if dtype is not None:
            t = t.to(dtype)
        elif t.dtype.kind in "biu":
            t = t.to(_dtype.int64)
        if t.ndim == 0:
            _dim(dim, 0)
            return t.clone()
        axis = _dim(dim, t.ndim)
        if t.dtype.kind != "f":
            return t._make(np.cumsum(t._data, axis=axis, dtype=t.dtype))
        return _ag.more_ops.Cumsum.apply(t, axis)

    # ------------------------------------------------------------------ splitting

    def split(self, split_size_or_sections, dim: builtins.int = 0):
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller) or of the listed sizes."""
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [builtins.int(s) for s in split_size_or_sections]
            if any(s < 0 for s in sizes) or builtins.sum(sizes) != n:
                raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (the size "
                                 f"of dim {d} of a tensor of shape {self.shape}), but got split_sizes="
                                 f"{sizes}")
        else:
            size = split_size_or_sections.__index__()
            if size < 0 or (size == 0 and n != 0):
                raise ArgumentError(f"split expects split_size to be positive, got {size}")
            sizes = [builtins.min(size, n - i) for i in range(0, n, size)] if n else [0]
        return self._pieces(d, sizes)

    def tensor_split(self, indices_or_sections, dim: builtins.int = 0):
        """Pieces along ``dim``: ``sections`` pieces as equal as possible, or cut at ``indices``."""
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(indices_or_sections, (list, tuple)):
            cuts = [builtins.min(builtins.max(builtins.int(i), 0), n) for i in indices_or_sections]
            bounds = [0, *cuts, n]
            sizes = [builtins.max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
            starts = bounds[:-1]
            return tuple(self._narrow(d, s, k) for s, k in zip(starts, sizes))
        sections = indices_or_sections.__index__()
        if sections <= 0:
            raise ArgumentError(f"tensor_split expects sections to be positive, got {sections}")
        q, r = divmod(n, sections)
        return self._pieces(d, [q + 1] * r + [q] * (sections - r))

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0):
        """At most ``chunks`` pieces of ``ceil(size / chunks)`` along ``dim`` (PyTorch's rule)."""
        if chunks <= 0:
            raise ArgumentError(f"chunk expects chunks to be positive, got {chunks}")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(builtins.max(-(-n // chunks), 1), dim)

    def unbind(self, dim: builtins.int = 0):
        """The slices along ``dim``, each without that dim."""
        d = _dim(dim, self.ndim)
        index = (slice(None),) * d
        return tuple(self[(*index, i)] for i in range(self.shape[d]))

    def narrow(self, dim: builtins.int, start: builtins.int, length: builtins.int):
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        start = start + n if start < 0 else start
        if not 0 <= start <= n or length < 0 or start + length > n:
            raise ShapeError(f"narrow: start {start} and length {length} do not fit in dim {d} of size {n}")
        return self._narrow(d, start, length)

    def _narrow(self, d, start, length):
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def _pieces(self, d, sizes):
        starts = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(builtins.int)
        return tuple(self._narrow(d, builtins.int(s), k) for s, k in zip(starts, sizes))

    # ------------------------------------------------------------------ products

    def dot(self, other):
        return dot(self, other)

    def mv(self, vec):
        return mv(self, vec)

    def outer(self, other):
        return outer(self, other)

    ger = outer

    def bmm(self, other):
        return bmm(self, other)

    def det(self):
        from .. import linalg
        return linalg.det(self)

    def inverse(self):
        from .. import linalg
        return linalg.inv(self)


def _pair_of(name, a, b):
    Tensor = _ag.Tensor
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{name} expects two tensors, got {type(a).__name__} and {type(b).__name__}")
    if a.dtype != b.dtype:
        raise DTypeError(f"{name} expects both tensors to have the same dtype, but found {a.dtype} and "
                        f"{b.dtype}")
    return a, b


def dot(input, tensor):
    """Inner product of two 1-D tensors of the same length."""
    a, b = _pair_of("dot", input, tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise ShapeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                         f"[{b.shape[0]}] to have the same number of elements")
    return matmul(a, b)


def mv(input, vec):
    """Matrix (n, m) times vector (m,)."""
    a, v = _pair_of("mv", input, vec)
    if a.ndim != 2 or v.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got {a.ndim}D matrix and {v.ndim}D vector")
    if a.shape[1] != v.shape[0]:
        raise ShapeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                         f"vec ({v.shape[0]})")
    return matmul(a, v)


def outer(input, vec2):
    """Outer product of two 1-D tensors: shape (n, m)."""
    a, b = input, vec2
    if not isinstance(a, _ag.Tensor):
        a = _as_tensor_like(a, b)
    if not isinstance(b, _ag.Tensor):
        b = _as_tensor_like(b, a)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer expects 1D tensors, got shapes {a.shape} and {b.shape}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def bmm(input, mat2):
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p), without broadcasting."""
    a, b = _pair_of("bmm", input, mat2)
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(f"batch1 and batch2 must be 3D tensors, got shapes {a.shape} and {b.shape}")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                         f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return matmul(a, b)


def _norm_dims(dim, ndim):
    if dim is None:
        return None
    return tuple(_dim(d, ndim) for d in (dim if isinstance(dim, (list, tuple)) else (dim,)))


def _extreme(t, dim, keepdim, largest):
    """amax/amin: the extreme values, with the gradient shared evenly among ties."""
    if t.numel() == 0:
        raise ArgumentError(f"{'amax' if largest else 'amin'}() of an empty tensor of shape {t.shape}")
    dims = None if dim in ((), [], None) else _norm_dims(dim, t.ndim)
    fn = np.max if largest else np.min
    m = fn(t._data, axis=dims, keepdims=True)
    if not t.requires_grad:
        return t._make(m if keepdim else np.squeeze(m, axis=dims) if dims is not None else m.reshape(()))
    tie = t._make(t._data == m)
    return where(tie, t, 0.0).sum(dims, keepdim) / tie.sum(dims, keepdim).to(t.dtype)


def _array(x) -> np.ndarray:
    return x._data if isinstance(x, _ag.Tensor) else np.asarray(x)


def _creation():
    from .. import _creation as c  # the factories sit above autograd
    return c


def _rng(generator):
    from ..random import rng
    return rng(generator)
