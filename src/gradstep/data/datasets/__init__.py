"""Data sets: MNIST, Fashion-MNIST (and its shipped sample), CIFAR-10, and synthetic sets.

``get_dataset(name, ...)`` builds one by the name the command line uses (``dataset_names()``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ..dataset import Dataset
from .cifar import CIFAR10, read_cifar_batch
from .download import DownloadError
from .files import DataFileError, DatasetNotFoundError, cache_dir
from .folder import DatasetFolder, FakeData, ImageFolder
from .idx import MNIST, FashionMNIST, read_idx, write_idx
from .synthetic import LinearRegression, Moons, Spirals, make_linear_regression, make_moons, make_spirals
from .vision import ImageDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "ImageDataset", "ImageFolder", "DatasetFolder", "FakeData",
           "LinearRegression", "Spirals", "Moons",
           "make_linear_regression", "make_spirals", "make_moons", "read_idx", "write_idx",
           "read_cifar_batch", "DataFileError", "DatasetNotFoundError", "DownloadError", "cache_dir",
           "get_dataset", "dataset_names"]

# name -> (constructor, whether it has train/test splits)
_REGISTRY: dict[str, tuple[Callable[..., Dataset], bool]] = {
    "mnist": (MNIST, True),
    "fashion-mnist": (FashionMNIST, True),
    "fashion-mnist-sample": (partial(FashionMNIST, sample=True), True),
    "cifar10": (CIFAR10, True),
    "linear-regression": (LinearRegression, False),
    "spirals": (Spirals, False),
    "moons": (Moons, False),
}


def dataset_names() -> list[str]:
    """The names ``get_dataset`` knows."""
    return list(_REGISTRY)


def get_dataset(name: str, train: bool | None = None, **kwargs) -> Dataset:
    """The data set called ``name`` (see ``dataset_names()``), its ``train`` split if it has splits
    (default: the training split); other keyword arguments go to its constructor."""
    key = name.lower().replace("_", "-")
    if key not in _REGISTRY:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(_REGISTRY)}")
    factory, has_splits = _REGISTRY[key]
    if has_splits:
        return factory(train=True if train is None else train, **kwargs)
    if train is not None:
        raise ValueError(f"the data set {name!r} has no train/test split; split it with random_split")
    return factory(**kwargs)
