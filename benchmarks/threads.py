"""Where a second thread pays: the measurements behind gradstep's thread policy (``gradstep._threads``).

Each part runs in a fresh process with ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` and the thread
variables unset, once on the machine as it is and once beside a competing busy process (one
core-hog per core but one, a loaded machine):

- ``gemm``: float32 products of the MLP (784-200-10, batch 64: forward and backward), of the small
  CNN's convolutions as GEMMs (conv1 1->16 on 28 x 28, conv2 16->32 on 14 x 14, batch 64: forward,
  weight and input gradients) and square ones: one thread, OpenBLAS's own two threads, and
  gradstep's split in two (``gradstep.kernels.parallel.matmul``, two one-thread blocks, forced
  whatever the size and load) and gradstep's policy as it stands (default thread count, measured
  crossovers, free-CPU check), alternating;
- ``switch``: the cost of changing the BLAS's thread count, directly (``openblas_set_num_threads``
  through ctypes) and through ``threadpoolctl.threadpool_limits``;
- ``elementwise``: add, mul, maximum and exp over 1e5..1e7 float32, on one thread against two
  chunks on gradstep's persistent thread pool (``gradstep.kernels.parallel.elementwise``).

Times are per call: the minimum and the median over rounds, each round the mean of a few calls;
"CPU" is the process's CPU time (every thread's), whose ratio says how much work a split adds
whatever the load: on free cores a split's wall time is about its CPU time over the threads.
Run ``python -m benchmarks.threads [--quick | --smoke] [--json FILE]``; it prints markdown tables
(``--quick`` skips the largest sizes and takes fewer rounds; ``--smoke`` only checks that it runs,
without the busy process).
Figures, not a test.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
         "MKL_NUM_THREADS", "GRADSTEP_NUM_THREADS")

# (name, m, k, n) of C[m, n] = A[m, k] @ B[k, n]
GEMMS = [
    ("MLP fwd 64x784 @ 784x200", 64, 784, 200),
    ("MLP dW1 200x64 @ 64x784", 200, 64, 784),
    ("MLP fwd 64x200 @ 200x10", 64, 200, 10),
    ("MLP dx2 64x10 @ 10x200", 64, 10, 200),
    ("conv1 fwd 16x9 @ 9x50176", 16, 9, 50176),
    ("conv1 dW 16x50176 @ 50176x9", 16, 50176, 9),
    ("conv1 dcols 9x16 @ 16x50176", 9, 16, 50176),
    ("conv2 fwd 32x144 @ 144x12544", 32, 144, 12544),
    ("conv2 dW 32x12544 @ 12544x144", 32, 12544, 144),
    ("conv2 dcols 144x32 @ 32x12544", 144, 32, 12544),
    ("square 256", 256, 256, 256),
    ("square 512", 512, 512, 512),
    ("square 1024", 1024, 1024, 1024),
    ("square 2048", 2048, 2048, 2048),
]
ROUNDS = {"full": 9, "quick": 5, "smoke": 1}
SIZES = [100_000, 300_000, 1_000_000, 3_000_000, 10_000_000]
OPS = ["add", "multiply", "maximum", "exp"]


def _time(fn, calls: int, rounds: int) -> tuple[float, float, float]:
    """(min, median) over rounds of the mean wall time of ``calls`` calls, and the min of the
    mean CPU time of the process (all its threads), in µs."""
    per, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        per.append((time.perf_counter() - t0) / calls * 1e6)
        cpu.append((time.process_time() - c0) / calls * 1e6)
    return min(per), statistics.median(per), min(cpu)


def _calls(seconds_each: float, budget: float = 0.02) -> int:
    return max(1, min(200, int(budget / max(seconds_each, 1e-7))))


def _openblas_setter():
    """``openblas_set_num_threads`` of the OpenBLAS threadpoolctl finds, through ctypes."""
    import ctypes

    import numpy  # noqa: F401 - loads the BLAS threadpoolctl looks for
    import threadpoolctl
    info = next(p for p in threadpoolctl.threadpool_info() if p["internal_api"] == "openblas")
    lib = ctypes.CDLL(info["filepath"])
    for name in ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                 "openblas_set_num_threads64_", "openblas_set_num_threads_64"):
        if hasattr(lib, name):
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = [ctypes.c_int], None
            return fn, info
    raise RuntimeError("no openblas_set_num_threads in " + info["filepath"])


_POLICY: dict = {}
# OpenBLAS's worker threads keep spinning for a while after a threaded call (its thread timeout,
# 2^28 cycles by default: ~0.1 s). Measured right after the two-thread way, gradstep's split of a
# square 1024 product took 20-27 ms against 15-18 ms half a second later, its helper competing
# with a spinning worker for the second core; so the ways after it wait this long, untimed.
OPENBLAS_REST_SECONDS = 0.5


def _force_split(on: bool) -> None:
    """Split whatever the size and the load (to see where it pays), or back to the policy."""
    from gradstep import _threads
    _POLICY.setdefault("saved", (_threads.MATMUL_MIN_MACS, _threads.SPLIT_MIN_ELEMENTS, _threads.free_cpus))
    macs, elements, free = (1, 1, lambda: os.cpu_count() or 1) if on else _POLICY["saved"]
    _threads.MATMUL_MIN_MACS, _threads.SPLIT_MIN_ELEMENTS, _threads.free_cpus = macs, elements, free


def child_gemm(mode: str) -> list:
    import numpy as np

    import gradstep
    from gradstep.kernels import parallel
    set_blas, _ = _openblas_setter()
    rng = np.random.default_rng(0)
    rows = []
    for name, m, k, n in GEMMS[:1] if mode == "smoke" else GEMMS:
        if mode == "quick" and m * k * n > 2e9:
            continue
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        calls = _calls(time.perf_counter() - t0)
        ways = {"one": (1, 1, np.matmul), "openblas2": (2, 1, np.matmul), "split2": (1, 2, parallel.matmul),
                "default": (1, None, parallel.matmul)}
        res: dict = {w: [] for w in ways}
        cpu: dict = {w: [] for w in ways}
        for _ in range(ROUNDS[mode]):  # rounds alternate the ways
            for w, (blas, threads, fn) in ways.items():
                gradstep.set_num_threads(threads)
                set_blas(blas)
                _force_split(w == "split2")
                wall, _, used = _time(lambda f=fn, a=a, b=b, o=out: f(a, b, out=o), calls, 1)
                res[w].append(wall)
                cpu[w].append(used)
                if blas > 1:  # OpenBLAS's workers spin on after a call: let them sleep before the next way
                    set_blas(1)
                    time.sleep(OPENBLAS_REST_SECONDS)
        set_blas(1)
        rows.append({"name": name, "macs": m * k * n, **{f"{w} min": min(v) for w, v in res.items()},
                     **{f"{w} med": statistics.median(v) for w, v in res.items()},
                     **{f"{w} cpu": min(v) for w, v in cpu.items()}})
    return rows


def child_switch(mode: str) -> dict:
    import threadpoolctl
    set_blas, info = _openblas_setter()
    direct = _time(lambda: (set_blas(2), set_blas(1)), 1000, 5)

    def via_threadpoolctl():
        with threadpoolctl.threadpool_limits(2, user_api="blas"):
            pass
    limits = _time(via_threadpoolctl, 20, 5)
    return {"direct_us": direct[0] / 2, "threadpoolctl_us": limits[0],
            "architecture": info.get("architecture"), "openblas": info.get("version"),
            "cores": __import__("gradstep")._threads.physical_cores(),
            "environment": {v: os.environ.get(v) for v in UNSET}}


def child_elementwise(mode: str) -> list:
    import numpy as np

    import gradstep
    from gradstep.kernels import parallel
    rng = np.random.default_rng(0)
    rows = []
    for size in {"smoke": SIZES[:1], "quick": SIZES[:-1]}.get(mode, SIZES):
        x = rng.standard_normal(size, dtype=np.float32)
        y = rng.standard_normal(size, dtype=np.float32)
        for op in OPS:
            fn = getattr(np, op)
            args = (x,) if op == "exp" else (x, y)
            calls = _calls(size * 2e-9, 0.02)
            res: dict = {"one": [], "split2": []}
            cpu: dict = {"one": [], "split2": []}
            for _ in range(ROUNDS[mode]):
                for w, f in (("one", fn), ("split2", partial(parallel.elementwise, fn))):
                    gradstep.set_num_threads(1 if w == "one" else 2)
                    _force_split(w == "split2")
                    wall, _, used = _time(lambda f=f, x=args: f(*x), calls, 1)
                    res[w].append(wall)
                    cpu[w].append(used)
                _force_split(False)
            rows.append({"op": op, "size": size, **{f"{k} min": min(v) for k, v in res.items()},
                         **{f"{k} med": statistics.median(v) for k, v in res.items()},
                         **{f"{k} cpu": min(v) for k, v in cpu.items()}})
    return rows


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")] + [env.get("PYTHONPATH", "")])
    return env


def _run(part: str, mode: str) -> object:
    args = [sys.executable, "-m", "benchmarks.threads", "--child", part, "--" + mode]
    proc = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"benchmarks.threads --child {part} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _busy() -> list:
    """One spinning process per core but one: the rest of the machine is loaded."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(max(1, (os.cpu_count() or 2) - 1))]


def _tables(parts: dict, label: str) -> str:
    lines = [f"### {label} (load average {parts['load']:.1f} before)", "",
             "µs per call, min / median over rounds; ratios of medians to one thread.", "",
             "| product | M MACs | 1 thread | OpenBLAS 2 threads | gradstep split in 2 | gradstep's policy "
             "| OpenBLAS 2 / 1 | split / 1 | policy / 1 | split CPU / 1 CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in parts["gemm"]:
        lines.append(f"| {r['name']} | {r['macs'] / 1e6:.1f} | {r['one min']:.0f} / {r['one med']:.0f} | "
                     f"{r['openblas2 min']:.0f} / {r['openblas2 med']:.0f} | "
                     f"{r['split2 min']:.0f} / {r['split2 med']:.0f} | "
                     f"{r['default min']:.0f} / {r['default med']:.0f} | "
                     f"{r['openblas2 med'] / r['one med']:.2f} | {r['split2 med'] / r['one med']:.2f} | "
                     f"{r['default med'] / r['one med']:.2f} | {r['split2 cpu'] / r['one cpu']:.2f} |")
    lines += ["", "| op | elements | 1 thread | split in 2 | split / 1 | split CPU / 1 CPU |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in parts["elementwise"]:
        lines.append(f"| {r['op']} | {r['size']:.0e} | {r['one min']:.0f} / {r['one med']:.0f} | "
                     f"{r['split2 min']:.0f} / {r['split2 med']:.0f} | "
                     f"{r['split2 med'] / r['one med']:.2f} | {r['split2 cpu'] / r['one cpu']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    mode = "smoke" if "--smoke" in argv else "quick" if "--quick" in argv else "full"
    if "--child" in argv:
        part = argv[argv.index("--child") + 1]
        print(json.dumps({"gemm": child_gemm, "switch": child_switch,
                          "elementwise": child_elementwise}[part](mode)))
        return
    sw = _run("switch", mode)
    print(f"OpenBLAS {sw['openblas']}, kernel {sw['architecture']} (threadpoolctl), "
          f"{os.cpu_count()} CPUs, {sw['cores']} physical cores. Switching the BLAS thread count: "
          f"{sw['direct_us']:.2f} µs directly, "
          f"{sw['threadpoolctl_us']:.0f} µs through threadpoolctl.threadpool_limits.\n")
    loads = {"idle": [], "busy": None}
    labels = ("as it is",) if mode == "smoke" else ("as it is", "beside a busy process per core but one")
    for label in labels:
        hogs = _busy() if label.startswith("beside") else []
        try:
            parts = {"load": os.getloadavg()[0]}
            parts.update({p: _run(p, mode) for p in ("gemm", "elementwise")})
        finally:
            for h in hogs:
                h.kill()
                h.wait()
        print(_tables(parts, f"Machine {label}") + "\n", flush=True)
        loads["idle" if not hogs else "busy"] = parts
    if "--json" in argv:
        Path(argv[argv.index("--json") + 1]).write_text(json.dumps({"switch": sw, **loads}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
