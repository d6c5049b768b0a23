"""Cyclical schedules, stepped once per mini-batch: PyTorch's ``CyclicLR`` and ``OneCycleLR``.

Both can cycle the momentum inversely to the learning rate: the group's ``"momentum"`` (SGD,
RMSprop) or the first of its ``"betas"`` (Adam and its kin), whichever the groups have.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import schedules
from .base import ClosedFormScheduler, check_optimizer, per_group, require_int, require_real

__all__ = ["CyclicLR", "OneCycleLR"]


def _uses_beta1(optimizer) -> bool:
    """True if the groups keep their momentum as ``betas[0]``, False if as ``momentum``."""
    groups = optimizer.param_groups
    if all("betas" in g for g in groups):
        return True
    if all("momentum" in g for g in groups):
        return False
    raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled: "
                     "its param_groups have neither 'momentum' nor 'betas' (pass cycle_momentum=False)")


def _set_momentum(group: dict, use_beta1: bool, momentum: float) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _start_momentum(optimizer, use_beta1: bool, max_momentum, base_momentum) -> tuple[list, list]:
    """Per-group momentum bounds; the groups start at ``max_momentum`` and record both bounds."""
    max_momentums = per_group("max_momentum", optimizer, max_momentum)
    base_momentums = per_group("base_momentum", optimizer, base_momentum)
    for m_momentum, b_momentum, group in zip(max_momentums, base_momentums, optimizer.param_groups,
                                             strict=True):
        _set_momentum(group, use_beta1, m_momentum)
        group["max_momentum"] = m_momentum
        group["base_momentum"] = b_momentum
    return max_momentums, base_momentums


class CyclicLR(ClosedFormScheduler):
    r"""The cyclical learning rate policy (CLR, https://arxiv.org/abs/1506.01186): the learning rate
    goes linearly from ``base_lr`` up to ``max_lr`` in ``step_size_up`` steps and back down in
    ``step_size_down``, again and again, the amplitude scaled per cycle or per iteration::

        cycle, s = schedules.cyclic_position(t, step_size_up + step_size_down, step_ratio)
        lr = base_lr + (max_lr - base_lr) * s * scale_fn(cycle or t)
        momentum = max_momentum - (max_momentum - base_momentum) * s * scale_fn(cycle or t)

    Modes: ``triangular`` (constant amplitude), ``triangular2`` (halved every cycle),
    ``exp_range`` (``gamma ** t``); or your own ``scale_fn`` evaluated on the cycle number or the
    iteration (``scale_mode``). Step it after every mini-batch.

    Args:
        optimizer: the wrapped optimizer.
        base_lr: the lower bound of the cycle (one value, or one per group); written into the groups.
        max_lr: the upper bound (one value, or one per group).
        step_size_up: steps in the rising half of a cycle (default 2000).
        step_size_down: steps in the falling half (default: ``step_size_up``).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; ignored with ``scale_fn``.
        gamma: the base of ``exp_range``'s scaling (default 1).
        scale_fn: a function ``x -> [0, 1]`` replacing ``mode``; not saved by ``state_dict``.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` is given.
        cycle_momentum: cycle the momentum between ``max_momentum`` and ``base_momentum``
            inversely to the learning rate (default True).
        base_momentum, max_momentum: the momentum's bounds (default 0.8, 0.9; or one per group).
        last_epoch: the index of the last batch, for resuming (default -1: start).
    """

    _state_keys = ("max_lrs", "total_size", "step_ratio", "mode", "gamma", "scale_mode", "cycle_momentum",
                   "use_beta1", "base_momentums", "max_momentums")
    # each mode's scaling is evaluated on the cycle number or on the iteration
    _modes = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular", gamma: float = 1.0,
                 scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum=0.8, max_momentum=0.9,
                 last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = per_group("base_lr", optimizer, base_lr)
        self.max_lrs = per_group("max_lr", optimizer, max_lr)
        for name, values in (("base_lr", base_lrs), ("max_lr", self.max_lrs)):
            for v in values:
                require_real(name, v)
        require_real("step_size_up", step_size_up)
        if step_size_up <= 0:
            raise ValueError(f"Expected positive step_size_up, but got {step_size_up}")
        if step_size_down is not None:
            require_real("step_size_down", step_size_down)
            if step_size_down < 0:
                raise ValueError(f"Expected non-negative step_size_down, but got {step_size_down}")
        if mode not in self._modes and scale_fn is None:
            raise ValueError(f"mode is invalid and scale_fn is None: mode={mode!r}, expected one of "
                             f"{sorted(self._modes)} or a scale_fn")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn should be a function, but got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', but got {scale_mode!r}")
        require_real("gamma", gamma)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else self._modes[mode]
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = False
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            if last_epoch == -1:
                self.max_momentums, self.base_momentums = _start_momentum(
                    optimizer, self.use_beta1, max_momentum, base_momentum)
            else:
                self.max_momentums = per_group("max_momentum", optimizer, max_momentum)
                self.base_momentums = per_group("base_momentum", optimizer, base_momentum)
        else:
            self.max_momentums = self.base_momentums = None
        self._cyclic_base_lrs = base_lrs
        super().__init__(optimizer, last_epoch)

    def _base_lrs(self) -> list[float]:
        return list(self._cyclic_base_lrs)

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at ``x`` (the cycle number or the iteration, per ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return schedules.triangular_scale(x)
        if self.mode == "triangular2":
            return schedules.triangular2_scale(x)
        return schedules.exp_range_scale(x, self.gamma)

    def _lrs_at(self, epoch) -> list[float]:
        cycle, s = schedules.cyclic_position(epoch, self.total_size, self.step_ratio)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else epoch)
        if self.cycle_momentum:
            for group, base_m, max_m in zip(self.optimizer.param_groups, self.base_momentums,
                                            self.max_momentums, strict=True):
                _set_momentum(group, self.use_beta1, max_m - (max_m - base_m) * s * scale)
        return [base + (top - base) * s * scale
                for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]


class OneCycleLR(ClosedFormScheduler):
    r"""The 1cycle policy (super-convergence, https://arxiv.org/abs/1708.07120): one cycle over
    ``total_steps`` mini-batches, from ``max_lr / div_factor`` up to ``max_lr`` during the first
    ``pct_start`` of the steps, then down to ``initial_lr / final_div_factor``; the momentum goes
    the opposite way. Each phase interpolates (``anneal_strategy``: cosine or linear)::

        phase, pct = schedules.one_cycle_position(t, phases)
        lr = anneal(group[phase.start_lr], group[phase.end_lr], pct)

    ``three_phase=True`` follows the paper: up, symmetric down to ``initial_lr``, then down to the
    minimum. Not chainable; step it after every mini-batch, ``total_steps`` times at most.

    Args:
        optimizer: the wrapped optimizer.
        max_lr: the peak learning rate (one value, or one per group).
        total_steps: the number of steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        epochs, steps_per_epoch: ``total_steps = epochs * steps_per_epoch`` when it is not given.
        pct_start: the fraction of the cycle spent increasing the learning rate (default 0.3).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        cycle_momentum: cycle the momentum inversely to the learning rate (default True).
        base_momentum, max_momentum: the momentum's bounds (default 0.85, 0.95; or one per group).
        div_factor: ``initial_lr = max_lr / div_factor`` (default 25).
        final_div_factor: ``min_lr = initial_lr / final_div_factor`` (default 1e4).
        three_phase: use the paper's three phases (default False: fastai's two).
        last_epoch: the index of the last batch, for resuming (default -1: start).

    The groups get ``initial_lr``, ``max_lr`` and ``min_lr`` entries (and ``max_momentum``,
    ``base_momentum``), as in PyTorch, so they travel with the optimizer's state.
    """

    horizon_argument = "total_steps"  # the whole run's steps, filled in by the experiment tools
    peak_lr_argument = "max_lr"       # the optimizer's learning rate unless given

    _state_keys = ("total_steps", "_schedule_phases", "_anneal_func_type", "cycle_momentum", "use_beta1")
    _anneal = {"cos": schedules.anneal_cos, "linear": schedules.anneal_linear}

    def __init__(self, optimizer, max_lr, total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            require_int("total_steps", total_steps, 1)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            require_int("epochs", epochs, 1)
            require_int("steps_per_epoch", steps_per_epoch, 1)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start!r}")
        if anneal_strategy not in self._anneal:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        for name, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            require_real(name, value)
            if value <= 0:
                raise ValueError(f"Expected positive {name}, but got {value}")
        self._schedule_phases = schedules.one_cycle_phases(self.total_steps, pct_start, three_phase)
        self._anneal_func_type = anneal_strategy
        max_lrs = per_group("max_lr", optimizer, max_lr)
        for v in max_lrs:
            require_real("max_lr", v)
        if last_epoch == -1:
            for top, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = False
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            if last_epoch == -1:
                _start_momentum(optimizer, self.use_beta1, max_momentum, base_momentum)
        super().__init__(optimizer, last_epoch)

    def _lrs_at(self, epoch) -> list[float]:
        if epoch > self.total_steps:
            raise ValueError(f"Tried to step {epoch} times. The specified number of total steps is "
                             f"{self.total_steps}")
        anneal = self._anneal[self._anneal_func_type]
        phase, pct = schedules.one_cycle_position(epoch, self._schedule_phases)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                momentum = anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                _set_momentum(group, self.use_beta1, momentum)
        return lrs
