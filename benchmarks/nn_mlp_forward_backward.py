"""Forward + backward of seed 002's MLP (784-200-10, ReLU, CrossEntropyLoss) at batch 64:
gradstep vs PyTorch on the CPU, same weights, same batches.

Each contender runs in its own child process (so BLAS thread settings and import state do not
interfere); the parent alternates them, takes the median of per-step times over several rounds and
prints the ratio. Run once with one BLAS thread and once with the library defaults:

    python benchmarks/nn_mlp_forward_backward.py            # both settings
    python benchmarks/nn_mlp_forward_backward.py --steps 300 --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
import numpy as np
lib, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
xs = [rng.uniform(-1, 1, (batch, 784)).astype(np.float32) for _ in range(8)]
ys = [rng.integers(0, 10, batch) for _ in range(8)]
if lib == "torch":
    import torch as m
    m.manual_seed(0)
else:
    import gradstep as m
    m.manual_seed(0)
nn = m.nn
net = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10))
crit = nn.CrossEntropyLoss()
X = [m.from_numpy(x) for x in xs]
Y = [m.from_numpy(y) for y in ys]
params = list(net.parameters())

def step(i):
    net.zero_grad()
    loss = crit(net(X[i % 8]), Y[i % 8])
    loss.backward()
    return loss

for i in range(30):
    step(i)
t0 = time.perf_counter()
for i in range(steps):
    step(i)
dt = (time.perf_counter() - t0) / steps
print(json.dumps({"us_per_step": dt * 1e6}))
"""

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run(lib: str, steps: int, batch: int, one_thread: bool) -> float:
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    for v in THREAD_VARS:
        if one_thread:
            env[v] = "1"
        else:
            env.pop(v, None)
    out = subprocess.run([sys.executable, "-c", CHILD, lib, str(steps), str(batch)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["us_per_step"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", choices=["one", "default", "both"], default="both")
    args = ap.parse_args()
    settings = {"one": [True], "default": [False], "both": [True, False]}[args.threads]
    print(f"MLP 784-200-10 + CrossEntropyLoss, batch {args.batch}: forward + backward per step "
          f"(median of {args.rounds} rounds x {args.steps} steps, contenders alternated)")
    for one_thread in settings:
        times = {"gradstep": [], "torch": []}
        for _ in range(args.rounds):
            for lib in times:
                times[lib].append(run(lib, args.steps, args.batch, one_thread))
        g, t = statistics.median(times["gradstep"]), statistics.median(times["torch"])
        label = "1 BLAS thread (OMP/OPENBLAS/MKL_NUM_THREADS=1)" if one_thread else "library default threads"
        print(f"  {label}: gradstep {g:8.1f} us   torch {t:8.1f} us   gradstep/torch = {g / t:.2f}")


if __name__ == "__main__":
    main()
