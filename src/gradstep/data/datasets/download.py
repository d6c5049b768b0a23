"""Fetching data sets: download with a short timeout, verify the MD5, extract tar files safely.

Every failure is a ``DownloadError`` that lists what was tried and says where the files can be put
by hand, so that a machine without network fails at once with instructions rather than hanging.
The network and archive modules are imported when first needed: ``import gradstep`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

__all__ = ["DownloadError", "md5sum", "download_url", "download_from_mirrors", "extract_tar"]

TIMEOUT = 15.0  # seconds for connecting and for each read; no network fails in well under that
MAX_DOWNLOAD = 1 << 30  # bytes; the largest data set fetched (CIFAR-10's archive) is 163 MB


class DownloadError(RuntimeError):
    """A data set could not be downloaded (no network, bad mirror, wrong checksum)."""


def md5sum(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    import hashlib

    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download_url(url: str, dest: str | os.PathLike, md5: str | None = None, timeout: float = TIMEOUT,
                 max_bytes: int = MAX_DOWNLOAD) -> Path:
    """Download ``url`` to ``dest`` (atomically: via a temporary file), checking ``md5`` if given;
    a download longer than ``max_bytes`` is stopped there and refused."""
    import urllib.error
    import urllib.request

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as f:
            _copy_at_most(response, f, max_bytes, url)
    except DownloadError:
        tmp.unlink(missing_ok=True)
        raise
    except (urllib.error.URLError, OSError, ValueError) as e:
        tmp.unlink(missing_ok=True)
        raise DownloadError(f"{url}: {getattr(e, 'reason', e)}") from None
    if md5 is not None:
        got = md5sum(tmp)
        if got != md5:
            tmp.unlink(missing_ok=True)
            raise DownloadError(f"{url}: MD5 of the download is {got}, expected {md5} (corrupt or changed "
                                "file)")
    os.replace(tmp, dest)
    return dest


def _copy_at_most(src, dst, limit: int, name) -> None:
    """Copy the stream ``src`` to ``dst``; refuse it as soon as it passes ``limit`` bytes."""
    total = 0
    while block := src.read(min(1 << 20, limit + 1 - total)):
        total += len(block)
        if total > limit:
            raise DownloadError(f"{name}: more than {limit} bytes; refused")
        dst.write(block)


def download_from_mirrors(filename: str, mirrors: Sequence[str], dest_dir: str | os.PathLike,
                          md5: str | None, manual_hint: str) -> Path:
    """Try each mirror in turn; raise one ``DownloadError`` naming every failure and ``manual_hint``."""
    errors = []
    for mirror in mirrors:
        try:
            return download_url(mirror + filename, Path(dest_dir) / filename, md5)
        except DownloadError as e:
            errors.append(str(e))
    tried = "\n  ".join(errors)
    raise DownloadError(f"could not download {filename}:\n  {tried}\n{manual_hint}")


def extract_tar(archive: str | os.PathLike, dest_dir: str | os.PathLike,
                allowed: set[str] | None = None, max_member_bytes: int = MAX_DOWNLOAD) -> list[Path]:
    """Extract the regular files of ``archive`` (those named in ``allowed``, if given) into ``dest_dir``.
    A member that declares more than ``max_member_bytes`` is refused before anything of it is written.

    Absolute paths, ``..``, links and device files are refused (raised as ``DownloadError``), so a
    malicious archive cannot write outside ``dest_dir``.
    """
    import tarfile

    dest_dir = Path(dest_dir)
    out = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar.getmembers():
                p = PurePosixPath(member.name)
                if p.is_absolute() or ".." in p.parts or not (member.isfile() or member.isdir()):
                    raise DownloadError(f"{archive}: refusing the unsafe member {member.name!r} (absolute "
                                        "path, '..', link or device)")
                if member.isdir() or (allowed is not None and member.name not in allowed):
                    continue
                if member.size > max_member_bytes:
                    raise DownloadError(f"{archive}: member {member.name!r} declares {member.size} bytes, "
                                        f"more than the {max_member_bytes} allowed; refused")
                target = dest_dir.joinpath(*p.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member)
                with src, open(target, "wb") as f:
                    _copy_at_most(src, f, member.size, f"{archive}: member {member.name!r}")
                out.append(target)
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DownloadError(f"{archive}: not a readable tar archive ({e})") from None
    return out
