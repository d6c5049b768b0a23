"""Turning indices into a batch: the one place where a loader (or a worker) reads the dataset.

For a map-style dataset with the default collate function the dataset is first asked for the whole
batch (``__getbatch__``: one fancy-indexing call for array-backed data); otherwise samples are read
with ``__getitems__`` if the dataset has it, else one ``dataset[i]`` at a time, and collated.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np

from .collate import default_collate
from .dataset import Dataset


class MapFetcher:
    """Reads the batch at given indices from a map-style dataset."""

    def __init__(self, dataset, collate_fn: Callable, auto_collation: bool):
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.auto_collation = auto_collation
        self.batched = collate_fn is default_collate and isinstance(dataset, Dataset)

    def reset(self) -> None:
        """Nothing to do at the start of a pass: indices say everything."""

    def __call__(self, indices: np.ndarray):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[int(indices[0])])
        if self.batched:
            batch = self.dataset.__getbatch__(indices)
            if batch is not NotImplemented:
                return batch
        idx = indices.tolist()
        getitems = getattr(self.dataset, "__getitems__", None)  # PyTorch 2's batch-of-samples hook
        samples = getitems(idx) if getitems is not None else [self.dataset[i] for i in idx]
        return self.collate_fn(samples)


class IterableFetcher:
    """Reads the next batch (or sample) from an iterable dataset's iterator; ``StopIteration`` at the end."""

    def __init__(self, dataset, collate_fn: Callable, auto_collation: bool, batch_size: int | None,
                 drop_last: bool):
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.auto_collation = auto_collation
        self.batch_size = batch_size
        self.drop_last = drop_last
        self._it: Iterator | None = None

    def reset(self) -> None:
        """Start a new pass over the dataset."""
        self._it = iter(self.dataset)

    def __call__(self, indices=None):
        if self._it is None:
            self.reset()
        if not self.auto_collation:
            return self.collate_fn(next(self._it))
        samples = list(itertools.islice(self._it, self.batch_size))
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            raise StopIteration
        return self.collate_fn(samples)
