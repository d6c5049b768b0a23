"""Small map-style datasets for the loader tests (fetched sample by sample, like user datasets)."""

import os
import time

import numpy as np

import gradstep as gs
import gradstep.data as gd


class Indexed(gd.Dataset):
    """Sample ``i`` is ``(i, pid of the process that read it)``."""

    def __init__(self, n: int = 20, delay: float = 0.0):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay)
        return i, os.getpid()


class Augmented(gd.Dataset):
    """Sample ``i`` is ``(i, a random 'augmentation' drawn from gradstep's default generator)``."""

    def __init__(self, n: int = 24):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, gs.rand(3)


class SlowAt(Indexed):
    """Sleeps ``seconds`` when reading ``index``."""

    def __init__(self, n, index, seconds):
        super().__init__(n)
        self.index, self.seconds = index, seconds

    def __getitem__(self, i):
        if i == self.index:
            time.sleep(self.seconds)
        return super().__getitem__(i)


class FailsAt(Indexed):
    def __init__(self, n, index):
        super().__init__(n)
        self.index = index

    def __getitem__(self, i):
        if i == self.index:
            raise ValueError(f"bad sample {i}")
        return super().__getitem__(i)


class Unsendable(Indexed):
    def __getitem__(self, i):
        return object()


def indices(batches):
    """The sample indices of each batch of (index, ...) samples."""
    return [np.atleast_1d(b[0].numpy()).tolist() for b in batches]


def values(batches):
    """Everything in each batch as nested lists, to compare runs."""
    return [[np.asarray(x.numpy()).tolist() for x in b] for b in batches]
