"""One optimizer step, for every optimizer: gradstep's flat-buffer path, its per-parameter path,
and torch.optim (its CPU default, the single-tensor loop).

Models of 4, 40 and 200 float32 parameter tensors (seed 002's 784-200-10 MLP, 20 layers 64x64,
100 layers 32x32; about 100-160k numbers each); the gradients are set once and ``step()`` alone is
timed, each step separately, after a few warm-up steps. L-BFGS steps with a closure returning a
constant loss, so the closure costs nothing. A child process runs one contender over the whole
table and reports the median microseconds per step of each (optimizer, model).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

CONTENDERS = ("flat", "per-param", "torch")
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


def label(name: str, kwargs: dict) -> str:
    return name + (" (nesterov)" if kwargs.get("nesterov") else "")


def _optimizer(contender: str, name: str, kwargs: dict, shapes: list):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) * 0.01 for s in shapes]
    if contender == "torch":
        import torch
        if not hasattr(torch.optim, name):
            return None
        params = [torch.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        return getattr(torch.optim, name)(params, **kwargs)
    import gradstep as gs
    params = [gs.tensor(v, requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = gs.tensor(g)
    return getattr(gs.optim, name)(params, flat=contender == "flat", **kwargs)


def run(contender: str, steps: int = 15, warmup: int = 3, sizes=(4, 40, 200)) -> dict:
    """{"<optimizer> | <tensors>": median µs per step} for one contender."""
    out = {}
    for name, kwargs in OPTIMIZERS:
        for n in sizes:
            opt = _optimizer(contender, name, kwargs, MODELS[int(n)])
            if opt is None:
                continue
            step = (lambda opt=opt: opt.step(lambda: 1.0)) if name == "LBFGS" else opt.step
            for _ in range(warmup):
                step()
            times = []
            for _ in range(steps):
                t0 = time.perf_counter()
                step()
                times.append(time.perf_counter() - t0)
            out[f"{label(name, kwargs)} | {n}"] = statistics.median(times) * 1e6
    return {"us": out}
