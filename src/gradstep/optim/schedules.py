"""Learning-rate schedules as pure functions of the step.

Each function here is one schedule's formula, written once, with the step (epoch or iteration
count) and the schedule's constants as arguments and nothing else: no optimizer, no state. The
scheduler classes of ``gradstep.optim.lr_scheduler`` are thin wrappers that call these and write
the result into ``group["lr"]``; they can also be used directly, e.g. with ``LambdaLR``::

    from functools import partial
    from gradstep.optim import schedules
    LambdaLR(optimizer, partial(schedules.cosine_annealing, T_max=100))

Most functions return a *factor*: the learning rate at ``step`` is
``floor + (base_lr - floor) * factor`` (``floor`` is ``eta_min`` for the cosine schedules, else 0).
The arithmetic follows ``torch.optim.lr_scheduler`` operation by operation, so the values agree
with PyTorch's closed forms to the last bit.

The chainable schedules (``StepLR``, ..., ``CosineAnnealingLR``) also have a ``*_ratio``: the
factor by which the learning rate moves from ``step - 1`` to ``step`` (``step >= 1``), that is
``factor(step) / factor(step - 1)``, derived from the closed form but written as PyTorch's
recursive form computes it, so that a scheduler stepped ``t`` times holds PyTorch's bits. (The
quotient of two closed forms rounds differently, by an ulp or so.)
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

__all__ = [
    "step_decay", "step_decay_ratio", "multistep_decay", "multistep_decay_ratio", "constant_factor",
    "constant_factor_ratio", "linear_factor", "linear_factor_ratio", "exponential_decay",
    "exponential_decay_ratio", "polynomial_decay", "polynomial_decay_ratio", "cosine_annealing",
    "cosine_annealing_ratio", "cosine_annealing_rise", "warm_restart_position", "cyclic_position",
    "triangular_scale", "triangular2_scale", "exp_range_scale", "anneal_cos", "anneal_linear",
    "one_cycle_phases", "one_cycle_position", "plateau_improved", "range_test_lr",
]


def step_decay(step: int, step_size: int, gamma: float) -> float:
    """``gamma ** (step // step_size)``: decay by ``gamma`` every ``step_size`` steps (StepLR)."""
    return gamma ** (step // step_size)


def step_decay_ratio(step: int, step_size: int, gamma: float) -> float:
    """``step_decay(step) / step_decay(step - 1)``: ``gamma`` at each multiple of ``step_size``."""
    return gamma if step % step_size == 0 else 1.0


def multistep_decay(step: int, milestones: Sequence[int], gamma: float) -> float:
    """``gamma ** (number of milestones <= step)``; ``milestones`` sorted, repeats count twice
    (MultiStepLR)."""
    return gamma ** bisect_right(milestones, step)


def multistep_decay_ratio(step: int, milestones: Sequence[int], gamma: float) -> float:
    """``multistep_decay(step) / multistep_decay(step - 1)``: ``gamma ** (times step is a milestone)``."""
    return gamma ** (bisect_right(milestones, step) - bisect_left(milestones, step))


def constant_factor(step: int, factor: float, total_iters: int) -> float:
    """``factor`` for the first ``total_iters`` steps, then 1 (ConstantLR)."""
    return factor + (step >= total_iters) * (1 - factor)


def constant_factor_ratio(step: int, factor: float, total_iters: int) -> float:
    """``constant_factor(step) / constant_factor(step - 1)``: ``1 / factor`` at ``total_iters``
    (``factor`` > 0; where it is 0 there is no ratio, see ``FactorScheduler``)."""
    return 1.0 / factor if step == total_iters else 1.0


def linear_factor(step: int, start_factor: float, end_factor: float, total_iters: int) -> float:
    """From ``start_factor`` at step 0 linearly to ``end_factor`` at ``total_iters``, then constant
    (LinearLR)."""
    return start_factor + (end_factor - start_factor) * min(total_iters, step) / total_iters


def linear_factor_ratio(step: int, start_factor: float, end_factor: float, total_iters: int) -> float:
    """``linear_factor(step) / linear_factor(step - 1)``: ``1 + (end - start) / (total_iters *
    start + (step - 1) (end - start))`` up to ``total_iters``, then 1."""
    if step > total_iters:
        return 1.0
    change = end_factor - start_factor
    return 1.0 + change / (total_iters * start_factor + (step - 1) * change)


def exponential_decay(step: int, gamma: float) -> float:
    """``gamma ** step`` (ExponentialLR)."""
    return gamma ** step


def exponential_decay_ratio(step: int, gamma: float) -> float:
    """``exponential_decay(step) / exponential_decay(step - 1)``: ``gamma``."""
    return gamma


def polynomial_decay(step: int, total_iters: int, power: float) -> float:
    """``(1 - min(step, total_iters) / total_iters) ** power``: reaches 0 at ``total_iters``
    (PolynomialLR)."""
    return (1.0 - min(total_iters, step) / total_iters) ** power


def polynomial_decay_ratio(step: int, total_iters: int, power: float) -> float:
    """``polynomial_decay(step) / polynomial_decay(step - 1)``: ``((1 - step / total_iters) /
    (1 - (step - 1) / total_iters)) ** power`` up to ``total_iters``, then 1."""
    if step > total_iters:
        return 1.0
    return ((1.0 - step / total_iters) / (1.0 - (step - 1) / total_iters)) ** power


def cosine_annealing(step: float, T_max: float) -> float:
    """``(1 + cos(pi * step / T_max)) / 2``: from 1 at step 0 to 0 at ``T_max`` and, past it, back up
    again with period ``2 T_max`` (CosineAnnealingLR; CosineAnnealingWarmRestarts with
    ``step = T_cur`` and ``T_max = T_i``). SGDR, https://arxiv.org/abs/1608.03983."""
    return (1 + math.cos(math.pi * step / T_max)) / 2


def cosine_annealing_ratio(step: int, T_max: float) -> float:
    """``cosine_annealing(step) / cosine_annealing(step - 1)``: ``(1 + cos(pi step / T_max)) /
    (1 + cos(pi (step - 1) / T_max))``, where ``step - 1`` is not an odd multiple of ``T_max``."""
    return (1 + math.cos(math.pi * step / T_max)) / (1 + math.cos(math.pi * (step - 1) / T_max))


def cosine_annealing_rise(T_max: float) -> float:
    """``cosine_annealing(step) - cosine_annealing(step - 1)`` where ``step - 1`` is an odd
    multiple of ``T_max`` (the factor was 0 and rises again): ``(1 - cos(pi / T_max)) / 2``."""
    return (1 - math.cos(math.pi / T_max)) / 2


def warm_restart_position(epoch: float, T_0: int, T_mult: int) -> tuple[float, int]:
    """``(T_cur, T_i)`` at ``epoch`` (may be fractional) for SGDR's warm restarts: the cycles last
    ``T_0, T_0 * T_mult, T_0 * T_mult**2, ...`` epochs, ``T_i`` is the current cycle's length and
    ``T_cur`` the epochs since its start.

    PyTorch finds the cycle with ``int(log(...))``, which rounds down on some exact restart epochs
    (e.g. ``T_0=1, T_mult=3``, epoch 121) and then reports the end of the previous cycle; here the
    logarithm's guess is corrected with exact integer bounds, giving the same values elsewhere.
    """
    if epoch < T_0:
        return epoch, T_0
    if T_mult == 1:
        return epoch % T_0, T_0
    n = int(math.log((epoch / T_0 * (T_mult - 1) + 1), T_mult))

    def start(k: int) -> int:  # the first epoch of cycle k
        return T_0 * (T_mult ** k - 1) // (T_mult - 1)

    while n > 0 and start(n) > epoch:
        n -= 1
    while start(n + 1) <= epoch:
        n += 1
    return epoch - T_0 * (T_mult ** n - 1) / (T_mult - 1), T_0 * T_mult ** n


def cyclic_position(step: int, total_size: float, step_ratio: float) -> tuple[int, float]:
    """``(cycle, scale)`` for the cyclical learning rate (CyclicLR): ``cycle`` counts cycles from 1,
    ``scale`` rises linearly from 0 to 1 over the first ``step_ratio`` of each cycle of
    ``total_size`` steps and falls back to 0 over the rest. https://arxiv.org/abs/1506.01186."""
    cycle = math.floor(1 + step / total_size)
    x = 1.0 + step / total_size - cycle
    if x <= step_ratio:
        return cycle, x / step_ratio
    return cycle, (x - 1) / (step_ratio - 1)


def triangular_scale(x: float) -> float:
    """CyclicLR's ``triangular`` amplitude: constant."""
    return 1.0


def triangular2_scale(x: float) -> float:
    """CyclicLR's ``triangular2`` amplitude: halved every cycle (``x`` is the cycle number)."""
    return 1 / (2.0 ** (x - 1))


def exp_range_scale(x: float, gamma: float) -> float:
    """CyclicLR's ``exp_range`` amplitude: ``gamma ** x`` (``x`` is the iteration number)."""
    return gamma ** x


def anneal_cos(start: float, end: float, pct: float) -> float:
    """Cosine interpolation from ``start`` (pct 0) to ``end`` (pct 1) (OneCycleLR)."""
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def anneal_linear(start: float, end: float, pct: float) -> float:
    """Linear interpolation from ``start`` (pct 0) to ``end`` (pct 1) (OneCycleLR)."""
    return (end - start) * pct + start


def one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool) -> list[dict]:
    """OneCycleLR's phases: each ends at step ``end_step`` and interpolates between two of the
    group's values, named by keys (``initial_lr``, ``max_lr``, ``min_lr``; ``max_momentum``,
    ``base_momentum``). Two phases (fastai's default: up to ``max_lr``, down to ``min_lr``) or
    three (the paper's: up, symmetric down to ``initial_lr``, then down to ``min_lr``).
    https://arxiv.org/abs/1708.07120."""
    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
                "start_momentum": start_momentum, "end_momentum": end_momentum}

    up = phase(float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum")
    if three_phase:
        return [up,
                phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                      "base_momentum", "max_momentum"),
                phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
    return [up, phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


def one_cycle_position(step: int, phases: Sequence[dict]) -> tuple[dict, float]:
    """The phase that ``step`` falls in and how far through it it is (0 at the phase's start, 1 at
    its end; the last phase takes every later step)."""
    start_step = 0.0
    for i, phase in enumerate(phases):
        end_step = phase["end_step"]
        if step <= end_step or i == len(phases) - 1:
            if end_step == start_step:
                raise ValueError(f"OneCycleLR: phase {i} of the cycle has no steps (it starts and ends at "
                                 f"step {end_step}); use more total_steps or another pct_start")
            return phase, (step - start_step) / (end_step - start_step)
        start_step = end_step
    raise ValueError("OneCycleLR needs at least one phase")


def plateau_improved(value: float, best: float, mode: str, threshold_mode: str, threshold: float) -> bool:
    """Whether ``value`` is a significant improvement on ``best`` (ReduceLROnPlateau): in ``min``
    mode below ``best * (1 - threshold)`` (``rel``) or ``best - threshold`` (``abs``); in ``max``
    mode above ``best * (1 + threshold)`` or ``best + threshold``."""
    if mode == "min" and threshold_mode == "rel":
        return value < best * (1.0 - threshold)
    if mode == "min":
        return value < best - threshold
    if threshold_mode == "rel":
        return value > best * (threshold + 1.0)
    return value > best + threshold


def range_test_lr(step: int, start_lr: float, end_lr: float, num_iter: int, mode: str = "exp") -> float:
    """The learning rate of the LR range test at ``step`` (0 to ``num_iter - 1``): from ``start_lr``
    to ``end_lr`` geometrically (``exp``: equal factors per step, even on a log axis) or linearly.
    Leslie Smith, https://arxiv.org/abs/1506.01186, section 3.3."""
    r = step / (num_iter - 1)
    if mode == "exp":
        return start_lr * (end_lr / start_lr) ** r
    return start_lr + r * (end_lr - start_lr)
