"""How soon a helper of ``gradstep.kernels.parallel``'s pool starts its chunk after a split, with
the helpers waiting awake between splits (``_threads.SPIN_SECONDS``) and without (0: they sleep on
the queue at once, as before). Splits of two chunks (~45 µs of NumPy each, the GIL released)
follow each other after ``gap`` µs of Python in the calling thread, as layers follow each other in
a training step. Per setting: the median and 90th percentile of the delay from the split's call to
the helper's chunk start, the share of splits whose second chunk the caller took itself (the
helper came too late), and the wall time of one split against the same two chunks on one thread.

    python -m benchmarks.handoff [splits] [gap µs ...]

Only splits with no other process's thread running just before them count (the running count of
/proc/loadavg less this process's running threads), so the figures are those of a free second
core; each row says how many splits found the machine busy (and gives up after 60 s).
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from this process's environment. Figures, not a
test.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time

from . import machine


def _python_for(us: float) -> None:
    end = time.perf_counter() + us * 1e-6
    while time.perf_counter() < end:
        pass


def main(argv: list[str]) -> None:
    machine.unpinned("benchmarks.handoff", argv)
    splits = int(argv[0]) if argv else 300
    gaps = [float(g) for g in argv[1:]] or [20.0, 100.0, 250.0, 1000.0]
    import numpy as np

    import gradstep
    from gradstep import _threads
    from gradstep.kernels import parallel

    gradstep.set_num_threads(2)
    x = np.random.default_rng(0).random(2 * 130_000, dtype=np.float32) + 1  # ~50 µs of sqrt per chunk
    out = np.empty_like(x)
    caller = threading.get_ident()
    starts: dict = {}

    def chunk(i: int, j: int) -> None:
        starts[i] = (time.perf_counter_ns(), threading.get_ident())
        np.sqrt(x[i:j], out=out[i:j])

    one = []
    for _ in range(200):
        t0 = time.perf_counter_ns()
        chunk(0, x.size // 2)
        chunk(x.size // 2, x.size)
        one.append(time.perf_counter_ns() - t0)
    print(f"hand-off of a split in two; {splits} splits per row; one thread: the two chunks take "
          f"{min(one) / 1e3:.0f} µs (min)\n")
    print("| helpers between splits | gap µs | splits kept / busy | helper start µs (median / p90) "
          "| caller took both | split wall µs (min / median) |")
    print("|---|---:|---:|---:|---:|---:|")
    spin = _threads.SPIN_SECONDS
    for gap in gaps:
        for seconds in (0.0, spin):
            _threads.SPIN_SECONDS = seconds
            delays, walls, alone, busy = [], [], 0, 0
            deadline = time.monotonic() + 60
            parallel._split(chunk, [0, x.size // 2, x.size], 2)  # the pool exists, its helper waits
            while len(walls) < splits and time.monotonic() < deadline:
                # a split counts only when no other process's thread was running just before it
                # (the running count less this process's running threads); the reading is part of
                # the gap, so the splits follow each other as they would anyway
                free = _threads.running_threads() - 1 - _threads.own_running() <= 0
                _python_for(gap)
                starts.clear()
                t0 = time.perf_counter_ns()
                parallel._split(chunk, [0, x.size // 2, x.size], 2)
                wall = time.perf_counter_ns() - t0
                if not free:
                    busy += 1
                    continue
                walls.append(wall)
                helper = [t for t, ident in starts.values() if ident != caller]
                if helper:
                    delays.append(helper[0] - t0)
                else:
                    alone += 1
            q = statistics.quantiles(delays, n=10) if len(delays) > 1 else [float("nan")] * 9
            mode = "sleep" if seconds == 0 else f"awake {seconds * 1e6:.0f} µs"
            n = max(1, len(walls))
            print(f"| {mode} | {gap:.0f} | {len(walls)} / {busy} | "
                  f"{statistics.median(delays) / 1e3 if delays else float('nan'):.1f}"
                  f" / {q[8] / 1e3:.1f} | {alone / n:.0%} | {min(walls or [0]) / 1e3:.0f} / "
                  f"{statistics.median(walls or [0]) / 1e3:.0f} |")
    _threads.SPIN_SECONDS = spin


if __name__ == "__main__":
    main(sys.argv[1:])
