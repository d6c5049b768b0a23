"""The helpers' wait between splits: a loop, compiled without the GIL, that polls one integer.

Imported by ``kernels.parallel`` only when compiled kernels are on (it imports numba). A helper of
the thread pool that has just finished a chunk calls ``spin(signal, seen, iterations, grace)``: it
reads ``signal[0]`` (an atomic load, so the compiler reads memory every time) until it differs
from ``seen`` or ``iterations`` reads are done, and returns the value read, after ``grace`` more
reads when it changed. Holding no GIL, it leaves the calling thread's Python alone.
``publish(signal, value, started, iterations, grace)`` stores ``value`` in ``signal[0]`` and
then spins on ``started``, all without the GIL, so that a helper that sees the value finds the
GIL free (a thread that finds it taken sleeps, and a sleeping thread wakes 20-60 µs later on
this machine's VM). The grace lets the other thread finish its few µs of Python before this one
takes the GIL back. ``iterations_per_second`` converts a time budget into reads.
"""

from __future__ import annotations

import time

import numpy as np
from numba import types
from numba.extending import intrinsic

from . import jit

_compile = jit._compile  # kernels.jit's compile (cache, or none on a read-only install), eagerly


@intrinsic
def _load(typingctx, array):
    """``array[0]`` of an int64 array, read from memory at every call (acquire ordering)."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.load_atomic(data, ordering="acquire", align=8)
    return types.int64(array), codegen


@_compile
def spin(signal, seen, iterations, grace):
    value = seen
    for _ in range(iterations):
        value = _load(signal)
        if value != seen:
            for _ in range(grace):  # the writer still holds the GIL for a moment: let it go first
                _load(signal)
            break
    return value


@_compile
def publish(signal, value, started, iterations, grace):
    signal[0] = value
    return spin(started, 0, iterations, grace)


def iterations_per_second() -> float:
    """Reads of an unchanging signal per second on a core of its own: the fastest of a few timed
    runs (a slower one was interrupted by other work), so a budget converted with it is the CPU
    time a spin takes."""
    signal = np.zeros(1, np.int64)
    spin(signal, 0, 10, 0)  # compile (or load from the disk cache)
    publish(np.zeros(1, np.int64), 0, signal, 1, 0)
    best = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        spin(signal, 0, 100_000, 0)
        best = max(best, 100_000 / max(time.perf_counter() - t0, 1e-9))
    return best
