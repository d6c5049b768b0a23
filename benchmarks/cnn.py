"""The small CNN of ``gradstep train --model cnn`` (``gradstep.models.cnn(1, 10)``: conv 3x3 - batch
norm - ReLU - max-pool 2, twice (16 and 32 channels), then linear 128 - ReLU - linear 10) for one
epoch of Fashion-MNIST, batch 64, Adam (lr 1e-3), in gradstep (the eager loop, and
``gradstep-compiled``: the captured step, ``gradstep.compile_step``, batch norm in training mode
included), in PyTorch and in JAX (the whole step under one ``jax.jit``, ``jax_steps.py``).

Both start from the same weights and see the same batches; the epoch is timed, then the test set
is evaluated in eval mode.
"""

from __future__ import annotations

import numpy as np

from . import fashion, jax_steps, machine
from .mlp import EPOCHS, Batches, warm_up

CONTENDERS = ("gradstep", "gradstep-compiled", "torch", "jax")


def shapes() -> dict:
    """The state-dict entries of the network, in order, with their kinds for ``pytorch_init``."""
    out = {}
    for conv, bn, cin, cout in ((0, 1, 1, 16), (4, 5, 16, 32)):
        out[f"{conv}.weight"] = ("weight", (cout, cin, 3, 3))
        out[f"{conv}.bias"] = ("bias", (cout,))
        out[f"{bn}.weight"] = ("bn_weight", (cout,))
        out[f"{bn}.bias"] = ("bn_bias", (cout,))
        out[f"{bn}.running_mean"] = ("running_mean", (cout,))
        out[f"{bn}.running_var"] = ("running_var", (cout,))
        out[f"{bn}.num_batches_tracked"] = ("count", ())
    out["9.weight"] = ("weight", (128, 32 * 7 * 7))
    out["9.bias"] = ("bias", (128,))
    out["11.weight"] = ("weight", (10, 128))
    out["11.bias"] = ("bias", (10,))
    return out


def network(lib):
    if lib.__name__ == "gradstep":
        from gradstep.models import cnn
        return cnn(1, 10)
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def run(contender: str, batch: int = 64, lr: float = 1e-3, train=None, test=None,
        smoke: bool = False) -> dict:
    xtr, ytr, xte, yte = fashion.load(train, test, smoke)
    if contender == "jax":
        init = fashion.pytorch_init(shapes())
        (seconds, cpu), scores, loss, compile_seconds = jax_steps.cnn(init, xtr, ytr, xte, batch, lr)
        return {"seconds": seconds, "cpu_seconds": cpu, "steps": -(-len(xtr) // batch),
                "test_accuracy": fashion.accuracy(scores, yte), "mean_loss": loss,
                "compile_seconds": compile_seconds, **machine.thread_report()}
    if contender == "torch":
        import torch as lib
    else:
        import gradstep as lib
    init = fashion.pytorch_init(shapes())

    def build():
        net = network(lib)
        net.load_state_dict({k: lib.from_numpy(v) for k, v in init.items()})
        return net, lib.optim.Adam(net.parameters(), lr=lr)

    crit = lib.nn.CrossEntropyLoss()
    net, opt = build()
    loop = "compiled" if contender == "gradstep-compiled" else "eager"
    compile_seconds = warm_up(lib, build, crit, xtr, ytr, batch, shape=(-1, 1, 28, 28), loop=loop)
    loader = Batches(lib, xtr, ytr, batch, shape=(-1, 1, 28, 28))
    stop = machine.clock()
    mean_loss = EPOCHS[loop](loader, net, crit, opt)
    seconds, cpu = stop()
    net.eval()
    with lib.no_grad():
        scores = np.concatenate([net(lib.from_numpy(fashion.prepare(xte[i:i + 500]).reshape(-1, 1, 28, 28)))
                                 .numpy() for i in range(0, len(xte), 500)])
    return {"seconds": seconds, "cpu_seconds": cpu, "steps": len(loader),
            "test_accuracy": fashion.accuracy(scores, yte), "mean_loss": mean_loss,
            "compile_seconds": compile_seconds, **machine.thread_report()}
