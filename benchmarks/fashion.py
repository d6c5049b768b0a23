"""Fashion-MNIST for the benchmarks, read with NumPy alone (so a PyTorch or hand-written contender
never imports gradstep), and the batches every contender iterates over.

Images stay uint8 in memory; each batch is scaled as seed 002 does (x / 255, then (x - 0.5) / 0.5)
by ``prepare``, the same NumPy code for every contender, so the inputs are bitwise identical.
The full data set is Debian's ``dataset-fashion-mnist``; without it, or with ``--smoke``, the
10,000-image sample shipped with gradstep.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

FULL = Path("/usr/share/datasets/fashion-mnist")
SAMPLE = Path(__file__).resolve().parents[1] / "src/gradstep/data/datasets/_sample/fashion-mnist"


def _idx(path: Path, header: int) -> np.ndarray:
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def source(smoke: bool = False) -> Path:
    """Where the data set is read from: the full one if installed (and not ``smoke``), else the sample."""
    if not smoke and (FULL / "train-images-idx3-ubyte.gz").exists():
        return FULL
    return SAMPLE


def load(train: int | None = None, test: int | None = None, smoke: bool = False):
    """(train images uint8 (N, 784), train labels int64, test images, test labels), the first
    ``train`` / ``test`` samples of each split (all when None)."""
    root = source(smoke)
    xs = []
    for split, n in (("train", train), ("t10k", test)):
        x = _idx(root / f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:n]
        y = _idx(root / f"{split}-labels-idx1-ubyte.gz", 8).astype(np.int64)[:n]
        xs += [x, y]
    return tuple(xs)


def prepare(images: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [-1, 1], as seed 002's ``data_tf``."""
    x = images.astype(np.float32)
    x /= 255
    x -= 0.5
    x /= 0.5
    return x


def order(n: int, seed: int = 0) -> np.ndarray:
    """The shuffled sample order of one epoch, the same for every contender."""
    return np.random.default_rng(seed).permutation(n)


def batches(images: np.ndarray, labels: np.ndarray, batch: int, seed: int = 0):
    """(float32 images, int64 labels) batches of one shuffled epoch, as NumPy arrays."""
    idx = order(len(images), seed)
    for i in range(0, len(idx), batch):
        j = idx[i:i + batch]
        yield prepare(images[j]), labels[j]


def pytorch_init(shapes: dict, seed: int = 0) -> dict:
    """Initial weights drawn the way PyTorch's layers draw them (U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for weights and biases; ones and zeros for batch norm), from one NumPy stream, so that every
    contender starts from the same numbers. ``shapes``: state-dict key -> (kind, shape), in order;
    kinds are weight, bias (the fan-in of the weight before it), bn_weight, bn_bias, running_mean,
    running_var and count (batch norm's ``num_batches_tracked``)."""
    rng = np.random.default_rng(seed)
    out, fan_in = {}, 1
    for key, (kind, shape) in shapes.items():
        if kind == "weight":
            fan_in = int(np.prod(shape[1:]))
        if kind in ("weight", "bias"):
            bound = 1.0 / np.sqrt(fan_in)
            out[key] = rng.uniform(-bound, bound, shape).astype(np.float32)
        elif kind in ("bn_weight", "running_var"):
            out[key] = np.ones(shape, np.float32)
        elif kind in ("bn_bias", "running_mean"):
            out[key] = np.zeros(shape, np.float32)
        elif kind == "count":
            out[key] = np.zeros((), np.int64)
        else:
            raise ValueError(f"unknown entry kind {kind!r} for {key}")
    return out


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Percentage of rows whose largest score is the label."""
    return 100.0 * float(np.mean(scores.argmax(axis=1) == labels))
