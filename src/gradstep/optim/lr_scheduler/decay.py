"""The schedules that are a function of the step count alone: PyTorch's ``LambdaLR``,
``MultiplicativeLR``, ``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``,
``PolynomialLR``, ``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts``.

Each class validates its arguments and names the formula of ``gradstep.optim.schedules`` it
follows; ``LRScheduler`` / ``FactorScheduler`` do the stepping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from .. import schedules
from .base import ClosedFormScheduler, FactorScheduler, LRScheduler, require_int, require_real

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts"]


def _lambdas(optimizer, lr_lambda) -> list[Callable[[int], float]]:
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        fns = list(lr_lambda)
    else:
        fns = [lr_lambda] * n
    for fn in fns:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return fns


class LambdaLR(ClosedFormScheduler):
    """``lr = base_lr * lr_lambda(step)``: any schedule written as a function of the step.

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the step returning a factor, or a list of them, one per group.
            ``gradstep.optim.schedules`` holds the built-in formulas, e.g.
            ``partial(schedules.cosine_annealing, T_max=100)``.
        last_epoch: the index of the last step, for resuming (default -1: start).

    The functions are not saved by ``state_dict``: rebuild the scheduler with them.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _lrs_at(self, epoch) -> list[float]:
        return [base * fn(epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(LRScheduler):
    """``lr_t = lr_{t-1} * lr_lambda(t)`` for ``t >= 1``: each step multiplies the current learning
    rate by a factor (seed 001's per-epoch ``lr_decay`` is ``lambda epoch: 0.95``).

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the step returning the step's factor, or one per group.
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _next_lrs(self, initial: bool) -> list[float]:
        if initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch)
                for fn, lr in zip(self.lr_lambdas, self._current_lrs(), strict=True)]


class StepLR(FactorScheduler):
    """Decay by ``gamma`` every ``step_size`` steps: ``lr = base_lr * gamma ** (t // step_size)``
    (seed 000's ``lr_scheduler(lr, step_size)``).

    Args:
        optimizer: the wrapped optimizer.
        step_size: the period of the decay, in steps.
        gamma: the factor of each decay (default 0.1).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    _state_keys = ("step_size", "gamma")

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        require_int("step_size", step_size, 1)
        require_real("gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor_at(self, step: int) -> float:
        return schedules.step_decay(step, self.step_size, self.gamma)

    def ratio_at(self, step: int) -> float:
        return schedules.step_decay_ratio(step, self.step_size, self.gamma)


class MultiStepLR(FactorScheduler):
    """Decay by ``gamma`` at each milestone: ``lr = base_lr * gamma ** (milestones <= t)``. A
    milestone listed twice decays twice.

    Args:
        optimizer: the wrapped optimizer.
        milestones: the steps at which to decay.
        gamma: the factor of each decay (default 0.1).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    _state_keys = ("milestones", "gamma")

    def __init__(self, optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = self._sorted_milestones(milestones)
        require_real("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _sorted_milestones(milestones) -> list[int]:
        if isinstance(milestones, dict):  # PyTorch keeps a Counter {milestone: count}
            milestones = [int(m) for m, count in milestones.items() for _ in range(count)]
        milestones = list(milestones)
        for m in milestones:
            require_int("milestone", m, 0)
        return sorted(milestones)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self.milestones = self._sorted_milestones(self.milestones)

    def factor_at(self, step: int) -> float:
        return schedules.multistep_decay(step, self.milestones, self.gamma)

    def ratio_at(self, step: int) -> float:
        return schedules.multistep_decay_ratio(step, self.milestones, self.gamma)


class ConstantLR(FactorScheduler):
    """``lr = base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr``: a constant
    warmup.

    Args:
        optimizer: the wrapped optimizer.
        factor: the factor until the milestone, in [0, 1] (default 1/3).
        total_iters: the number of steps scaled by ``factor`` (default 5).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    _state_keys = ("factor", "total_iters")

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        require_real("factor", factor)
        if factor > 1.0 or factor < 0:
            raise ValueError(f"Constant multiplicative factor expected to be between 0 and 1, but got "
                             f"{factor}")
        require_int("total_iters", total_iters, 0)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def factor_at(self, step: int) -> float:
        return schedules.constant_factor(step, self.factor, self.total_iters)

    def ratio_at(self, step: int) -> float:
        return schedules.constant_factor_ratio(step, self.factor, self.total_iters)


class LinearLR(FactorScheduler):
    """``lr = base_lr * f``, with ``f`` going linearly from ``start_factor`` at step 0 to
    ``end_factor`` at ``total_iters`` and constant afterwards: a linear warmup (or decay).

    Args:
        optimizer: the wrapped optimizer.
        start_factor: the factor at step 0, in (0, 1] (default 1/3).
        end_factor: the factor from ``total_iters`` on, in [0, 1] (default 1).
        total_iters: the number of steps of the ramp (default 5).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    _state_keys = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        require_real("start_factor", start_factor)
        require_real("end_factor", end_factor)
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or "
                             f"equal to 1, but got {start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1, but got "
                             f"{end_factor}")
        require_int("total_iters", total_iters, 1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def factor_at(self, step: int) -> float:
        return schedules.linear_factor(step, self.start_factor, self.end_factor, self.total_iters)

    def ratio_at(self, step: int) -> float:
        return schedules.linear_factor_ratio(step, self.start_factor, self.end_factor, self.total_iters)


class ExponentialLR(FactorScheduler):
    """``lr = base_lr * gamma ** t``: decay by ``gamma`` every step.

    Args:
        optimizer: the wrapped optimizer.
        gamma: the factor of each step's decay.
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    _state_keys = ("gamma",)

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        require_real("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor_at(self, step: int) -> float:
        return schedules.exponential_decay(step, self.gamma)

    def ratio_at(self, step: int) -> float:
        return schedules.exponential_decay_ratio(step, self.gamma)


class PolynomialLR(FactorScheduler):
    """``lr = base_lr * (1 - min(t, total_iters) / total_iters) ** power``: 0 from ``total_iters`` on.

    Args:
        optimizer: the wrapped optimizer.
        total_iters: the number of steps of the decay (default 5).
        power: the power of the polynomial (default 1: linear).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    horizon_argument = "total_iters"  # the whole run, filled in by the experiment tools

    _state_keys = ("total_iters", "power")

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        require_int("total_iters", total_iters, 1)
        require_real("power", power)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def factor_at(self, step: int) -> float:
        return schedules.polynomial_decay(step, self.total_iters, self.power)

    def ratio_at(self, step: int) -> float:
        return schedules.polynomial_decay_ratio(step, self.total_iters, self.power)


class CosineAnnealingLR(FactorScheduler):
    r"""Cosine annealing from ``base_lr`` to ``eta_min`` over ``T_max`` steps (SGDR without restarts):

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``

    Past ``T_max`` the cosine goes on, back up to ``base_lr`` at ``2 T_max``, as in PyTorch. Each step
    applies the recursive form ``lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T_max)) /
    (1 + cos(pi (t-1) / T_max))`` (see ``FactorScheduler``), which is what PyTorch computes, so the
    two agree step by step. https://arxiv.org/abs/1608.03983.

    Args:
        optimizer: the wrapped optimizer.
        T_max: the number of steps from ``base_lr`` to ``eta_min``.
        eta_min: the minimum learning rate (default 0).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    horizon_argument = "T_max"  # the whole run, filled in by the experiment tools

    _state_keys = ("T_max", "eta_min")

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        require_real("T_max", T_max)
        if T_max <= 0:
            raise ValueError(f"Expected positive T_max, but got {T_max}")
        require_real("eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    @property
    def floor(self) -> float:
        return self.eta_min

    def factor_at(self, step: int) -> float:
        return schedules.cosine_annealing(step, self.T_max)

    def ratio_at(self, step: int) -> float:
        return schedules.cosine_annealing_ratio(step, self.T_max)

    def rise_at(self, step: int) -> float:
        return schedules.cosine_annealing_rise(self.T_max)


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR): the cosine of ``CosineAnnealingLR`` over cycles of
    ``T_0``, ``T_0 * T_mult``, ``T_0 * T_mult**2``, ... steps, restarting at ``base_lr`` each time:

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``

    ``step()`` advances ``T_cur`` by one; ``step(epoch)`` jumps to a fractional epoch, so that it can
    be stepped per mini-batch with ``scheduler.step(epoch + i / iters_per_epoch)``.
    https://arxiv.org/abs/1608.03983.

    Args:
        optimizer: the wrapped optimizer.
        T_0: the length of the first cycle, in steps.
        T_mult: the factor by which each cycle is longer than the previous one (default 1).
        eta_min: the minimum learning rate (default 0).
        last_epoch: the index of the last step, for resuming (default -1: start).
    """

    _state_keys = ("T_0", "T_i", "T_mult", "eta_min", "T_cur")

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        require_int("T_0", T_0, 1)
        require_int("T_mult", T_mult, 1)
        if not isinstance(eta_min, (float, int)) or isinstance(eta_min, bool):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def _advance(self, epoch, initial: bool = False) -> list[float]:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            self.T_cur, self.T_i = schedules.warm_restart_position(epoch, self.T_0, self.T_mult)
        self.last_epoch = math.floor(epoch)
        f = schedules.cosine_annealing(self.T_cur, self.T_i)
        return [self.eta_min + (base - self.eta_min) * f for base in self.base_lrs]
