"""What kernels call to use more threads where the work pays for them (policy: ``gradstep._threads``).

- ``parallel_for(fn, length, work, min_per_thread=None, chunks=None)``: ``[fn(start, stop), ...]``
  over contiguous ranges of ``range(length)`` on a small persistent pool of Python threads (NumPy
  releases the GIL), or in the calling thread when ``work`` is too little to split.
- ``matmul(a, b, out=None)``: ``np.matmul``, with a large product computed in blocks of batch
  entries, rows or columns of the result (or, when its output is small, of the summed dimension).
- ``elementwise(fn, *args, out=None)``: a ufunc-like ``fn(*args, out=out)`` on same-shaped
  contiguous arrays, cut into chunks.

Results do not depend on how many threads run (the count set, the free CPUs): elementwise chunks
and ``parallel_for`` ranges of independent work give the same bits however they are cut, and a
product above the crossover (``_threads.MATMUL_MIN_MACS``, twice) is always computed in the same
blocks, fixed by its shape, with one thread or several. Its bits can differ from a plain
``np.matmul`` of the whole (blocks of the summed dimension are added in order; a smaller block can
take another BLAS kernel): by float32 rounding, the same with ``set_num_threads(1)`` as with more.
Below the crossover, and when the BLAS is the user's (``GRADSTEP_NUM_THREADS=default`` or their
thread variables), everything is plain NumPy.

The pool's helpers wait awake for a short while after a chunk (``_Pool``), so that the splits of
one training step, which follow each other within microseconds, start on them at once.

Whether a split pays is also checked as it runs (``_Timing``): each split is timed against what the
calling thread alone would have taken (its own chunks' seconds per chunk, times all the chunks).
A kind of split work (the same code over the same range, chunks and amount of work, e.g. one
layer's convolution at one batch size) that loses twice in a row runs in the calling thread, and is
split again once in ``PROBE_EVERY`` calls to see whether splits win again. A second CPU that is
slow for a while (another virtual machine on its core, say: the load average does not show it)
then costs a few calls, not every one. This is feedback in the spirit of OpenMP's dynamic
adjustment; it changes only where chunks run, never the results.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from time import perf_counter

import numpy as np

from .. import _threads
from . import jit

MIN_BLOCK = 64  # rows, columns or summed terms of one product block (smaller ones lose to packing)
MAX_BLOCKS = 8  # blocks of one product; each repacks an operand (16 cost 1.27x at 1024^3 on one thread)
LOSSES = 2        # losing splits in a row after which a kind of work runs in the calling thread
PROBE_EVERY = 16  # ... and is split again once in this many calls, to look whether splits win again
MAX_KINDS = 4096  # kinds of split work timed at once; the table starts afresh beyond

_pool: _Pool | None = None
_inside = threading.local()  # .on while this thread runs a chunk: nested work is not split again


class _Pool:
    """Helper threads taking tasks from a queue. After a task a helper stays awake for
    ``_threads.SPIN_SECONDS`` of CPU, polling the pool's signal without the GIL (``kernels._spin``), so that
    the next split of a step starts on it at once; then it sleeps on the queue. Without compiled
    kernels (``kernels.jit``) it sleeps at once."""

    def __init__(self):
        self.cond = threading.Condition(threading.Lock())
        self.tasks: deque = deque()
        self.signal = np.zeros(1, np.int64)  # bumped by every submission, under ``cond``
        self.submissions = 0                 # submissions so far (``signal[0]`` once published)
        self.threads: list[threading.Thread] = []
        self.sleeping = self.spinning = 0    # helpers waiting on ``cond`` / polling ``signal``
        self.rate = 0.0                      # signal reads per second of a spin (0: not measured)
        self.spin: Callable = _no_spin       # ``_spin.spin`` and ``_spin.publish`` once compiled
        self.publish: Callable = _no_spin    # kernels have been on

    def grow(self, n: int) -> None:
        if self.rate == 0.0 and jit.enabled():
            from . import _spin  # numba's import and the spin's compilation: here, not in a helper
            self.rate, self.spin, self.publish = _spin.iterations_per_second(), _spin.spin, _spin.publish
        while len(self.threads) < n:
            thread = threading.Thread(target=self._run, name=f"gradstep-{len(self.threads)}", daemon=True)
            self.threads.append(thread)
            thread.start()

    def submit(self, job: _Job, count: int) -> None:
        """Queue ``count`` calls of ``job.work``. When a helper is spinning, the submission is made
        known and a helper's start awaited without the GIL (at most ``_threads.HANDOFF_SECONDS``):
        the helper then takes the GIL at once, and this thread takes it back once the helper's
        chunk has released it (``_threads.GIL_GRACE_SECONDS``)."""
        with self.cond:
            self.tasks.extend([job.work] * count)
            self.submissions += 1
            if self.sleeping:
                self.cond.notify(min(count, self.sleeping))
            if not self.spinning:
                self.signal[0] = self.submissions
                return
        self.publish(self.signal, self.submissions, job.started, self.reads(_threads.HANDOFF_SECONDS),
                     self.reads(_threads.GIL_GRACE_SECONDS))

    def reads(self, seconds: float) -> int:
        """Reads of a spin that lasts ``seconds`` (0 when compiled kernels are off)."""
        return int(seconds * self.rate) if self.rate and jit.enabled() else 0

    def _run(self) -> None:
        reads = 0
        while True:
            with self.cond:
                self.spinning -= reads > 0
                while not self.tasks:
                    self.sleeping += 1
                    self.cond.wait()
                    self.sleeping -= 1
                task = self.tasks.popleft()
            task()
            with self.cond:
                reads = 0 if self.tasks else self.reads(_threads.SPIN_SECONDS)
                seen = int(self.signal[0])
                self.spinning += reads > 0
            if reads:
                self.spin(self.signal, seen, reads, 0)  # returns at the next submission or after the budget


def _no_spin(*args) -> None:  # pragma: no cover - never called (reads() is 0 without compiled kernels)
    pass


def _awake_helpers() -> int:
    return _pool.spinning if _pool is not None else 0


_threads.own_running = _awake_helpers  # a spinning helper is runnable, but its CPU is ours to use


def _forget_pool() -> None:  # a forked child has the pool object but not its threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _helpers(n: int) -> _Pool:
    global _pool
    if _pool is None:
        _pool = _Pool()
    _pool.grow(n)
    return _pool


class _Job:
    """Chunks taken in order by whichever thread is free; ``done`` is set (and ``state[0]`` is 1)
    after the last one."""

    def __init__(self, fn: Callable, bounds: list[int]):
        self.fn, self.bounds = fn, bounds
        self.chunks = len(bounds) - 1
        self.results: list = [None] * self.chunks
        self.errors: list = []
        self.taken = self.finished = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.state = np.zeros(1, np.int64)    # 1 once every chunk has finished
        self.started = np.zeros(1, np.int64)  # chunks started by helpers
        self.own_chunks, self.own_seconds = 0, 0.0  # the chunks the caller ran, and their time

    def work(self, helper: bool = True) -> None:
        outer = getattr(_inside, "on", False)
        _inside.on = True
        try:
            while True:
                with self.lock:
                    i = self.taken
                    if i >= self.chunks:
                        return
                    self.taken += 1
                    if helper:
                        self.started[0] += 1
                start = perf_counter()
                try:
                    self.results[i] = self.fn(self.bounds[i], self.bounds[i + 1])
                except BaseException as error:  # raised in the caller, after every chunk is done
                    self.errors.append(error)
                if not helper:
                    self.own_chunks += 1
                    self.own_seconds += perf_counter() - start
                with self.lock:
                    self.finished += 1
                    if self.finished == self.chunks:
                        self.state[0] = 1
                        self.done.set()
        finally:
            _inside.on = outer


class _Timing:
    """Whether one kind of split work is run split, from how its splits fared: a split loses
    when it took longer than the calling thread alone would have, estimated from the calling
    thread's own chunks in that very split (its seconds per chunk times all the chunks), so the
    comparison is made under the same conditions. After ``LOSSES`` losing splits in a row the work
    runs in the calling thread, and is split again once in ``PROBE_EVERY`` calls to look whether
    splits win again."""

    __slots__ = ("splitting", "lost", "calls")

    def __init__(self):
        self.splitting, self.lost, self.calls = True, 0, 0

    def splits(self) -> bool:
        """Whether this call runs split."""
        if self.splitting:
            return True
        self.calls += 1
        return self.calls % PROBE_EVERY == 0

    def fared(self, seconds: float, alone: float | None) -> None:
        """A split took ``seconds``; the calling thread alone would have taken ``alone`` (None:
        it ran no chunk, and nothing is learnt)."""
        if alone is None:
            return
        if seconds <= alone:
            self.splitting, self.lost = True, 0
        else:
            self.lost += 1
            if self.lost >= LOSSES:
                self.splitting, self.calls = False, 0


_timings: dict[tuple, _Timing] = {}
feedback = True  # False: split whenever the size and free CPUs allow (tests of the threaded paths)


def parallel_for(fn: Callable[[int, int], object], length: int, work: int,
                 min_per_thread: int | None = None, chunks: int | None = None) -> list:
    """``[fn(start, stop), ...]`` over contiguous ranges covering ``range(length)``, in order.

    ``work`` is the size of the whole loop in the unit of ``min_per_thread``, the least work
    worth a thread: by default elements touched against ``SPLIT_MIN_ELEMENTS``; a loop of
    matrix products passes its multiply-adds and ``_threads.MATMUL_MIN_MACS``. The caller and up
    to ``get_num_threads() - 1`` helpers take the ranges in turn (below twice the minimum, with
    one thread, on a busy machine or inside another split, the caller alone); an exception in a
    range is raised here once every range has finished.

    Without ``chunks`` there is one range per thread that runs, so use it only where ``fn``'s
    results do not depend on the ranges (independent rows, images or elements). With ``chunks``
    the ranges are ``chunks`` equal parts whatever the threads, so partial results (e.g. sums)
    are the same bits on any machine.
    """
    floor = _threads.SPLIT_MIN_ELEMENTS if min_per_thread is None else min_per_thread
    if chunks is None and 0 < length and work < 2 * floor:  # one thread whatever the settings
        return [fn(0, length)]
    t = _threads.threads_for(work, floor)
    return _split(fn, _even(length, min(t, length) if chunks is None else max(1, min(chunks, length))), t,
                  work)


def _split(fn: Callable[[int, int], object], bounds: list[int], t: int, work: int = 0) -> list:
    """``fn`` over the ranges ``bounds[i]:bounds[i + 1]`` on up to ``t`` threads, in order, or in
    the calling thread where that has been faster for this kind of work (``_Timing``); ``work``
    tells apart calls of the same code over the same range that do different amounts of work."""
    chunks = len(bounds) - 1
    if t <= 1 or chunks == 1 or getattr(_inside, "on", False):
        return [fn(bounds[i], bounds[i + 1]) for i in range(chunks)]
    if not feedback:
        return _run_split(fn, bounds, t).results
    key = (getattr(fn, "__code__", type(fn)), bounds[-1], chunks, t, work)
    timing = _timings.get(key)
    if timing is None:
        if len(_timings) >= MAX_KINDS:
            _timings.clear()
        timing = _timings[key] = _Timing()
    if not timing.splits():
        return [fn(bounds[i], bounds[i + 1]) for i in range(chunks)]
    start = perf_counter()
    job = _run_split(fn, bounds, t)
    seconds = perf_counter() - start
    timing.fared(seconds, job.own_seconds / job.own_chunks * chunks if job.own_chunks else None)
    return job.results


def _run_split(fn: Callable[[int, int], object], bounds: list[int], t: int) -> _Job:
    """The finished job of ``fn`` over ``bounds`` on the caller and up to ``t - 1`` helpers."""
    chunks = len(bounds) - 1
    job = _Job(fn, bounds)
    helpers = min(t, chunks) - 1
    pool = _helpers(helpers)
    pool.submit(job, helpers)
    job.work(helper=False)
    if not job.done.is_set():  # a helper's chunk still runs: wait awake for a while, then asleep
        reads = pool.reads(_threads.SPIN_SECONDS)
        if reads:
            pool.spin(job.state, 0, reads, pool.reads(_threads.GIL_GRACE_SECONDS))
        job.done.wait()
    if job.errors:
        raise job.errors[0]
    return job


def _even(length: int, parts: int) -> list[int]:
    return [length * i // parts for i in range(parts + 1)]


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(a, b, out=out)``; a product above the crossover is computed in blocks fixed by
    its shape (batch entries, else rows or columns of the result, else blocks of the summed
    dimension added in order), run side by side when threads are free and one after another
    when not, so its bits do not depend on the thread count or the load."""
    sa, sb = a.shape, b.shape
    if not (2 <= len(sa) <= 3 and 2 <= len(sb) <= 3) or sa[-1] != sb[-2]:
        return np.matmul(a, b, out=out)
    batch = sa[0] if len(sa) == 3 else sb[0] if len(sb) == 3 else 1
    (m, k), n = sa[-2:], sb[-1]
    macs = batch * m * k * n
    if (macs < 2 * _threads.MATMUL_MIN_MACS or _threads._leave_blas  # the common case first
            or (len(sa) == len(sb) == 3 and sa[0] != sb[0])):
        return np.matmul(a, b, out=out)
    blocks = min(MAX_BLOCKS, 2 * (macs // (2 * _threads.MATMUL_MIN_MACS)))  # an even number
    t = _threads.threads_for(macs, _threads.MATMUL_MIN_MACS)
    if out is None:
        out = np.empty((batch, m, n) if batch > 1 or a.ndim == 3 or b.ndim == 3 else (m, n),
                       np.result_type(a, b))
    if batch >= 2:
        def block(i, j):
            np.matmul(a[i:j] if a.ndim == 3 else a, b[i:j] if b.ndim == 3 else b, out=out[i:j])
        _split(block, _even(batch, min(blocks, batch)), t, macs)
    elif max(m, n) >= 2 * MIN_BLOCK:
        bounds = _even(max(m, n), min(blocks, max(m, n) // MIN_BLOCK))
        if m >= n:
            _split(lambda i, j: np.matmul(a[..., i:j, :], b, out=out[..., i:j, :]), bounds, t, macs)
        else:
            _split(lambda i, j: np.matmul(a, b[..., i:j], out=out[..., i:j]), bounds, t, macs)
    elif k >= 2 * MIN_BLOCK:
        bounds = _even(k, min(blocks, k // MIN_BLOCK))
        parts = _split(lambda i, j: np.matmul(a[..., i:j], b[..., i:j, :]), bounds, t, macs)
        np.add(parts[0], parts[1], out=out)
        for p in parts[2:]:
            out += p
    else:
        np.matmul(a, b, out=out)
    return out


def elementwise(fn: Callable, *args, out: np.ndarray | None = None) -> np.ndarray:
    """``fn(*args, out=out)`` for a ufunc-like ``fn``, cut into chunks when large enough.

    Arrays among ``args`` of the first array's shape are cut; anything else (scalars) is passed
    whole. Without ``out`` the result has ``np.result_type`` of the args. Other shapes
    (broadcasting) or non-contiguous arrays run unsplit.
    """
    first = args[0]
    shape = first.shape
    if (_threads.threads_for(first.size, _threads.SPLIT_MIN_ELEMENTS) == 1 or getattr(_inside, "on", False)
            or not all(a.shape == shape and a.flags.c_contiguous for a in args if _is_array(a))
            or (out is not None and (out.shape != shape or not out.flags.c_contiguous))):
        return fn(*args) if out is None else fn(*args, out=out)
    if out is None:
        out = np.empty(shape, np.result_type(*args))
    flat = [a.reshape(-1) if _is_array(a) else a for a in args]
    flat_out = out.reshape(-1)

    def chunk(start: int, stop: int) -> None:
        fn(*(a[start:stop] if _is_array(a) else a for a in flat), out=flat_out[start:stop])

    parallel_for(chunk, first.size, first.size)
    return out


def _is_array(a) -> bool:
    return isinstance(a, np.ndarray) and a.ndim > 0
