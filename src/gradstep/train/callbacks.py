"""Callbacks: everything optional about training, as hooks on the Trainer's small loop.

A callback overrides the hooks it needs; each may keep state that ``state_dict()`` returns (plain
values and arrays), so that a run resumed from a checkpoint continues every callback exactly. In a
distributed run the hooks run on every process, with the same logs everywhere; what writes files
writes on rank 0 only.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from itertools import repeat
from operator import attrgetter, is_, is_not

import numpy as np

from .. import distributed as dist
from ..autograd.tensor import Tensor
from ..optim.flat import whole_flat_arrays
from ..optim.schedules import plateau_improved
from ..serialization import load_metadata
from .run_folder import RUN_KEY, may_replace_best

_GRAD, _DATA = attrgetter("_grad"), attrgetter("_data")


class Callback:
    """Base class: every hook does nothing, and the Trainer calls only the hooks a callback
    defines. One it does not need for a while (a per-batch hook, say) it may set to None on
    itself in ``on_fit_start`` or ``on_epoch_start``, and delete again to be called once more."""

    def on_fit_start(self, trainer) -> None: ...
    def on_epoch_start(self, trainer) -> None: ...
    def on_batch_start(self, trainer) -> None: ...
    def on_before_optimizer_step(self, trainer) -> None: ...
    def on_after_optimizer_step(self, trainer) -> None: ...
    def on_batch_end(self, trainer, logs: dict) -> None: ...
    def on_epoch_end(self, trainer, logs: dict) -> None: ...
    def on_fit_end(self, trainer) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


# --------------------------------------------------------------------------- non-finite guard

class NonFiniteGuard(Callback):
    """Stop in the step where the loss or a gradient becomes NaN or infinite.

    It checks before the optimizer step, so the weights are still the last finite ones; it names
    the first non-finite quantity (the loss, or which parameter's gradient) and, when the loss had
    been growing, says that the learning rate is the likely cause (seed 004's lr = 5 run).
    ``diagnose(trainer)``, when given, may add a sentence about the last finite weights (the
    runs of ``gradstep train`` add the sharpness against 2/lr); it is not called otherwise.
    """

    def __init__(self, growth_window: int = 20, growth_factor: float = 10.0, diagnose=None):
        self.growth_window = growth_window
        self.growth_factor = growth_factor
        self.diagnose = diagnose
        self._buffers: list = []
        # what _gradients_finite checks: the gradient arrays of the last check, and as 1-D arrays
        # the flat arrays they tile, for a dot product (_cover) or elementwise (_rest)
        self._params: list = []    # the parameters with a gradient, and those without
        self._gradless: list = []
        self._seen: list | None = None
        self._cover: list = []
        self._rest: list = []

    def on_fit_start(self, trainer) -> None:
        # buffers (batch norm's running statistics and its count of batches) change in the forward
        # pass, before the guard can look: keep a copy from the start of each step to restore if
        # the step goes bad
        self._buffers = [(name, b, np.empty_like(b._data)) for name, b in trainer.model.named_buffers()
                         if b is not None]
        self._seen = None
        # no buffers, nothing to copy: out of the per-batch hooks (see Callback), unless a subclass
        # does more there
        if self._buffers or type(self).on_batch_start is not NonFiniteGuard.on_batch_start:
            self.__dict__.pop("on_batch_start", None)
        else:
            self.on_batch_start = None

    def on_batch_start(self, trainer) -> None:
        for _, b, copy in self._buffers:
            np.copyto(copy, b._data)

    def on_before_optimizer_step(self, trainer) -> None:
        if not self._buffers and math.isfinite(trainer.last_loss) and self._gradients_finite(trainer):
            return  # the usual step, in the fewest calls
        problem = self._first_nonfinite(trainer)
        if problem is None:
            return
        for _, b, copy in self._buffers:
            np.copyto(b._data, copy)
        losses = [v for v in trainer.history.iteration_loss if math.isfinite(v)]
        msg = (f"training stopped at epoch {trainer.epoch + 1}, step {trainer.global_step + 1}: "
               f"{problem} became non-finite")
        if losses:
            recent = losses[-self.growth_window:]
            first, last = min(losses[:max(1, len(losses) - len(recent))] + recent[:1]), recent[-1]
            if last > self.growth_factor * max(first, 1e-12) or _rising(recent):
                msg += (f"; the loss grew from {first:.4g} to {last:.4g} before it, so the learning rate "
                        f"({_lr_text(trainer.optimizer)}) is the likely cause: try a smaller one")
        if all(_all_finite(p._data) for _, p in trainer.named_parameters):
            note = self.diagnose(trainer) if self.diagnose is not None else None
            if note:
                msg += f"; {note}"
            msg += ". The weights and buffers are those of the last finite step."
        else:  # an earlier update (lr=inf, say) made the weights non-finite while the loss still was not
            msg += (". The weights themselves are no longer finite (an update made them so before the "
                    "loss showed it), and no checkpoint is written from them")
            if any(math.isinf(g["lr"]) for g in trainer.optimizer.param_groups):
                msg += f"; the learning rate ({_lr_text(trainer.optimizer)}) is the cause"
            if len(trainer.history.iteration_loss) <= 1:  # the first update already broke them
                msg += "; no finite step was taken, so no trained weights were kept"
            msg += "."
        trainer.stop(msg, diverged=True)

    def _first_nonfinite(self, trainer) -> str | None:
        if not math.isfinite(trainer.last_loss):
            return f"the loss ({trainer.last_loss})"
        for name, b, _ in self._buffers:
            if not _all_finite(b._data):
                return f"the buffer {name!r}"
        if self._gradients_finite(trainer):
            return None
        for name, p in trainer.named_parameters:  # only now look for the culprit
            if p._grad is not None and not _all_finite(p._grad._data):
                return f"the gradient of parameter {name!r}"
        return None

    def _gradients_finite(self, trainer) -> bool:
        """Whether every gradient is finite: one dot product over each flat array the gradients
        tile (an optimizer's gradient buffer: one for the whole model), else one per gradient.

        It runs before every optimizer step, after the backward pass has pushed the interpreter's
        objects out of the caches, where each object touched costs a cache miss: so the arrays to
        check are worked out again only when the gradients are other arrays than at the last
        check (autograd writes each step's into the same views of the buffer), and the usual
        step touches only the parameters, their gradients and the flat buffer."""
        try:  # the same arrays as at the last check, and no gradient where there was none?
            same = self._seen is not None and all(map(is_, map(_DATA, map(_GRAD, self._params)), self._seen))
        except AttributeError:  # a parameter that had a gradient has none now
            same = False
        if not same or (self._gradless and any(map(is_not, map(_GRAD, self._gradless), repeat(None)))):
            self._relayout(trainer)
        for a in self._cover:
            if not math.isfinite(float(np.dot(a, a))) and not np.isfinite(a).all():  # an overflow?
                return False
        return not self._rest or all(map(_all_finite, self._rest))

    def _relayout(self, trainer) -> None:
        params = [p for _, p in trainer.named_parameters]
        self._params = [p for p in params if p._grad is not None]
        self._gradless = [p for p in params if p._grad is None]
        self._seen = [p._grad._data for p in self._params]
        arrays = [a.reshape(-1) for a in whole_flat_arrays(self._seen) or self._seen]
        self._cover = [a for a in arrays if a.dtype in _DOT]  # the rest: float16, complex, ...
        self._rest = [a for a in arrays if a.dtype not in _DOT]


_DOT = (np.dtype(np.float32), np.dtype(np.float64))  # what BLAS has a dot product for


def _all_finite(a: np.ndarray) -> bool:
    """Whether no element of ``a`` is NaN or infinite: one BLAS dot product of ``a`` with itself
    (one pass, no temporary), which is finite exactly when every element is unless a finite
    element's square overflows (NumPy warns of that outside the Trainer, which runs its guard
    with those warnings off); only then ``np.isfinite`` looks at each."""
    if a.dtype.kind not in "fc":
        return True
    flat = a.reshape(-1)
    if a.dtype in _DOT and math.isfinite(float(np.dot(flat, flat))):
        return True
    return bool(np.isfinite(flat).all())


def _rising(values: list[float]) -> bool:
    return len(values) >= 5 and all(b > a for a, b in zip(values[-5:], values[-4:]))


def _lr_text(optimizer) -> str:
    lrs = sorted({g["lr"] for g in optimizer.param_groups})
    return ", ".join(f"lr={lr:g}" for lr in lrs)


# --------------------------------------------------------------------------- early stopping

def _improved(value: float, best: float, mode: str, min_delta: float) -> bool:
    """Better than ``best`` by more than ``min_delta`` (ReduceLROnPlateau's absolute threshold)."""
    return plateau_improved(value, best, mode, "abs", min_delta)


def _check_mode(mode: str) -> None:
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs; with
    ``restore_best_weights`` the model ends with the weights of its best epoch."""

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int = 5,
                 min_delta: float = 0.0, restore_best_weights: bool = False):
        _check_mode(mode)
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.min_delta, self.restore_best_weights = min_delta, restore_best_weights
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, trainer, logs: dict) -> None:
        value = logs.get(self.monitor)
        if value is None:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which this run does not log; "
                           f"it logs {sorted(logs)}")
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.wait, self.best_epoch = value, 0, logs["epoch"]
            if self.restore_best_weights:
                self.best_weights = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            trainer.stop(f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                         f"(best {self.best:.4g} at epoch {self.best_epoch})")
            if self.restore_best_weights and self.best_weights is not None:
                trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait, "best_epoch": self.best_epoch,
                "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.wait, self.best_epoch = state["best"], state["wait"], state["best_epoch"]
        w = state.get("best_weights")
        self.best_weights = None if w is None else {k: _array(v) for k, v in w.items()}


def _array(v):
    return v.numpy() if isinstance(v, Tensor) else np.asarray(v)


# --------------------------------------------------------------------------- checkpoints

class ModelCheckpoint(Callback):
    """Write ``last.safetensors`` (the whole training state, for ``resume``) at every epoch end,
    every ``every_n_steps`` optimizer steps if given, and when training stops; and
    ``best.safetensors`` (the model's weights, loadable by PyTorch) whenever ``monitor`` improves.

    Every write is atomic and refuses non-finite values, so the files on disk always load and
    never hold NaN weights. ``best.safetensors`` is only replaced by a better model of the same
    run (``run_id``, recorded in the files and kept by ``state_dict`` across a resume): one left
    by another run, or a better one of this run (resumed from an older checkpoint), stays. In a
    distributed run it runs on every process (the checkpoint gathers every process's position in
    the epoch) and rank 0 writes.
    """

    def __init__(self, dirpath, monitor: str | None = "val_accuracy", mode: str = "max",
                 save_last: bool = True, save_best: bool = True, every_n_steps: int | None = None,
                 metadata: dict | None = None, run_id: str | None = None):
        _check_mode(mode)
        import uuid

        self.dirpath = os.fspath(dirpath)
        self.monitor, self.mode = monitor, mode
        self.save_last, self.save_best = save_last, save_best and monitor is not None
        self.every_n_steps = every_n_steps
        self.metadata = dict(metadata or {})
        self.best = math.inf if mode == "min" else -math.inf
        self.run_id = run_id or uuid.uuid4().hex

    @property
    def last_path(self) -> str:
        return os.path.join(self.dirpath, "last.safetensors")

    @property
    def best_path(self) -> str:
        return os.path.join(self.dirpath, "best.safetensors")

    def on_batch_end(self, trainer, logs: dict) -> None:
        if (self.save_last and self.every_n_steps and logs.get("stepped")
                and trainer.global_step % self.every_n_steps == 0):
            trainer.save_checkpoint(self.last_path, metadata=self._meta())

    def on_epoch_end(self, trainer, logs: dict) -> None:
        if self.save_best:
            value = logs.get(self.monitor)
            if value is None:
                raise KeyError(f"ModelCheckpoint monitors {self.monitor!r}, which this run does not log; "
                               f"it logs {sorted(logs)}")
            if _improved(value, self.best, self.mode, 0.0):
                self.best = value
                self._save_best(trainer, logs["epoch"], value)
        if self.save_last:
            trainer.save_checkpoint(self.last_path, metadata=self._meta())

    def _meta(self) -> dict:
        return {**self.metadata, RUN_KEY: self.run_id}

    def _save_best(self, trainer, epoch: int, value: float) -> None:
        if not dist.is_main_process():
            return
        if not may_replace_best(self.best_path, self.run_id, self.monitor, self.mode, value):
            if load_metadata(self.best_path).get(RUN_KEY) != self.run_id:
                warnings.warn(f"kept {self.best_path}: it belongs to another run", stacklevel=2)
            return
        meta = dict(self._meta(), epoch=str(epoch), monitor=self.monitor, value=repr(value))
        trainer.save_weights(self.best_path, metadata=meta)

    def on_fit_end(self, trainer) -> None:
        if self.save_last and trainer.stop_reason:
            try:
                trainer.save_checkpoint(self.last_path, metadata=self._meta())
            except ValueError as e:  # non-finite state: keep the last good file rather than crash
                if not trainer.diverged:
                    raise
                if os.path.exists(self.last_path):
                    print(f"kept the previous {self.last_path}: {e}", file=sys.stderr)
                else:
                    print(f"wrote no {self.last_path}: {e}", file=sys.stderr)

    def state_dict(self) -> dict:
        return {"best": self.best, "run_id": self.run_id}

    def load_state_dict(self, state: dict) -> None:
        self.best = state["best"]
        if isinstance(state.get("run_id"), str):
            self.run_id = state["run_id"]


# --------------------------------------------------------------------------- logging

class LearningRateMonitor(Callback):
    """Record every parameter group's learning rate at every optimizer step (``self.lrs``) and
    add ``lr/group<i>`` columns to the epoch history."""

    def __init__(self):
        self.lrs: list[list[float]] = []

    def on_batch_end(self, trainer, logs: dict) -> None:
        self.lrs.append([float(g["lr"]) for g in trainer.optimizer.param_groups])

    def on_epoch_end(self, trainer, logs: dict) -> None:
        for i, g in enumerate(trainer.optimizer.param_groups):
            logs[f"lr/group{i}"] = float(g["lr"])

    def state_dict(self) -> dict:
        return {"lrs": self.lrs}

    def load_state_dict(self, state: dict) -> None:
        self.lrs = [list(map(float, r)) for r in state["lrs"]]
