"""Per-operation overhead of gradstep against the bare NumPy call, on small arrays.

For each op: microseconds per call of the NumPy expression, of gradstep's forward outside the
graph (no_grad), and of gradstep's forward while recording the graph (requires_grad inputs);
and forward + backward of the recorded op. Contenders alternate within every round; medians over
rounds are reported. Run it as a script:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/op_overhead.py
"""

from __future__ import annotations

import os
import statistics
import timeit

import numpy as np

import gradstep as gs

ROUNDS, NUMBER = 15, 2000
SHAPE = (64, 10)


def cases():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(SHAPE).astype(np.float32), rng.standard_normal(SHAPE).astype(np.float32)
    w = rng.standard_normal((SHAPE[1], SHAPE[1])).astype(np.float32)
    idx = rng.integers(0, SHAPE[0], 16)
    ga, gb, gw = gs.from_numpy(a), gs.from_numpy(b), gs.from_numpy(w)
    ra, rb, rw = (gs.tensor(x, requires_grad=True) for x in (a, b, w))
    return [
        ("add", lambda: a + b, lambda x, y, z: x + y),
        ("mul", lambda: a * b, lambda x, y, z: x * y),
        ("matmul", lambda: a @ w, lambda x, y, z: x @ z),
        ("exp", lambda: np.exp(a), lambda x, y, z: x.exp()),
        ("relu", lambda: np.maximum(a, 0), lambda x, y, z: x.relu()),
        ("sum", lambda: a.sum(), lambda x, y, z: x.sum()),
        ("mean(dim)", lambda: a.mean(axis=1), lambda x, y, z: x.mean(1)),
        ("reshape", lambda: a.reshape(-1), lambda x, y, z: x.reshape(-1)),
        ("index", lambda: a[idx], lambda x, y, z: x[idx]),
        ("log_softmax", lambda: a - np.log(np.exp(a - a.max(1, keepdims=True)).sum(1, keepdims=True)),
         lambda x, y, z: x.log_softmax(1)),
    ], (ga, gb, gw), (ra, rb, rw)


def per_call_us(fn) -> float:
    return timeit.timeit(fn, number=NUMBER) / NUMBER * 1e6


def main() -> None:
    from threadpoolctl import threadpool_info
    blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    print(f"gradstep {gs.__version__}, numpy {np.__version__}, shape {SHAPE} float32, "
          f"BLAS/OpenMP threads {blas}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print(f"{'op':<12} {'numpy':>8} {'no_grad':>8} {'graph':>8} {'fwd+bwd':>9} {'overhead':>9}")
    table, plain, recorded = cases()

    def fwd_bwd(f):
        def run():
            out = f(*recorded)
            out.backward(gs.ones_like(out) if out.ndim else None)
            for t in recorded:
                t.grad = None
        return run

    for name, np_fn, g_fn in table:
        contenders = {"numpy": np_fn,
                      "no_grad": gs.no_grad()(lambda g_fn=g_fn: g_fn(*plain)),
                      "graph": lambda g_fn=g_fn: g_fn(*recorded),
                      "fwd+bwd": fwd_bwd(g_fn)}
        times = {k: [] for k in contenders}
        for _ in range(ROUNDS):
            for k, f in contenders.items():  # alternate contenders within each round
                times[k].append(per_call_us(f))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name:<12} {med['numpy']:8.2f} {med['no_grad']:8.2f} {med['graph']:8.2f} "
              f"{med['fwd+bwd']:9.2f} {med['graph'] - med['numpy']:+8.2f}")
    print("microseconds per call, medians of", ROUNDS, "rounds; overhead = graph - numpy")


if __name__ == "__main__":
    main()
