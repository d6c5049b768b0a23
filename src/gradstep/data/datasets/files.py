"""Where data files live and how they are read: the cache directory, search paths, gzip, errors."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DataFileError", "DatasetNotFoundError", "cache_dir", "read_bytes", "read_head", "find_file"]


class DataFileError(ValueError):
    """A data file that is corrupt, truncated or not of the expected format; the message names it."""


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are in none of the places searched; the message says where to put them."""


def cache_dir() -> Path:
    """Gradstep's per-user data directory: ``$XDG_CACHE_HOME/gradstep``, else ``~/.cache/gradstep``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gradstep"


_CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The contents of ``path``, decompressed if it is gzip (recognised by its magic bytes, not its
    name). With ``limit``, a file (or decompressed stream) longer than ``limit`` bytes is refused
    as soon as the limit is passed: a small gzip bomb never inflates in memory."""
    path = Path(path)
    with open(path, "rb") as f:
        magic = f.read(2)
        f.seek(0)
        if magic != GZIP_MAGIC:
            size = os.fstat(f.fileno()).st_size
            if limit is not None and size > limit:
                raise DataFileError(f"{path}: {size} bytes, more than the {limit} its header allows; refused")
            return f.read()
        out = _inflate(f, path, limit)
    return out


def read_head(path: str | os.PathLike, n: int) -> bytes:
    """The first ``n`` bytes of ``path``'s contents (decompressed if gzip), fewer if it is shorter."""
    path = Path(path)
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC:
            f.seek(0)
            return f.read(n)
        f.seek(0)
        return _inflate(f, path, n, stop=True)


def _inflate(f, path, limit: int | None, stop: bool = False) -> bytes:
    """Decompress the gzip stream ``f`` chunk by chunk, never holding more than ``limit`` + one
    chunk of output; past ``limit``, return what came (``stop``) or refuse the file."""
    d = zlib.decompressobj(wbits=31)  # gzip header and trailer
    parts, total, pending = [], 0, b""
    try:
        while True:
            room = _CHUNK if limit is None else min(_CHUNK, limit + 1 - total)
            data = d.unconsumed_tail or pending or f.read(_CHUNK)
            pending = b""
            out = d.decompress(data, room)
            if not data and not out:
                raise DataFileError(f"{path}: the gzip data is corrupt or truncated (it ends early)")
            parts.append(out)
            total += len(out)
            if limit is not None and total > limit:
                if stop:
                    return b"".join(parts)[:limit]
                raise DataFileError(f"{path}: decompresses to more than {limit} bytes, beyond what its "
                                    f"header declares; refused (a corrupt file or a decompression bomb)")
            if d.eof:  # a gzip file may hold several members, one after the other
                pending = d.unused_data or f.read(_CHUNK)
                if not pending:
                    break
                d = zlib.decompressobj(wbits=31)
    except zlib.error as e:
        raise DataFileError(f"{path}: the gzip data is corrupt or truncated ({e})") from None
    return b"".join(parts)


def find_file(dirs: Sequence[Path], names: Sequence[str]) -> Path | None:
    """The first of ``names`` that exists in the first of ``dirs`` that has one, else None."""
    for d in dirs:
        for name in names:
            p = Path(d) / name
            if p.is_file():
                return p
    return None
