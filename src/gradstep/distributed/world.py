"""The world of processes: rank, size and communicator from MPI, or a world of one.

``init()`` looks at the environment an MPI launcher (``mpiexec``) sets up: started by one with
more than one process, it initialises MPI through mpi4py and uses ``MPI.COMM_WORLD``; otherwise
(a plain ``python script.py``, or ``mpiexec -n 1``) the world is this one process and no MPI
library is loaded, so the same script runs either way. The collectives (``all_reduce``,
``broadcast``, ``all_gather``, ``barrier``) work on NumPy arrays (or tensors) with mpi4py's
buffer-based calls; in a world of one they return at once. Nothing is ever pickled: small
metadata travels as JSON bytes in ``uint8`` arrays.

Failures end the whole job. In a world of several processes ``init()`` installs a
``sys.excepthook`` that prints the rank and the traceback and calls ``MPI_Abort``, so that no
process is left waiting forever in a collective for one that died; SIGTERM (``kill PID``) is
turned into an exception so it takes the same path. An error that every process detects alike
(``DistributedError`` with ``collective=True``: models that differ between processes, a checkpoint
of another world size) is printed once, by rank 0, and every process exits normally.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import traceback

import numpy as np

from ..autograd.tensor import Tensor
from ..data.sampler import _launcher_rank_and_size

__all__ = ["DistributedError", "ReduceOp", "init", "is_initialized", "get_rank", "get_world_size",
           "is_main_process", "barrier", "all_reduce", "broadcast", "all_gather", "all_gather_json",
           "abort", "processes", "communicator"]


class DistributedError(RuntimeError):
    """A problem with the world of processes. ``collective`` says every process raised the same
    error at the same point (so none is left waiting and rank 0 alone reports it)."""

    def __init__(self, message: str, collective: bool = False):
        super().__init__(message)
        self.collective = collective


class ReduceOp:
    """The reductions of ``all_reduce`` (``torch.distributed.ReduceOp``'s names)."""

    SUM = "sum"
    AVG = "mean"
    MAX = "max"
    MIN = "min"


class _World:
    def __init__(self, comm, mpi, rank: int, size: int):
        self.comm, self.mpi, self.rank, self.size = comm, mpi, rank, size
        self.processes = [{"rank": 0, "pid": os.getpid(), "host": socket.gethostname()}]


_world: _World | None = None
_FORWARD_SECONDS = 0.5


def init() -> None:
    """Join the world of processes the launcher started (idempotent; see the module docstring).

    Raises ``DistributedError`` when an MPI launcher started several processes but mpi4py is not
    installed (each would otherwise train alone and overwrite the others' files).
    """
    global _world
    if _world is not None:
        return
    rank, size = _launcher_rank_and_size()
    if size <= 1:
        _world = _World(None, None, 0, 1)
        return
    try:
        from mpi4py import MPI
    except ImportError:
        raise DistributedError(f"this process was started by an MPI launcher as rank {rank} of {size}, "
                               f"but mpi4py is not installed: pip install 'gradstep[mpi]' (or run "
                               f"without mpiexec)") from None
    comm = MPI.COMM_WORLD
    _world = _World(comm, MPI, comm.Get_rank(), comm.Get_size())
    if _world.size > 1:
        _install_failure_handlers()
        me = {"rank": _world.rank, "pid": os.getpid(), "host": socket.gethostname()}
        _world.processes = all_gather_json(me)


def _get() -> _World:
    if _world is None:
        init()
    return _world


def is_initialized() -> bool:
    """Whether ``init()`` has run (the other functions call it when needed)."""
    return _world is not None


def get_rank() -> int:
    """This process's number, 0 to ``get_world_size() - 1``."""
    return _get().rank


def get_world_size() -> int:
    """How many processes train together (1 without an MPI launch)."""
    return _get().size


def is_main_process() -> bool:
    """Rank 0: the process that shows progress and writes logs, plots and checkpoints."""
    return _get().rank == 0


def processes() -> list[dict]:
    """``[{"rank", "pid", "host"}, ...]`` of every process, gathered at ``init()``: what maps a
    launcher's message about a process id back to a rank."""
    return [dict(p) for p in _get().processes]


def communicator():
    """mpi4py's communicator of the world (``MPI.COMM_WORLD``), or None in a world of one."""
    return _get().comm


def barrier() -> None:
    """Wait until every process has called ``barrier()``."""
    w = _get()
    if w.size > 1:
        w.comm.Barrier()


# --------------------------------------------------------------------------- collectives on arrays

def _buffer(x, what: str) -> np.ndarray:
    """The contiguous array behind ``x`` (an ndarray or a Tensor), to be communicated in place."""
    arr = x._data if isinstance(x, Tensor) else x
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{what} takes a NumPy array or a Tensor, got {type(x).__name__}")
    if not arr.flags.c_contiguous or not arr.flags.writeable:
        raise ValueError(f"{what} works in place and needs a writeable C-contiguous array; got one of "
                         f"shape {arr.shape} that is not (pass np.ascontiguousarray(x) and use the result)")
    return arr


_OPS = {"sum": "SUM", "mean": "SUM", "avg": "SUM", "max": "MAX", "min": "MIN"}


def all_reduce(x, op: str = ReduceOp.SUM):
    """Replace ``x`` (array or tensor, in place) by its sum, mean, max or min over all processes,
    the same on every process; returns ``x``. ``op`` is ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``."""
    if op not in _OPS:
        raise ValueError(f"all_reduce: unknown op {op!r}; expected one of {sorted(_OPS)}")
    arr = _buffer(x, "all_reduce")
    mean = op in ("mean", "avg")
    if mean and arr.dtype.kind != "f":
        raise TypeError(f"all_reduce(op={op!r}) needs a floating-point array, got {arr.dtype}")
    w = _get()
    if w.size == 1:
        return x
    w.comm.Allreduce(w.mpi.IN_PLACE, arr, op=getattr(w.mpi, _OPS[op]))
    if mean:
        np.divide(arr, w.size, out=arr)
    return x


def broadcast(x, src: int = 0):
    """Overwrite ``x`` (array or tensor, in place) on every process with its values on ``src``;
    returns ``x``."""
    arr = _buffer(x, "broadcast")
    w = _get()
    if not 0 <= src < w.size:
        raise ValueError(f"broadcast: src {src} is not a rank of this world of {w.size}")
    if w.size > 1:
        w.comm.Bcast(arr, root=src)
    return x


def all_gather(x) -> np.ndarray:
    """Every process's ``x`` stacked along a new first axis, shape ``(world_size, *x.shape)``.
    The shapes and dtypes must agree; a ``DistributedError`` names the processes where they do not."""
    arr = np.ascontiguousarray(x._data if isinstance(x, Tensor) else x)
    w = _get()
    if w.size == 1:
        return arr[None].copy()
    kinds = all_gather_json([list(arr.shape), arr.dtype.str])
    if any(k != kinds[0] for k in kinds):
        listed = ", ".join(f"rank {r}: shape {tuple(s)} {np.dtype(d)}" for r, (s, d) in enumerate(kinds))
        raise DistributedError(f"all_gather needs the same shape and dtype on every process; got {listed}",
                               collective=True)
    out = np.empty((w.size,) + arr.shape, arr.dtype)
    w.comm.Allgather(arr, out)
    return out


def all_gather_json(obj) -> list:
    """Every process's ``obj`` (anything JSON can hold), as a list indexed by rank; sent as JSON
    bytes in ``uint8`` arrays (never pickled)."""
    w = _get()
    data = np.frombuffer(json.dumps(obj).encode(), np.uint8)
    if w.size == 1:
        return [json.loads(data.tobytes())]
    sizes = np.empty(w.size, np.int64)
    w.comm.Allgather(np.array([data.size], np.int64), sizes)
    out = np.empty(int(sizes.sum()), np.uint8)
    w.comm.Allgatherv(data, [out, sizes.tolist()])
    ends = np.cumsum(sizes).tolist()
    return [json.loads(out[e - s:e].tobytes()) for s, e in zip(sizes.tolist(), ends)]


# --------------------------------------------------------------------------- failures

def abort(code: int = 1) -> None:
    """End every process of the job now with exit code ``code`` (``MPI_Abort``); in a world of one,
    exit this process. Print what went wrong before calling it."""
    sys.stdout.flush()
    sys.stderr.flush()
    w = _world
    if w is not None and w.size > 1:
        # The launcher forwards this process's output through a pipe and stops forwarding when it
        # ends the job: give it a moment to pass on what was just printed (seen lost without).
        time.sleep(_FORWARD_SECONDS)
        w.comm.Abort(code)
    os._exit(code)  # MPI_Abort may return before the launcher ends this process


def describe_process() -> str:
    """``"rank 1 of 4 (pid 123 on node7)"``: how messages name this process."""
    w = _get()
    return f"rank {w.rank} of {w.size} (pid {os.getpid()} on {socket.gethostname()})"


def _excepthook(etype, value, tb) -> None:
    w = _world
    if isinstance(value, DistributedError) and value.collective:
        if w.rank == 0:  # every process raised it: report once, exit normally everywhere
            sys.__excepthook__(etype, value, tb)
        return
    text = "".join(traceback.format_exception(etype, value, tb))
    sys.stderr.write(f"gradstep: {describe_process()} failed, ending all {w.size} processes:\n{text}")
    abort(1)


def _on_sigterm(signum, frame) -> None:
    raise DistributedError("received SIGTERM (terminated)")


def _install_failure_handlers() -> None:
    sys.excepthook = _excepthook
    if threading.current_thread() is threading.main_thread():  # signal handlers live there only
        signal.signal(signal.SIGTERM, _on_sigterm)
