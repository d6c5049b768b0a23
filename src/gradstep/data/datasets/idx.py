"""The IDX format of MNIST and Fashion-MNIST, and the two data sets.

An IDX file is two zero bytes, a type code, the number of dimensions, each dimension as a big-endian
uint32, then the values in row-major order, big-endian. The reader checks every part of that and
the file's length, and names the file and the fault when they do not add up.
"""

from __future__ import annotations

import gzip
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .download import download_from_mirrors
from .files import (
    GZIP_MAGIC,
    DataFileError,
    DatasetNotFoundError,
    cache_dir,
    find_file,
    read_bytes,
    read_head,
)
from .vision import ImageDataset

__all__ = ["read_idx", "parse_idx", "write_idx", "MNIST", "FashionMNIST", "SAMPLE_DIR"]

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in _TYPES.items()}

_MARGIN = 1 << 20  # bytes read past the declared size, so that a wrong length can be reported as such

SAMPLE_DIR = Path(__file__).resolve().parent / "_sample" / "fashion-mnist"


def _header(raw: bytes, name) -> tuple[np.dtype, tuple[int, ...], int]:
    """The dtype, the dimensions and the header length of an IDX file, checked."""
    if len(raw) < 4:
        raise DataFileError(f"{name}: {len(raw)} bytes is too short for an IDX header (4 bytes at least)")
    if raw[0] != 0 or raw[1] != 0:
        raise DataFileError(f"{name}: wrong magic number 0x{int.from_bytes(raw[:4], 'big'):08x}; an IDX file "
                            "starts with two zero bytes, a type code and the number of dimensions")
    if raw[2] not in _TYPES:
        raise DataFileError(f"{name}: unknown IDX type code 0x{raw[2]:02x} (known: "
                            f"{', '.join(f'0x{c:02x}' for c in _TYPES)})")
    ndim = raw[3]
    if ndim == 0:
        raise DataFileError(f"{name}: the IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataFileError(f"{name}: truncated header: {ndim} dimensions need {header_len} bytes, the "
                            f"file has {len(raw)}")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return _TYPES[raw[2]], dims, header_len


def _check_length(name, dtype: np.dtype, dims: tuple, data_bytes: int) -> None:
    expected = math.prod(dims) * dtype.itemsize
    if data_bytes < expected:
        raise DataFileError(f"{name}: truncated: the header declares shape {dims} of {dtype.name} "
                            f"({expected} bytes of data), but only {data_bytes} bytes follow it")
    if data_bytes > expected:
        raise DataFileError(f"{name}: wrong length: the header declares shape {dims} of {dtype.name} "
                            f"({expected} bytes of data), but {data_bytes} bytes follow it")


def parse_idx(raw: bytes, name="<bytes>") -> np.ndarray:
    """The array in the (uncompressed) IDX bytes ``raw``; ``name`` is used in error messages."""
    dtype, dims, start = _header(raw, name)
    _check_length(name, dtype, dims, len(raw) - start)
    arr = np.frombuffer(bytearray(memoryview(raw)[start:]), dtype=dtype).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else arr


def read_idx(path: str | os.PathLike, mmap: bool = False) -> np.ndarray:
    """Read an IDX file, gzip-compressed or not. ``mmap=True`` maps an uncompressed uint8/int8 file
    instead of reading it (a ``numpy.memmap``: for data larger than memory)."""
    path = Path(path)
    head = read_head(path, 4)
    head = read_head(path, 4 + 4 * head[3]) if len(head) == 4 else head
    dtype, dims, start = _header(head, path)
    if mmap and dtype.itemsize == 1:
        with open(path, "rb") as f:
            compressed = f.read(2) == GZIP_MAGIC
        if not compressed:
            _check_length(path, dtype, dims, path.stat().st_size - start)
            return np.memmap(path, dtype=dtype, mode="r", offset=start, shape=dims)
    # the header says how much data follows: read no more than that (and a margin), however much
    # the file holds or inflates to
    return parse_idx(read_bytes(path, limit=start + math.prod(dims) * dtype.itemsize + _MARGIN), path)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as IDX (gzip-compressed when ``path`` ends in .gz)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in _CODES:
        raise TypeError(f"IDX cannot hold dtype {array.dtype}; it holds {[str(d) for d in _CODES]}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX holds arrays of 1 to 255 dimensions, got shape {array.shape}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    body = np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
            f.write(header + body)
    else:
        path.write_bytes(header + body)


class MNIST(ImageDataset):
    """MNIST handwritten digits: 60,000 training and 10,000 test images of 28 x 28, ten classes.

    The four IDX files (gzip or not, ``train-images-idx3-ubyte.gz`` or ``train-images.idx3-ubyte``
    names) are looked for in ``root/MNIST/raw``, ``root/MNIST`` and ``root`` if ``root`` is given,
    else in the per-user cache directory. ``download=True`` fetches the missing ones from the
    published mirrors and checks their MD5. ``.data`` is a uint8 Tensor (N, 28, 28), ``.targets``
    an int64 Tensor, as torchvision's.
    """

    tensor_fields = True

    folder = "MNIST"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                 "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                 "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                 "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    system_dirs: tuple[Path, ...] = ()
    system_hint = ""

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        self.root, self.train = root, train
        self._load(self.search_dirs(root), download, transform, target_transform)

    def _load(self, dirs: list[Path], download: bool, transform, target_transform) -> None:
        prefix = "train" if self.train else "t10k"
        images_path = self._locate(dirs, f"{prefix}-images-idx3-ubyte", download)
        labels_path = self._locate(dirs, f"{prefix}-labels-idx1-ubyte", download)
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataFileError(f"{images_path}: expected uint8 images of shape (N, rows, cols), got "
                                f"{images.dtype} of shape {images.shape}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise DataFileError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} "
                                f"of shape {labels.shape}")
        if len(images) != len(labels):
            raise DataFileError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                                f"{len(labels)} labels")
        if len(labels) and labels.max() >= len(self.classes):
            raise DataFileError(f"{labels_path}: label {labels.max()} is out of range for "
                                f"{len(self.classes)} classes")
        super().__init__(images, labels.astype(np.int64), transform, target_transform)

    @classmethod
    def search_dirs(cls, root) -> list[Path]:
        """Where the files are looked for, in order; the first is where downloads go."""
        if root is not None:
            r = Path(root).expanduser()
            return [r / cls.folder / "raw", r / cls.folder, r]
        return [cache_dir() / cls.folder, *cls.system_dirs]

    def _locate(self, dirs: list[Path], stem: str, download: bool) -> Path:
        dotted = stem.replace("-idx", ".idx")
        found = find_file(dirs, [stem + ".gz", stem, dotted + ".gz", dotted])
        if found is not None:
            return found
        if download:
            return download_from_mirrors(stem + ".gz", self.mirrors, dirs[0], self.resources[stem + ".gz"],
                                         self._where_to_put(dirs))
        raise DatasetNotFoundError(f"{type(self).__name__}: {stem}.gz not found in "
                                   f"{', '.join(map(str, dirs))}.\n" + self._where_to_put(dirs)
                                   + "\nor pass download=True to fetch the files.")

    def _where_to_put(self, dirs: list[Path]) -> str:
        files = ", ".join(self.resources)
        return f"Put the files {files} (from {self.mirrors[0]}) into {dirs[0]}{self.system_hint}"


class FashionMNIST(MNIST):
    """Zalando Research's Fashion-MNIST: 28 x 28 grey images of clothing, ten classes (MIT licence).

    Looked for as MNIST is, and also in ``/usr/share/datasets/fashion-mnist`` (Debian's
    ``dataset-fashion-mnist`` package). ``sample=True`` reads the small copy shipped with gradstep
    instead: 10,000 training and 2,000 test images, the same number of each class, works offline.
    """

    folder = "FashionMNIST"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                 "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                 "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                 "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    system_dirs = (Path("/usr/share/datasets/fashion-mnist"),)
    system_hint = (", or install them system-wide with `apt-get install dataset-fashion-mnist` (Debian), "
                   "or use FashionMNIST(sample=True), the small copy shipped with gradstep")

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, sample: bool = False):
        if not sample:
            super().__init__(root, train, transform, target_transform, download)
            return
        if download or root is not None:
            raise ValueError("FashionMNIST(sample=True) reads the copy shipped with gradstep: it takes no "
                             "root and needs no download")
        self.root, self.train = None, train
        self._load([SAMPLE_DIR], False, transform, target_transform)
