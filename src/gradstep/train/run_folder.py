"""Run folders are owned: a run never overwrites another run's files.

``RunFolder(path, mode)`` is held for the life of a run (``with RunFolder(out) as folder: ...``):

- a folder that already holds a run's files is refused (``mode="new"``) unless the run resumes
  from a checkpoint in it (``"resume"``) or the user asked to replace it (``"overwrite"``, which
  removes the old run's files first), the way ``git clone`` refuses a non-empty folder; ``"into"``
  adds files beside a run's, removing none (``gradstep plot --overwrite``);
- a lock file naming the holder's pid stops a second process from writing the same folder; the
  lock is an ``flock`` the kernel drops when its holder dies, so a lock left by a killed process
  is taken over (``took_over`` names that pid);
- the folder is probed for writability at the start, not found unwritable after the training.

``may_replace_best`` says whether a model may replace ``best.safetensors``: only one of the same
run (the ``gradstep.run`` entry of the file's metadata) that scores better than the file.
"""

from __future__ import annotations

import math
import os
import socket

from ..serialization import CheckpointError, load_metadata

__all__ = ["RunFolder", "OutputFolderError", "RUN_FILES", "RUN_KEY", "LOCK_NAME", "may_replace_best"]

RUN_FILES = ("last.safetensors", "best.safetensors", "config.json", "history.json", "history.csv",
             "curves.png", "dynamics.json", "dynamics.png", "live.png",
             # what compare, sweep, lr-find, landscape and curvature write (their figures in any --format)
             "report.md", "results.json", "lr_find.json", "lr_find.png", "loss.png", "loss_vs_time.png",
             "accuracy.png", "heatmap.png", "landscape.png", "convergence.png", "landscape.gif",
             "contour.png", "surface.png", "curvature.json", "curvature.png")
FIGURE_FORMATS = ("png", "svg", "pdf")
RUN_KEY = "gradstep.run"  # the run's id, in the metadata of the checkpoints it writes
LOCK_NAME = ".gradstep.lock"
_MODES = ("new", "resume", "overwrite", "into")
_PROBE_BYTES = 64 * 1024  # written and removed at the start: an almost full disk is found then


class OutputFolderError(ValueError):
    """The output folder cannot be used: another run's, in use, not a folder, not writable."""


class RunFolder:
    """The output folder of one run, locked while the run lives; see the module docstring."""

    def __init__(self, path, mode: str = "new", resumable: bool = True):
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
        self.path, self.mode, self.resumable = os.fspath(path), mode, resumable
        self.took_over: int | None = None  # the pid of a dead holder whose lock was taken over
        self.created = False  # whether acquire() made the folder
        self._fd: int | None = None

    @property
    def lock_path(self) -> str:
        return os.path.join(self.path, LOCK_NAME)

    def __enter__(self) -> RunFolder:
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Create the folder if needed, lock it, check it holds no other run, probe writability."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise OutputFolderError(f"the output folder {self.path} is a file, not a folder; choose another "
                                    f"--out")
        try:
            self.created = not os.path.exists(self.path)
            os.makedirs(self.path, exist_ok=True)
        except OSError as e:
            raise OutputFolderError(f"cannot create the output folder {self.path}: {e.strerror}") from None
        try:
            self._lock()
            existing = self.run_files()
            if existing and self.mode == "new":
                resume = (f"continue it with --resume {os.path.join(self.path, 'last.safetensors')}, "
                          if self.resumable and "last.safetensors" in existing else "")
                raise OutputFolderError(
                    f"{self.path} already holds a run ({', '.join(existing)}); {resume}replace it with "
                    f"--overwrite, or choose another --out")
            self._probe()
            if existing and self.mode == "overwrite":
                for name in existing:
                    os.unlink(os.path.join(self.path, name))
        except OSError as e:
            self.release()
            raise self._unwritable(e) from None
        except BaseException:
            self.release()
            raise

    def _unwritable(self, e: OSError) -> OutputFolderError:
        return OutputFolderError(f"cannot write to the output folder {self.path}: {e.strerror}")

    def run_files(self) -> list[str]:
        """The run files (``RUN_FILES``) the folder holds."""
        return [name for name in _variants(RUN_FILES) if os.path.lexists(os.path.join(self.path, name))]

    def _lock(self) -> None:
        import fcntl

        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise self._unwritable(e) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                raise OutputFolderError(f"{self.path} is in use by another run ({holder}); wait for it to "
                                        f"end or choose another --out") from None
            try:  # the holder before may have removed the file between our open and our lock
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        previous = _read_holder(fd, pid_only=True)
        if previous is not None and previous != os.getpid():
            self.took_over = previous
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)

    def _probe(self) -> None:
        probe = os.path.join(self.path, f".gradstep-probe-{os.getpid()}")
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, bytes(_PROBE_BYTES))
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            try:
                os.unlink(probe)
            except OSError:
                pass

    def release(self) -> None:
        """Remove the lock (the folder and the run's files stay); a folder this run created is
        removed too if it is still empty (the run failed, or ended writing nothing)."""
        if self._fd is None:
            return
        try:
            os.unlink(self.lock_path)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None
        if self.created:  # only an empty folder is removed
            try:
                os.rmdir(self.path)
            except OSError:
                pass


def _variants(names) -> list[str]:
    """``names`` with each figure also in the other formats (``loss.png``, ``loss.svg``, ``loss.pdf``)."""
    out = []
    for name in names:
        stem, ext = os.path.splitext(name)
        out += [f"{stem}.{f}" for f in FIGURE_FORMATS] if ext[1:] in FIGURE_FORMATS else [name]
    return out


def _read_holder(fd: int, pid_only: bool = False):
    """What the lock file says about its holder: ``"pid 123 on host"`` (or the pid alone)."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    parts = text.split()
    pid = int(parts[1]) if len(parts) > 1 and parts[0] == "pid" and parts[1].isdigit() else None
    if pid_only:
        return pid
    return text if pid is not None else "its pid is not recorded"


def may_replace_best(path, run_id: str, monitor: str, mode: str, value: float) -> bool:
    """Whether a model of run ``run_id`` whose ``monitor`` is ``value`` may replace the weights file
    ``path``: yes if there is none (or it is unreadable), else only if the file is of the same run
    and ``value`` is better than the one it records."""
    if not os.path.exists(path):
        return True
    try:
        meta = load_metadata(path)
    except CheckpointError:
        return True
    if meta.get(RUN_KEY) != run_id:
        return False
    try:
        old = float(meta.get("value", "nan"))
    except ValueError:
        return True
    if meta.get("monitor") != monitor or not math.isfinite(old):
        return True
    return value > old if mode == "max" else value < old
