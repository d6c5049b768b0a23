"""Whether the split feedback (``gradstep.kernels.parallel._Timing``) keeps the small CNN's step on
default threads near one thread's when the second CPU is slow, and costs nothing when it is free.

The benchmark's CNN step (batch 64, Adam, random images) in one process, rounds of ``steps`` steps
alternating three settings: one thread; default threads with every split made whenever the size
and the free CPUs allow (``parallel.feedback = False``, the policy before); default threads with
the feedback. ms per step, minimum, median and mean over the rounds.

    python -m benchmarks.split_feedback [rounds] [steps] [--busy ON_MS OFF_MS]

``--busy`` starts a process pinned to the last CPU that is busy for ON_MS and idle for OFF_MS in
turn, at real-time priority where allowed (``chrt -f 50``, so it takes that CPU from this process's
threads as a host taking a vCPU would), and tells the load check the CPUs are free (the host's
interference is invisible to ``/proc/loadavg``). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed
from this process's environment. Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from . import machine

BUSY = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
on, off = float(sys.argv[2]) / 1e3, float(sys.argv[3]) / 1e3
while True:
    t = time.perf_counter()
    while time.perf_counter() - t < on:
        pass
    time.sleep(off)
"""


def _busy_process(on_ms: str, off_ms: str) -> subprocess.Popen:
    cpu = str(max(os.sched_getaffinity(0)))
    cmd = [sys.executable, "-c", BUSY, cpu, on_ms, off_ms]
    chrt = shutil.which("chrt")
    if chrt and subprocess.run([chrt, "-f", "50", "true"], capture_output=True).returncode == 0:
        cmd = [chrt, "-f", "50", *cmd]
    return subprocess.Popen(cmd)


def main(argv: list[str]) -> None:
    machine.unpinned("benchmarks.split_feedback", argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.split_feedback",
                                     description="The CNN step on one thread, always split, with feedback.")
    parser.add_argument("rounds", type=int, nargs="?", default=10)
    parser.add_argument("steps", type=int, nargs="?", default=24)
    parser.add_argument("--busy", type=float, nargs=2, metavar=("ON_MS", "OFF_MS"),
                        help="a process busy ON_MS, idle OFF_MS in turn on the last CPU")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.steps < 1 or (args.busy and min(args.busy) < 0):
        parser.error("rounds and steps must be positive and the busy times not negative")
    rounds, steps, busy = args.rounds, args.steps, args.busy and [f"{v:g}" for v in args.busy]
    import numpy as np

    import gradstep
    from benchmarks import fashion
    from benchmarks.cnn import network, shapes
    from gradstep import _threads
    from gradstep.kernels import parallel

    rng = np.random.default_rng(0)
    x, y = gradstep.from_numpy(rng.random((64, 1, 28, 28), dtype=np.float32)), gradstep.from_numpy(
        rng.integers(0, 10, 64))
    net = network(gradstep)
    net.load_state_dict({k: gradstep.from_numpy(v) for k, v in fashion.pytorch_init(shapes()).items()})
    opt, crit = gradstep.optim.Adam(net.parameters(), lr=1e-3), gradstep.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        crit(net(x), y).backward()
        opt.step()

    for _ in range(10):  # compiled kernels loaded, the pool started
        step()
    process = None
    if busy:
        process = _busy_process(*busy)
        _threads.free_cpus = lambda: os.cpu_count() or 1
    settings = {"one thread": (1, True), "always split": (None, False), "feedback": (None, True)}
    times: dict = {name: [] for name in settings}
    try:
        for _ in range(rounds):
            for name, (threads, feedback) in settings.items():
                gradstep.set_num_threads(threads)
                parallel.feedback = feedback
                step()
                for _ in range(steps):
                    t0 = time.perf_counter()
                    step()
                    times[name].append((time.perf_counter() - t0) * 1e3)
    finally:
        if process is not None:
            process.kill()
    print(f"small CNN step, batch 64, Adam; {rounds} rounds of {steps} steps; ms per step; load "
          f"{os.getloadavg()[0]:.1f}; threads {gradstep.get_num_threads()}; second CPU "
          f"{'busy ' + busy[0] + ' ms / idle ' + busy[1] + ' ms' if busy else 'as it is'}\n")
    print("| setting | min | median | mean |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {min(values):.2f} | {statistics.median(values):.2f} | "
              f"{statistics.fmean(values):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
