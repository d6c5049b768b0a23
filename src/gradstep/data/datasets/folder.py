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

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "find_classes"]

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
