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
from .tensor_math import _alias, _as_tensor_like, _dim, _floating, matmul


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
