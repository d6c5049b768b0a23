"""Data-parallel training with 1 and 2 processes (mpiexec): steps per second for seed 002's MLP
(784-200-10) and the small CNN (gradstep.models.cnn, 16-32 channels with batch norm) on
Fashion-MNIST-shaped batches, and the time of the all-reduce of their gradients.

Each measurement is one ``mpiexec -n N`` job; the parent alternates the contenders over several
rounds and prints medians. Per step and process: forward + backward of ``--batch`` samples (the
batch is per process, so 2 processes take twice the samples per step), the gradient all-reduce
that DistributedDataParallel does at the end of backward, and an SGD step. The same job also
times the all-reduce alone on the model's flat gradient buffer, the step with the all-reduce
switched off (``no_sync``: the compute), and all-reduces of other sizes for the latency and
bandwidth of the cost model in docs/distributed.md.

    python benchmarks/distributed.py                   # one BLAS thread per process, then defaults
    python benchmarks/distributed.py --threads one --rounds 5 --steps 100

Needs ``pip install 'gradstep[mpi]'`` (mpi4py and an mpiexec next to this Python).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SIZES = [1 << k for k in range(10, 23, 2)]  # float32 elements: 4 KB ... 16 MB


def child(model_name: str, batch: int, steps: int) -> None:
    """One job: time the training steps, the step without all-reduce, and all-reduces."""
    import numpy as np

    import gradstep as gs
    import gradstep.distributed as dist
    from gradstep import nn
    from gradstep.models import cnn, mlp

    dist.init()
    gs.manual_seed(0)
    model = mlp(784, [200], 10) if model_name == "mlp" else cnn(1, 10)
    shape = (784,) if model_name == "mlp" else (1, 28, 28)
    ddp = dist.DistributedDataParallel(model)
    opt = gs.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    g = gs.Generator(dist.get_rank())
    xs = [gs.randn(batch, *shape, generator=g) for _ in range(4)]
    ys = [gs.randint(0, 10, (batch,), generator=g) for _ in range(4)]

    def step(i: int) -> None:
        opt.zero_grad()
        loss_fn(ddp(xs[i % 4]), ys[i % 4]).backward()
        opt.step()

    def timed(fn, n: int) -> float:
        for i in range(max(3, n // 10)):
            fn(i)
        dist.barrier()
        t0 = time.perf_counter()
        for i in range(n):
            fn(i)
        dist.barrier()
        return (time.perf_counter() - t0) / n

    per_step = timed(step, steps)
    with ddp.no_sync():
        compute = timed(step, steps)
    step(0)
    flat = ddp._reducer._flat[0] if ddp._reducer._flat else np.zeros(sum(p.numel() for p in ddp.parameters()),
                                                                     np.float32)
    allreduce = timed(lambda i: dist.all_reduce(flat, op="mean"), 200)
    sweep = {}
    for n in SIZES:
        buf = np.ones(n, np.float32)
        sweep[n] = timed(lambda i, b=buf: dist.all_reduce(b), 50 if n < 1 << 20 else 10)
    if dist.is_main_process():
        print(json.dumps({"step_s": per_step, "compute_s": compute, "allreduce_s": allreduce,
                          "grad_bytes": int(flat.nbytes), "sweep": sweep, "world": dist.get_world_size()}))


def launch(n: int, model: str, batch: int, steps: int, one_thread: bool) -> dict:
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    for v in THREAD_VARS:
        if one_thread:
            env[v] = "1"
        else:
            env.pop(v, None)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    cmd = [mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__), "--child", model,
           "--batch", str(batch), "--steps", str(steps)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", choices=["mlp", "cnn"], help=argparse.SUPPRESS)
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--batch", type=int, default=64, help="samples per process and step (64)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (60 for the mlp, 15 for the cnn)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", choices=["one", "default", "both"], default="both")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.batch, args.steps)
        return
    settings = {"one": [True], "default": [False], "both": [True, False]}[args.threads]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"batch {args.batch} per process, median of {args.rounds} rounds; {os.cpu_count()} CPUs on this "
          f"machine, load average {load:.1f} at the start")
    for one_thread in settings:
        print(f"\n== BLAS threads per process: {'1' if one_thread else 'library default'}")
        for model in args.models.split(","):
            steps = args.steps or {"mlp": 60, "cnn": 15}[model]
            runs: dict[int, list[dict]] = {1: [], 2: []}
            for _ in range(args.rounds):
                for n in (1, 2):  # alternate the contenders
                    runs[n].append(launch(n, model, args.batch, steps, one_thread))
            med = {n: {k: statistics.median(r[k] for r in rs) for k in ("step_s", "compute_s", "allreduce_s")}
                   for n, rs in runs.items()}
            grad_mb = runs[1][0]["grad_bytes"] / 1e6
            print(f"{model}: gradient {grad_mb:.2f} MB, {steps} timed steps")
            for n in (1, 2):
                step, compute, reduce = (med[n][k] * 1e3 for k in ("step_s", "compute_s", "allreduce_s"))
                print(f"  {n} process(es): {1e3 / step:7.1f} steps/s, {n * args.batch * 1e3 / step:8.0f} "
                      f"samples/s | step {step:6.2f} ms; without all-reduce {compute:6.2f} ms; "
                      f"all-reduce alone {reduce:5.2f} ms")
            print(f"  2 vs 1 process: {med[1]['step_s'] / med[2]['step_s']:.2f}x the steps/s, "
                  f"{2 * med[1]['step_s'] / med[2]['step_s']:.2f}x the samples/s")
        sweep = {int(k): statistics.median(r["sweep"][k] for r in runs[2]) for k in runs[2][0]["sweep"]}
        print("  all-reduce (sum, float32) on 2 processes of this machine, by size:")
        for n, t in sorted(sweep.items()):
            mb = 4 * n / 1e6
            print(f"    {mb:8.3f} MB: {t * 1e6:9.1f} us  ({mb / t / 1e3:5.2f} GB/s algorithm bandwidth)")


if __name__ == "__main__":
    main()
