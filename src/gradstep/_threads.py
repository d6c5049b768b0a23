"""How many threads NumPy's BLAS runs matrix products on: gradstep's policy and its override.

The networks gradstep trains multiply small matrices (a batch of 64 through a 784-200-10 MLP is a
64 x 784 by 784 x 200 product). Splitting such a product over threads saves little when the
machine is idle, and on a machine whose cores are busy with anything else a waiting BLAS thread
stalls every step: on the shared 2-core machine of ``benchmarks/results.md`` that product took 50
times longer with two threads than with one under load, and 0.7 times as long when idle; the
MLP's step gained nothing from a second thread even then. So ``import gradstep`` limits NumPy's
BLAS to one thread, unless

- ``GRADSTEP_NUM_THREADS`` is set: a number of threads, or ``default`` to leave the BLAS alone;
- or the user chose already, through ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or
  ``MKL_NUM_THREADS``: that choice stands.

``gradstep.set_num_threads(n)`` changes it at any time (``None``: back to the BLAS's own count)
and ``gradstep.get_num_threads()`` reads it. This is NumPy's BLAS only; PyTorch, if imported,
keeps its own ``torch.set_num_threads``. The limit is process-wide, as PyTorch's is.
"""

from __future__ import annotations

import os

ENV = "GRADSTEP_NUM_THREADS"
USER_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT = 1

_limiter = None  # the active threadpoolctl limit, whose restore gives back the BLAS's own count


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:  # pragma: no cover - a declared dependency; tolerate a bare source checkout
        return None
    return threadpoolctl


def set_num_threads(n: int | None) -> None:
    """Run NumPy's matrix products on ``n`` BLAS threads (``None``: the BLAS's own default)."""
    global _limiter
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads expects a positive int or None, got {n!r}")
    tc = _threadpoolctl()
    if tc is None:
        raise RuntimeError("gradstep.set_num_threads needs the threadpoolctl package "
                           "(pip install threadpoolctl)")
    if _limiter is not None:
        _limiter.restore_original_limits()
        _limiter = None
    if n is not None:
        _limiter = tc.threadpool_limits(n, user_api="blas")


def get_num_threads() -> int | None:
    """The number of threads NumPy's BLAS uses (None when it cannot be read)."""
    tc = _threadpoolctl()
    if tc is None:  # pragma: no cover
        return None
    counts = [p["num_threads"] for p in tc.threadpool_info() if p["user_api"] == "blas"]
    return max(counts) if counts else None


def apply_default(environ=os.environ) -> None:
    """The policy of ``import gradstep`` (see the module docstring)."""
    value = environ.get(ENV, "").strip()
    if value.lower() == "default":
        return
    if value:
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"{ENV} must be a positive number of threads or 'default', got {value!r}")
    elif any(environ.get(v) for v in USER_VARS):
        return
    else:
        n = DEFAULT
    if _threadpoolctl() is not None:
        set_num_threads(n)
