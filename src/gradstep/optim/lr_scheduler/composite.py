"""Schedulers made of schedulers: ``SequentialLR`` (one after another, switching at milestones) and
``ChainedScheduler`` (all at once, their changes multiplied).

Unlike PyTorch's, both accept ``ReduceLROnPlateau``: ``step(metrics)`` hands the metric to the
stages that need it. So "linear warmup for 5 epochs, then reduce on plateau" is one scheduler,
which PyTorch cannot express (pytorch/pytorch issues 68978 and 82859).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from .base import LRScheduler, check_optimizer, require_int

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_members(owner: str, optimizer, schedulers) -> list[LRScheduler]:
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{owner} at index {i} should be a learning-rate scheduler, but got "
                            f"{type(s).__name__}")
        if s.optimizer is not optimizer:
            raise ValueError(f"{owner} expects all schedulers to belong to the same optimizer, but got "
                             f"scheduler {type(s).__name__} at index {i} with another optimizer")
    return schedulers


def _step_member(owner: LRScheduler, index: int, scheduler: LRScheduler, metrics) -> None:
    """Step one member, giving it the metric if it monitors one."""
    if not scheduler.needs_metrics:
        scheduler.step()
        return
    if metrics is None:
        raise ValueError(f"{type(owner).__name__}: scheduler {index} ({type(scheduler).__name__}) follows a "
                         f"metric; call step(metrics) with the monitored value (e.g. the validation loss)")
    scheduler.step(metrics)


def _load_members(owner: LRScheduler, schedulers: list, states) -> None:
    if not isinstance(states, list) or len(states) != len(schedulers):
        raise ValueError(f"{type(owner).__name__}.load_state_dict: the state holds "
                         f"{len(states) if isinstance(states, list) else states!r} scheduler states, "
                         f"expected {len(schedulers)}")
    for s, st in zip(schedulers, states, strict=True):
        s.load_state_dict(st)


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` from its step 0 until
    ``milestones[1]``, and so on: e.g. a warmup followed by a decay.

    At its milestone a stage restarts at step 0 of its own schedule (its closed form, from the
    groups' ``initial_lr``); ``ReduceLROnPlateau`` restarts from ``initial_lr`` with fresh
    counters and watches the metrics of the following steps (the metric passed with the
    milestone step belongs to the previous stage and is not used).

    Args:
        optimizer: the wrapped optimizer (the one every scheduler was built on).
        schedulers: the stages, in order; ``ReduceLROnPlateau`` is welcome (not in PyTorch).
        milestones: the steps at which each next stage starts; one fewer than ``schedulers``.
        last_epoch: the index of the last step, for resuming (default -1: start).

    Example (warmup, then reduce on plateau, stepped once per epoch)::

        warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        plateau = ReduceLROnPlateau(opt, patience=3)
        sched = SequentialLR(opt, [warmup, plateau], milestones=[5])
        for epoch in range(epochs):
            train(...)
            sched.step(val_loss)   # the metric is ignored during the warmup
    """

    def __init__(self, optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        schedulers = _check_members(type(self).__name__, optimizer, schedulers)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more "
                             "than the number of milestone points, but got number of schedulers "
                             f"{len(schedulers)} and the number of milestones to be equal to "
                             f"{len(milestones)}")
        for m in milestones:
            require_int("milestone", m, 0)
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR milestones must be increasing, got {milestones}")
        require_int("last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.needs_metrics = any(s.needs_metrics for s in schedulers)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self._undo_initial_step()
        self._initial_step()

    def _undo_initial_step(self) -> None:
        for s in self._schedulers:
            s._undo_initial_step()

    def _initial_step(self) -> None:
        """Back to the groups' ``initial_lr`` and step 0 of the stage that runs at step 0 (the
        members' own step 0, taken when they were built, is undone first)."""
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        stage = self._schedulers[bisect_right(self._milestones, 0)]
        stage._initial_step()
        self._last_lr = stage.get_last_lr()

    def _restart(self) -> None:
        self.last_epoch = 0
        self._initial_step()

    def step(self, metrics=None) -> None:
        """Advance by one step: the current stage steps, or the next one starts at its milestone.
        ``metrics`` goes to a stage that follows a metric (``ReduceLROnPlateau``)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        stage = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            stage._restart()
        else:
            _step_member(self, idx, stage, metrics)
        self._last_lr = stage.get_last_lr()

    def state_dict(self) -> dict:
        return {"last_epoch": self.last_epoch, "_milestones": list(self._milestones),
                "_last_lr": list(self._last_lr), "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict) -> None:
        _load_members(self, self._schedulers, state_dict.get("_schedulers"))
        self.last_epoch = state_dict["last_epoch"]
        self._milestones = list(state_dict["_milestones"])
        self._last_lr = list(state_dict["_last_lr"])


class ChainedScheduler(LRScheduler):
    """Step several schedulers together: each ``step()`` steps them all, in order. With chainable
    schedules (``FactorScheduler``s, ``MultiplicativeLR``, ``ReduceLROnPlateau``) their factors
    multiply, e.g. ``ConstantLR`` warmup times ``ExponentialLR`` decay; a closed-form one
    (``LambdaLR``, ``CyclicLR``, ...) overwrites what came before it.

    Args:
        schedulers: the schedulers to step together, all on the same optimizer.
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer=None) -> None:
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        schedulers = _check_members(type(self).__name__, optimizer, schedulers)
        self.optimizer = optimizer
        self._schedulers = schedulers
        self.needs_metrics = any(s.needs_metrics for s in schedulers)
        self._last_lr = self._current_lrs()

    def _undo_initial_step(self) -> None:
        for s in self._schedulers:
            s._undo_initial_step()

    def _initial_step(self) -> None:
        for s in self._schedulers:
            s._initial_step()
        self._last_lr = self._current_lrs()

    def _restart(self) -> None:
        for s in self._schedulers:
            s._restart()
        self._last_lr = self._current_lrs()

    def step(self, metrics=None) -> None:
        """Step every scheduler; ``metrics`` goes to those that follow a metric."""
        for i, s in enumerate(self._schedulers):
            _step_member(self, i, s, metrics)
        self._last_lr = self._current_lrs()

    def state_dict(self) -> dict:
        return {"_last_lr": list(self._last_lr), "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict) -> None:
        _load_members(self, self._schedulers, state_dict.get("_schedulers"))
        self._last_lr = list(state_dict["_last_lr"])
