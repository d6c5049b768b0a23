"""Seed 002's MLP trained for 20 steps, data-parallel with batch B per process (run under
``mpiexec -n 2``: writes rank 0's final weights and whether every rank holds the same ones), and
the reference the test computes in one process with batch 2B on the same samples in the same order.
"""

from __future__ import annotations

import json
import sys

import numpy as np

import gradstep as gs
import gradstep.distributed as dist
from gradstep.data import DataLoader, DistributedSampler, TensorDataset
from gradstep.models import mlp
from gradstep.nn import functional as F

B, SAMPLES, EPOCHS, SEED = 8, 160, 2, 5      # 160 / 2 processes / 8 = 10 steps per epoch: 20 steps
# (dtype, optimizer, its arguments, tolerance on the weights). Not float32 Adam: on this problem
# one process alone, summing the same batch in another order, already ends 6e-5 away (Adam divides
# near-zero gradients by their own size, so rounding decides their step); float64 Adam ends 1e-15 away.
CONFIGS = [("float64", "SGD", {"lr": 0.1, "momentum": 0.9}, 1e-12),
           ("float32", "SGD", {"lr": 0.1, "momentum": 0.9}, 1e-6),
           ("float64", "Adam", {"lr": 1e-3}, 1e-12)]


def make_data(dtype: str) -> TensorDataset:
    g = gs.Generator(123)
    x = gs.randn(SAMPLES, 784, generator=g, dtype=getattr(gs, dtype))
    y = gs.randint(0, 10, (SAMPLES,), generator=g)
    return TensorDataset(x, y)


def make_model(dtype: str):
    gs.manual_seed(0)
    return mlp(784, [200], 10).to(getattr(gs, dtype))


def weights(model) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def step(model, optimizer, x, y) -> None:
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()


def reference(dtype: str, opt: str, kwargs: dict, world: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(initial, final) weights of one process taking, at each step, every rank's batch at once."""
    data = make_data(dtype)
    model = make_model(dtype)
    initial = weights(model)
    optimizer = getattr(gs.optim, opt)(model.parameters(), **kwargs)
    samplers = [DistributedSampler(data, num_replicas=world, rank=r, seed=SEED) for r in range(world)]
    for epoch in range(EPOCHS):
        shares = []
        for s in samplers:
            s.set_epoch(epoch)
            shares.append(s.epoch_indices())
        for i in range(0, len(shares[0]), B):
            idx = np.concatenate([share[i:i + B] for share in shares])
            x, y = data.tensors[0][idx], data.tensors[1][idx]
            step(model, optimizer, x, y)
    return initial, weights(model)


def distributed(dtype: str, opt: str, kwargs: dict) -> tuple[np.ndarray, bool, int]:
    """Final weights of this process, whether all processes hold the same bits, and the steps."""
    data = make_data(dtype)
    model = dist.DistributedDataParallel(make_model(dtype))
    optimizer = getattr(gs.optim, opt)(model.parameters(), **kwargs)
    sampler = DistributedSampler(data, seed=SEED)         # rank and world size from mpiexec
    loader = DataLoader(data, batch_size=B, sampler=sampler)
    steps = 0
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for x, y in loader:
            step(model, optimizer, x, y)
            steps += 1
    w = weights(model)
    every = dist.all_gather(w)
    return w, bool(all(np.array_equal(every[0], e) for e in every)), steps


if __name__ == "__main__":
    out = {}
    for dtype, opt, kwargs, _ in CONFIGS:
        w, same, steps = distributed(dtype, opt, kwargs)
        out[f"{dtype}-{opt}"] = {"weights": w.tolist(), "identical_on_all_ranks": same, "steps": steps,
                      "world_size": dist.get_world_size()}
    if dist.is_main_process():
        with open(sys.argv[1], "w") as f:
            json.dump(out, f)
