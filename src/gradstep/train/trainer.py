"""``Trainer``: the training loop, small, with everything optional in callbacks.

    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=sched,
                      callbacks=[EarlyStopping(patience=3)])
    history = trainer.fit(train_loader, epochs=5, val_loader=test_loader)

One iteration is what a user writes by hand (seed 002): ``out = model(x); loss = loss_fn(out, y);
loss.backward(); optimizer.step(); optimizer.zero_grad()``. Around it the Trainer counts epochs and
steps, accumulates gradients over ``accumulate_steps`` batches, clips them, steps the scheduler per
epoch or per step, keeps the ``History`` and calls the callbacks. ``state_dict()`` holds every
piece of state (model, optimizer, scheduler, RNG, the loader's position, history, callbacks), so
a run saved mid-epoch and resumed in a new process ends with bitwise the same weights.

Where it can, ``fit`` runs that iteration as a captured step (``compile_step``): the same ops and
the same bits with less Python, the callbacks and clipping between its backward and its update,
as Keras's ``fit`` runs a compiled step. With ``compile_step="auto"`` (the default) that is when
the model is built from gradstep's own layers alone (``Sequential``, ``Linear``, ``Conv2d``, batch
norm, activations, pooling: ``CAPTURED_LAYERS``), whose forward has no Python that depends on the
values, the loss is one of ``CAPTURED_LOSSES``, batches are tensors, gradients are not accumulated
and the optimizer takes no closure; a step the tape refuses (dropout in training mode, say) runs
eagerly for the rest of the fit, and so does every step once a hook is added to the model.
``compile_step=True`` captures any model (its author vouches that its forward runs the same ops for
every batch of a shape); ``False`` never. ``trainer.captured`` says whether the last fit's steps
were captured, ``trainer.capture_refused`` why not when a tape was refused.

Started by ``mpiexec`` with a ``DistributedDataParallel`` model, every process runs this loop on
its share of the data: the per-step loss and the metrics are summed over the processes (so all
log and decide alike), evaluation adds up every process's share, only rank 0 shows progress and
writes files, and checkpoints hold every process's position in the epoch (see
``gradstep.distributed``).
"""

from __future__ import annotations

import signal
import threading
import time
import warnings

import numpy as np

from .. import distributed as dist
from .. import nn
from .. import random as _random
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..data.sampler import DistributedSampler
from ..serialization import CheckpointError, copy_state, load, save
from .callbacks import Callback, NonFiniteGuard
from .compiled_step import CaptureError, CompiledStep
from .history import History
from .metrics import make_metric
from .progress import ProgressBar

CHECKPOINT_FORMAT = "gradstep-training-checkpoint/1"
_HOOKS = ("on_fit_start", "on_epoch_start", "on_batch_start", "on_before_optimizer_step",
          "on_after_optimizer_step", "on_batch_end", "on_epoch_end", "on_fit_end")
_CLASSIFICATION_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss, nn.BCEWithLogitsLoss)
# what compile_step="auto" captures: layers whose forward runs the same ops for every batch of a
# shape and checks values only inside its ops (so a replay checks them too), and such losses
CAPTURED_LAYERS = (nn.Sequential, nn.Linear, nn.Conv1d, nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d,
                   nn.LayerNorm, nn.ReLU, nn.LeakyReLU, nn.ReLU6, nn.ELU, nn.GELU, nn.SiLU, nn.Mish,
                   nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Hardtanh, nn.Flatten, nn.Unflatten,
                   nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d,
                   nn.AdaptiveAvgPool2d, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Identity)
CAPTURED_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss, nn.L1Loss, nn.BCEWithLogitsLoss,
                   nn.SmoothL1Loss, nn.HuberLoss)


def _batch_size(y) -> int:
    """The number of samples in a batch of targets (1 for a single unbatched target)."""
    shape = y._data.shape if isinstance(y, Tensor) else np.shape(y)
    return shape[0] if shape else 1


class Trainer:
    """Fit ``model`` with ``optimizer`` on ``loss_fn``; see the module docstring.

    ``scheduler_interval`` is ``"epoch"`` (step the scheduler after every epoch; a
    ``ReduceLROnPlateau`` gets the validation loss, or the training loss without validation) or
    ``"step"`` (after every optimizer step). ``metrics`` defaults to accuracy for classification
    losses (cross-entropy, NLL, BCE with logits) and to none otherwise. The non-finite guard is on
    unless ``nonfinite_guard=False``; a progress bar is shown unless ``verbose=0``. ``compile_step``
    ("auto", True or False) says when the steps are captured (see the module docstring).
    """

    def __init__(self, model, optimizer, loss_fn, scheduler=None, scheduler_interval: str = "epoch",
                 metrics=None, callbacks=(), grad_clip_norm: float | None = None,
                 accumulate_steps: int = 1, nonfinite_guard: bool = True, verbose: int = 1,
                 compile_step: bool | str = "auto"):
        if compile_step not in ("auto", True, False) or type(compile_step) not in (bool, str):
            raise ValueError(f"compile_step must be 'auto', True or False, got {compile_step!r}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
        if not isinstance(accumulate_steps, int) or accumulate_steps < 1:
            raise ValueError(f"accumulate_steps must be a positive integer, got {accumulate_steps!r}")
        if accumulate_steps > 1 and optimizer.requires_closure:
            raise ValueError("accumulate_steps > 1 does not combine with an optimizer that re-evaluates "
                             "the loss in its step (L-BFGS)")
        if grad_clip_norm is not None and not grad_clip_norm > 0:
            raise ValueError(f"grad_clip_norm must be positive, got {grad_clip_norm!r}")
        self._world = dist.get_world_size()
        if self._world > 1 and not isinstance(model, dist.DistributedDataParallel):
            raise ValueError(f"this process is one of {self._world} started by an MPI launcher, but the "
                             f"model is not wrapped in gradstep.distributed.DistributedDataParallel: wrap "
                             f"it before creating the optimizer, or run a single process")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        if metrics is None:  # accuracy where it means something: classification losses
            metrics = ("accuracy",) if isinstance(loss_fn, _CLASSIFICATION_LOSSES) else ()
        self.metrics = [make_metric(m) for m in metrics]
        self.grad_clip_norm, self.accumulate_steps = grad_clip_norm, accumulate_steps
        bar = [ProgressBar()] if verbose else []
        if bar and not dist.is_main_process():
            bar[0].disable()  # rank 0 reports for every process
        extra = ([NonFiniteGuard()] if nonfinite_guard else []) + bar
        self.callbacks: list[Callback] = extra + list(callbacks)
        self._hooked: list | None = None  # the callbacks that self._hooks was built from
        self._hooks: dict = {}      # hook name -> those callbacks' bound hooks, in their order
        self._guarded = nonfinite_guard
        self.compile_step = compile_step
        self.captured = False       # whether the last fit's steps ran as a captured step
        self.capture_refused: str | None = None  # why a tape was refused, when one was
        self._capture: CompiledStep | None = None   # this fit's captured step, while it runs
        self._half = False          # this batch's backward came from it: its update goes there too
        self.named_parameters = list(dist.unwrap_model(model).named_parameters())
        self.history = History()
        self.epoch = 0              # completed epochs
        self.global_step = 0        # optimizer steps taken
        self.batch_in_epoch = 0     # batches consumed in the current epoch
        self.epochs = 0
        self.train_loader = None
        self.last_loss = float("nan")
        self.stop_reason: str | None = None
        self.diverged = False
        self._signal: int | None = None
        self.interrupted: int | None = None  # the signal (SIGINT, SIGTERM) that stopped the last fit
        self._resuming = False      # set by load_state_dict: the next fit's epochs count the total
        self._reset_epoch_totals()

    # ------------------------------------------------------------------ the loop

    def fit(self, train_loader, epochs: int, val_loader=None, max_steps: int | None = None) -> History:
        """Train ``epochs`` epochs more, until a callback stops it, or until ``max_steps`` optimizer
        steps have been taken in all; returns the ``History`` of every epoch so far.

        A second ``fit`` continues where the first ended, as Keras's and fastai's ``fit`` do: the
        model, optimizer, scheduler, callbacks and history go on, and the epochs are numbered on (an
        epoch left unfinished by ``max_steps`` or a stop counts as the first of the ``epochs``). The
        first ``fit`` after ``load_checkpoint``/``load_state_dict`` instead resumes the interrupted
        run: there ``epochs`` is the run's total, as in Lightning's ``fit(ckpt_path=...)`` and
        Keras's ``BackupAndRestore``, and a checkpoint that already holds that many epochs leaves
        nothing to do, which it says in a warning.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer (0 trains nothing), got {epochs!r}")
        if self._resuming:
            target = int(epochs)
            if self.epoch >= target:
                warnings.warn(f"Trainer.fit: the restored run has already completed {self.epoch} epochs and, "
                              f"right after a checkpoint is loaded, epochs={epochs} counts the run's total: "
                              f"nothing to train. Pass epochs={self.epoch + 1} or more to continue it.",
                              stacklevel=2)
        else:
            target = self.epoch + int(epochs)
            same = train_loader is self.train_loader and hasattr(train_loader, "state_dict")
            if self.batch_in_epoch and same:  # the same loader, left mid-epoch: its next pass
                # yields the rest of that epoch
                train_loader.load_state_dict(train_loader.state_dict())
        self._resuming = False
        self.train_loader, self.epochs = train_loader, target
        self.stop_reason, self.diverged, self.interrupted = None, False, None
        with _StopOnSignals(self):
            if self._guarded:  # the guard reports NaN and overflow itself, with more to say than NumPy
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    return self._fit(train_loader, epochs, val_loader, max_steps)
            return self._fit(train_loader, epochs, val_loader, max_steps)

    def _fit(self, train_loader, epochs, val_loader, max_steps) -> History:
        self._call("on_fit_start")
        self._capture, self.captured, self.capture_refused = self._capturing(), False, None
        self._hooked = None  # a callback may have switched a hook on or off there (see _overrides)
        if self.batch_in_epoch % self.accumulate_steps == 0:  # no accumulation under way: each
            self.optimizer.zero_grad()  # step's gradients are its own (a stopped fit's are gone)
        try:
            self._fit_epochs(train_loader, val_loader, max_steps)
        finally:
            self._capture, self._half = None, False
        self.history.stopped_reason = self.stop_reason
        self._call("on_fit_end")
        return self.history

    def _fit_epochs(self, train_loader, val_loader, max_steps) -> None:
        while self.epoch < self.epochs and self.stop_reason is None:
            if self.batch_in_epoch == 0:
                self._reset_epoch_totals()
                self._call("on_epoch_start")
                self._hooked = None
            self._epoch_started = time.perf_counter()
            self.model.train()
            _set_sampler_epoch(train_loader, self.epoch)
            for x, y in train_loader:
                self._train_batch(x, y)
                if self.stop_reason is None and max_steps is not None and self.global_step >= max_steps:
                    self.stop(f"reached max_steps={max_steps}")
                if self.stop_reason is not None:
                    break
            self._epoch_time += time.perf_counter() - self._epoch_started
            if self.stop_reason is not None:
                break
            self._end_epoch(val_loader)

    def _capturing(self) -> CompiledStep | None:
        """This fit's captured step, when ``compile_step`` allows one (see the module docstring)."""
        model, loss_fn = self.model, self.loss_fn
        if (self.compile_step is False or self.accumulate_steps > 1 or self._world > 1
                or self.optimizer.requires_closure or not isinstance(model, nn.Module)):
            return None
        if self.compile_step == "auto":
            if type(loss_fn) not in CAPTURED_LOSSES or any(type(m) not in CAPTURED_LAYERS
                                                           for m in model.modules()):
                return None
            return CompiledStep(model, loss_fn, self.optimizer, outputs=True, layers=CAPTURED_LAYERS,
                                losses=CAPTURED_LOSSES)
        return CompiledStep(model, loss_fn, self.optimizer, outputs=True)

    def _captured_half(self, x, y):
        """The loss and the model's output array from the captured step's forward and backward, or
        None where this batch runs eagerly (the step then stays off for the rest of the fit when its
        tape was refused: a hook added, say)."""
        step = self._capture
        if not (step.model is self.model and step.criterion is self.loss_fn
                and step.optimizer is self.optimizer):
            step = self._capture = self._capturing()  # one of them replaced by a callback
            if step is None:
                return None
        if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
            return None
        try:
            loss, out = step._forward_backward(x, y)
        except CaptureError as e:
            self._capture, self.capture_refused = None, str(e)
            if self.compile_step is True:
                warnings.warn(f"Trainer(compile_step=True): {e}", stacklevel=4)
            return None
        self.captured = self._half = True
        return loss.item(), out

    def _train_batch(self, x, y) -> None:
        hooks = self._current_hooks()  # read once per batch: these run every step
        for hook in hooks["on_batch_start"]:
            hook(self)
        self._batch = (x, y)
        half = self._captured_half(x, y) if self._capture is not None else None
        if half is None:
            out = self.model(x)
            loss = self.loss_fn(out, y)
            self.last_loss = loss_value = loss.item()
            (loss / self.accumulate_steps if self.accumulate_steps > 1 else loss).backward()
            o = out._data
        else:
            loss_value, o = half
            self.last_loss = loss_value
        t = y._data if isinstance(y, Tensor) else np.asarray(y)
        n = t.shape[0] if t.ndim else 1  # _batch_size(y)
        if self._world > 1:  # the global batch: every process's share
            start = [m.sums() for m in self.metrics]
            for m in self.metrics:
                m.update(o, t)
            loss_sum, n = _sum_over_processes(loss_value * n, n, self.metrics, start)
            self.last_loss = loss_value = loss_sum / n
        else:
            for m in self.metrics:
                m.update(o, t)
        self._loss_sum += loss_value * n
        self._samples += n
        self.batch_in_epoch += 1
        stepped = self.batch_in_epoch % self.accumulate_steps == 0
        if stepped:
            self._optimizer_step(hooks)
            if self.stop_reason is not None:
                return
        lr = self.optimizer.param_groups[0]["lr"]
        self.history.log_iteration(loss_value, lr)
        if hooks["on_batch_end"]:
            logs = {"loss": loss_value, "lr": lr, "batch_size": n, "stepped": stepped}
            for hook in hooks["on_batch_end"]:
                hook(self, logs)
        # a step boundary: the state is whole, save it there (one process and no signal: no call)
        if stepped and (self._world > 1 or self._signal is not None) and self._signal_received():
            self.interrupted = self._signal
            self.stop(f"interrupted by {signal.Signals(self._signal).name} at epoch {self.epoch + 1}, "
                      f"step {self.global_step}")

    def _signal_received(self) -> bool:
        """Whether SIGINT/SIGTERM came; in a distributed run, whether it came to any process (all
        stop at the same step, or the others would wait for it in a collective for ever)."""
        if self._world > 1:
            flag = np.array([self._signal or 0], dtype=np.int64)
            dist.all_reduce(flag, op="max")
            if not flag[0]:  # every process goes on; a signal that came during the reduction (its
                return False  # handler runs as the call returns) is in ``_signal``, for the next step
            self._signal = int(flag[0])
        return self._signal is not None

    def _optimizer_step(self, hooks: dict | None = None) -> None:
        hooks = hooks or self._current_hooks()
        half, self._half = self._half, False
        for hook in hooks["on_before_optimizer_step"]:
            hook(self)
        if self.stop_reason is not None:
            return
        if self.grad_clip_norm is not None:
            from ..nn.utils import clip_grad_norm_
            clip_grad_norm_(self.model.parameters(), self.grad_clip_norm)
        if half and self._capture.optimizer is self.optimizer:  # the captured step's update (the
            self._capture._update()  # optimizer's repeated step, or step())
        elif self.optimizer.requires_closure:  # L-BFGS re-evaluates the loss on this batch
            self.optimizer.step(self._closure)
        else:
            self.optimizer.step()
        for hook in hooks["on_after_optimizer_step"]:
            hook(self)
        self.optimizer.zero_grad()
        self.global_step += 1
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()

    def _closure(self):
        x, y = self._batch
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        return loss

    def _end_epoch(self, val_loader) -> None:
        if self.batch_in_epoch % self.accumulate_steps:  # a last, partial accumulation
            self._optimizer_step()
            if self.stop_reason is not None:
                return
        logs = {"epoch": self.epoch + 1, "train_loss": self._loss_sum / max(self._samples, 1)}
        for m in self.metrics:
            logs[f"train_{m.name}"] = m.compute()
        if val_loader is not None:
            logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        logs["time"] = self._epoch_time
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if _is_plateau(self.scheduler):
                self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
            else:
                self.scheduler.step()
        self.epoch += 1
        self.batch_in_epoch = 0
        self.history.log_epoch(logs)
        self._call("on_epoch_end", logs)

    def _reset_epoch_totals(self) -> None:
        self._loss_sum, self._samples, self._epoch_time = 0.0, 0, 0.0
        for m in self.metrics:
            m.reset()

    def stop(self, reason: str, diverged: bool = False) -> None:
        """Ask the loop to stop after the current step (callbacks call this)."""
        if self.stop_reason is None:
            self.stop_reason, self.diverged = reason, diverged

    @property
    def samples_in_epoch(self) -> int:
        """The samples the current epoch has trained on so far (every process's, in a distributed
        run; counted on from a checkpoint when a run resumes mid-epoch)."""
        return self._samples

    @property
    def running_loss(self) -> float:
        """The mean training loss of the current epoch so far (NaN before its first batch)."""
        return self._loss_sum / self._samples if self._samples else float("nan")

    def running_metric(self, name: str):
        for m in self.metrics:
            if m.name == name:
                return m.compute()
        return None

    def _named_callbacks(self):
        """(key, callback) pairs, the key its class name (numbered when a class repeats), so that a
        checkpoint's callback states find their callbacks even if the list changed in between."""
        seen: dict = {}
        for cb in self.callbacks:
            name = type(cb).__name__
            seen[name] = seen.get(name, 0) + 1
            yield (name if seen[name] == 1 else f"{name}#{seen[name]}"), cb

    def _call(self, hook: str, *args) -> None:
        """Call ``hook`` of every callback that defines it (``Callback``'s own hooks do nothing and
        are skipped: several calls per step less for every callback)."""
        for fn in self._current_hooks()[hook]:
            fn(self, *args)

    def _current_hooks(self) -> dict:
        """Hook name -> the bound hooks to call, built again whenever the list of callbacks changed
        and after ``on_fit_start`` and ``on_epoch_start`` (where a callback may switch a hook off
        or on, see ``_overrides``). A step reads it once, at its start: a callback added during a
        step takes part from the next one."""
        if self._hooked != self.callbacks:
            self._hooked = list(self.callbacks)
            self._hooks = {h: [getattr(cb, h) for cb in self._hooked if _overrides(cb, h)] for h in _HOOKS}
        return self._hooks

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, loader) -> dict:
        """Mean loss and metrics over ``loader``, in eval mode (the model's mode is restored). In a
        distributed run every process calls it on its share of the data, and all get the totals."""
        metrics = [type(m)() for m in self.metrics]
        start = [m.sums() for m in metrics] if self._world > 1 else []
        total, n = _evaluate_sums(self.model, loader, self.loss_fn, metrics)
        if self._world > 1:
            total, n = _sum_over_processes(total, n, metrics, start)
        return _results(total, n, metrics)

    @no_grad()
    def predict(self, loader) -> np.ndarray:
        """The model's outputs for every batch of ``loader`` (inputs, or (inputs, targets)), stacked."""
        was_training = self.model.training
        self.model.eval()
        try:
            outs = [self.model(b[0] if isinstance(b, (tuple, list)) else b)._data for b in loader]
        finally:
            self.model.train(was_training)
        return np.concatenate(outs) if outs else np.empty((0,))

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        """Everything a bitwise-exact resume needs, as tensors and plain values."""
        loader = self.train_loader
        return {
            "format": CHECKPOINT_FORMAT,
            "model": dist.unwrap_model(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": _random.get_rng_state(),
            "loader": self._loader_state(loader),
            "trainer": {"epoch": self.epoch, "global_step": self.global_step, "world_size": self._world,
                        "batch_in_epoch": self.batch_in_epoch, "loss_sum": self._loss_sum,
                        "samples": self._samples, "epoch_time": self._epoch_time,
                        "metrics": [m.state_dict() for m in self.metrics]},
            "history": self.history.to_dict(),
            "callbacks": {key: cb.state_dict() for key, cb in self._named_callbacks()},
        }

    def load_state_dict(self, state: dict, train_loader=None) -> None:
        """Restore ``state_dict()``'s output. All or nothing: if any part does not fit, the model,
        optimizer and scheduler are left as they were."""
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"not a gradstep training checkpoint (format {state.get('format')!r})")
        saved_world = int(state["trainer"].get("world_size", 1))
        if saved_world != self._world:
            raise CheckpointError(f"the checkpoint was written by a run on {saved_world} process(es) and "
                                  f"this run has {self._world}: resume it with the same number (mpiexec -n "
                                  f"{saved_world}), since each process's share of the epoch depends on it")
        model = dist.unwrap_model(self.model)
        backup = (copy_state(model.state_dict()), copy_state(self.optimizer.state_dict()),
                  None if self.scheduler is None else self.scheduler.state_dict())
        try:
            self._apply_state(state, train_loader)
            self._resuming = True
        except BaseException:
            model.load_state_dict(backup[0])
            self.optimizer.load_state_dict(backup[1])
            if backup[2] is not None:
                self.scheduler.load_state_dict(backup[2])
            raise

    def _apply_state(self, state: dict, train_loader) -> None:
        dist.unwrap_model(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        _random.set_rng_state(state["rng"])
        if train_loader is not None and state["loader"] is not None:
            train_loader.load_state_dict(self._own_share(state["loader"]))
            self.train_loader = train_loader
        t = state["trainer"]
        self.epoch, self.global_step, self.batch_in_epoch = t["epoch"], t["global_step"], t["batch_in_epoch"]
        self._loss_sum, self._samples, self._epoch_time = t["loss_sum"], t["samples"], t["epoch_time"]
        for m, s in zip(self.metrics, t["metrics"]):
            m.load_state_dict(s)
        self.history = History.from_dict(state["history"])
        saved = state["callbacks"]
        for key, cb in self._named_callbacks():  # a callback absent from the checkpoint starts afresh
            if key in saved:
                cb.load_state_dict(saved[key])

    def _loader_state(self, loader) -> dict | None:
        """The loader's state; in a distributed run its ``indices`` hold every process's share of
        the epoch, one row per rank (gathered, so every process must call this)."""
        if not hasattr(loader, "state_dict"):
            return None
        state = loader.state_dict()
        if self._world > 1 and state.get("indices") is not None:
            state["indices"] = dist.all_gather(state["indices"])
        return state

    def _own_share(self, loader_state: dict) -> dict:
        """This process's row of a distributed checkpoint's loader ``indices``."""
        if self._world == 1 or loader_state.get("indices") is None:
            return loader_state
        return {**loader_state, "indices": np.asarray(loader_state["indices"])[dist.get_rank()]}

    def save_checkpoint(self, path, metadata: dict | None = None) -> None:
        """Write the whole training state atomically; never writes non-finite values. In a
        distributed run every process calls it and rank 0 writes the file."""
        state = self.state_dict()
        if dist.is_main_process():
            save(state, path, metadata=metadata, require_finite=True)

    def load_checkpoint(self, path, train_loader=None) -> None:
        """Restore a checkpoint of ``save_checkpoint``; errors name the file and what does not fit."""
        state = load(path)
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path}: not a gradstep training checkpoint (a weights-only file? "
                                  f"load it with model.load_state_dict(gradstep.load(path)))")
        try:
            self.load_state_dict(state, train_loader)
        except CheckpointError as e:
            raise CheckpointError(f"{path}: {e}") from None
        except (ValueError, KeyError, TypeError) as e:
            detail = " ".join(line.strip() for line in str(e).splitlines())  # one line: PyTorch's has several
            raise CheckpointError(f"{path}: does not fit this model/optimizer: {detail}") from None

    def save_weights(self, path, metadata: dict | None = None) -> None:
        """Write the model's ``state_dict`` alone (PyTorch-loadable), atomically and finite; on
        rank 0 only in a distributed run."""
        if dist.is_main_process():
            save(dist.unwrap_model(self.model).state_dict(), path, metadata=metadata, require_finite=True)


@no_grad()
def evaluate(model, loader, loss_fn, metrics=("accuracy",)) -> dict:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode (its mode is restored)."""
    metrics = [make_metric(m) for m in metrics]
    total, n = _evaluate_sums(model, loader, loss_fn, metrics)
    return _results(total, n, metrics)


def _results(total: float, n: int, metrics) -> dict:
    return {"loss": total / max(n, 1), **{m.name: m.compute() for m in metrics}}


@no_grad()
def _evaluate_sums(model, loader, loss_fn, metrics) -> tuple[float, int]:
    """The summed loss and the number of samples over ``loader``; the metrics take every batch."""
    was_training = model.training
    model.eval()
    total, n = 0.0, 0
    try:
        for x, y in loader:
            out = model(x)
            k = _batch_size(y)
            total += loss_fn(out, y).item() * k
            n += k
            t = y._data if isinstance(y, Tensor) else np.asarray(y)
            for m in metrics:
                m.update(out._data, t)
    finally:
        model.train(was_training)
    return total, n


def _sum_over_processes(loss_sum: float, n: int, metrics, start: list) -> tuple[float, int]:
    """Add up over the processes a loss sum, a sample count and what the metrics counted since
    their sums were ``start``; the metrics end with ``start`` plus every process's counts."""
    local = np.concatenate([[loss_sum, n]] + [m.sums() - s for m, s in zip(metrics, start)])
    dist.all_reduce(local)
    i = 2
    for m, s in zip(metrics, start):
        m.set_sums(s + local[i:i + s.size])
        i += s.size
    return float(local[0]), int(local[1])


class _StopOnSignals:
    """While a fit runs, SIGINT and SIGTERM ask it to stop at the next optimizer step (where the
    state is whole, so ``ModelCheckpoint`` saves a checkpoint that resumes exactly) instead of
    ending the process; a second signal ends it at once. Only the main thread can do this. Under
    an MPI launcher only SIGINT does: SIGTERM is how a launcher tears a job down, and it keeps
    ending every process at once, naming the rank (``gradstep.distributed``)."""

    def __init__(self, trainer: Trainer):
        self.trainer, self.previous = trainer, {}

    def __enter__(self):
        self.trainer._signal = None
        if threading.current_thread() is threading.main_thread():
            signals = (signal.SIGINT,) if self.trainer._world > 1 else (signal.SIGINT, signal.SIGTERM)
            for s in signals:
                self.previous[s] = signal.signal(s, self._handle)

    def _handle(self, signum, frame) -> None:
        self.trainer._signal = signum
        for s, handler in self.previous.items():  # the next signal acts as it would have
            signal.signal(s, handler)

    def __exit__(self, exc_type, *exc) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)
        trainer = self.trainer
        if exc_type is None and trainer._world > 1 and trainer.interrupted is None:
            # a signal that came after the last step's reduction: every process learns of it here
            # (or none says it was interrupted: they must agree, they evaluate together next)
            trainer._signal_received()
        if trainer._signal is not None and trainer.interrupted is None:
            trainer.interrupted = trainer._signal  # came after the last step: say so too
        trainer._signal = None


def _overrides(callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook``: its class (or the instance) defines it
    other than as ``Callback``'s empty method, and the instance has not set it to None (what a
    callback does in ``on_fit_start`` or ``on_epoch_start`` to be left out of a per-step hook it
    does not need for now, such as a progress display with no bar to draw)."""
    own = getattr(callback, "__dict__", {})
    if hook in own:
        return own[hook] is not None
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


def _set_sampler_epoch(loader, epoch: int) -> None:
    """Give a ``DistributedSampler`` the epoch, so each epoch has its own order on every process
    (what PyTorch's users call ``sampler.set_epoch`` for by hand)."""
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, DistributedSampler):
        sampler.set_epoch(epoch)


def _is_plateau(scheduler) -> bool:
    """Whether ``scheduler.step`` takes a metric (ReduceLROnPlateau, or a composite holding one)."""
    return bool(getattr(scheduler, "needs_metrics", False))
