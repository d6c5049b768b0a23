"""Conv2d forward + backward, gradstep against PyTorch, for the two convolutions of the small
Fashion-MNIST CNN (``gradstep.models.cnn(1, 10)``: 3 x 3, padding 1, 1 -> 16 channels on 28 x 28
images and 16 -> 32 on 14 x 14), batch 64, float32.

Both libraries get the same input, weights and output gradient; each round times ``reps`` calls of
forward then backward (input, weight and bias gradients) in one library, then the other, and the
medians over rounds are reported in milliseconds per call with their ratio. Figures, not a test.
Run it as a script (one thread each, as the suite's main setting):

    OPENBLAS_NUM_THREADS=1 GRADSTEP_NUM_THREADS=1 python -m benchmarks.conv [rounds] [reps] [batch]

or with ``threads`` as a fourth argument (both libraries; then wall time, which more threads
shorten, instead of CPU time). gradstep splits only over CPUs no other process is running on
(``gradstep._threads.free_cpus``), so on a busy machine its second thread stays idle.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

LAYERS = {"conv1 1->16, 28x28": (1, 16, 28), "conv2 16->32, 14x14": (16, 32, 14)}


def _timer(lib, x, w, b, g, reps: int, clock=time.process_time):
    """A function running ``reps`` forward + backward passes of one convolution in ``lib``."""
    xt = lib.tensor(x, requires_grad=True)
    wt = lib.tensor(w, requires_grad=True)
    bt = lib.tensor(b, requires_grad=True)
    gt = lib.tensor(g)
    conv = lib.nn.functional.conv2d

    def run() -> float:
        t0 = clock()
        for _ in range(reps):
            for t in (xt, wt, bt):
                t.grad = None
            conv(xt, wt, bt, padding=1).backward(gt)
        return (clock() - t0) / reps

    return run, lambda: [t.grad.numpy() for t in (xt, wt, bt)]


def main(argv: list[str]) -> dict:
    import torch

    import gradstep

    rounds = int(argv[0]) if argv else 9
    reps = int(argv[1]) if len(argv) > 1 else 10
    batch = int(argv[2]) if len(argv) > 2 else 64
    threads = int(argv[3]) if len(argv) > 3 else 1
    torch.set_num_threads(threads)
    if len(argv) > 3:
        gradstep.set_num_threads(threads)
    clock = time.process_time if threads == 1 else time.perf_counter
    print(f"Conv2d 3x3 padding 1, batch {batch}, float32, forward + backward, "
          f"{'CPU' if threads == 1 else 'wall'} ms per call, medians of "
          f"{rounds} alternating rounds of {reps}; gradstep {gradstep.get_num_threads()} thread(s), "
          f"PyTorch {torch.get_num_threads()} thread(s)")
    rng = np.random.default_rng(0)
    out = {}
    for name, (cin, cout, size) in LAYERS.items():
        x = rng.standard_normal((batch, cin, size, size)).astype(np.float32)
        w = (rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(9 * cin)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        g = rng.standard_normal((batch, cout, size, size)).astype(np.float32)
        runs = {lib.__name__: _timer(lib, x, w, b, g, reps, clock) for lib in (gradstep, torch)}
        times = {k: [] for k in runs}
        for _ in range(rounds):
            for k, (run, _) in runs.items():
                times[k].append(run())
        ours, theirs = runs["gradstep"][1](), runs["torch"][1]()
        for a, e in zip(ours, theirs):  # the figures are of the same computation
            np.testing.assert_allclose(a, e, rtol=1e-3, atol=1e-3)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        out[name] = med
        print(f"  {name:<20} gradstep {med['gradstep']:6.2f}  torch {med['torch']:6.2f}  "
              f"gradstep / torch = {med['gradstep'] / med['torch']:.2f}x")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
