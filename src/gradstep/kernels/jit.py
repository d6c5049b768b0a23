"""Compiled kernels: loops compiled with numba, the fast path beside a readable NumPy kernel.

A NumPy kernel makes one pass over memory per call, and several calls (batch norm's statistics,
its normalisation and affine map, a pool's window maximum and its argmax) make several passes
where one loop over the data would do. Where a profile shows that such passes dominate, the
kernel module keeps its NumPy body as the reference and adds a loop compiled here, which it runs
when ``enabled()``; tests run both and compare them (bit for bit where the same float
operations run in the same order, else within float32 rounding, which the kernel says).

- ``compiled(fn)``: ``fn`` compiled by numba on its first call (no fast-math, so nothing is
  contracted into fused multiply-adds and the float operations are exactly those written; NumPy's
  error model, so 1/0 is inf; the GIL released, so ``kernels.parallel`` can run it on several
  threads), its machine code cached on disk where numba finds a writable place.
- ``enabled()``: whether compiled kernels run: numba importable and ``GRADSTEP_JIT`` not ``0``.
  ``use(False)`` / ``use(True)`` / ``use(None)`` (back to the environment) switch it in a
  process, for tests and for reading the NumPy path in a debugger.

numba is imported on the first compiled call, not at ``import gradstep`` (it takes ~0.25 s). It is
a dependency of gradstep; where it cannot be installed, every kernel runs its NumPy body.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

_numba: list = []  # [module or None] once looked for
_forced: list[bool | None] = [None]
_decided: list[bool] = []  # [whether compiled kernels run] once enabled() has decided


def _find_numba():
    if not _numba:
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is a dependency
            numba = None
        _numba.append(numba)
    return _numba[0]


def _env_enabled() -> bool:
    value = os.environ.get("GRADSTEP_JIT", "1").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value not in ("1", "true", "yes", "on", ""):
        warnings.warn(f"GRADSTEP_JIT={value!r} is not understood (allowed: 1 or 0); compiled kernels "
                      "stay on", stacklevel=3)
    return True


def available() -> bool:
    """Whether numba can be imported (imports it the first time)."""
    return _find_numba() is not None


def enabled() -> bool:
    """Whether kernels run their compiled loops (else their NumPy bodies): decided at the first call
    (from ``use`` or ``GRADSTEP_JIT``, and whether numba imports), and again after each ``use``."""
    if not _decided:
        forced = _forced[0]
        _decided.append((_env_enabled() if forced is None else forced) and _find_numba() is not None)
    return _decided[0]


def use(on: bool | None) -> None:
    """Compiled kernels on (``True``), off (``False``) or as ``GRADSTEP_JIT`` says (``None``)."""
    _forced[0] = on
    _decided.clear()


class _Lazy:
    """A function compiled by numba at its first call."""

    def __init__(self, fn: Callable):
        self.fn, self._compiled = fn, None
        self.__name__, self.__doc__ = fn.__name__, fn.__doc__

    def __call__(self, *args):
        c = self._compiled
        if c is None:
            c = self._compiled = _compile(self.fn)
        return c(*args)


def _compile(fn: Callable):
    numba = _find_numba()
    if numba is None:  # pragma: no cover - callers check enabled() first
        raise RuntimeError("compiled kernels need numba (pip install numba); GRADSTEP_JIT=0 runs NumPy")
    options = {"nogil": True, "error_model": "numpy"}
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location
        return numba.njit(**options)(fn)


def compiled(fn: Callable) -> Callable:
    """``fn`` compiled on first call (see the module's docstring)."""
    return _Lazy(fn)
