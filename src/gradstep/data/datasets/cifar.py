"""CIFAR-10 from its binary version (``cifar-10-batches-bin``), never from the pickled Python one.

Each binary file is a sequence of 3073-byte records: one label byte (0-9), then the 1024 red, 1024
green and 1024 blue pixel values of a 32 x 32 image, row by row.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .download import download_from_mirrors, extract_tar
from .files import DataFileError, DatasetNotFoundError, cache_dir, read_bytes
from .vision import ImageDataset

__all__ = ["CIFAR10", "read_cifar_batch", "RECORD_BYTES"]

RECORD_BYTES = 1 + 3 * 32 * 32
_PICKLE_REFUSED = ("gradstep never unpickles data (a pickle can run arbitrary code): use the binary version "
                   "of CIFAR-10, cifar-10-binary.tar.gz, or pass download=True")


def read_cifar_batch(path: str | os.PathLike, records: int | None = None,
                     num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 of one binary CIFAR file (gzip allowed).

    ``records``, if given, is the number of records the file must hold.
    """
    # no more than the records asked for (and a margin, to report a wrong length as such) is read
    raw = read_bytes(path, limit=None if records is None else records * RECORD_BYTES + RECORD_BYTES)
    if raw[:1] == b"\x80":  # a pickle's PROTO opcode: the Python version of the data set
        raise DataFileError(f"{path} is a Python pickle, not a binary CIFAR file; {_PICKLE_REFUSED}")
    if not raw or len(raw) % RECORD_BYTES:
        raise DataFileError(f"{path}: wrong length: {len(raw)} bytes is not a whole number of "
                            f"{RECORD_BYTES}-byte records (1 label byte + 3072 pixel bytes); the file is "
                            "truncated or not the binary version of CIFAR")
    n = len(raw) // RECORD_BYTES
    if records is not None and n != records:
        raise DataFileError(f"{path}: holds {n} records, expected {records} (truncated or wrong file)")
    recs = np.frombuffer(raw, dtype=np.uint8).reshape(n, RECORD_BYTES)
    labels = recs[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels >= num_classes)
    if len(bad):
        raise DataFileError(f"{path}: record {bad[0]} has label byte {labels[bad[0]]}, outside "
                            f"0..{num_classes - 1}; the file is corrupt or not a CIFAR-10 binary batch")
    images = np.ascontiguousarray(recs[:, 1:].reshape(n, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels


class CIFAR10(ImageDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images of 32 x 32, ten classes.

    Reads ``data_batch_1.bin`` ... ``data_batch_5.bin`` or ``test_batch.bin`` from
    ``root/cifar-10-batches-bin`` (or ``root`` itself; the per-user cache directory when ``root``
    is None). ``download=True`` fetches ``cifar-10-binary.tar.gz``, checks its MD5 and extracts it
    safely. ``.data`` is a uint8 array (N, 32, 32, 3) and ``.targets`` a list of ints, as torchvision's.
    """

    url = "https://www.cs.toronto.edu/~kriz/"
    archive = "cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    records_per_file = 10000
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        self.root, self.train = root, train
        base = Path(root).expanduser() if root is not None else cache_dir() / "CIFAR10"
        names = self.train_list if train else self.test_list
        folder = self._find(base, names, download)
        parts = [read_cifar_batch(folder / name, self.records_per_file, len(self.classes)) for name in names]
        super().__init__(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                         transform, target_transform)

    def _find(self, base: Path, names: list[str], download: bool) -> Path:
        candidates = [base / self.base_folder, base]
        for d in candidates:
            if all((d / n).is_file() for n in names):
                return d
        if download:
            hint = f"Download {self.url}{self.archive} by hand and extract it into {base}"
            tar = download_from_mirrors(self.archive, [self.url], base, self.md5, hint)
            members = {f"{self.base_folder}/{n}" for n in self.train_list + self.test_list}
            extract_tar(tar, base, allowed=members | {f"{self.base_folder}/batches.meta.txt"},
                        max_member_bytes=self.records_per_file * RECORD_BYTES)
            return candidates[0]
        for d in candidates:
            if (d / "cifar-10-batches-py").exists() or (d / "data_batch_1").is_file():
                raise DataFileError(f"{d} holds the Python (pickled) version of CIFAR-10; "
                                    f"{_PICKLE_REFUSED}")
        missing = [n for n in names if not (candidates[0] / n).is_file()]
        raise DatasetNotFoundError(f"CIFAR10: {', '.join(missing)} not found in {candidates[0]} or "
                                   f"{base}.\n"
                                   f"Download {self.url}{self.archive} and extract it into {base} "
                                   f"(it creates {self.base_folder}/), or pass download=True.")
