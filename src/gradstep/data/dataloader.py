"""``DataLoader``: batches from a dataset, with PyTorch's arguments, in one process or several.

Each pass (epoch) is planned when it starts: the loader draws a seed for the workers and the order
of the indices from its generator (``generator``, else gradstep's default one), so a loader is
deterministic given ``gradstep.manual_seed`` or its generator, and the batches are the same with
and without workers. ``state_dict()`` records that plan and how far the pass has got, so a run
resumed from it sees exactly the batches the uninterrupted run would have seen.
"""

from __future__ import annotations

import collections
import math
import warnings
from collections.abc import Callable, Iterable

import numpy as np

from ..random import Generator, default_generator, rng
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .fetch import IterableFetcher, MapFetcher
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _is_int, epoch_batches, epoch_indices
from .worker import WorkerPool

__all__ = ["DataLoader"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _Progress:
    """One pass: its plan (indices, batch offsets, worker seed) and how many batches were handed out."""

    def __init__(self, epoch: int, flat, offsets, base_seed: int, position: int = 0,
                 worker_rng: list | None = None):
        self.epoch = epoch
        self.flat = flat
        self.offsets = offsets
        self.base_seed = base_seed
        self.position = position
        self.worker_rng = worker_rng
        self.finished = False

    @property
    def num_batches(self) -> int | None:
        return None if self.offsets is None else len(self.offsets) - 1

    def indices(self, i: int) -> np.ndarray:
        return self.flat[self.offsets[i]:self.offsets[i + 1]]


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader`` does.

    ``batch_size=None`` turns batching off (each item is one sample, converted to tensors);
    ``num_workers > 0`` loads in forked worker processes, ``prefetch_factor`` batches ahead per
    worker. ``pin_memory`` and ``pin_memory_device`` are accepted and ignored (there is no GPU), and
    batches always arrive in order (``in_order`` is accepted for compatibility).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable | None = None, batch_sampler: Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if not _is_int(num_workers) or num_workers < 0:
            raise ValueError(f"num_workers option should be a non-negative integer, got {num_workers!r}; "
                             "use num_workers=0 to disable multiprocessing")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing: let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                             "to None")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not _is_int(prefetch_factor) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context not in (None, "fork"):
            raise ValueError(f"multiprocessing_context={multiprocessing_context!r} is not supported: "
                             "gradstep's workers are forked so that nothing is pickled; leave it None "
                             "or 'fork'")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator must be a gradstep.Generator, got {type(generator).__name__}")
        if batch_size is not None and (not _is_int(batch_size) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value (or None to disable "
                             f"batching), but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle: the sampler decides the "
                             "order; drop shuffle=True (use a RandomSampler to shuffle)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last: the batch sampler decides all of them")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if not self._iterable and sampler is None:
            if batch_sampler is None and not hasattr(type(dataset), "__len__"):
                raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) must be a map-style "
                                "dataset with __getitem__ and __len__, or an IterableDataset")
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.in_order = in_order
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._epochs_started = 0
        self._progress: _Progress | None = None
        self._resume: _Progress | None = None
        self._pool: WorkerPool | None = None
        self.__initialized = True

    def __setattr__(self, name, value):
        if name in _FROZEN and getattr(self, "_DataLoader__initialized", False):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is "
                             "initialized; make a new DataLoader")
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ passes

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def _make_fetcher(self):
        if self._iterable:
            return IterableFetcher(self.dataset, self.collate_fn, self._auto_collation, self.batch_size,
                                   self.drop_last)
        return MapFetcher(self.dataset, self.collate_fn, self._auto_collation)

    def _new_pass(self) -> _Progress:
        """Draw the workers' base seed and the order of this pass, in that order, from the generator."""
        base_seed = int(rng(self.generator).integers(0, 2**63 - 1))
        flat = offsets = None
        if not self._iterable:
            if self._auto_collation:
                flat, offsets = epoch_batches(self.batch_sampler)
            else:
                flat = epoch_indices(self.sampler)
                offsets = np.arange(len(flat) + 1, dtype=np.int64)
        progress = _Progress(self._epochs_started, flat, offsets, base_seed)
        self._epochs_started += 1
        return progress

    def __iter__(self):
        progress, self._resume = self._resume, None
        if progress is None:
            progress = self._new_pass()
        self._progress = progress
        if self.num_workers == 0:
            return _SingleProcessIter(self, progress)
        if not self.persistent_workers:
            return _MultiProcessIter(self, progress, self._start_pool(), owns_pool=True)
        if self._pool is None or self._pool.closed:
            self._pool = self._start_pool()
        return _MultiProcessIter(self, progress, self._pool, owns_pool=False)

    def _start_pool(self) -> WorkerPool:
        return WorkerPool(self.dataset, self._make_fetcher(), self.num_workers, self.worker_init_fn)

    def __del__(self):
        pool = self.__dict__.get("_pool")
        if pool is not None:
            pool.shutdown()

    # ------------------------------------------------------------------ state

    def _stream(self) -> Generator:
        return self.generator if self.generator is not None else default_generator

    def state_dict(self) -> dict:
        """Where the loader stands: the epoch, its order of indices and the position within it, and
        the generator's state. Plain JSON values and NumPy arrays only."""
        p = self._resume or self._progress
        state = {"epoch": self._epochs_started, "position": 0, "indices": None, "offsets": None,
                 "base_seed": None, "worker_rng": None, "num_workers": self.num_workers,
                 "generator": self._stream().get_state()}
        if p is not None and not p.finished:
            state.update(epoch=p.epoch, position=p.position, base_seed=p.base_seed,
                         indices=None if p.flat is None else p.flat.copy(),
                         offsets=None if p.offsets is None else p.offsets.copy(),
                         worker_rng=None if p.worker_rng is None else list(p.worker_rng))
        return state

    def load_state_dict(self, state: dict) -> None:
        """Resume from ``state_dict()``: the next pass yields the rest of the recorded epoch (if any);
        the generator is restored, so later epochs follow as in the uninterrupted run."""
        missing = {"epoch", "position", "indices", "offsets", "base_seed", "generator"} - set(state)
        if missing:
            raise ValueError(f"not a DataLoader state dict: missing {sorted(missing)}")
        epoch, position = int(state["epoch"]), int(state["position"])
        self._stream().set_state(state["generator"])
        self._progress = None
        if state["base_seed"] is None:
            self._epochs_started, self._resume = epoch, None
            return
        flat, offsets = state["indices"], state["offsets"]
        if not self._iterable:
            flat, offsets = self._check_plan(flat, offsets, position)
        worker_rng = state.get("worker_rng")
        if worker_rng is not None and len(worker_rng) != self.num_workers:
            warnings.warn(f"the state dict was taken with {len(worker_rng)} workers and this loader has "
                          f"{self.num_workers}: the batches are the same, but random transforms in the "
                          "workers will not repeat those of the original run", stacklevel=2)
            worker_rng = None
        self._resume = _Progress(epoch, flat, offsets, int(state["base_seed"]), position, worker_rng)
        self._epochs_started = epoch + 1

    def _check_plan(self, flat, offsets, position: int) -> tuple[np.ndarray, np.ndarray]:
        flat = np.asarray(flat, dtype=np.int64).reshape(-1)
        offsets = np.asarray(offsets, dtype=np.int64).reshape(-1)
        if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(flat) or np.any(np.diff(offsets) < 0):
            raise ValueError("DataLoader state dict: 'offsets' must rise from 0 to len(indices)")
        n = len(self.dataset)
        if len(flat) and (flat.min() < -n or flat.max() >= n):
            raise ValueError(f"DataLoader state dict: indices range over [{flat.min()}, {flat.max()}], "
                             f"but the dataset has {n} samples: is it the same dataset?")
        if not 0 <= position <= len(offsets) - 1:
            raise ValueError(f"DataLoader state dict: position {position} is outside the epoch's "
                             f"{len(offsets) - 1} batches")
        return flat, offsets


class _BaseIter:
    def __init__(self, loader: DataLoader, progress: _Progress):
        self._loader = loader
        self._progress = progress
        # An iterable dataset cannot jump: a resumed pass replays and drops the batches already seen.
        self._skip = progress.position if loader._iterable else 0
        if loader._iterable:
            progress.position = 0

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def _end(self):
        self._progress.finished = True
        raise StopIteration


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader, progress: _Progress):
        super().__init__(loader, progress)
        self._fetch = loader._make_fetcher()
        self._fetch.reset()

    def __next__(self):
        p = self._progress
        if p.finished:
            raise StopIteration
        while True:
            if p.offsets is None:
                try:
                    batch = self._fetch()
                except StopIteration:
                    self._end()
            elif p.position >= p.num_batches:
                self._end()
            else:
                batch = self._fetch(p.indices(p.position))
            if self._skip:
                self._skip -= 1
                continue
            p.position += 1
            return batch


class _MultiProcessIter(_BaseIter):
    """Batch ``j`` of a map-style pass goes to worker ``j % num_workers`` (so a resumed pass gives each
    batch to the same worker); for an iterable dataset, the workers take turns until each is done."""

    def __init__(self, loader: DataLoader, progress: _Progress, pool: WorkerPool, owns_pool: bool):
        super().__init__(loader, progress)
        self._pool = pool
        self._owns_pool = owns_pool
        nw = pool.num_workers
        restore = progress.worker_rng if progress.offsets is not None else None
        pool.start_epoch(progress.base_seed, restore)
        self._generation = pool.generation
        if progress.worker_rng is None or len(progress.worker_rng) != nw:
            progress.worker_rng = [None] * nw
        self._window = loader.prefetch_factor * nw
        self._next_task = progress.position
        self._outstanding: collections.deque = collections.deque()
        self._exhausted: set = set()
        self._turn = 0
        self._fill()

    def _fill(self) -> None:
        p, pool, nw = self._progress, self._pool, self._pool.num_workers
        while len(self._outstanding) < self._window:
            j = self._next_task
            if p.offsets is not None:
                if j >= p.num_batches:
                    return
                w, indices = j % nw, p.indices(j)
            else:
                if len(self._exhausted) == nw:
                    return
                while self._turn % nw in self._exhausted:
                    self._turn += 1
                w, indices = self._turn % nw, None
                self._turn += 1
            pool.send_task(w, j, indices)
            self._outstanding.append((j, w))
            self._next_task += 1

    def __next__(self):
        p = self._progress
        if p.finished:
            raise StopIteration
        while True:
            if self._pool.closed or self._pool.generation != self._generation:
                raise RuntimeError("DataLoader: the workers of this iterator were shut down (a newer pass "
                                   "of the loader took them over, or an error stopped them)")
            self._fill()
            if not self._outstanding:
                self._release()
                self._end()
            j, w = self._outstanding.popleft()
            header, batch = self._pool.receive(w, j, self._loader.timeout)
            if header.get("end"):
                self._exhausted.add(w)
                continue
            p.worker_rng[w] = header["rng"]
            if self._skip:
                self._skip -= 1
                continue
            p.position += 1
            self._fill()
            return batch

    def _release(self) -> None:
        if self._owns_pool:
            self._pool.shutdown()

    def __del__(self):
        try:
            self._release()
        except Exception:
            pass
