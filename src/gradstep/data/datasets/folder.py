"""``ImageFolder`` and ``DatasetFolder``: samples read from one sub-folder per class, with
torchvision's layout rules (classes sorted by name, files walked in sorted order, the same image
extensions). Images are decoded with Pillow into NumPy arrays (H, W, 3) uint8 (what a PIL image is
in torchvision); nothing in a file is run or unpickled.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ..dataset import Dataset

__all__ = ["DatasetFolder", "ImageFolder", "FakeData", "IMG_EXTENSIONS", "default_loader", "find_classes"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
    """The sub-folder names of ``directory``, sorted, and their indices."""
    classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {c: i for i, c in enumerate(classes)}


def default_loader(path: str) -> np.ndarray:
    """An image file as an (H, W, 3) uint8 RGB array."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError("reading image files needs Pillow (pip install pillow)") from None
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read the image {path}: {e}") from None


class DatasetFolder(Dataset):
    """``(sample, class_index)`` pairs from ``root/<class>/**/<file>``, loaded with ``loader``."""

    def __init__(self, root: str, loader: Callable, extensions: tuple[str, ...] | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None, allow_empty: bool = False):
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
        self.root = os.fspath(root)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{type(self).__name__}: no such folder {self.root}")
        self.loader, self.extensions = loader, extensions
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = find_classes(self.root)
        valid = is_valid_file or (lambda p: p.lower().endswith(tuple(extensions)))
        self.samples = []
        for cls in self.classes:
            found = []
            for folder, _, files in sorted(os.walk(os.path.join(self.root, cls), followlinks=True)):
                found += [(os.path.join(folder, f), self.class_to_idx[cls]) for f in sorted(files)
                          if valid(os.path.join(folder, f))]
            if not found and not allow_empty:
                raise FileNotFoundError(f"Found no valid file for the class {cls}. Supported extensions are: "
                                        f"{', '.join(extensions or ())}")
            self.samples += found
        self.targets = [t for _, t in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/...`` with torchvision's extensions, decoded to NumPy images."""

    def __init__(self, root: str, transform: Callable | None = None, target_transform: Callable | None = None,
                 loader: Callable = default_loader, is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform,
                         target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples


class FakeData(Dataset):
    """``size`` random images (``image_size`` = (C, H, W)) with random labels, the same ones for the
    same index and ``random_offset`` on every call, as torchvision's; images are NumPy (H, W, C) uint8."""

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10, transform=None,
                 target_transform=None, random_offset: int = 0):
        if size < 0 or num_classes < 1:
            raise ValueError(f"FakeData: size must be >= 0 and num_classes >= 1, got {size} and "
                             f"{num_classes}")
        self.size, self.image_size, self.num_classes = size, tuple(image_size), num_classes
        self.transform, self.target_transform, self.random_offset = transform, target_transform, random_offset

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int):
        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData index {index} out of range for size {self.size}")
        g = np.random.default_rng(index % self.size + self.random_offset)
        c, h, w = self.image_size
        img = (g.random((h, w, c)) * 255).astype(np.uint8)
        img = img[..., 0] if c == 1 else img
        target = int(g.integers(0, self.num_classes))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
