"""Where the compiled loops of the small CNN's elementwise layers pay a second thread: batch
norm (training forward; backward), ReLU and 2 x 2 max pooling (forward; backward) on the first
block's activations (C = 16, 28 x 28) for several batch sizes, on one thread and split in two on
gradstep's thread pool (as if the crossover were half the size and the machine idle; batch
norm's statistics in two chunks both ways, so the same work), alternating; and the NumPy kernels
(``GRADSTEP_JIT=0``'s path) on one thread beside them.

Times are per call in µs: the minimum and the median wall time over rounds, and the minimum CPU
time of the process (all threads). On free cores a split's wall time is about its CPU time over
two plus the hand-off; on a loaded machine the wall times show the load. The crossover
``_threads.LOOP_MIN_ELEMENTS`` (elements per thread) comes from here. Run
``python -m benchmarks.loops [rounds] [batch ...]``; it removes OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE from its own environment. Figures, not a test.
"""

from __future__ import annotations

import os
import sys

from . import machine
from .threads import _calls, _time

BATCHES = (4, 8, 16, 32, 64, 128)


def _cases(np, batch: int) -> dict:
    from gradstep.kernels import activation, batchnorm, pool
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 16, 28, 28), dtype=np.float32)
    dy = rng.standard_normal(x.shape, dtype=np.float32)
    gamma, beta = np.ones(16, np.float32), np.zeros(16, np.float32)
    _, _, inv_std, mean, _ = batchnorm.batch_norm_train(x, gamma, beta, 1e-5, keep_x_hat=False)
    y, mask = activation.relu(x)
    geometry = ((2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))
    best, arg = pool.max_pool2d_forward(x, *geometry, (14, 14))
    g = np.ones_like(best)
    return {
        "batch norm fwd": lambda: batchnorm.batch_norm_train(x, gamma, beta, 1e-5, keep_x_hat=False),
        "batch norm bwd": lambda: batchnorm.batch_norm_backward(dy, None, inv_std, gamma, True, x=x,
                                                                mean=mean),
        "relu fwd": lambda: activation.relu(x),
        "relu bwd": lambda: activation.relu_backward(dy, mask),
        "max pool fwd": lambda: pool.max_pool2d_forward(x, *geometry, (14, 14)),
        "max pool bwd": lambda: pool.max_pool2d_backward(g, arg, x.shape, *geometry),
    }


def main(argv: list[str]) -> None:
    machine.unpinned("benchmarks.loops", argv)
    rounds = int(argv[0]) if argv else 15
    batches = [int(b) for b in argv[1:]] or BATCHES
    import numpy as np

    import gradstep
    from gradstep import _threads
    from gradstep.kernels import jit
    saved = _threads.LOOP_MIN_ELEMENTS, _threads.free_cpus
    _threads.free_cpus = lambda: 2
    print(f"compiled loops, one thread against two (split at this size); µs per call, min / median wall, "
          f"min CPU; {rounds} rounds; load {os.getloadavg()[0]:.1f}\n")
    print("| layer | batch | elements | NumPy 1 thread wall | 1 thread wall | 1 thread CPU | 2 threads wall "
          "| 2 threads CPU | 2 / 1 wall (min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for batch in batches:
        cases = _cases(np, batch)
        for name, fn in cases.items():
            fn()
            jit.use(False)
            fn()
            calls = _calls(_time(fn, 1, 3)[0] / 1e6)
            results = {"numpy": [], 1: [], 2: []}
            for _ in range(rounds):
                for mode in ("numpy", 1, 2):
                    jit.use(mode != "numpy")
                    gradstep.set_num_threads(2 if mode == 2 else 1)
                    _threads.LOOP_MIN_ELEMENTS = batch * 16 * 784 // 2
                    results[mode].append(_time(fn, calls, 1))
            jit.use(None)
            _threads.LOOP_MIN_ELEMENTS = saved[0]
            wall = {m: (min(r[0] for r in v), sorted(r[0] for r in v)[len(v) // 2], min(r[2] for r in v))
                    for m, v in results.items()}
            one, two = wall[1], wall[2]
            print(f"| {name} | {batch} | {batch * 16 * 784} | {wall['numpy'][0]:.0f} | {one[0]:.0f} / "
                  f"{one[1]:.0f} | {one[2]:.0f} | {two[0]:.0f} / {two[1]:.0f} | {two[2]:.0f} | "
                  f"{two[0] / one[0]:.2f} |")
    _threads.free_cpus = saved[1]


if __name__ == "__main__":
    main(sys.argv[1:])
