"""Worker processes that load batches in the background.

Workers are forked, so each inherits the dataset, the collate function and the transforms as they
are (nothing is pickled). The main process sends each worker the indices of the batches assigned to
it through a pipe and receives the batches back as raw array bytes behind a JSON header (``_wire``).

Seeding follows PyTorch: every epoch the loader draws ``base_seed`` from its generator and worker
``i`` seeds gradstep's default generator, Python's ``random`` and NumPy's legacy global generator
from ``base_seed + i``, so random transforms differ between workers and repeat from run to run.
Unlike PyTorch, persistent workers are reseeded at each epoch too, and each batch comes back with
the worker's generator state, so a loader resumed mid-epoch reproduces the augmentations exactly.
"""

from __future__ import annotations

import builtins
import os
import queue
import random
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _threads
from .. import random as gs_random
from . import _wire

__all__ = ["WorkerInfo", "get_worker_info", "WorkerPool"]


def _mp():
    """``multiprocessing``, imported when the first worker starts rather than at ``import gradstep``."""
    import multiprocessing
    import multiprocessing.connection

    return multiprocessing


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its id, the number of workers, its seed and its dataset; else None."""
    return _worker_info


def _seed_worker(seed: int) -> None:
    """Seed every random stream a transform might draw from (as PyTorch's worker loop does)."""
    gs_random.manual_seed(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(1)[0])


def _error_header(task, exc: BaseException) -> dict:
    return {"task": task, "error": {"type": type(exc).__name__, "message": str(exc),
                                    "traceback": "".join(traceback.format_exception(exc))}}


def _read_requests(conn, parent_pid: int, requests: queue.SimpleQueue) -> None:
    """Read the main process's requests into ``requests`` as they come; ``None`` when it is gone.

    Reading in its own thread keeps the pipe to the worker flowing while the worker is blocked
    sending a batch the main process has not read yet: otherwise a main process that is sending
    the next task at that moment (a large one, or the hundredth small one) would wait for the
    worker and the worker for it, forever."""
    while True:
        while not _mp().connection.wait([conn], timeout=1.0):
            if os.getppid() != parent_pid:  # the main process died: nobody will read our batches
                requests.put(None)
                return
        try:
            message = _wire.receive(conn)
        except (EOFError, OSError):
            requests.put(None)
            return
        requests.put(message)
        if message[0]["op"] == "stop":
            return


def _worker_loop(worker_id: int, num_workers: int, dataset, fetcher, conn, parent_pid: int,
                 worker_init_fn: Callable | None) -> None:
    """Serve ``epoch``/``fetch``/``stop`` requests until told to stop or the parent is gone."""
    global _worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _threads.set_num_threads(1)  # as in PyTorch's workers: the main process's operations own the cores
    requests: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_read_requests, args=(conn, parent_pid, requests), daemon=True,
                     name="gradstep-dataloader-requests").start()
    init_error = None
    initialised = False
    while True:
        message = requests.get()
        if message is None:
            return
        header, payload = message
        op = header["op"]
        if op == "stop":
            return
        if op == "epoch":
            seed = int(header["seed"])
            _seed_worker(seed)
            _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
            if not initialised:
                initialised = True
                if worker_init_fn is not None:
                    try:
                        worker_init_fn(worker_id)
                    except Exception as e:  # reported with the first batch
                        init_error = e
            if header.get("rng") is not None:
                gs_random.set_rng_state(header["rng"])
            fetcher.reset()
            continue
        task = header["task"]
        try:
            if init_error is not None:
                raise RuntimeError(f"worker_init_fn failed in worker {worker_id}") from init_error
            batch = fetcher(payload)
        except StopIteration:
            _wire.send(conn, {"task": task, "end": True})
            continue
        except Exception as e:
            _wire.send(conn, _error_header(task, e))
            continue
        try:
            _wire.send(conn, {"task": task, "rng": gs_random.get_rng_state()}, batch)
        except TypeError as e:
            _wire.send(conn, _error_header(task, e))


class WorkerDiedError(RuntimeError):
    """A DataLoader worker process ended while batches were expected from it."""


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _reraise(worker_id: int, error: dict):
    """Raise a worker's exception in the main process, with the worker's traceback."""
    msg = f"Caught {error['type']} in DataLoader worker process {worker_id}.\nOriginal {error['traceback']}"
    cls = getattr(builtins, error["type"], None)
    exc = RuntimeError(msg)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            exc = cls(msg)
        except Exception:
            pass
    raise exc


class WorkerPool:
    """``num_workers`` forked worker processes, each with its own socket pair to the main process."""

    def __init__(self, dataset, fetcher, num_workers: int, worker_init_fn: Callable | None = None):
        try:
            ctx = _mp().get_context("fork")
        except ValueError:
            raise RuntimeError("DataLoader with num_workers > 0 needs the 'fork' start method, which this "
                               "platform lacks; use num_workers=0") from None
        self.num_workers = num_workers
        pipes = [socket.socketpair() for _ in range(num_workers)]
        self.conns = [parent for parent, _ in pipes]
        self._child_conns = [child for _, child in pipes]
        self.outstanding = [0] * num_workers
        self.procs = []
        parent_pid = os.getpid()
        for w, (_, child) in enumerate(pipes):
            p = ctx.Process(target=self._child, daemon=True, name=f"gradstep-dataloader-worker-{w}",
                            args=(w, num_workers, dataset, fetcher, child, parent_pid, worker_init_fn))
            p.start()
            self.procs.append(p)
        for child in self._child_conns:
            child.close()
        self._child_conns = []
        self.closed = False
        self.generation = 0  # counts passes, so an iterator of an earlier pass knows it is stale

    def _child(self, w: int, num_workers: int, dataset, fetcher, conn, parent_pid: int,
               worker_init_fn) -> None:
        # Every pipe end was inherited by fork: keep only our own, so that a worker sees the end of
        # its pipe when the main process goes away.
        for c in self.conns + self._child_conns:
            if c is not conn:
                c.close()
        try:
            _worker_loop(w, num_workers, dataset, fetcher, conn, parent_pid, worker_init_fn)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the main process closed its end: nobody is listening any more

    def start_epoch(self, base_seed: int, rng_states: list | None = None) -> None:
        """Reseed every worker with ``base_seed + worker_id`` (then restore ``rng_states`` if given)."""
        self.drain()
        self.generation += 1
        for w in range(self.num_workers):
            rng = rng_states[w] if rng_states is not None else None
            self._send(w, {"op": "epoch", "seed": base_seed + w, "rng": rng})

    def send_task(self, w: int, task: int, indices: np.ndarray | None) -> None:
        self._send(w, {"op": "fetch", "task": task}, indices)
        self.outstanding[w] += 1

    def _send(self, w: int, header: dict, obj=None) -> None:
        try:
            _wire.send(self.conns[w], header, obj)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self._died(w)

    def receive(self, w: int, task: int, timeout: float) -> tuple[dict, object]:
        """The reply of worker ``w`` to ``task``: (header, batch). Raises on death, timeout or error."""
        conn = self.conns[w]
        deadline = time.monotonic() + timeout if timeout > 0 else None
        sentinels = {p.sentinel: v for v, p in enumerate(self.procs)}
        while True:
            wait_for = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = _mp().connection.wait([conn, *sentinels], timeout=wait_for)
            if conn in ready:
                break
            for s in ready:
                self._died(sentinels[s])
            if not ready:
                self.shutdown()
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds waiting for batch {task} "
                                   f"from worker {w} (pid {self.procs[w].pid}); the worker is still "
                                   "running: the dataset or transform is slow or stuck, or the timeout "
                                   "is too short")
        try:
            header, batch = _wire.receive(conn)
        except (EOFError, OSError):
            self._died(w)
        self.outstanding[w] -= 1
        if header.get("task") != task:
            raise RuntimeError(f"DataLoader: worker {w} answered task {header.get('task')} while task {task} "
                               "was expected")
        if "error" in header:
            _reraise(w, header["error"])
        return header, batch

    def _died(self, w: int):
        p = self.procs[w]
        p.join(timeout=1.0)
        code = p.exitcode
        self.shutdown()
        if code is None:
            how = "closed its pipe"
        elif code < 0:
            how = f"was killed by {_signal_name(code)}"
            if -code == signal.SIGKILL:
                how += " (often the system running out of memory)"
        else:
            how = f"exited with exit code {code}"
        raise WorkerDiedError(f"DataLoader worker {w} (pid {p.pid}) {how} while loading data")

    def drain(self) -> None:
        """Read and drop replies still on their way (an epoch left before its end)."""
        for w, conn in enumerate(self.conns):
            while self.outstanding[w] > 0:
                try:
                    header, _ = _wire.receive(conn)
                except (EOFError, OSError):
                    self._died(w)
                self.outstanding[w] -= 1

    def shutdown(self) -> None:
        """Stop the workers (asking first, then terminating) and close the pipes; idempotent."""
        if self.closed:
            return
        self.closed = True
        for conn in self.conns:
            try:
                _wire.send(conn, {"op": "stop"})
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(timeout=0.5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1.0)
        for conn in self.conns:
            conn.close()

    def __del__(self):
        try:
            self.shutdown()
        except Exception:
            pass
