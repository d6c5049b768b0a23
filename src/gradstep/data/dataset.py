"""Datasets: the map-style ``Dataset``, ``IterableDataset``, ``TensorDataset`` and their combinators.

A map-style dataset answers ``len(ds)`` and ``ds[i]``. One that can also answer a whole batch at once
defines ``__getbatch__(indices)``, returning what ``default_collate`` would have made of the samples
(a list of tensors for ``TensorDataset``). The ``DataLoader`` uses it when the collate function is the
default one: one fancy-indexing call per batch instead of ``batch_size`` calls and a stack, the fast
path for data held in arrays (PyTorch's issue 4959). ``__getitems__`` (a list of samples, PyTorch 2's
hook) is honoured too.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..autograd import Tensor
from ..random import Generator, rng

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ArrayDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __getbatch__(self, indices: np.ndarray):
        """The samples at ``indices`` already collated, or ``NotImplemented`` (fetch one by one)."""
        return NotImplemented

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; split the work with
    ``get_worker_info()`` as in PyTorch.
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


def _as_array(x, position: int) -> np.ndarray:
    """The array behind a tensor, NumPy array (memmaps stay memmaps) or sequence of numbers."""
    if isinstance(x, Tensor):
        return x._data
    try:
        arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    except ValueError as e:
        raise TypeError(f"TensorDataset: argument {position} could not be made an array: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"TensorDataset: argument {position} has dtype {arr.dtype}; expected numbers")
    return arr


class TensorDataset(Dataset):
    """Samples are the rows of tensors or arrays that share their first dimension.

    ``TensorDataset(X, y)[i] == (X[i], y[i])``. The arrays may be ``numpy.memmap``s, so a data set
    larger than memory is read batch by batch. Gluon's name ``ArrayDataset`` is the same class.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor or array")
        arrays = [_as_array(t, i) for i, t in enumerate(tensors)]
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a scalar; every argument needs a first "
                                 "dimension indexing the samples")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same first dimension (one row per "
                             f"sample), got lengths {lengths}")
        self.tensors = tuple(tensors)
        self._arrays = arrays

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getbatch__(self, indices: np.ndarray) -> list:
        """The batch ``indices`` as default_collate would make it, with one indexing call per array."""
        return [Tensor._make(np.asarray(a[indices])) for a in self._arrays]

    def __len__(self) -> int:
        return len(self._arrays[0])


ArrayDataset = TensorDataset


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    The batched path converts ``indices`` to an array once and reuses it while ``self.indices`` is
    the same object; assign a new sequence to change them (editing the list in place is not seen
    by that path)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices
        self._index_array = None
        self._index_source = None  # the object _index_array was made from

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getbatch__(self, indices: np.ndarray):
        if not isinstance(self.dataset, Dataset):
            return NotImplemented
        if self._index_source is not self.indices:
            self._index_array = np.asarray(self.indices, dtype=np.int64)
            self._index_source = self.indices
        return self.dataset.__getbatch__(self._index_array[indices])

    def __getitems__(self, indices: list) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (dataset {i}); use "
                                "ChainDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"absolute value of index {idx} should not exceed dataset length {n}")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got {type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _fraction_lengths(n: int, fractions: Sequence[float]) -> list[int]:
    """PyTorch's rule: floor(n * f) each, then the remainder one by one, round-robin."""
    lengths = []
    for i, f in enumerate(fractions):
        if f < 0 or f > 1:
            raise ValueError(f"random_split: fraction at index {i} is {f}, not between 0 and 1")
        lengths.append(math.floor(n * f))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"random_split: length of split at index {i} is 0; it is an empty dataset",
                          stacklevel=3)
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths or fractions.

    Fractions that sum to 1 become ``floor(len * f)`` samples each, with the remainder dealt out one
    at a time from the first split on, as ``torch.utils.data.random_split`` does.
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(n, lengths)
    for i, length in enumerate(lengths):
        if int(length) != length or length < 0:
            raise ValueError(f"random_split: length at index {i} is {length}; expected non-negative "
                             "integers, or fractions summing to 1")
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the dataset has "
                         f"{n} samples")
    perm = rng(generator).permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out
