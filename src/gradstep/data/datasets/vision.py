"""``ImageDataset``: images and integer labels held in arrays, as torchvision's image data sets are."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...autograd import Tensor
from ..dataset import Dataset
from ..transforms import Transform

__all__ = ["ImageDataset"]


class ImageDataset(Dataset):
    """``(image, label)`` pairs from ``data`` (uint8, N x H x W or N x H x W x C) and ``targets`` (int64).

    Without a transform an image is a NumPy array (what a PIL image is in torchvision) and a label
    a Python int. Whole batches are read with one indexing call when there is no transform, or
    only deterministic ones that can run on a batch (``ToTensor``, ``Normalize``, ``Flatten``);
    the result is the same as sample by sample.

    ``.data``/``.targets`` take torchvision's types: Tensors (uint8, int64) when ``tensor_fields``
    (MNIST's), else a uint8 array and a list of ints (CIFAR's). Both share memory with the arrays
    read here; assigning either (``ds.data = ds.data[:100]``) replaces them.
    """

    classes: list[str] = []
    train: bool | None = None  # which split, for data sets that have them
    tensor_fields: bool = False

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: {len(data)} images but {len(targets)} labels")
        self.data, self.targets = data, targets
        self.transform = transform
        self.target_transform = target_transform

    @property
    def data(self):
        return self._data_view

    @data.setter
    def data(self, value) -> None:
        self._images = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data_view = Tensor._make(self._images) if self.tensor_fields else self._images

    @property
    def targets(self):
        return self._targets_view

    @targets.setter
    def targets(self, value) -> None:
        self._labels = np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.int64)
        self._targets_view = Tensor._make(self._labels) if self.tensor_fields else self._labels.tolist()

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int):
        img, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getbatch__(self, indices: np.ndarray):
        t = self.transform
        if self.target_transform is not None or not (t is None or (isinstance(t, Transform) and t.batchable)):
            return NotImplemented
        imgs = self._images[indices]
        x = imgs if t is None else t.batch(imgs)
        x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))
        return [x, Tensor._make(self._labels[indices])]

    def __repr__(self) -> str:
        split = "" if self.train is None else f", {'train' if self.train else 'test'}"
        return f"{type(self).__name__}({len(self)} samples{split})"
