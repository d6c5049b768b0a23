"""What the Trainer's progress bar costs: a CNN epoch with and without it, and the bar's own hooks.

    python -m benchmarks.progress [rounds] [images]

1. Whole epochs: ``gradstep.models.cnn(1, 10)`` (the model of ``gradstep train --model cnn``) for
   one epoch of ``images`` Fashion-MNIST sample images (batch 64, Adam), each in a fresh process
   with one BLAS thread, ``verbose=0`` and with the bar drawn to a terminal (``/dev/null`` that
   says it is one), alternating over ``rounds`` rounds; medians and their ratio.
2. The bar alone: its per-batch hook (``on_batch_end`` with tqdm's update and the postfix every
   ``refresh_every`` batches) called for as many batches as the epoch has, with the same trainer
   state; microseconds per batch against the measured time of a batch. On a machine shared with
   other work this is the steadier figure: the whole-epoch ratio moves by more than the bar costs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Terminal:
    """A sink that says it is a terminal, so the bar draws as it would on one."""

    def __init__(self):
        self._f = open(os.devnull, "w")  # noqa: SIM115

    def write(self, s):
        return self._f.write(s)

    def flush(self):
        self._f.flush()

    def isatty(self):
        return True


def _setup(images: int, bar: bool):
    import gradstep as gs
    from gradstep import nn, optim
    from gradstep.data import DataLoader, Subset
    from gradstep.data import transforms as T
    from gradstep.data.datasets import FashionMNIST
    from gradstep.models import cnn
    from gradstep.train import ProgressBar, Trainer

    gs.manual_seed(0)
    data = Subset(FashionMNIST(sample=True, train=True, transform=T.Compose([T.ToTensor()])), range(images))
    model = cnn(1, 10)
    callbacks = [ProgressBar(stream=_Terminal())] if bar else []
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), verbose=0,
                      callbacks=callbacks)
    return trainer, DataLoader(data, batch_size=64, shuffle=True, generator=gs.Generator(1))


def epoch(images: int, bar: bool) -> dict:
    trainer, loader = _setup(images, bar)
    start = time.perf_counter()
    trainer.fit(loader, epochs=1)
    return {"seconds": time.perf_counter() - start, "batches": len(loader)}


def hooks(batches: int, mininterval: float = 0.0) -> float:
    """Seconds per batch of the bar's hooks alone (a terminal bar, a trainer mid-epoch). With
    ``mininterval=0`` tqdm redraws at every batch: an upper bound of what the bar costs (in
    training it redraws at most every 0.2 s, a few times a second)."""
    from gradstep.train import ProgressBar

    class _Trainer:  # what the hooks read
        epoch, epochs, batch_in_epoch, train_loader, running_loss = 0, 1, 0, range(batches), 0.5

        def running_metric(self, name):
            return 0.8

    t, bar = _Trainer(), ProgressBar(stream=_Terminal(), mininterval=mininterval)
    bar.on_epoch_start(t)
    logs = {"loss": 0.5, "lr": 1e-3, "batch_size": 64, "stepped": True}
    start = time.perf_counter()
    for i in range(1, batches + 1):
        t.batch_in_epoch = i
        bar.on_batch_end(t, logs)
    seconds = time.perf_counter() - start
    bar.on_epoch_end(t, {"epoch": 1, "train_loss": 0.5, "lr": 1e-3, "time": 1.0})
    return seconds / batches


def _child(mode: str, images: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", GRADSTEP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    out = subprocess.run([sys.executable, "-m", "benchmarks.progress", "--child", mode, str(images)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        mode, images = argv[1], int(argv[2])
        print(json.dumps(epoch(images, bar=mode == "bar")))
        return
    rounds = int(argv[0]) if argv else 3
    images = int(argv[1]) if len(argv) > 1 else 6400
    times: dict = {"quiet": [], "bar": []}
    for r in range(rounds):
        for mode in ("quiet", "bar") if r % 2 == 0 else ("bar", "quiet"):
            result = _child(mode, images)
            times[mode].append(result["seconds"])
            print(f"round {r + 1} {mode:<5} {result['seconds']:.2f} s", flush=True)
    batches = result["batches"]
    quiet, bar = statistics.median(times["quiet"]), statistics.median(times["bar"])
    per_batch = hooks(batches)
    print(f"CNN epoch of {images} images ({batches} batches of 64), median of {rounds}: "
          f"without bar {quiet:.2f} s, with bar {bar:.2f} s, ratio {bar / quiet:.3f}")
    print(f"the bar's hooks alone, redrawn at every batch (an upper bound): {per_batch * 1e6:.1f} µs per "
          f"batch = {100 * per_batch * batches / quiet:.3f}% of the epoch ({1e3 * quiet / batches:.1f} ms "
          f"per batch)")


if __name__ == "__main__":
    main(sys.argv[1:])
