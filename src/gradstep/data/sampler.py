"""Samplers: which indices a ``DataLoader`` reads, in which order, grouped how.

Each sampler has PyTorch's constructor and iteration. Gradstep's samplers also hand out a whole
epoch at once as a NumPy array (``epoch_indices``), so the loader can record the epoch's order in
its state dict and slice batches without a Python loop; any iterable of indices still works as a
sampler.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

from ..autograd import Tensor
from ..random import Generator, rng

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler", "epoch_indices",
           "epoch_batches"]


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class Sampler:
    """Base class: subclasses define ``__iter__`` (and usually ``__len__``).

    A subclass may override ``epoch_indices`` to produce the epoch as an array directly; then
    ``__iter__`` comes for free.
    """

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_indices().tolist())

    def epoch_indices(self) -> np.ndarray:
        """The indices of one pass, as an int64 array (draws the randomness of that pass)."""
        if type(self).__iter__ is Sampler.__iter__:
            raise NotImplementedError(f"{type(self).__name__} must implement __iter__ or epoch_indices")
        return np.fromiter(iter(self), dtype=np.int64)


def epoch_indices(sampler: Iterable[int]) -> np.ndarray:
    """One pass of any sampler (a gradstep ``Sampler`` or any iterable of ints) as an int64 array."""
    if isinstance(sampler, Sampler):
        return sampler.epoch_indices()
    return np.fromiter((int(i) for i in sampler), dtype=np.int64)


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def epoch_indices(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each pass, or ``num_samples`` draws with replacement.

    Without replacement and ``num_samples > len(data_source)``, whole permutations are concatenated
    and the last one cut, as in PyTorch.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def epoch_indices(self) -> np.ndarray:
        n, k, g = len(self.data_source), self.num_samples, rng(self.generator)
        if self.replacement:
            return g.integers(0, n, size=k, dtype=np.int64)
        perms = [g.permutation(n) for _ in range(-(-k // n))]
        return np.concatenate(perms)[:k].astype(np.int64, copy=False)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each pass."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None):
        self.indices = indices
        self.generator = generator

    def epoch_indices(self) -> np.ndarray:
        perm = rng(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64).reshape(-1)[perm]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite and non-negative with a positive sum")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"cannot draw num_samples={num_samples} without replacement from "
                             f"{np.count_nonzero(w)} indices of non-zero weight")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def epoch_indices(self) -> np.ndarray:
        p = self.weights / self.weights.sum()
        return rng(self.generator).choice(len(p), size=self.num_samples, replace=self.replacement,
                                          p=p).astype(np.int64)

    def __len__(self) -> int:
        return self.num_samples


def _launcher_rank_and_size() -> tuple[int, int]:
    """This process's rank and the world size as an MPI launcher set them, else (0, 1).

    MPICH's Hydra sets PMI_RANK/PMI_SIZE, Open MPI OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE.
    """
    for rank_var, size_var in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")):
        if rank_var in os.environ and size_var in os.environ:
            try:
                return int(os.environ[rank_var]), int(os.environ[size_var])
            except ValueError:
                raise ValueError(f"the MPI launcher's {rank_var}={os.environ[rank_var]!r} and "
                                 f"{size_var}={os.environ[size_var]!r} are not integers") from None
    return 0, 1


class DistributedSampler(Sampler):
    """The share of the indices that belongs to one of ``num_replicas`` processes.

    As in PyTorch: with ``drop_last=False`` the index list is padded by repeating its start so that
    every rank gets ``ceil(len / num_replicas)`` samples, with ``drop_last=True`` its tail is cut;
    rank ``r`` takes every ``num_replicas``-th index from ``r``. Shuffling uses ``seed + epoch``, so
    call ``set_epoch`` before each epoch. ``num_replicas`` and ``rank`` default to what the MPI
    launcher set in the environment, else one process of rank 0.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        env_rank, env_size = _launcher_rank_and_size()
        num_replicas = env_size if num_replicas is None else num_replicas
        rank = env_rank if rank is None else rank
        if not _is_int(num_replicas) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas!r}")
        if not _is_int(rank) or rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def epoch_indices(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            indices = Generator(self.seed + self.epoch).numpy.permutation(n).astype(np.int64)
        else:
            indices = np.arange(n, dtype=np.int64)
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            pad = self.total_size - n
            indices = np.concatenate([indices, np.resize(indices, pad)]) if pad > 0 else indices
        return indices[self.rank:self.total_size:self.num_replicas]

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` for the next shuffle, so each epoch has its own order (same on every rank)."""
        self.epoch = epoch


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        flat, offsets = self.epoch_batches()
        for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist()):
            yield flat[a:b].tolist()

    def epoch_batches(self) -> tuple[np.ndarray, np.ndarray]:
        """One pass as (flat indices, offsets): batch ``i`` is ``flat[offsets[i]:offsets[i + 1]]``."""
        flat = epoch_indices(self.sampler)
        n = len(flat)
        end = n - n % self.batch_size if self.drop_last else n
        offsets = np.append(np.arange(0, end, self.batch_size, dtype=np.int64), end)
        return flat[:end], offsets

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


def epoch_batches(batch_sampler: Iterable[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """One pass of any batch sampler as (flat indices, offsets), see ``BatchSampler.epoch_batches``."""
    if isinstance(batch_sampler, BatchSampler):
        return batch_sampler.epoch_batches()
    batches = [np.asarray(list(b), dtype=np.int64).reshape(-1) for b in batch_sampler]
    sizes = [len(b) for b in batches]
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
    flat = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    return flat, offsets
