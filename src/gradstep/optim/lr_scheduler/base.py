"""``LRScheduler``: the thin object between a schedule (a function of the step) and an optimizer.

A scheduler reads and writes nothing of the optimizer but ``optimizer.param_groups``: each
group's ``"lr"`` (and, for the cyclical schedules, ``"momentum"`` or ``"betas"``), plus
``"initial_lr"``, which it adds as PyTorch does so that a later scheduler on the same optimizer
starts from the same base. It never patches the optimizer's methods.

Two kinds of schedules, as in PyTorch:

* **closed-form** schedules (``LambdaLR``, ``CyclicLR``, ``OneCycleLR``,
  ``CosineAnnealingWarmRestarts``) set ``lr = f(step)`` at every step;
* **chainable** schedules (``FactorScheduler``: ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``,
  ...; and ``MultiplicativeLR``) move the *current* ``lr`` by the schedule's change from the
  previous step, so that several of them compose (``ChainedScheduler``) and a learning rate changed
  by hand is carried along. ``FactorScheduler`` takes that move from the schedule's ratio, which
  is derived from its formula and computed as PyTorch does.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections.abc import Sequence

__all__ = ["LRScheduler", "ClosedFormScheduler", "FactorScheduler"]


def check_optimizer(optimizer) -> None:
    """Raise TypeError unless ``optimizer`` has ``param_groups``: a non-empty list of dicts with "lr"."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not groups:
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: a scheduler needs an object "
                        f"whose param_groups is a non-empty list of dicts")
    for i, g in enumerate(groups):
        if not isinstance(g, dict) or "lr" not in g:
            raise TypeError(f"{type(optimizer).__name__}.param_groups[{i}] is not a dict with an 'lr' entry")


def per_group(name: str, optimizer, value) -> list:
    """``value`` for each parameter group: a list/tuple must have one entry per group, anything else
    is repeated (PyTorch's ``max_lr``, ``min_lr``, ``base_momentum``... arguments)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {n}.")
        return list(value)
    return [value] * n


def require_int(name: str, value, minimum: int) -> None:
    """Raise ValueError unless ``value`` is an int (not a bool) that is at least ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        what = "positive integer" if minimum == 1 else f"integer >= {minimum}"
        raise ValueError(f"Expected {what} {name}, but got {value!r}")


def require_real(name: str, value) -> None:
    """Raise TypeError unless ``value`` is a real number (not a bool)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, but got {value!r} of type {type(value).__name__}")


class LRScheduler:
    """Base class of the learning-rate schedulers, with ``torch.optim.lr_scheduler``'s interface.

    Construction sets ``group["initial_lr"]`` (if absent) and performs step 0, which may already
    change the learning rates (``LinearLR`` and ``ConstantLR`` scale them, ``CyclicLR`` and
    ``OneCycleLR`` set their own). Then call ``step()`` after each ``optimizer.step()`` — once per
    epoch or once per mini-batch, as the schedule's length was counted (see docs/schedules.md).

    Args:
        optimizer: the optimizer whose ``param_groups`` learning rates are scheduled.
        last_epoch: the index of the last step taken, for resuming: the groups must then hold
            ``initial_lr`` (load the optimizer's state first). Prefer ``load_state_dict``.

    Attributes:
        last_epoch: the number of the current step (0 after construction). It counts whatever the
            scheduler is stepped on, epochs or iterations.
        base_lrs: the groups' ``initial_lr``, the starting point of the schedule.
        needs_metrics: whether ``step`` must be given the monitored metric
            (``ReduceLROnPlateau``, and compositions containing it); a training loop checks this.
    """

    needs_metrics = False
    # The counters saved by state_dict, then the hyperparameters (which subclasses list).
    _core_keys: tuple[str, ...] = ("last_epoch", "_step_count", "base_lrs", "_last_lr")
    _state_keys: tuple[str, ...] = ()
    # Keys of PyTorch's scheduler state dicts that mean nothing here; loading them is harmless.
    _foreign_keys = frozenset({"_get_lr_called_within_step", "_is_initial", "verbose", "lr_lambdas",
                               "_scale_fn_custom", "_scale_fn_ref", "mode_worse"})

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        require_int("last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                                   f"a scheduler with last_epoch={last_epoch}: load the optimizer's state "
                                   f"first, or use scheduler.load_state_dict")
        self.base_lrs: list[float] = self._base_lrs()
        self.last_epoch = last_epoch
        self._initial_step()

    # ------------------------------------------------------------------ what a subclass provides

    def _base_lrs(self) -> list[float]:
        """The learning rates the schedule starts from: the groups' ``initial_lr``."""
        return [group["initial_lr"] for group in self.optimizer.param_groups]

    def _next_lrs(self, initial: bool) -> list[float]:
        """The learning rates for step ``self.last_epoch``, just advanced by one. ``initial`` is
        True for the step taken by the constructor."""
        raise NotImplementedError

    def _lrs_at(self, epoch) -> list[float]:
        """The learning rates at step ``epoch`` jumped to directly (``step(epoch)``; a
        ``SequentialLR`` stage starting). Closed-form schedules override this; the default takes
        the chainable step."""
        return self._next_lrs(initial=False)

    # ------------------------------------------------------------------ stepping

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one step and write the new learning rates into the groups.

        ``step(epoch)`` (deprecated in PyTorch) jumps to step ``epoch`` instead, using the
        closed form where the schedule has one.
        """
        if self._step_count == 1 and getattr(self.optimizer, "_stepped", True) is False:
            warnings.warn("lr_scheduler.step() was called before optimizer.step(): call optimizer.step() "
                          "first, or the schedule skips its first learning rate (PyTorch warns alike)",
                          UserWarning, stacklevel=2)
        self._step_count += 1
        self._write(self._advance(epoch))

    def _initial_step(self) -> None:
        """Step 0, taken by the constructor (and again by ``SequentialLR`` for its first stage)."""
        self._step_count = 1
        self._write(self._advance(None, initial=True))

    def _undo_initial_step(self) -> None:
        """Take back the step count of step 0 (``SequentialLR`` re-runs step 0 of its first stage
        only, as PyTorch does)."""
        self.last_epoch -= 1

    def _restart(self) -> None:
        """Jump to step 0 of this schedule: a ``SequentialLR`` stage reaching its milestone."""
        self._write(self._advance(0))

    def _advance(self, epoch, initial: bool = False) -> list[float]:
        if epoch is None:
            self.last_epoch += 1
            return self._next_lrs(initial)
        self.last_epoch = epoch
        return self._lrs_at(epoch)

    def _write(self, lrs: Sequence[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = float(lr)  # a NumPy float64 would promote float32 parameters
        self._last_lr = self._current_lrs()

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates this scheduler last wrote, one per parameter group."""
        return list(self._last_lr)

    # ------------------------------------------------------------------ saving

    def state_dict(self) -> dict:
        """The scheduler's state: step counters, base learning rates and hyperparameters, as a
        JSON-serialisable dict (functions such as ``LambdaLR``'s are not saved: rebuild the
        scheduler with them and load the state into it). Save the optimizer's state too: the
        chainable schedules continue from the groups' current learning rates."""
        state = {}
        for key in (*self._core_keys, *self._state_keys):
            value = getattr(self, key)
            state[key] = copy.deepcopy(list(value) if isinstance(value, tuple) else value)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state returned by ``state_dict`` (possibly read back from JSON)."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
        known = {*self._core_keys, *self._state_keys}
        unknown = sorted(set(state_dict) - known - self._foreign_keys)
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unexpected keys {unknown}; is this the "
                             f"state of another kind of scheduler?")
        for key, value in state_dict.items():
            if key in known:
                setattr(self, key, copy.deepcopy(value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class ClosedFormScheduler(LRScheduler):
    """A schedule that sets ``lr = f(step)`` at every step, whatever the groups held before
    (not chainable). A subclass gives ``_lrs_at(step)``."""

    def _next_lrs(self, initial: bool) -> list[float]:
        return self._lrs_at(self.last_epoch)


class FactorScheduler(LRScheduler):
    """A chainable schedule ``lr_t = floor + (base_lr - floor) * factor(t)``.

    A subclass gives ``factor_at(step)``, the closed form (a function of
    ``gradstep.optim.schedules``), if not 0 ``floor``, and may give ``ratio_at(step)``,
    ``factor(t) / factor(t - 1)`` in other arithmetic: the built-in schedules give their
    ``*_ratio`` function, written as PyTorch's recursive form computes it. Each ``step()`` then
    moves the group's *current* learning rate the way the schedule moves from step ``t - 1`` to
    ``t``, as PyTorch's chainable form does::

        lr_0 = floor + (lr_{-1} - floor) * factor(0)                    (the constructor's step)
        lr_t = floor + (lr_{t-1} - floor) * ratio(t)
        lr_t = lr_{t-1} + (base_lr - floor) * rise(t)     if factor(t-1) = 0 (no ratio from 0)

    where ``rise(t) = factor(t) - factor(t - 1)``. Without outside changes this follows the
    closed form (to rounding: the recursion drifts from it by a few ulps, as PyTorch's does);
    with them (another scheduler in a ``ChainedScheduler``, a learning rate set by hand) the
    changes are carried along. As each ratio is PyTorch's own expression, the learning rates are
    PyTorch's bit for bit. ``step(epoch)`` and ``SequentialLR`` restarts use the closed form, as
    PyTorch does.
    """

    floor: float = 0.0

    def factor_at(self, step: int) -> float:
        """The schedule's factor at ``step`` (its closed form)."""
        raise NotImplementedError

    def ratio_at(self, step: int) -> float:
        """``factor_at(step) / factor_at(step - 1)`` for ``step >= 1``. This default divides the
        closed forms; the built-in schedules override it with PyTorch's expression."""
        return self.factor_at(step) / self.factor_at(step - 1)

    def rise_at(self, step: int) -> float:
        """``factor_at(step) - factor_at(step - 1)``, used where ``factor_at(step - 1)`` is 0."""
        return self.factor_at(step) - self.factor_at(step - 1)

    def _next_lrs(self, initial: bool) -> list[float]:
        t, floor = self.last_epoch, self.floor
        if t == 0:
            ratio = self.factor_at(0)
            if ratio == 1.0:  # PyTorch leaves the learning rate untouched
                return self._current_lrs()
        elif initial:  # resuming with last_epoch: the loaded learning rates stand
            return self._current_lrs()
        elif self.factor_at(t - 1) == 0:
            rise = self.rise_at(t)
            return [lr + (base - floor) * rise
                    for lr, base in zip(self._current_lrs(), self.base_lrs, strict=True)]
        else:
            ratio = self.ratio_at(t)
        return [floor + (lr - floor) * ratio for lr in self._current_lrs()]

    def _lrs_at(self, epoch) -> list[float]:
        f = self.factor_at(epoch)
        return [self.floor + (base - self.floor) * f for base in self.base_lrs]
