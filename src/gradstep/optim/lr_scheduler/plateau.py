"""``ReduceLROnPlateau``: cut the learning rate when a monitored metric stops improving."""

from __future__ import annotations

import math

from .. import schedules
from .base import LRScheduler, check_optimizer, per_group, require_int, require_real

__all__ = ["ReduceLROnPlateau"]


def metric_value(metrics) -> float:
    """The monitored metric as a Python float (a number, or a tensor/array with one element)."""
    try:
        return float(metrics)
    except (TypeError, ValueError):
        raise TypeError(f"the metric given to step() must be a number or a one-element tensor, got "
                        f"{type(metrics).__name__}") from None


class ReduceLROnPlateau(LRScheduler):
    """Reduce the learning rate by ``factor`` once the metric has not improved for more than
    ``patience`` steps (``step(metrics)`` is usually called once per epoch with the validation loss
    or accuracy)::

        if schedules.plateau_improved(metric, best, mode, threshold_mode, threshold):
            best, bad = metric, 0
        else:
            bad += 1
        if in cooldown: cooldown -= 1; bad = 0
        if bad > patience:
            lr = max(lr * factor, min_lr) for each group (unless that changes it by eps or less)
            cooldown, bad = cooldown steps, 0

    Args:
        optimizer: the wrapped optimizer.
        mode: ``"min"`` (a loss: improvement means lower) or ``"max"`` (an accuracy).
        factor: ``new_lr = lr * factor``, below 1 (default 0.1).
        patience: the number of steps without improvement tolerated; the learning rate is cut on
            the next one (default 10).
        threshold: how much better counts as an improvement (default 1e-4).
        threshold_mode: ``"rel"`` (better than ``best * (1 -/+ threshold)``) or ``"abs"``
            (``best -/+ threshold``).
        cooldown: steps to wait after a cut before counting bad steps again (default 0).
        min_lr: a lower bound on the learning rate, one value or one per group (default 0).
        eps: cuts smaller than this are skipped (default 1e-8).

    In gradstep it can also be a later stage of ``SequentialLR`` (a warmup, then reduce on plateau:
    ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), ReduceLROnPlateau(opt)], [5])``), or a
    member of ``ChainedScheduler``; PyTorch refuses both.
    """

    needs_metrics = True
    _core_keys = ("last_epoch", "_last_lr")
    _state_keys = ("factor", "min_lrs", "default_min_lr", "patience", "cooldown", "cooldown_counter", "mode",
                   "threshold", "threshold_mode", "best", "num_bad_epochs", "eps")

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr=0,
                 eps: float = 1e-8) -> None:
        require_real("factor", factor)
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, but got {factor}")
        check_optimizer(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! expected 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown! expected 'rel' or 'abs'")
        require_int("patience", patience, 0)
        require_int("cooldown", cooldown, 0)
        require_real("threshold", threshold)
        require_real("eps", eps)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = per_group("min_lr", optimizer, min_lr)
        for v in self.min_lrs:
            require_real("min_lr", v)
        self.factor = factor
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._reset()

    @property
    def mode_worse(self) -> float:
        """The worst possible metric: where ``best`` starts."""
        return math.inf if self.mode == "min" else -math.inf

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch: int | None = None) -> None:
        """Record the metric of the step just finished and cut the learning rate if it has plateaued."""
        current = metric_value(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if schedules.plateau_improved(current, self.best, self.mode, self.threshold_mode, self.threshold):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"The number of param groups in the `optimizer` ({len(groups)}) differs "
                                   f"from when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), "
                                   f"usually due to a new param group being added to the optimizer. Please "
                                   f"modify the `min_lrs` field to match the length of the `optimizer` param "
                                   f"groups.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = float(new_lr)

    def _initial_step(self) -> None:
        self._last_lr = self._current_lrs()

    def _restart(self) -> None:
        """Start afresh from the groups' ``initial_lr``: a ``SequentialLR`` stage reaching its milestone."""
        self._reset()
        self.last_epoch = 0
        self._write([group["initial_lr"] for group in self.optimizer.param_groups])
