"""How the C allocator keeps the memory of freed arrays: gradstep's policy and its override.

A training step allocates and frees the same large arrays every time (a convolution's im2col
matrix, each layer's activations and gradients, megabytes each). glibc's malloc hands blocks
this large to the kernel and back (``mmap`` / ``munmap``, or trimming the top of the heap), so the
next step touches fresh pages, and the kernel maps and zeroes each 4 KiB page on first touch: on
the 2-core machine of ``benchmarks/results.md`` the small CNN's step took ~4,100 such page faults,
9-11 ms of system time on top of 21-23 ms of arithmetic. PyTorch's steps pay the same.

So on Linux with glibc, ``import gradstep`` asks malloc (``mallopt``) to serve blocks up to
``MMAP_THRESHOLD`` from its heap and to keep up to ``TRIM_THRESHOLD`` of free memory at the
heap's top: freed arrays are reused by the next step without faults. The cost is that a
process keeps its peak heap (what a step needs at most) instead of returning it between steps.
It is left alone when

- ``GRADSTEP_MALLOC=default`` is set;
- or the user tuned malloc already (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
  ``MALLOC_TOP_PAD_`` or ``GLIBC_TUNABLES``): that choice stands.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

ENV = "GRADSTEP_MALLOC"
USER_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")
MMAP_THRESHOLD = 32 * 1024 * 1024  # bytes; glibc's own threshold adapts up to this size
TRIM_THRESHOLD = 64 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h> parameter numbers


def _mallopt():
    """glibc's ``mallopt``, or None on other platforms and C libraries."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a glibc without mallopt
        return None


def apply_default(environ=os.environ) -> bool:
    """The policy of ``import gradstep`` (see the module docstring); True when it was applied."""
    value = environ.get(ENV, "").strip().lower()
    if value not in ("", "default"):
        raise ValueError(f"{ENV} must be unset or 'default' (leave malloc's own policy), got {value!r}")
    if value == "default" or any(environ.get(v) for v in USER_VARS):
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    kept = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return bool(kept) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
