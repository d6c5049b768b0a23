"""The table of scheduler configurations: one row per scheduler and argument set.

Each row's ``build(m, opt)`` is written once and runs on both libraries: ``m`` is the
``lr_scheduler`` module (gradstep's or torch's) and ``opt`` that library's optimizer with two
parameter groups (learning rates 0.1 and 0.037). The PyTorch comparison and the state-dict round
trip both run over ``CASES``; adding a scheduler configuration means adding a row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LRS = (0.1, 0.037)
STEPS = 250


@dataclass(frozen=True)
class Case:
    name: str
    build: object                 # (lr_scheduler module, optimizer) -> scheduler
    optimizer: str = "sgd"        # "sgd" (groups have "momentum") or "adam" (groups have "betas")
    metric: str | None = None     # "min" / "max": step(metric) with METRICS[mode]; None: step()
    epoch: object = None          # i -> epoch: step(epoch(i)) instead of step()
    steps: int = STEPS

    @property
    def id(self) -> str:
        return self.name


def _metrics(n: int = STEPS + 1) -> list[float]:
    """A validation-loss-like curve: decreasing with noise, long plateaus and exact repeats, so that
    patience, thresholds and cooldowns all matter."""
    rng = np.random.default_rng(1234)
    out, level = [], 1.0
    for i in range(n):
        if i % 40 < 25:
            level *= 0.97
        noise = float(rng.normal(0.0, 0.004))
        out.append(out[-1] if i % 17 == 5 else level + noise)
    return out


METRICS = {"min": _metrics(), "max": [1.0 - v for v in _metrics()]}


def _cyclic_scale(x):
    return 0.5 * (1.0 + math.sin(x * math.pi / 2.0))


def _sequential(m, opt, parts, milestones):
    return m.SequentialLR(opt, [p(m, opt) for p in parts], milestones=milestones)


def _chained(m, opt, parts):
    return m.ChainedScheduler([p(m, opt) for p in parts])


CASES = [
    Case("LambdaLR-one", lambda m, o: m.LambdaLR(o, lambda e: 0.97 ** e)),
    Case("LambdaLR-per-group", lambda m, o: m.LambdaLR(o, [lambda e: 1.0 / (1 + 0.1 * e),
                                                          lambda e: (e % 10 + 1) / 10])),
    Case("MultiplicativeLR-one", lambda m, o: m.MultiplicativeLR(o, lambda e: 0.98)),
    Case("MultiplicativeLR-per-group", lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.99,
                                                                          lambda e: 1.0 - 0.001 * (e % 5)])),
    Case("StepLR-7-0.5", lambda m, o: m.StepLR(o, step_size=7, gamma=0.5)),
    Case("StepLR-30-default", lambda m, o: m.StepLR(o, step_size=30)),
    Case("StepLR-1-0.97", lambda m, o: m.StepLR(o, 1, 0.97)),
    Case("StepLR-step(epoch)", lambda m, o: m.StepLR(o, 9, 0.7), epoch=lambda i: (i * 7) % 40),
    Case("MultiStepLR-repeats", lambda m, o: m.MultiStepLR(o, [10, 50, 50, 120], gamma=0.5)),
    Case("MultiStepLR-unsorted", lambda m, o: m.MultiStepLR(o, [150, 3, 20])),
    Case("MultiStepLR-step(epoch)", lambda m, o: m.MultiStepLR(o, [5, 9, 9], 0.3), epoch=lambda i: i % 13),
    Case("ConstantLR-default", lambda m, o: m.ConstantLR(o)),
    Case("ConstantLR-0.5-100", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=100)),
    Case("LinearLR-default", lambda m, o: m.LinearLR(o)),
    Case("LinearLR-warmup-20", lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=20)),
    Case("LinearLR-decay-50", lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=50)),
    Case("LinearLR-to-zero", lambda m, o: m.LinearLR(o, start_factor=0.5, end_factor=0.0, total_iters=10)),
    Case("LinearLR-300", lambda m, o: m.LinearLR(o, 0.25, 0.75, 300)),
    Case("ExponentialLR-0.9", lambda m, o: m.ExponentialLR(o, gamma=0.9)),
    Case("ExponentialLR-0.99", lambda m, o: m.ExponentialLR(o, 0.99)),
    Case("PolynomialLR-default", lambda m, o: m.PolynomialLR(o)),
    Case("PolynomialLR-100-2", lambda m, o: m.PolynomialLR(o, total_iters=100, power=2.0)),
    Case("PolynomialLR-240-0.5", lambda m, o: m.PolynomialLR(o, total_iters=240, power=0.5)),
    Case("CosineAnnealingLR-10", lambda m, o: m.CosineAnnealingLR(o, T_max=10)),
    Case("CosineAnnealingLR-7-eta", lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    Case("CosineAnnealingLR-50-eta-above-lr", lambda m, o: m.CosineAnnealingLR(o, 50, eta_min=0.05)),
    Case("CosineAnnealingLR-100-eta", lambda m, o: m.CosineAnnealingLR(o, T_max=100, eta_min=0.09)),
    Case("CosineAnnealingLR-step(epoch)", lambda m, o: m.CosineAnnealingLR(o, 30, 0.002),
         epoch=lambda i: (i * 3) % 70),
    Case("CosineAnnealingWarmRestarts-10", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10)),
    Case("CosineAnnealingWarmRestarts-3-x2", lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, T_mult=2,
                                                                                       eta_min=0.001)),
    Case("CosineAnnealingWarmRestarts-5-x3", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=3)),
    Case("CosineAnnealingWarmRestarts-fractional",
         lambda m, o: m.CosineAnnealingWarmRestarts(o, 2, 2, 0.0005), epoch=lambda i: i / 7),
    Case("CosineAnnealingWarmRestarts-fractional-x1", lambda m, o: m.CosineAnnealingWarmRestarts(o, 4),
         epoch=lambda i: i / 3 + 0.1),
    Case("CyclicLR-triangular", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10)),
    Case("CyclicLR-triangular2", lambda m, o: m.CyclicLR(o, 0.001, 0.05, step_size_up=7, step_size_down=13,
                                                         mode="triangular2")),
    Case("CyclicLR-exp_range", lambda m, o: m.CyclicLR(o, [0.01, 0.002], [0.1, 0.05], step_size_up=15,
                                                       mode="exp_range", gamma=0.99)),
    Case("CyclicLR-scale_fn-cycle", lambda m, o: m.CyclicLR(o, 0.01, 0.1, 6, scale_fn=_cyclic_scale,
                                                            base_momentum=[0.7, 0.75], max_momentum=0.95)),
    Case("CyclicLR-scale_fn-iterations",
         lambda m, o: m.CyclicLR(o, 0.01, 0.1, 9, 4, scale_fn=lambda x: 0.995 ** x, scale_mode="iterations")),
    Case("CyclicLR-no-momentum", lambda m, o: m.CyclicLR(o, 0.02, 0.2, 20, cycle_momentum=False)),
    Case("CyclicLR-betas", lambda m, o: m.CyclicLR(o, 0.001, 0.01, 12, mode="triangular2"), optimizer="adam"),
    Case("OneCycleLR-cos", lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=STEPS)),
    Case("OneCycleLR-linear", lambda m, o: m.OneCycleLR(o, [0.1, 0.3], total_steps=STEPS,
                                                        anneal_strategy="linear", pct_start=0.25)),
    Case("OneCycleLR-three-phase-cos",
         lambda m, o: m.OneCycleLR(o, 0.2, total_steps=STEPS, three_phase=True)),
    Case("OneCycleLR-three-phase-linear",
         lambda m, o: m.OneCycleLR(o, 0.2, epochs=10, steps_per_epoch=25, anneal_strategy="linear",
                                   three_phase=True, pct_start=0.4)),
    Case("OneCycleLR-div-factors",
         lambda m, o: m.OneCycleLR(o, 0.05, total_steps=STEPS + 50, div_factor=10.0, final_div_factor=100.0,
                                   base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.99])),
    Case("OneCycleLR-no-momentum",
         lambda m, o: m.OneCycleLR(o, 0.1, total_steps=STEPS, cycle_momentum=False)),
    Case("OneCycleLR-betas", lambda m, o: m.OneCycleLR(o, 0.01, total_steps=STEPS), optimizer="adam"),
    Case("ReduceLROnPlateau-default", lambda m, o: m.ReduceLROnPlateau(o), metric="min"),
    Case("ReduceLROnPlateau-patience3", lambda m, o: m.ReduceLROnPlateau(o, patience=3, factor=0.5),
         metric="min"),
    Case("ReduceLROnPlateau-abs", lambda m, o: m.ReduceLROnPlateau(o, patience=2, threshold=0.01,
                                                                   threshold_mode="abs"), metric="min"),
    Case("ReduceLROnPlateau-max-rel", lambda m, o: m.ReduceLROnPlateau(o, "max", patience=4, threshold=0.02),
         metric="max"),
    Case("ReduceLROnPlateau-max-abs",
         lambda m, o: m.ReduceLROnPlateau(o, mode="max", patience=1, threshold=0.005, threshold_mode="abs"),
         metric="max"),
    Case("ReduceLROnPlateau-cooldown",
         lambda m, o: m.ReduceLROnPlateau(o, patience=2, cooldown=5, factor=0.7), metric="min"),
    Case("ReduceLROnPlateau-min_lr",
         lambda m, o: m.ReduceLROnPlateau(o, patience=1, factor=0.5, min_lr=0.001), metric="min"),
    Case("ReduceLROnPlateau-min_lr-per-group", lambda m, o: m.ReduceLROnPlateau(o, patience=0, factor=0.8,
                                                                                min_lr=[0.01, 0.0001]),
         metric="min"),
    Case("ReduceLROnPlateau-eps", lambda m, o: m.ReduceLROnPlateau(o, patience=1, factor=0.5, eps=0.003),
         metric="min"),
    Case("SequentialLR-warmup-cosine", lambda m, o: _sequential(m, o, [
        lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=5),
        lambda m, o: m.CosineAnnealingLR(o, T_max=100, eta_min=0.001)], [5])),
    Case("SequentialLR-three-stages", lambda m, o: _sequential(m, o, [
        lambda m, o: m.ConstantLR(o, factor=0.2, total_iters=10),
        lambda m, o: m.ExponentialLR(o, 0.95),
        lambda m, o: m.StepLR(o, 10, 0.5)], [3, 60])),
    Case("SequentialLR-multiplicative", lambda m, o: _sequential(m, o, [
        lambda m, o: m.LinearLR(o, 0.5, total_iters=10),
        lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97)], [10])),
    Case("SequentialLR-restarts", lambda m, o: _sequential(m, o, [
        lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0),
        lambda m, o: m.CosineAnnealingWarmRestarts(o, 7, 2)], [25])),
    Case("SequentialLR-cyclic", lambda m, o: _sequential(m, o, [
        lambda m, o: m.ExponentialLR(o, 0.9),
        lambda m, o: m.CyclicLR(o, 0.01, 0.1, 10, mode="triangular2")], [30])),
    Case("SequentialLR-milestone-0", lambda m, o: _sequential(m, o, [
        lambda m, o: m.ExponentialLR(o, 0.9),
        lambda m, o: m.StepLR(o, 4, 0.8)], [0])),
    Case("ChainedScheduler-warmup-decay", lambda m, o: _chained(m, o, [
        lambda m, o: m.ConstantLR(o, factor=0.1, total_iters=5),
        lambda m, o: m.ExponentialLR(o, 0.98)])),
    Case("ChainedScheduler-linear-cosine", lambda m, o: _chained(m, o, [
        lambda m, o: m.LinearLR(o, 0.2, total_iters=10),
        lambda m, o: m.CosineAnnealingLR(o, T_max=60, eta_min=0.001)])),
    Case("ChainedScheduler-three", lambda m, o: _chained(m, o, [
        lambda m, o: m.StepLR(o, 13, 0.6),
        lambda m, o: m.MultiStepLR(o, [40, 90], 0.5),
        lambda m, o: m.MultiplicativeLR(o, lambda e: 0.999)])),
    Case("ChainedScheduler-then-lambda", lambda m, o: _chained(m, o, [
        lambda m, o: m.ExponentialLR(o, 0.9),
        lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (1 + e))])),
]
