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
    """

    classes: list[str] = []
    train: bool | None = None  # which split, for data sets that have them

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: {len(data)} images but {len(targets)} labels")
        self.data = data
        self.targets = targets
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getbatch__(self, indices: np.ndarray):
        t = self.transform
        if self.target_transform is not None or not (t is None or (isinstance(t, Transform) and t.batchable)):
            return NotImplemented
        imgs = np.asarray(self.data[indices])
        x = imgs if t is None else t.batch(imgs)
        x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))
        return [x, Tensor._make(np.asarray(self.targets[indices], dtype=np.int64))]

    def __repr__(self) -> str:
        split = "" if self.train is None else f", {'train' if self.train else 'test'}"
        return f"{type(self).__name__}({len(self)} samples{split})"
