"""The table of losses: one row per loss and configuration, each run with every reduction.

``make(nn, lib)`` builds the loss module with ``nn`` (``gradstep.nn`` or ``torch.nn``) and makes
any weight tensors with ``lib`` (``gradstep`` or ``torch``). ``torch_make`` replaces ``make`` on
the PyTorch side for a loss PyTorch lacks (``L2Loss``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..autograd.op_table import I, Input

REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class Labels:
    """Integer class labels of ``shape`` in [0, n_classes); ``ignore`` positions get ``ignore_index``."""
    shape: tuple
    n_classes: int
    ignore: tuple = ()
    ignore_index: int = -100
    grad: bool = False

    def make(self, rng: np.random.Generator, dtype) -> np.ndarray:
        y = rng.integers(0, self.n_classes, self.shape).astype(np.int64)
        for i in self.ignore:
            y.reshape(-1)[i] = self.ignore_index
        return y


@dataclass(frozen=True)
class Probabilities(Input):
    """Rows that sum to one along dim 1 (class probabilities)."""

    def make(self, rng: np.random.Generator, dtype) -> np.ndarray:
        p = rng.uniform(0.1, 1.0, self.shape)
        return (p / p.sum(axis=1 if len(self.shape) > 1 else 0, keepdims=True)).astype(dtype)


@dataclass(frozen=True)
class Unit(Input):
    """Values in [lo, hi] inside (0, 1) (probabilities for BCE, targets in [0, 1])."""
    lo: float = 0.05
    hi: float = 0.95

    def make(self, rng: np.random.Generator, dtype) -> np.ndarray:
        return rng.uniform(self.lo, self.hi, self.shape).astype(dtype)


@dataclass(frozen=True)
class LossCase:
    name: str
    make: Callable                    # make(nn, lib, reduction) -> loss module
    input: Input
    target: object
    torch_make: Callable | None = None

    @property
    def inputs(self) -> tuple:
        return (self.input, self.target)

    @property
    def id(self) -> str:
        return f"{self.name}[{'x'.join(map(str, self.input.shape))}]"


W5 = np.array([0.2, 1.0, 0.5, 2.0, 1.5], np.float32)
PW4 = np.array([0.5, 1.0, 2.0, 3.0], np.float32)


def _torch_l2(nn, lib, reduction, weight=1.0):
    mse = nn.MSELoss(reduction=reduction)
    return lambda x, t: (weight / 2) * mse(x, t)


CASES = [
    LossCase("CrossEntropy", lambda nn, m, r: nn.CrossEntropyLoss(reduction=r), I(6, 5), Labels((6,), 5)),
    LossCase("CrossEntropy_weight", lambda nn, m, r: nn.CrossEntropyLoss(m.tensor(W5), reduction=r),
             I(6, 5), Labels((6,), 5)),
    LossCase("CrossEntropy_ignore",
             lambda nn, m, r: nn.CrossEntropyLoss(ignore_index=-1, reduction=r),
             I(6, 5), Labels((6,), 5, ignore=(1, 4), ignore_index=-1)),
    LossCase("CrossEntropy_smoothing",
             lambda nn, m, r: nn.CrossEntropyLoss(label_smoothing=0.2, reduction=r), I(6, 5),
             Labels((6,), 5)),
    LossCase("CrossEntropy_all_options",
             lambda nn, m, r: nn.CrossEntropyLoss(m.tensor(W5), ignore_index=3, label_smoothing=0.3,
                                                  reduction=r),
             I(7, 5), Labels((7,), 5, ignore=(0, 5), ignore_index=3)),
    LossCase("CrossEntropy_spatial",
             lambda nn, m, r: nn.CrossEntropyLoss(m.tensor(W5), label_smoothing=0.1, reduction=r),
             I(2, 5, 3, 2), Labels((2, 3, 2), 5, ignore=(4,))),
    LossCase("CrossEntropy_unbatched", lambda nn, m, r: nn.CrossEntropyLoss(reduction=r), I(5),
             Labels((), 5)),
    LossCase("CrossEntropy_probs", lambda nn, m, r: nn.CrossEntropyLoss(reduction=r), I(6, 5),
             Probabilities((6, 5))),
    LossCase("CrossEntropy_probs_all_options",
             lambda nn, m, r: nn.CrossEntropyLoss(m.tensor(W5), label_smoothing=0.25, reduction=r),
             I(6, 5), Probabilities((6, 5))),
    LossCase("CrossEntropy_probs_spatial",
             lambda nn, m, r: nn.CrossEntropyLoss(label_smoothing=0.1, reduction=r), I(2, 5, 3),
             Probabilities((2, 5, 3))),
    LossCase("NLL", lambda nn, m, r: nn.NLLLoss(reduction=r), I(6, 5), Labels((6,), 5)),
    LossCase("NLL_weight_ignore",
             lambda nn, m, r: nn.NLLLoss(m.tensor(W5), ignore_index=2, reduction=r), I(6, 5),
             Labels((6,), 5, ignore=(3,), ignore_index=2)),
    LossCase("NLL_spatial", lambda nn, m, r: nn.NLLLoss(m.tensor(W5), reduction=r), I(2, 5, 4),
             Labels((2, 4), 5)),
    LossCase("MSE", lambda nn, m, r: nn.MSELoss(reduction=r), I(4, 3), I(4, 3)),
    LossCase("L1", lambda nn, m, r: nn.L1Loss(reduction=r), I(4, 3), I(4, 3)),
    LossCase("SmoothL1", lambda nn, m, r: nn.SmoothL1Loss(reduction=r), I(4, 3), I(4, 3)),
    LossCase("SmoothL1_beta", lambda nn, m, r: nn.SmoothL1Loss(reduction=r, beta=0.5), I(4, 3), I(4, 3)),
    LossCase("SmoothL1_beta0", lambda nn, m, r: nn.SmoothL1Loss(reduction=r, beta=0.0), I(4, 3), I(4, 3)),
    LossCase("Huber", lambda nn, m, r: nn.HuberLoss(reduction=r), I(4, 3), I(4, 3)),
    LossCase("Huber_delta", lambda nn, m, r: nn.HuberLoss(reduction=r, delta=0.4), I(4, 3), I(4, 3)),
    LossCase("BCE", lambda nn, m, r: nn.BCELoss(reduction=r), Unit((4, 3)), Unit((4, 3), lo=0.0, hi=1.0)),
    LossCase("BCE_weight", lambda nn, m, r: nn.BCELoss(m.tensor(PW4[:3]), reduction=r), Unit((4, 3)),
             Unit((4, 3), lo=0.0, hi=1.0)),
    LossCase("BCEWithLogits", lambda nn, m, r: nn.BCEWithLogitsLoss(reduction=r), I(4, 3),
             Unit((4, 3), lo=0.0, hi=1.0)),
    LossCase("BCEWithLogits_pos_weight",
             lambda nn, m, r: nn.BCEWithLogitsLoss(m.tensor(PW4[::-1].copy()), reduction=r,
                                                   pos_weight=m.tensor(PW4)),
             I(3, 4), Unit((3, 4), lo=0.0, hi=1.0)),
    LossCase("KLDiv", lambda nn, m, r: nn.KLDivLoss(reduction=r), I(4, 3), Probabilities((4, 3))),
    LossCase("KLDiv_log_target", lambda nn, m, r: nn.KLDivLoss(reduction=r, log_target=True), I(4, 3),
             I(4, 3)),
    LossCase("L2", lambda nn, m, r: nn.L2Loss(reduction=r), I(4, 3), I(4, 3), torch_make=_torch_l2),
    LossCase("L2_weight", lambda nn, m, r: nn.L2Loss(weight=0.3, reduction=r), I(4, 3), I(4, 3),
             torch_make=lambda nn, m, r: _torch_l2(nn, m, r, 0.3)),
]
