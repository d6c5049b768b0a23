"""One Hessian-vector product against one gradient of the loss, on seed 002's MLP (784-200-10) and
the small CNN of ``gradstep train --model cnn`` (with batch norm), a batch of 64 Fashion-MNIST
images, cross-entropy loss.

Contender ``gradient``: forward + backward (``autograd.grad`` of the loss). Contender ``hvp``:
forward, backward with ``create_graph=True``, and the backward of ``grad . v`` (what
``explore.curvature.LossHessian.matvec`` runs per batch). The issue's budget: an HVP costs at most
4x a gradient. Each measurement is the median over ``steps`` repetitions after ``warmup``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from . import fashion

CONTENDERS = ("gradient", "hvp")


def _models():
    from gradstep.models import cnn, mlp
    return {"mlp": (mlp(784, [200], 10), (-1, 784)),
            "cnn": (cnn(1, 10), (-1, 1, 28, 28))}


def _gradient(gs, model, x, y, params, vs):
    return gs.autograd.grad(gs.nn.functional.cross_entropy(model(x), y), params)


def _hvp(gs, model, x, y, params, vs):
    grads = gs.autograd.grad(gs.nn.functional.cross_entropy(model(x), y), params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vs))
    return gs.autograd.grad(dot, params)


def run(contender: str, steps: int = 20, warmup: int = 3, batch: int = 64, smoke: bool = False) -> dict:
    """{"<model>": median µs of one gradient or one HVP} for one contender."""
    import gradstep as gs

    fn = _gradient if contender == "gradient" else _hvp
    x_all, y_all, _, _ = fashion.load(batch, 1, smoke)
    out = {}
    for name, (model, shape) in _models().items():
        args = (gs, model, gs.from_numpy(fashion.prepare(x_all).reshape(shape)), gs.from_numpy(y_all),
                list(model.parameters()))
        rng = np.random.default_rng(0)
        args += ([gs.from_numpy(rng.standard_normal(p.shape).astype(np.float32)) for p in args[4]],)
        for _ in range(warmup):
            fn(*args)
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times) * 1e6
    return {"us": out}


def main() -> None:
    """Alternate the two contenders in one process and print the ratio per model."""
    res = {c: [] for c in CONTENDERS}
    for _ in range(5):
        for c in CONTENDERS:
            res[c].append(run(c, steps=10)["us"])
    for model in res["gradient"][0]:
        g = statistics.median(r[model] for r in res["gradient"])
        h = statistics.median(r[model] for r in res["hvp"])
        print(f"{model}: gradient {g:9.0f} µs, hvp {h:9.0f} µs, hvp / gradient = {h / g:.2f}")


if __name__ == "__main__":
    main()
