"""Logger callbacks: a run's numbers, written as training goes, in files other tools read.

- ``TensorBoardLogger``: TensorBoard event files (``gradstep.utils.tensorboard.SummaryWriter``):
  the loss and learning rate every ``log_every_n_steps`` optimizer steps, with the gradients'
  global norm and (``update_ratios=True``) each parameter's update-to-weight ratio; every epoch's
  training and validation metrics.
- ``CSVLogger``: the epoch history as CSV, rewritten at every epoch's end.
- ``JSONLLogger``: the epoch history as JSON lines, one object per epoch, rewritten likewise.

What Lightning's ``TensorBoardLogger``/``CSVLogger`` and Keras's ``TensorBoard``/``CSVLogger`` do.
Files are written on rank 0 only; ``make_logger(name, folder)`` builds one by name (``--logger``).
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .. import distributed as dist
from ..optim.flat import whole_flat_arrays
from ..serialization import atomic_write_bytes
from .callbacks import Callback
from .history import _jsonable

__all__ = ["TensorBoardLogger", "CSVLogger", "JSONLLogger", "LOGGERS", "make_logger"]

# epoch log key -> TensorBoard tag: train and validation of one quantity share a chart
_EPOCH_TAGS = {"train_loss": "loss/train", "val_loss": "loss/val", "train_accuracy": "accuracy/train",
               "val_accuracy": "accuracy/val", "lr": "lr/epoch", "time": "time/epoch_seconds"}


class TensorBoardLogger(Callback):
    """Log to TensorBoard event files in ``log_dir``; see the module docstring. Tags:
    ``loss/train_step``, ``lr/step`` (``lr/group<i>`` with several parameter groups) and
    ``grad_norm/step`` at every ``log_every_n_steps``-th optimizer step; ``update_ratio/<param>``
    there too with ``update_ratios``; ``loss/train``, ``loss/val``, ``accuracy/train``,
    ``accuracy/val`` (any other metric as ``epoch/<name>``) at each epoch's end. Every value is
    logged at the optimizer step it belongs to, so step and epoch curves share an x axis."""

    def __init__(self, log_dir, log_every_n_steps: int = 10, grad_norm: bool = True,
                 update_ratios: bool = False):
        if not isinstance(log_every_n_steps, int) or log_every_n_steps < 1:
            raise ValueError(f"log_every_n_steps must be a positive integer, got {log_every_n_steps!r}")
        from ..utils.tensorboard import require_tensorboard
        require_tensorboard()  # fail when the logger is made, not at the first epoch's end
        self.log_dir = os.fspath(log_dir)
        self.log_every_n_steps = log_every_n_steps
        self.grad_norm, self.update_ratios = grad_norm, update_ratios
        self.writer = None
        self._before: list | None = None
        self._pending: dict = {}

    def _logged(self, step: int) -> bool:
        """Whether optimizer step ``step`` (1-based) is one that gets logged."""
        return step == 1 or step % self.log_every_n_steps == 0

    def on_fit_start(self, trainer) -> None:
        if dist.is_main_process() and self.writer is None:
            from ..utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(self.log_dir)

    def on_before_optimizer_step(self, trainer) -> None:
        if self.writer is None or not self._logged(trainer.global_step + 1):
            return
        grads = [p._grad._data for _, p in trainer.named_parameters if p._grad is not None]
        if self.grad_norm and grads:
            self._pending["grad_norm/step"] = math.sqrt(_sum_of_squares(grads))
        if self.update_ratios:
            self._before = [(name, p._data.copy()) for name, p in trainer.named_parameters]

    def on_after_optimizer_step(self, trainer) -> None:
        if self._before is None:
            return
        params = dict(trainer.named_parameters)
        for name, old in self._before:
            new = params[name]._data
            norm = float(np.linalg.norm(new))
            if norm > 0:  # ‖Δθ‖ / ‖θ‖ of this step
                self._pending[f"update_ratio/{name}"] = float(np.linalg.norm(new - old)) / norm
        self._before = None

    def on_batch_end(self, trainer, logs: dict) -> None:
        if self.writer is None or not logs.get("stepped") or not self._logged(trainer.global_step):
            return
        step, w = trainer.global_step, self.writer
        w.add_scalar("loss/train_step", logs["loss"], step)
        groups = trainer.optimizer.param_groups
        if len(groups) == 1:
            w.add_scalar("lr/step", groups[0]["lr"], step)
        else:
            for i, g in enumerate(groups):
                w.add_scalar(f"lr/group{i}", g["lr"], step)
        for tag, value in self._pending.items():
            w.add_scalar(tag, value, step)
        self._pending = {}

    def on_epoch_end(self, trainer, logs: dict) -> None:
        self._pending = {}
        if self.writer is None:
            return
        for key, value in logs.items():
            if key == "epoch" or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(_EPOCH_TAGS.get(key, f"epoch/{key}"), value, trainer.global_step)
        self.writer.flush()

    def on_fit_end(self, trainer) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class CSVLogger(Callback):
    """Rewrite ``path`` (one row per epoch) at every epoch end."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def on_epoch_end(self, trainer, logs: dict) -> None:
        if dist.is_main_process():
            trainer.history.save_csv(self.path)


class JSONLLogger(Callback):
    """Rewrite ``path`` at every epoch end: one JSON object per epoch (NaN as the string "NaN"),
    atomically, so a reader never sees half a line and a resumed run has no repeated epochs."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def on_epoch_end(self, trainer, logs: dict) -> None:
        if dist.is_main_process():
            lines = [json.dumps(_jsonable(row)) for row in trainer.history.epochs]
            atomic_write_bytes(self.path, ("\n".join(lines) + "\n").encode())


# name -> builder from a run folder: what `--logger name` adds to `gradstep train`
LOGGERS = {
    "tensorboard": lambda folder, **kw: TensorBoardLogger(os.path.join(folder, "tensorboard"), **kw),
    "csv": lambda folder, **kw: CSVLogger(os.path.join(folder, "history.csv")),
    "jsonl": lambda folder, **kw: JSONLLogger(os.path.join(folder, "history.jsonl")),
}


def make_logger(name: str, folder, **kwargs) -> Callback:
    """The logger called ``name`` writing into the run folder ``folder`` (TensorBoard's files into
    ``folder/tensorboard``); an unknown name raises ValueError listing the known ones, and
    ``tensorboard`` without the package raises ``TensorBoardMissing`` naming the extra."""
    if name not in LOGGERS:
        raise ValueError(f"unknown logger {name!r}; known: {', '.join(sorted(LOGGERS))}")
    return LOGGERS[name](os.fspath(folder), **kwargs)


def _sum_of_squares(arrays: list) -> float:
    """The sum of the squares of every element of ``arrays``: one BLAS dot product over the flat
    array they tile (an optimizer's gradient buffer), else one per array."""
    return sum(float(np.dot(a.reshape(-1), a.reshape(-1))) for a in whole_flat_arrays(arrays) or arrays)
