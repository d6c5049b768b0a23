"""One optimizer step: gradstep's flat-buffer path, its per-parameter path, and torch.optim.

For every optimizer (default hyperparameters; SGD also with Nesterov momentum) and for models of
4, 40 and 200 float32 parameter tensors (seed 002's 784-200-10 MLP, 20 layers 64x64, 100 layers
32x32; about 100-160k numbers each), the gradients are set once and ``step()`` is timed alone.
Contenders alternate within every round; the table gives the median microseconds per step and
the ratios per-parameter / flat and torch / flat (above 1: the flat path is faster). torch.optim
runs with its CPU default (the single-tensor loop) and, for reference, with ``foreach=True``.
L-BFGS steps with a closure that returns a constant loss, so its closure costs nothing.

The script runs itself twice, in fresh processes: with one BLAS/OpenMP thread (and
``torch.set_num_threads(1)``) and with the libraries' default thread counts. NumPy's element-wise
calls are single-threaded either way; with more threads than free cores (a loaded or shared
machine), torch's intra-op OpenMP threads can stall each step for milliseconds, so the one-thread
table is the fair comparison there.

    python benchmarks/optim_step.py            # both settings
    python benchmarks/optim_step.py --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROUNDS, STEPS_PER_ROUND, WARMUP = 7, 5, 3
MODELS = {
    4: [(784, 200), (200,), (200, 10), (10,)],
    40: [(64, 64), (64,)] * 20,
    200: [(32, 32), (32,)] * 100,
}
OPTIMIZERS = [
    ("SGD", {}), ("SGD", {"momentum": 0.9, "nesterov": True}), ("Adagrad", {}), ("RMSprop", {}),
    ("Adadelta", {}), ("Adam", {}), ("AdamW", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {}),
    ("Rprop", {}), ("ASGD", {}), ("LBFGS", {}), ("Lion", {}),
]


def contenders(name: str, kwargs: dict, shapes: list, np, gs, torch) -> dict:
    """name -> a function doing one step, each on its own copy of the same parameters and grads."""
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) * 0.01 for s in shapes]
    out = {}
    for label, flat in (("flat", True), ("per-param", False)):
        params = [gs.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = gs.tensor(g)
        out[label] = _stepper(getattr(gs.optim, name)(params, flat=flat, **kwargs), name)
    if hasattr(torch.optim, name):
        for label, extra in (("torch", {}), ("torch foreach", {"foreach": True})):
            if name == "LBFGS" and extra:
                continue
            params = [torch.tensor(v, requires_grad=True) for v in values]
            for p, g in zip(params, grads):
                p.grad = torch.tensor(g)
            out[label] = _stepper(getattr(torch.optim, name)(params, **kwargs, **extra), name)
    return out


def _stepper(opt, name: str):
    if name == "LBFGS":
        return lambda: opt.step(lambda: 1.0)
    return opt.step


def measure(threads: str) -> None:
    import numpy as np
    import torch

    import gradstep as gs

    if threads == "1":
        torch.set_num_threads(1)
    from threadpoolctl import threadpool_info
    blas = sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})
    print(f"\n## threads: {threads} (BLAS/OpenMP {blas}, torch intra-op {torch.get_num_threads()}); "
          f"numpy {np.__version__}, torch {torch.__version__}, float32")
    print(f"{'optimizer':<22}{'tensors':>8}{'flat µs':>10}{'per-param µs':>14}{'torch µs':>10}"
          f"{'foreach µs':>12}{'per-param/flat':>16}{'torch/flat':>12}")
    for name, kwargs in OPTIMIZERS:
        label = name + ("(momentum, nesterov)" if kwargs else "")
        for n, shapes in MODELS.items():
            steps = contenders(name, kwargs, shapes, np, gs, torch)
            times = {k: [] for k in steps}
            for fn in steps.values():
                for _ in range(WARMUP):
                    fn()
            order = list(steps)
            for r in range(ROUNDS):
                for k in order[r % len(order):] + order[:r % len(order)]:
                    fn = steps[k]
                    for _ in range(STEPS_PER_ROUND):
                        t0 = time.perf_counter()
                        fn()
                        times[k].append(time.perf_counter() - t0)
            med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
            torch_us, foreach_us = med.get("torch"), med.get("torch foreach")
            print(f"{label:<22}{n:>8}{med['flat']:>10.0f}{med['per-param']:>14.0f}"
                  f"{_fmt(torch_us, '10.0f')}{_fmt(foreach_us, '12.0f')}"
                  f"{med['per-param'] / med['flat']:>16.1f}"
                  f"{_fmt(torch_us and torch_us / med['flat'], '12.1f')}")


def _fmt(value, spec: str) -> str:
    width = int(spec.split(".")[0])
    return f"{'—':>{width}}" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", choices=["1", "default"], help="run one setting in this process")
    args = parser.parse_args()
    if args.threads:
        measure(args.threads)
        return
    for threads in ("1", "default"):
        env = dict(os.environ)
        if threads == "1":
            env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        else:
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env.pop(k, None)
        subprocess.run([sys.executable, __file__, "--threads", threads], env=env, check=True)


if __name__ == "__main__":
    main()
