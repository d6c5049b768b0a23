"""Conv2d forward + backward time, gradstep against PyTorch, for the small Fashion-MNIST CNN.

The network is conv(1->16, 3x3, pad 1) - relu - maxpool 2 - conv(16->32, 3x3, pad 1) - relu -
maxpool 2 - linear(1568 -> 10) at batch 64, float32. Timed: each convolution alone (forward and
backward; the first layer's input needs no gradient, as for images) and one whole training step
of the network (forward, cross-entropy, backward). Contenders alternate within every round;
medians over rounds; ratio = gradstep / PyTorch. The script runs itself twice in fresh processes,
with one BLAS/OpenMP thread (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1,
torch.set_num_threads(1)) and with the defaults, since thread counts are fixed at import:

    python benchmarks/nn_conv.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

ROUNDS, NUMBER, BATCH = 15, 3, 64
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def network(nn):
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def contenders(gs, torch, np):
    """(name, gradstep step, torch step) triples, with PyTorch's weights copied into gradstep."""
    rng = np.random.default_rng(0)
    t_net, g_net = network(torch.nn), network(gs.nn)
    g_net.load_state_dict({k: v.numpy() for k, v in t_net.state_dict().items()})
    images = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    hidden = rng.standard_normal((BATCH, 16, 14, 14)).astype(np.float32)
    labels = rng.integers(0, 10, BATCH)
    out = []
    for name, index, x, needs_grad in (("conv1 1->16 28x28", 0, images, False),
                                       ("conv2 16->32 14x14", 3, hidden, True)):
        g_conv, t_conv = g_net[index], t_net[index]
        g_x = gs.from_numpy(x).requires_grad_(needs_grad)
        t_x = torch.from_numpy(x).requires_grad_(needs_grad)

        def g_step(g_conv=g_conv, g_x=g_x):
            y = g_conv(g_x)
            y.backward(gs.ones_like(y))
            g_conv.zero_grad()
            g_x.grad = None

        def t_step(t_conv=t_conv, t_x=t_x):
            y = t_conv(t_x)
            y.backward(torch.ones_like(y))
            t_conv.zero_grad()
            t_x.grad = None

        out.append((name, g_step, t_step))
    g_images, t_images = gs.from_numpy(images), torch.from_numpy(images)
    g_labels, t_labels = gs.from_numpy(labels), torch.from_numpy(labels)
    g_loss, t_loss = gs.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def g_train():
        g_loss(g_net(g_images), g_labels).backward()
        g_net.zero_grad()

    def t_train():
        t_loss(t_net(t_images), t_labels).backward()
        t_net.zero_grad()

    out.append(("CNN train step", g_train, t_train))
    return out


def child() -> None:
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    import gradstep as gs

    one = os.environ.get("OMP_NUM_THREADS") == "1"
    if one:
        torch.set_num_threads(1)
    blas = sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})
    print(f"\n== {'one BLAS thread' if one else 'default threads'}: numpy BLAS/OpenMP {blas}, "
          f"torch threads {torch.get_num_threads()}, batch {BATCH}, float32")
    print(f"{'case':<20} {'gradstep ms':>12} {'torch ms':>10} {'ratio':>7}")
    for name, g_step, t_step in contenders(gs, torch, np):
        g_step(), t_step()                       # warm up
        times = {"gs": [], "torch": []}
        for _ in range(ROUNDS):
            for key, step in (("gs", g_step), ("torch", t_step)):
                start = time.perf_counter()
                for _ in range(NUMBER):
                    step()
                times[key].append((time.perf_counter() - start) / NUMBER * 1e3)
        g, t = statistics.median(times["gs"]), statistics.median(times["torch"])
        print(f"{name:<20} {g:12.2f} {t:10.2f} {g / t:7.2f}")


def main() -> None:
    for env in (ONE_THREAD, {}):
        full = {k: v for k, v in os.environ.items() if k not in ONE_THREAD} | env
        subprocess.run([sys.executable, __file__, "--child"], env=full, check=True)
    print(f"\nmedians of {ROUNDS} rounds of {NUMBER} calls, contenders alternating; "
          f"ratio = gradstep / PyTorch (forward + backward)")


if __name__ == "__main__":
    child() if "--child" in sys.argv else main()
