"""What the figures were measured on: CPU, cores, load, library versions and thread counts."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time

# the variables that decide thread counts and OpenBLAS's kernel, recorded with every setting
ENVIRONMENT = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GRADSTEP_NUM_THREADS",
               "PJRT_NPROC", "XLA_FLAGS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_TIMED: dict = {}  # the per-thread CPU seconds of the last part timed with ``clock``

PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # this workplace's OpenBLAS pins: never in a benchmark


def unpinned(module: str, argv: list[str]) -> None:
    """Run ``python -m module *argv`` afresh without ``PINS`` when either is set (they are read
    when NumPy loads OpenBLAS, so they must be gone before); returns only when neither is."""
    if any(k in os.environ for k in PINS):
        env = {k: v for k, v in os.environ.items() if k not in PINS}
        os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def host() -> dict:
    """Facts of the machine that do not depend on the thread setting."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


def libraries() -> dict:
    """Versions and thread counts as this process sees them (run in a child per thread setting):
    NumPy's BLAS threads and kernel (``architecture``) via threadpoolctl after ``import gradstep``
    (its thread policy applied), PyTorch's intra-op threads, JAX's version and the variables of
    ``ENVIRONMENT``."""
    import numpy as np
    info = {"numpy": np.__version__}
    try:
        import gradstep
        info["gradstep"] = gradstep.__version__
        info["gradstep_threads"] = getattr(gradstep, "get_num_threads", lambda: None)()
    except ImportError:
        info["gradstep"] = None
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version", "num_threads",
                                                       "prefix", "architecture")} for p in threadpool_info()]
    except ImportError:
        info["threadpools"] = None
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    try:
        import jax
        info["jax"] = jax.__version__
    except ImportError:
        info["jax"] = None
    info["environment"] = {k: os.environ.get(k) for k in ENVIRONMENT}
    return info


def run(contender: str) -> dict:
    """The child entry: ``contender`` is ignored (one probe per thread setting)."""
    return libraries()


def _thread_cpu() -> dict:
    """CPU seconds (user + system) of each thread of this process, from /proc (empty elsewhere)."""
    out, tick = {}, os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/self/task/{t}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[t] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return out


def clock():
    """Start timing a part; the returned ``stop()`` gives (wall seconds, process CPU seconds) and
    keeps each thread's CPU seconds of the part for ``thread_report``."""
    t0, c0, threads0 = time.perf_counter(), time.process_time(), _thread_cpu()
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def stop() -> tuple[float, float]:
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        threads = _thread_cpu()
        _TIMED.update(seconds=seconds, threads=sorted((v - threads0.get(k, 0.0) for k, v in threads.items()),
                                                      reverse=True),
                      faults=resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0)
        return seconds, cpu

    return stop


def thread_report() -> dict:
    """Of the last timed part: ``minor_faults`` (page faults: freed and re-mapped memory costs
    system time); for a part of half a second or more also ``busy_threads``, the threads that ran
    for at least a tenth of its wall time (how many threads a library really used), and the
    largest per-thread CPU seconds."""
    if not _TIMED:
        return {}
    out = {"minor_faults": _TIMED["faults"]}
    if _TIMED["seconds"] >= 0.5:  # /proc counts in clock ticks (10 ms): too coarse for less
        busy = [t for t in _TIMED["threads"] if t >= 0.1 * _TIMED["seconds"]]
        out.update(busy_threads=len(busy), thread_cpu_seconds=[round(t, 3) for t in _TIMED["threads"][:4]])
    return out
