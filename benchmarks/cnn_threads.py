"""The small CNN's whole training step (batch 64, Adam) in one process, alternating one thread
and the default threads, for gradstep with its compiled kernels (``kernels.jit``), gradstep
with its NumPy kernels (``GRADSTEP_JIT=0``'s path) and PyTorch: wall and CPU ms per step, the
minimum and the median over rounds of ``steps`` steps. Random images, so no data set is needed.

    python -m benchmarks.cnn_threads [rounds] [steps]

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from this process's environment. Figures, not
a test; on a shared machine the default-thread rows say what the free cores allowed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from . import machine


def main(argv: list[str]) -> None:
    machine.unpinned("benchmarks.cnn_threads", argv)
    rounds = int(argv[0]) if argv else 7
    steps = int(argv[1]) if len(argv) > 1 else 10
    import numpy as np
    import torch

    import gradstep
    from benchmarks import fashion
    from benchmarks.cnn import network, shapes
    from gradstep.kernels import jit

    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    state = fashion.pytorch_init(shapes())
    runs = {}
    for lib in (gradstep, torch):
        net = network(lib)
        net.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
        net.train()
        opt, crit = lib.optim.Adam(net.parameters(), lr=1e-3), lib.nn.CrossEntropyLoss()
        xt, yt = lib.from_numpy(x), lib.from_numpy(y)

        def step(net=net, opt=opt, crit=crit, xt=xt, yt=yt):
            opt.zero_grad()
            crit(net(xt), yt).backward()
            opt.step()
        runs[lib.__name__] = step
    default_torch = torch.get_num_threads()
    settings = {"gradstep jit": ("gradstep", True), "gradstep numpy": ("gradstep", False),
                "torch": ("torch", None)}
    times = {(name, t): [] for name in settings for t in ("1", "default")}
    for _ in range(rounds + 1):                      # the first round warms up (compiles) and is dropped
        for name, (lib, compiled) in settings.items():
            for threads in ("1", "default"):
                if lib == "gradstep":
                    jit.use(compiled)
                    gradstep.set_num_threads(1 if threads == "1" else None)
                else:
                    torch.set_num_threads(1 if threads == "1" else default_torch)
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(steps):
                    runs[lib]()
                times[name, threads].append(((time.perf_counter() - t0) / steps * 1e3,
                                             (time.process_time() - c0) / steps * 1e3))
    jit.use(None)
    print(f"small CNN step, batch 64, Adam; {rounds} rounds of {steps} steps; ms per step; load "
          f"{os.getloadavg()[0]:.1f}; default threads: gradstep {gradstep.get_num_threads()}, torch "
          f"{default_torch}\n")
    print("| contender | threads | wall min | wall median | CPU min | CPU median |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, threads), values in times.items():
        wall, cpu = [v[0] for v in values[1:]], [v[1] for v in values[1:]]
        print(f"| {name} | {threads} | {min(wall):.2f} | {statistics.median(wall):.2f} | {min(cpu):.2f} | "
              f"{statistics.median(cpu):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
