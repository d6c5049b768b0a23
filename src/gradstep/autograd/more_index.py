"""The selecting, reordering and repeating part of ``Tensor``'s wider torch API: ``gather``,
``index_select``, ``scatter``, ``topk``, ``sort``, ``flip``, ``roll``, ``repeat``, ``tril``, ``diag``, ...
All are composites of indexing and shape primitives, so their gradients come from those.

``Tensor`` subclasses ``MoreIndex``; like ``more_math`` it reaches ``Tensor`` through its package.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import autograd as _ag
from .._errors import ArgumentError, DTypeError, IndexRangeError, ShapeError
from .tensor_math import _dim, _size_args, where

TopkResult = namedtuple("TopkResult", ["values", "indices"])
SortResult = namedtuple("SortResult", ["values", "indices"])
MedianResult = namedtuple("MedianResult", ["values", "indices"])
UniqueResult = namedtuple("UniqueResult", ["values", "inverse", "counts"])


class MoreIndex:
    """Mixin holding Tensor's selecting and reordering methods; see ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ selecting

    def gather(self, dim: builtins.int, index, *, sparse_grad: builtins.bool = False):
        """``out[i][j] = self[index[i][j]][j]`` for dim 0 (and likewise for the other dims)."""
        d = _dim(dim, self.ndim)
        idx = _index_array(index, "gather")
        if idx.ndim != self.ndim:
            raise ShapeError(f"gather: index has {idx.ndim} dims but the input has {self.ndim}")
        if any(idx.shape[k] > self.shape[k] for k in range(self.ndim) if k != d):
            raise ShapeError(f"gather: index of shape {idx.shape} is larger than the input of shape "
                             f"{self.shape} outside dim {d}")
        _check_range(idx, self.shape[d], "gather")
        return self[_along(idx, d)]

    def take_along_dim(self, indices, dim: builtins.int):
        return self.gather(dim, indices)

    def index_select(self, dim: builtins.int, index):
        d = _dim(dim, self.ndim)
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise IndexRangeError(f"index_select expects a 1-D index, got shape {idx.shape}")
        _check_range(idx, self.shape[d] if self.ndim else 1, "index_select")
        if self.ndim == 0:
            return self.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
        return self[(slice(None),) * d + (idx.reshape(-1),)]

    def masked_select(self, mask):
        m = _array(mask)
        if m.dtype != np.bool_:
            raise DTypeError(f"masked_select expects a bool mask, got {m.dtype}")
        shape = np.broadcast_shapes(self.shape, m.shape)
        return self.expand(shape)[_ag.Tensor._make(np.broadcast_to(m, shape))]

    def take(self, index):
        idx = _index_array(index, "take")
        _check_range(idx, self.numel(), "take")
        return self.reshape(-1)[idx]

    def select(self, dim: builtins.int, index: builtins.int):
        d = _dim(dim, self.ndim)
        return self[(slice(None),) * d + (index,)]

    def where(self, condition, other):
        return where(condition, self, other)

    def nonzero(self, *, as_tuple: builtins.bool = False):
        """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
        nz = np.nonzero(self._data if self.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(self._make(i.astype(np.int64)) for i in nz)
        return self._make(np.stack(nz, axis=1).astype(np.int64) if self.ndim else
                          np.zeros((len(nz[0]), 0), np.int64))

    def argwhere(self):
        return self.nonzero()

    # ------------------------------------------------------------------ scattering

    def scatter(self, dim: builtins.int, index, src=None, *, value=None, reduce=None):
        """A copy with ``out[index[i][j]][j] = src[i][j]`` for dim 0 (``src`` a tensor or a number)."""
        if src is None:
            src = value
        if src is None:
            raise TypeError("scatter needs src (a tensor or a number)")
        if reduce is not None:
            raise ArgumentError(f"scatter(reduce={reduce!r}) is not supported; use scatter_add or "
                                f"scatter_reduce")
        d = _dim(dim, self.ndim)
        idx = _index_array(index, "scatter")
        _check_range(idx, self.shape[d], "scatter")
        pos = _along(idx, d)
        if isinstance(src, _ag.Tensor):
            if src.ndim != idx.ndim or any(i > s for i, s in zip(idx.shape, src.shape)):
                raise ShapeError(f"scatter: index of shape {idx.shape} does not fit src of shape {src.shape}")
            src = src[tuple(slice(0, n) for n in idx.shape)]
        out = self.clone()
        out[pos] = src
        return out

    def scatter_(self, dim: builtins.int, index, src=None, *, value=None, reduce=None):
        return self._inplace_from(lambda t: t.scatter(dim, index, src, value=value, reduce=reduce), src)

    def scatter_add(self, dim: builtins.int, index, src):
        """A copy with ``src`` added at the positions ``index`` names along ``dim`` (repeats add up)."""
        d = _dim(dim, self.ndim)
        idx = _index_array(index, "scatter_add")
        _check_range(idx, self.shape[d], "scatter_add")
        if src.ndim != idx.ndim or any(i > s for i, s in zip(idx.shape, src.shape)):
            raise ShapeError(f"scatter_add: index of shape {idx.shape} does not fit src of shape {src.shape}")
        src = src[tuple(slice(0, n) for n in idx.shape)]
        return _ag.more_ops.IndexAdd.apply(self, src.to(self.dtype), _along(idx, d))

    def scatter_add_(self, dim: builtins.int, index, src):
        return self._inplace_from(lambda t: t.scatter_add(dim, index, src), src)

    def index_add(self, dim: builtins.int, index, source, *, alpha=1):
        """A copy with ``source``'s slices added at ``index`` along ``dim`` (repeats add up)."""
        d = _dim(dim, self.ndim)
        idx = _index_array(index, "index_add").reshape(-1)
        _check_range(idx, self.shape[d], "index_add")
        src = source if alpha == 1 else source * alpha
        return _ag.more_ops.IndexAdd.apply(self, src.to(self.dtype), (slice(None),) * d + (idx,))

    def index_add_(self, dim: builtins.int, index, source, *, alpha=1):
        return self._inplace_from(lambda t: t.index_add(dim, index, source, alpha=alpha), source)

    def index_fill_(self, dim: builtins.int, index, value):
        d = _dim(dim, self.ndim)
        idx = _index_array(index, "index_fill_").reshape(-1)
        _check_range(idx, self.shape[d], "index_fill_")
        pos = (slice(None),) * d + (idx,)

        def fill(t):
            out = t.clone()
            out[pos] = value
            return out
        return self._inplace_from(fill, value)

    # ------------------------------------------------------------------ reordering

    def flip(self, *dims):
        dims = _size_args(dims)
        index = [slice(None)] * self.ndim
        for d in dims:
            index[_dim(d, self.ndim)] = slice(None, None, -1)
        return self[tuple(index)]

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def roll(self, shifts, dims=None):
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (list, tuple)) else (shifts,)
        dims = dims if isinstance(dims, (list, tuple)) else (dims,)
        if len(shifts) != len(dims):
            raise ArgumentError(f"roll: shifts {tuple(shifts)} and dims {tuple(dims)} must have the same "
                                f"length")
        out = self
        for s, d in zip(shifts, dims):
            d = _dim(d, self.ndim)
            n = self.shape[d]
            out = out.index_select(d, _ag.Tensor._make((np.arange(n) - s) % n if n else np.arange(0)))
        return out

    def movedim(self, source, destination):
        src = source if isinstance(source, (list, tuple)) else (source,)
        dst = destination if isinstance(destination, (list, tuple)) else (destination,)
        src = [_dim(s, self.ndim) for s in src]
        dst = [_dim(d, self.ndim) for d in dst]
        if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise ArgumentError(f"movedim: source {tuple(src)} and destination {tuple(dst)} must be "
                                f"distinct dims of equal number")
        order = [i for i in range(self.ndim) if i not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def sort(self, dim: builtins.int = -1, descending: builtins.bool = False, stable: builtins.bool = False):
        """``(values, indices)`` sorted along ``dim``; equal values keep their order."""
        if self.ndim == 0:
            return SortResult(self.clone(), self._make(np.zeros((), np.int64)))
        idx = self.argsort(dim, descending)
        return SortResult(self.gather(dim, idx), idx)

    def argsort(self, dim: builtins.int = -1, descending: builtins.bool = False,
                stable: builtins.bool = False):
        if self.ndim == 0:
            return self._make(np.zeros((), np.int64))
        d = _dim(dim, self.ndim)
        key = -self._data if descending and self.dtype.kind != "b" else self._data
        if descending and self.dtype.kind == "b":
            key = ~self._data
        return self._make(np.argsort(key, axis=d, kind="stable").astype(np.int64))

    def msort(self):
        return self.sort(0).values

    def topk(self, k: builtins.int, dim: builtins.int = -1, largest: builtins.bool = True,
             sorted: builtins.bool = True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest first."""
        d = _dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise ArgumentError(f"topk: k ({k}) is out of range for a dimension of size {n}")
        idx = self.argsort(d, descending=largest)
        idx = idx[(slice(None),) * d + (slice(0, k),)] if self.ndim else idx
        return TopkResult(self.gather(d, idx) if self.ndim else self.clone(), idx)

    def kthvalue(self, k: builtins.int, dim: builtins.int = -1, keepdim: builtins.bool = False):
        d = _dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise ArgumentError(f"kthvalue: k ({k}) is out of range for a dimension of size {n}")
        idx = self.argsort(d)[(slice(None),) * d + (slice(k - 1, k),)]
        values = self.gather(d, idx)
        if not keepdim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return MedianResult(values, idx)

    def median(self, dim=None, keepdim: builtins.bool = False):
        """The lower median (no averaging, as PyTorch): a value, or ``(values, indices)`` over ``dim``."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.kthvalue((flat.shape[0] + 1) // 2, 0).values
        n = self.shape[_dim(dim, self.ndim)] if self.ndim else 1
        return self.kthvalue((n + 1) // 2, dim, keepdim)

    def unique(self, sorted: builtins.bool = True, return_inverse: builtins.bool = False,
               return_counts: builtins.bool = False, dim=None):
        if dim is not None:
            raise ArgumentError("unique(dim=...) is not supported; flatten or use the whole tensor")
        values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True)
        out = [self._make(values)]
        if return_inverse:
            out.append(self._make(inverse.reshape(self.shape).astype(np.int64)))
        if return_counts:
            out.append(self._make(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    # ------------------------------------------------------------------ repeating

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dim i (extra leading sizes add dims)."""
        sizes = _size_args(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat: the number of repeats ({len(sizes)}) can not be smaller than the "
                             f"number of dims of the tensor ({self.ndim})")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        # a new size-1 dim before each dim, expanded to the repeat count, then merged with it
        t = self.reshape([x for s in shape for x in (1, s)])
        t = t.expand([x for r, s in zip(sizes, shape) for x in (r, s)])
        return t.reshape([r * s for r, s in zip(sizes, shape)])

    def tile(self, *dims):
        dims = _size_args(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (or slice along ``dim``) repeated ``repeats`` times in place."""
        t = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _dim(dim, self.ndim)
        n = t.shape[d]
        reps = _array(repeats)
        if reps.ndim == 0:
            reps = np.full(n, builtins.int(reps))
        if reps.shape != (n,) or np.any(reps < 0):
            raise ShapeError(f"repeat_interleave: repeats must be a non-negative number or one per element "
                             f"of dim {d} (size {n}), got shape {reps.shape}")
        return t.index_select(d, _ag.Tensor._make(np.repeat(np.arange(n), reps)))

    def unfold(self, dimension: builtins.int, size: builtins.int, step: builtins.int):
        """Every window of ``size`` along ``dimension``, ``step`` apart, in a new last dim."""
        d = _dim(dimension, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if size < 0 or size > n or step <= 0:
            raise ArgumentError(f"unfold: size {size} must be in [0, {n}] and step {step} positive")
        starts = np.arange(0, n - size + 1, step)
        idx = (starts[:, None] + np.arange(size)).reshape(-1)
        if self.ndim == 0:
            return self.reshape(1)
        picked = self.index_select(d, _ag.Tensor._make(idx))
        shape = self.shape[:d] + (len(starts), size) + self.shape[d + 1:]
        return picked.reshape(shape).movedim(d + 1, -1)

    def broadcast_to(self, *size):
        return self.expand(*size)

    # ------------------------------------------------------------------ triangles and diagonals

    def tril(self, diagonal: builtins.int = 0):
        return self._triangle(diagonal, np.tril)

    def triu(self, diagonal: builtins.int = 0):
        return self._triangle(diagonal, np.triu)

    def _triangle(self, diagonal, fn):
        if self.ndim < 2:
            raise ShapeError(f"tril/triu: input tensor must have at least 2 dimensions, got shape "
                             f"{self.shape}")
        keep = fn(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return where(self._make(keep), self, self._make(np.zeros((), self.dtype)))

    def tril_(self, diagonal: builtins.int = 0):
        return self._inplace_from(lambda t: t.tril(diagonal))

    def triu_(self, diagonal: builtins.int = 0):
        return self._inplace_from(lambda t: t.triu(diagonal))

    def diagonal(self, offset: builtins.int = 0, dim1: builtins.int = 0, dim2: builtins.int = 1):
        d1, d2 = _dim(dim1, self.ndim), _dim(dim2, self.ndim)
        t = self.movedim((d1, d2), (-2, -1))
        rows, cols = t.shape[-2:]
        i = np.arange(builtins.max(0, -offset), builtins.min(rows, cols - offset))
        return t[..., i, i + offset]

    def diag(self, diagonal: builtins.int = 0):
        """A 1-D tensor's values on a diagonal of a square matrix, or a matrix's diagonal as 1-D."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ShapeError(f"diag expects a 1-D or 2-D tensor, got shape {self.shape}")
        n = self.shape[0] + builtins.abs(diagonal)
        i = np.arange(self.shape[0])
        rows, cols = (i, i + diagonal) if diagonal >= 0 else (i - diagonal, i)
        out = self._make(np.zeros((n, n), self.dtype))
        if self.requires_grad:
            return _ag.ops.IndexPut.apply(out, self, (rows, cols))
        out._data[rows, cols] = self._data
        return out

    def diag_embed(self):
        n = self.shape[-1]
        return self.unsqueeze(-1) * self._make(np.eye(n, dtype=self.dtype))

    def trace(self):
        if self.ndim != 2:
            raise ShapeError(f"trace expects a matrix (2-D), got shape {self.shape}")
        return self.diagonal().sum()

    def fill_diagonal_(self, fill_value, wrap: builtins.bool = False):
        def fill(t):
            out = t.clone()
            n = builtins.min(t.shape)
            out[tuple(np.arange(n) for _ in range(t.ndim))] = fill_value
            return out
        return self._inplace_from(fill, fill_value)

    def resize_(self, *sizes, memory_format=None):
        """Give self the shape ``sizes`` in place, keeping the elements that fit in row-major order
        (new ones are zeros; PyTorch leaves them uninitialised)."""
        shape = _size_args(sizes)
        if self.requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        if builtins.any(n < 0 for n in shape):
            raise ArgumentError(f"resize_: sizes must be non-negative, got {shape}")
        flat = self._data.reshape(-1)
        out = np.zeros(builtins.int(np.prod(shape)), self._data.dtype)
        n = builtins.min(flat.size, out.size)
        out[:n] = flat[:n]
        self._data = out.reshape(shape)
        self._version += 1
        return self


def _array(x) -> np.ndarray:
    return x._data if isinstance(x, _ag.Tensor) else np.asarray(x)


def _index_array(index, name) -> np.ndarray:
    idx = _array(index)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"{name} expects an integer (int64) index, got {idx.dtype}")
    return idx.astype(np.intp, copy=False)


def _check_range(idx: np.ndarray, n: builtins.int, name: str) -> None:
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexRangeError(f"{name}: index {bad} is out of bounds for a dimension of size {n}")


def _along(idx: np.ndarray, d: builtins.int) -> tuple:
    """The advanced index that picks ``idx`` along dim ``d`` and the same position elsewhere."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)
