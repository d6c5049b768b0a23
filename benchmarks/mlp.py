"""Seed 002's MLP (784-200-10, ReLU, cross-entropy) for one epoch of Fashion-MNIST, in each contender.

Every contender starts from the same weights, sees the same batches in the same order and ends
with a test-set evaluation, so their accuracies must agree. The timed part is the epoch alone:

- ``gradstep``: the eager loop a user writes, ``out = net(x); loss = crit(out, y);
  opt.zero_grad(); loss.backward(); opt.step()`` (plus ``loss.item()`` for the running loss);
- ``gradstep-trainer``: the same through ``Trainer.fit`` with its defaults (non-finite guard,
  accuracy metric, history, progress line, and the captured step that ``compile_step="auto"``
  runs for a network of gradstep's own layers);
- ``gradstep-trainer-eager``: ``Trainer.fit`` with ``compile_step=False`` (the eager step inside);
- ``gradstep-compiled``: the captured step, ``step = gradstep.compile_step(net, crit, opt)`` and
  ``loss = step(x, y)`` per batch (records one eager step per batch shape inside the clock, then
  replays its kernels: the same bits as the eager loop);
- ``torch``: the identical loop in PyTorch;
- ``numpy``: the network written by hand (fused softmax cross-entropy, ReLU mask, in-place Adam);
- ``jax``: the whole step under one ``jax.jit`` (``jax_steps.py``; its compile time apart).

gradstep and PyTorch first take two steps on a throwaway copy (``warm_up``), so what a process
prepares once (compiled kernels, oneDNN primitives) is outside the clock, like JAX's compile.
"""

from __future__ import annotations

import numpy as np

from . import fashion, jax_steps, machine

SHAPES = {"0.weight": ("weight", (200, 784)), "0.bias": ("bias", (200,)),
          "2.weight": ("weight", (10, 200)), "2.bias": ("bias", (10,))}
CONTENDERS = ("gradstep", "gradstep-trainer", "gradstep-trainer-eager", "gradstep-compiled", "torch", "numpy",
              "jax")


def run(contender: str, batch: int, optimizer: str, lr: float, train=None, test=None,
        smoke: bool = False) -> dict:
    xtr, ytr, xte, yte = fashion.load(train, test, smoke)
    init = fashion.pytorch_init(SHAPES)
    extra = {}
    if contender == "jax":
        (seconds, cpu), scores, loss, extra["compile_seconds"] = jax_steps.mlp(init, xtr, ytr, xte, batch,
                                                                               optimizer, lr, list(SHAPES))
    else:
        fn = {"gradstep": _gradstep, "gradstep-trainer": _gradstep, "gradstep-trainer-eager": _gradstep,
              "gradstep-compiled": _gradstep, "torch": _torch, "numpy": _numpy}[contender]
        (seconds, cpu), scores, loss, *compiled = fn(init, xtr, ytr, xte, batch, optimizer, lr,
                                                     loop=contender.partition("-")[2] or "eager")
        if compiled:
            extra["compile_seconds"] = compiled[0]
    return {"seconds": seconds, "cpu_seconds": cpu, "steps": -(-len(xtr) // batch),
            "test_accuracy": fashion.accuracy(scores, yte), "mean_loss": loss,
            **extra, **machine.thread_report()}


class Batches:
    """The epoch's batches as tensors of ``lib`` (what a DataLoader would hand out), images
    reshaped to ``shape``."""

    def __init__(self, lib, x, y, batch, shape=(-1, 784)):
        self.lib, self.x, self.y, self.batch, self.shape = lib, x, y, batch, shape

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch)

    def __iter__(self):
        from_numpy = self.lib.from_numpy
        for xb, yb in fashion.batches(self.x, self.y, self.batch):
            yield from_numpy(xb.reshape(self.shape)), from_numpy(yb)


def warm_up(lib, build, crit, x, y, batch, shape=(-1, 784), loop="eager") -> float:
    """Two steps on a throwaway copy of the network and optimizer (``build()`` returns both), before
    the clock starts, through the path the timed epoch takes: what the first steps prepare once
    per process (gradstep's compiled kernels, compiled or loaded from numba's cache, those of a
    captured step's repeated update among them, and its replay's compiled text; PyTorch's oneDNN
    primitives) is then ready, and its time is reported apart as ``compile_seconds``, as JAX's
    compile time is. A captured step's recording of the timed network stays inside the clock.
    Building and stepping the copy draws nothing from a random stream."""
    import time
    net, opt = build()
    first = Batches(lib, x[:2 * batch], y[:2 * batch], batch, shape)
    t0 = time.perf_counter()
    EPOCHS[loop](first, net, crit, opt)
    return time.perf_counter() - t0


def eager_epoch(loader, net, crit, opt) -> float:
    """One epoch of the loop a user writes; returns the mean loss."""
    total = 0.0
    for x, y in loader:
        out = net(x)
        loss = crit(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    return total / len(loader)


def trainer_epoch(loader, net, crit, opt, compile_step="auto") -> float:
    """One epoch of ``Trainer.fit`` with its defaults; returns the mean loss."""
    from gradstep.train import Trainer
    return Trainer(net, opt, crit, compile_step=compile_step).fit(loader, epochs=1)["train_loss"][0]


def eager_trainer_epoch(loader, net, crit, opt) -> float:
    """One epoch of ``Trainer.fit`` with ``compile_step=False``; returns the mean loss."""
    return trainer_epoch(loader, net, crit, opt, compile_step=False)


def compiled_epoch(loader, net, crit, opt) -> float:
    """One epoch of the captured step (``gradstep.compile_step``); returns the mean loss."""
    from gradstep import compile_step
    step, total = compile_step(net, crit, opt), 0.0
    for x, y in loader:
        total += step(x, y).item()
    return total / len(loader)


EPOCHS = {"eager": eager_epoch, "trainer": trainer_epoch, "trainer-eager": eager_trainer_epoch,
          "compiled": compiled_epoch}


def _evaluate(lib, net, xte) -> np.ndarray:
    with lib.no_grad():
        return np.concatenate([net(lib.from_numpy(fashion.prepare(xte[i:i + 1000]))).numpy()
                               for i in range(0, len(xte), 1000)])


def _framework_loop(lib, init, xtr, ytr, xte, batch, optimizer, lr, loop="eager"):
    nn = lib.nn
    make = lib.optim.Adam if optimizer == "adam" else lib.optim.SGD

    def build():
        net = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10))
        net.load_state_dict({k: lib.from_numpy(v) for k, v in init.items()})
        return net, make(net.parameters(), lr=lr)

    crit = nn.CrossEntropyLoss()
    net, opt = build()
    compile_seconds = warm_up(lib, build, crit, xtr, ytr, batch, loop=loop)  # imports its modules too
    loader = Batches(lib, xtr, ytr, batch)
    stop = machine.clock()
    mean_loss = EPOCHS[loop](loader, net, crit, opt)
    seconds = stop()
    return seconds, _evaluate(lib, net, xte), mean_loss, compile_seconds


def _gradstep(*args, loop="eager"):
    import gradstep
    return _framework_loop(gradstep, *args, loop=loop)


def _torch(*args, loop="eager"):
    import torch
    return _framework_loop(torch, *args)


def _numpy(init, xtr, ytr, xte, batch, optimizer, lr, loop="eager"):
    """The MLP by hand: what gradstep's eager loop is measured against."""
    params = [init[k].copy() for k in SHAPES]  # W1, b1, W2, b2
    w1, b1, w2, b2 = params
    adam = optimizer == "adam"
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    total, t = 0.0, 0
    stop = machine.clock()
    for x, y in fashion.batches(xtr, ytr, batch):
        n = len(y)
        rows = np.arange(n)
        # forward: h = relu(x W1^T + b1); s = h W2^T + b2
        h = x @ w1.T
        h += b1
        mask = h > 0
        h *= mask
        s = h @ w2.T
        s += b2
        # softmax cross-entropy, fused: p = softmax(s); loss = mean(-log p[y]); ds = (p - onehot) / n
        s -= s.max(axis=1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=1, keepdims=True)
        total += float(-np.log(s[rows, y]).mean())
        s[rows, y] -= 1
        s /= n
        # backward
        grads = [None, None, s.T @ h, s.sum(axis=0)]
        dh = s @ w2
        dh *= mask
        grads[0], grads[1] = dh.T @ x, dh.sum(axis=0)
        t += 1
        for p, g, mi, vi in zip(params, grads, m, v):
            if not adam:
                g *= lr
                p -= g
                continue
            # m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  θ ← θ − γ m̂ / (√v̂ + ε), in place
            mi *= beta1
            mi += (1 - beta1) * g
            vi *= beta2
            g *= g
            g *= 1 - beta2
            vi += g
            c2 = (1 - beta2 ** t) ** 0.5
            np.sqrt(vi, out=g)
            g += eps * c2
            np.divide(mi, g, out=g)
            g *= lr * c2 / (1 - beta1 ** t)
            p -= g
    seconds = stop()
    scores = []
    for i in range(0, len(xte), 1000):
        h = np.maximum(fashion.prepare(xte[i:i + 1000]) @ w1.T + b1, 0)
        scores.append(h @ w2.T + b2)
    return seconds, np.concatenate(scores), total / t
