"""How many threads gradstep computes on, and which work gets more than one.

``gradstep.get_num_threads()`` is, as in PyTorch, the number of threads one operation may use (the
intra-op count); by default the number of physical cores this process may run on, PyTorch's
default. Whether an operation uses them depends on its size (``benchmarks/threads.py``, table in
``benchmarks/analysis.md``): a large matrix product, elementwise pass or batch loop is cut into
chunks that run on a small persistent pool of Python threads (NumPy releases the GIL), each
product chunk on one BLAS thread. Small work stays in the calling thread:
below ``MATMUL_MIN_MACS`` multiply-adds, ``SPLIT_MIN_ELEMENTS`` elements of a NumPy pass or
``LOOP_MIN_ELEMENTS`` of a compiled loop's pass per thread the hand-off (~10-20 µs when the pool's
helpers are awake after a recent split, 40-60 µs when they sleep) costs more than it gives. The
MLP's products (64 x 784 by 784 x 200: 10 M multiply-adds) stay on one thread; convolutions' and
large products' are split.

Why not the BLAS's own threads: OpenBLAS synchronises its threads many times inside one product
and its idle threads spin, so on a machine whose cores are busy with other work a two-thread
product waited for a descheduled thread again and again (measured up to hundreds of times
slower than one thread under load). A split here has one hand-off per operation, and the calling
thread takes any chunk no helper has started. Even so a helper that gets a core late costs time,
so work is split only over CPUs that no other runnable thread takes at the moment
(``free_cpus``): on a busy machine gradstep computes on one thread, as it always did. And each
split is timed against what the calling thread alone would have taken: work whose splits keep
losing (a CPU slowed by what the load average cannot see, such as another virtual machine on its
core) runs in the calling thread for a while (``kernels.parallel._Timing``).

NumPy's BLAS itself is set to one thread at ``import gradstep`` (as before), and the count comes
from, first to last:

- ``gradstep.set_num_threads(n)`` (``None``: back to what the environment below says);
- ``GRADSTEP_NUM_THREADS``: a number, or ``default`` to leave NumPy's BLAS alone (gradstep then
  neither pins it nor splits anything, and reports the BLAS's count);
- ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS``: the user chose how the
  BLAS runs, and that choice stands as before: gradstep leaves the BLAS alone, splits nothing,
  and reports the first one set (PyTorch too reads ``OMP_NUM_THREADS``);
- otherwise the physical cores available.

Results do not depend on the count or the load: what is cut is fixed by the shapes, and the same
blocks run one after another when no second thread runs (``gradstep.kernels.parallel`` says
which results differ from a plain NumPy call: products above the crossover, by float32 rounding).
``set_num_threads(1)`` runs everything in the calling thread. PyTorch, if imported, keeps its own
``torch.set_num_threads``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

ENV = "GRADSTEP_NUM_THREADS"
USER_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# Crossovers from benchmarks/threads.py (reasoning in benchmarks/analysis.md): the work per thread
# below which a split costs so much more CPU time than one thread that free cores gain little.
MATMUL_MIN_MACS = 16_000_000       # multiply-adds of one product, per thread
SPLIT_MIN_ELEMENTS = 1_000_000     # elements of an elementwise pass, per thread
LOOP_MIN_ELEMENTS = 400_000        # elements of a compiled elementwise pass (kernels.jit), per thread

LOAD_SAMPLE_SECONDS = 0.1         # how long one reading of the machine's load is trusted
# How long a helper of kernels.parallel's pool (and a caller waiting for a helper's chunk) waits
# awake after a split before sleeping: OpenMP's blocktime. Covers the gap to the next layer's split
# in a training step; bounded, so an idle process holds no core for longer.
SPIN_SECONDS = 300e-6
HANDOFF_SECONDS = 50e-6           # how long a split waits for a spinning helper to start its chunk
GIL_GRACE_SECONDS = 8e-6          # how long the other thread's Python is given before taking the GIL

_num_threads: int | None = None    # the intra-op count (get_num_threads)
_leave_blas = False                # the BLAS is the user's (=default or their variables): no split
_free = (0.0, 0)                   # (monotonic time, free CPUs) of the last reading


def _none_running() -> int:
    return 0


own_running: Callable[[], int] = _none_running  # this process's helpers spinning now (kernels.parallel)


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:  # pragma: no cover - a declared dependency; tolerate a bare source checkout
        return None
    return threadpoolctl


def blas_threads() -> int | None:
    """The number of threads NumPy's BLAS runs on (None when it cannot be read)."""
    tc = _threadpoolctl()
    if tc is None:  # pragma: no cover
        return None
    counts = [p["num_threads"] for p in tc.threadpool_info() if p["user_api"] == "blas"]
    return max(counts) if counts else None


def physical_cores() -> int:
    """The physical cores this process may run on (hyper-threads of one core count once)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, (os.cpu_count() or 2) // 2)
    cores = set()
    for cpu in cpus:
        base = f"/sys/devices/system/cpu/cpu{cpu}/topology/"
        try:
            with open(base + "physical_package_id") as f1, open(base + "core_id") as f2:
                cores.add((f1.read().strip(), f2.read().strip()))
        except OSError:
            cores.add(("cpu", str(cpu)))
    return max(1, len(cores))


def set_num_threads(n: int | None) -> None:
    """Let one gradstep operation use up to ``n`` threads (``None``: the default, see the module)."""
    global _num_threads, _leave_blas
    if n is None:
        apply_default()
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive int or None, got {n!r}")
    tc = _threadpoolctl()
    if tc is not None:  # every BLAS loaded by now (SciPy's too) on one thread, for the process's life
        tc.threadpool_limits(1, user_api="blas")
    _num_threads, _leave_blas = n, False


def get_num_threads() -> int:
    """The number of threads one gradstep operation may use (PyTorch's intra-op count)."""
    if _num_threads is None:
        apply_default()
    return _num_threads


def _user_choice(environ) -> int | None:
    for var in USER_VARS:
        value = environ.get(var, "").strip()
        if value:
            try:
                return max(1, int(value.split(",")[0]))
            except ValueError:
                return None
    return None


def apply_default(environ=os.environ) -> None:
    """The policy of ``import gradstep`` (see the module docstring)."""
    global _leave_blas, _num_threads
    value = environ.get(ENV, "").strip()
    if value.lower() == "default" or (not value and any(environ.get(v) for v in USER_VARS)):
        _leave_blas = True  # the BLAS keeps its own (or the user's) count; gradstep splits nothing
        _num_threads = (None if value else _user_choice(environ)) or blas_threads() or 1
        return
    if value:
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"{ENV} must be a positive number of threads or 'default', got {value!r}")
    else:
        n = physical_cores()
    set_num_threads(n)


def free_cpus() -> int:
    """CPUs not taken by other runnable threads: the machine's CPUs minus the running threads
    other than this one and its pool's spinning helpers (the running count of ``/proc/loadavg``,
    read at most every ``LOAD_SAMPLE_SECONDS``); all CPUs where it cannot be read. The idea of
    OpenMP's dynamic thread adjustment (``OMP_DYNAMIC``), without its minute-long average."""
    global _free
    now = time.monotonic()
    if now - _free[0] > LOAD_SAMPLE_SECONDS:
        cpus = os.cpu_count() or 1
        _free = (now, min(cpus, max(1, cpus - (running_threads() - 1 - own_running()))))
    return _free[1]


def running_threads() -> int:
    """Threads running or ready to run on the machine now (``/proc/loadavg``; 1 if unreadable)."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return 1


def threads_for(work: int, min_per_thread: int) -> int:
    """How many threads to split ``work`` over: one below ``2 * min_per_thread``, at most
    ``get_num_threads()`` and the free CPUs; always one when gradstep leaves the BLAS alone."""
    n = _num_threads or 1
    if n == 1 or _leave_blas or work < 2 * min_per_thread:
        return 1
    return min(n, work // min_per_thread, free_cpus())
