"""Where a training step of the small CNN spends its time, layer by layer, beside the floor.

``gradstep.models.cnn(1, 10)`` (conv 3x3 16 - BN - ReLU - max-pool 2, conv 3x3 32 - BN - ReLU -
max-pool 2, flatten, linear 1568-128 - ReLU - linear 10), batch 64, float32, cross-entropy, Adam.
Each layer is timed alone on the activations and output gradients of a real step (forward: the
call, building the graph; backward: ``out.backward(grad)`` of that call, parameter gradients
included, less the copy into the input's ``.grad`` that gradstep makes for a leaf; the first
convolution's input needs no gradient, as in training), and so are the loss
and Adam's step, in gradstep and in PyTorch alternately, the minimum over rounds.

The floor of a layer is its matrix-product arithmetic (2 * multiply-adds of the exact
convolution or linear map, forward; weight and input gradients, backward) at this machine's
single-core float32 GEMM rate, measured here with a large product. Figures, not a test:

    python -m benchmarks.cnn_profile [rounds] [threads] [size]

``threads`` (default 1) is given to both libraries (gradstep.set_num_threads, torch.set_num_threads);
times are CPU time with one thread and wall time with more (CPU time would add the threads up);
``size`` (default 2048) is the side of the square product that measures the peak.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from this process's environment (it re-executes
itself without them) so that OpenBLAS picks its kernels for this CPU, as on a user's machine.
"""

from __future__ import annotations

import os
import sys
import time

from . import machine

BATCH = 64


def gemm_peak(np, threads: int, size: int = 2048) -> float:
    """Float32 GEMM rate (FLOP/s) of one ``size`` x ``size`` product on ``threads`` BLAS threads, best
    of 5 (CPU time for one thread, which other processes' load does not inflate; wall time for more)."""
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    c = np.empty_like(a)
    best = float("inf")
    clock = time.process_time if threads == 1 else time.perf_counter
    with threadpool_limits(threads, user_api="blas"):
        np.matmul(a, b, out=c)
        for _ in range(5):
            t0 = clock()
            np.matmul(a, b, out=c)
            best = min(best, clock() - t0)
    return 2 * size ** 3 / best


def flops(name: str, module, x_shape, need_x: bool) -> tuple[float, float]:
    """(forward, backward) matrix-product FLOPs of ``module`` on an input of ``x_shape``."""
    if name.startswith("conv"):
        o, c, kh, kw = module.weight.shape
        n, _, h, w = x_shape                   # 3 x 3, padding 1: output h x w
        f = 2.0 * n * h * w * o * c * kh * kw
        return f, f * (2 if need_x else 1)
    if name.startswith("linear"):
        o, i = module.weight.shape
        f = 2.0 * x_shape[0] * i * o
        return f, f * (2 if need_x else 1)
    return 0.0, 0.0


NAMES = ("conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "flatten", "linear1",
         "relu3", "linear2")


class Library:
    """One library's network, its per-layer inputs and output gradients, and timers."""

    def __init__(self, lib, np, state: dict, x, y, threads: int):
        self.lib, self.np = lib, np
        self.clock = time.process_time if threads == 1 else time.perf_counter
        lib.set_num_threads(threads)
        from benchmarks.cnn import network
        self.net = network(lib)
        self.net.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
        self.net.train()
        self.layers = list(self.net)
        self.crit = lib.nn.CrossEntropyLoss()
        self.opt = lib.optim.Adam(self.net.parameters(), lr=1e-3)
        self.x, self.y = lib.from_numpy(x), lib.from_numpy(y)
        # one real step's activations and output gradients, as arrays
        acts, h = [], self.x
        for layer in self.layers:
            h = h.detach().requires_grad_(len(acts) > 0)
            acts.append(h)
            h = layer(h)
        logits = h.detach().requires_grad_(True)
        loss = self.crit(logits, self.y)
        loss.backward()
        self.logits = logits.detach()
        grads, g = [], logits.grad
        for layer, a in zip(reversed(self.layers), reversed(acts)):
            grads.append(g.detach())
            out = layer(a)
            out.backward(g)
            g = a.grad
        self.inputs = [a.detach().numpy().copy() for a in acts]
        self.grads = [gr.numpy().copy() for gr in reversed(grads)]
        self.step()                    # Adam's state exists, as after the first step

    def tensor(self, a, grad: bool):
        t = self.lib.from_numpy(a)
        return t.requires_grad_(True) if grad else t

    def forward(self, i: int) -> float:
        x = self.tensor(self.inputs[i], i > 0)
        t0 = self.clock()
        self.layers[i](x)
        return self.clock() - t0

    def backward(self, i: int) -> float:
        """The backward pass of layer i (for gradstep with a copy into the leaf's ``.grad``, which a
        training step does not make: its activations are no leaves; ``leaf_copy`` times it)."""
        for p in self.layers[i].parameters():
            p.grad = None
        x = self.tensor(self.inputs[i], i > 0)
        g = self.lib.from_numpy(self.grads[i])
        out = self.layers[i](x)
        t0 = self.clock()
        out.backward(g)
        return self.clock() - t0

    def leaf_copy(self, i: int) -> float:
        """The copy gradstep makes of layer i's input gradient into the leaf's ``.grad`` (0 for
        torch, which hands its freshly computed gradient over)."""
        if i == 0 or self.lib.__name__ != "gradstep":
            return 0.0
        t0 = self.clock()
        self.np.array(self.inputs[i])
        return self.clock() - t0

    def loss(self) -> tuple[float, float]:
        z = self.logits.detach().requires_grad_(True)
        t0 = self.clock()
        loss = self.crit(z, self.y)
        t1 = self.clock()
        loss.backward()
        return t1 - t0, self.clock() - t1

    def step(self) -> float:
        for p in self.net.parameters():
            p.grad = self.lib.from_numpy(self.np.full(tuple(p.shape), 1e-3, dtype=self.np.float32))
        t0 = self.clock()
        self.opt.step()
        return self.clock() - t0

    def whole(self) -> float:
        t0 = self.clock()
        self.opt.zero_grad()
        loss = self.crit(self.net(self.x), self.y)
        loss.backward()
        self.opt.step()
        return self.clock() - t0


def main(argv: list[str]) -> None:
    machine.unpinned("benchmarks.cnn_profile", sys.argv[1:])
    rounds = int(argv[0]) if argv else 20
    threads = int(argv[1]) if len(argv) > 1 else 1
    size = int(argv[2]) if len(argv) > 2 else 2048
    os.environ.setdefault("GRADSTEP_NUM_THREADS", str(threads))
    import numpy as np
    import threadpoolctl
    import torch

    import gradstep
    from benchmarks import fashion
    from benchmarks.cnn import shapes

    arch = {p["internal_api"]: p.get("architecture") for p in threadpoolctl.threadpool_info()
            if p["user_api"] == "blas"}
    peak1, peak2 = gemm_peak(np, 1, size), gemm_peak(np, 2, size)
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    state = fashion.pytorch_init(shapes())
    libs = {"gradstep": Library(gradstep, np, state, x, y, threads),
            "torch": Library(torch, np, state, x, y, threads)}
    rows = [*NAMES, "loss", "adam", "step"]
    best = {k: {r: [float("inf"), float("inf")] for r in rows} for k in libs}
    copies = {k: [float("inf")] * len(NAMES) for k in libs}
    for _ in range(rounds):
        for k, lib in libs.items():
            for i, name in enumerate(NAMES):
                best[k][name][0] = min(best[k][name][0], lib.forward(i))
                best[k][name][1] = min(best[k][name][1], lib.backward(i))
                copies[k][i] = min(copies[k][i], lib.leaf_copy(i))
            f, b = lib.loss()
            best[k]["loss"] = [min(best[k]["loss"][0], f), min(best[k]["loss"][1], b)]
            best[k]["adam"][0] = min(best[k]["adam"][0], lib.step())
            best[k]["step"][0] = min(best[k]["step"][0], lib.whole())
    for k in libs:                     # the backward passes without the copy into a leaf's .grad
        for i, name in enumerate(NAMES):
            best[k][name][1] = max(0.0, best[k][name][1] - copies[k][i])
    net = libs["gradstep"].layers
    clock = "CPU" if threads == 1 else "wall"
    print(f"small CNN, batch {BATCH}, float32, {threads} thread(s) each; {clock} ms, minimum of {rounds} "
          f"rounds; load {os.getloadavg()[0]:.1f}; "
          f"OpenBLAS {arch}; sgemm peak ({size}^2) {peak1 / 1e9:.0f} GFLOP/s on 1 core, "
          f"{peak2 / 1e9:.0f} on 2; "
          f"numpy {np.__version__}, torch {torch.__version__}\n")
    print("| layer | gradstep fwd | gradstep bwd | torch fwd | torch bwd | floor fwd | floor bwd |")
    print("|---|---|---|---|---|---|---|")
    total = {k: [0.0, 0.0] for k in libs}
    floor = [0.0, 0.0]
    for i, name in enumerate(rows):
        if i < len(NAMES):
            ff, fb = flops(name, net[i], libs["gradstep"].inputs[i].shape, i > 0)
        else:
            ff = fb = 0.0
        cells = []
        for k in libs:
            f, b = best[k][name]
            cells += [f * 1e3, b * 1e3]
            if name != "step":
                total[k][0] += f
                total[k][1] += 0 if b == float("inf") else b
        if name != "step":
            floor[0] += ff / peak1
            floor[1] += fb / peak1
        text = ["" if v == float("inf") else f"{v:.2f}" for v in cells]
        fl = [f"{ff / peak1 * 1e3:.2f}" if ff else "", f"{fb / peak1 * 1e3:.2f}" if fb else ""]
        print(f"| {name} | " + " | ".join(text + fl) + " |")
    print(f"| sum of rows | {total['gradstep'][0] * 1e3:.2f} | {total['gradstep'][1] * 1e3:.2f} | "
          f"{total['torch'][0] * 1e3:.2f} | {total['torch'][1] * 1e3:.2f} | {floor[0] * 1e3:.2f} | "
          f"{floor[1] * 1e3:.2f} |")
    print("\n('step' is one whole training step, zero_grad to Adam, in the first column for gradstep and the "
          "third for torch.)")


if __name__ == "__main__":
    main(sys.argv[1:])
