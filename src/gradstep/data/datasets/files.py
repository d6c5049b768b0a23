"""Where data files live and how they are read: the cache directory, search paths, gzip, errors."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DataFileError", "DatasetNotFoundError", "cache_dir", "read_bytes", "find_file"]


class DataFileError(ValueError):
    """A data file that is corrupt, truncated or not of the expected format; the message names it."""


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are in none of the places searched; the message says where to put them."""


def cache_dir() -> Path:
    """Gradstep's per-user data directory: ``$XDG_CACHE_HOME/gradstep``, else ``~/.cache/gradstep``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gradstep"


def read_bytes(path: str | os.PathLike) -> bytes:
    """The contents of ``path``, decompressed if it is gzip (recognised by its magic bytes, not its name)."""
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataFileError(f"{path}: the gzip data is corrupt or truncated ({e})") from None


def find_file(dirs: Sequence[Path], names: Sequence[str]) -> Path | None:
    """The first of ``names`` that exists in the first of ``dirs`` that has one, else None."""
    for d in dirs:
        for name in names:
            p = Path(d) / name
            if p.is_file():
                return p
    return None
