"""Sharpness against the stability threshold of the optimizer that is training.

On a quadratic with Hessian H, gradient descent θ ← θ − lr·g diverges when lr·λ_max(H) > 2, so
the sharpness λ_max(H) is compared with 2/lr; heavy-ball momentum β (PyTorch's SGD) moves the
threshold to (2 + 2β)/lr, and Nesterov momentum to (2 + 2β)/((1 + 2β)·lr) (Cohen et al., ICLR
2021, appendix). An adaptive optimizer steps θ ← θ − P ⊙ d with a per-element step size P
(``Optimizer.step_size``); with P frozen the comparable quantity is the *preconditioned*
sharpness λ_max(P^½ H P^½) = λ_max(P H), against 2 when d is the gradient (Adagrad, RMSprop,
Adadelta), 2 + 2μ with RMSprop's momentum μ, and (2 + 2β₁)/(1 − β₁) when d is the first moment
m̂, an average with weight 1 − β₁ (Adam, AdamW, NAdam, RAdam, Adamax: 38 for β₁ = 0.9; Cohen et
al., "Adaptive gradient methods at the edge of stability", 2022). Optimizers whose step is not
P ⊙ d with one P (L-BFGS's line search, Rprop's and Lion's sign steps, ASGD) get none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..optim import SGD, Optimizer
from .curvature import LossHessian, _lanczos, _ritz_done, _ritz_pairs


@dataclass(frozen=True)
class Sharpness:
    """λ_max of the (preconditioned) Hessian on a batch, the threshold it is compared with, and
    the top eigenvector (to warm-start the next estimate)."""
    value: float
    threshold: float
    preconditioned: bool
    threshold_text: str   # "2/lr", "(2+2β)/lr", "2", "(2+2β₁)/(1−β₁)"
    hvp_count: int
    vector: np.ndarray

    @property
    def unstable(self) -> bool:
        return self.value > self.threshold

    def text(self) -> str:
        """"sharpness 12.3 > 2/lr = 0.4: the step size is above the stability threshold"."""
        name = "preconditioned sharpness λ_max(P·H)" if self.preconditioned else "sharpness"
        if self.unstable:
            return (f"{name} {self.value:.4g} > {self.threshold_text} = {self.threshold:.4g}: the step "
                    f"size is above the stability threshold")
        return (f"{name} {self.value:.4g} <= {self.threshold_text} = {self.threshold:.4g}: the step size "
                f"is within the stability threshold on this batch")


class _Preconditioned:
    """P^½ H P^½ as an operator on flat vectors."""

    def __init__(self, hessian: LossHessian, root: np.ndarray):
        self.hessian, self.root = hessian, root
        self.num_parameters = hessian.num_parameters

    def matvec(self, v: np.ndarray) -> np.ndarray:
        return self.root * self.hessian.matvec(self.root * v)


def threshold(optimizer) -> tuple[float, str, bool] | None:
    """(threshold, its formula, whether it is for the preconditioned sharpness) of the first
    parameter group; None for an optimizer without a per-element step size."""
    group = optimizer.param_groups[0]
    if isinstance(optimizer, SGD):
        lr, beta = group["lr"], group["momentum"]
        if beta and group["dampening"]:  # b ← βb + (1 − τ)g: the step is (1 − τ) lr times heavy ball's
            lr = lr * (1 - group["dampening"])
        if beta and group["nesterov"]:
            return (2 + 2 * beta) / ((1 + 2 * beta) * lr), "(2+2β)/((1+2β)lr)", False
        if beta:
            return (2 + 2 * beta) / lr, "(2+2β)/lr", False
        return 2 / lr, "2/lr", False
    if type(optimizer)._step_size is Optimizer._step_size:
        return None
    if "betas" in group and group["betas"][0]:
        b1 = group["betas"][0]
        return (2 + 2 * b1) / (1 - b1), "(2+2β₁)/(1−β₁)", True
    if group.get("momentum"):
        return 2 + 2 * group["momentum"], "2+2μ", True
    return 2.0, "2", True


def sharpness(model, loss_fn, batch, optimizer, steps: int = 20, start: np.ndarray | None = None,
              seconds: float | None = None, seed: int = 0) -> Sharpness | None:
    """λ_max of the Hessian of ``loss_fn(model(x), y)`` on ``batch`` (preconditioned by the
    optimizer's step size P where it has one; see the module docstring) by at most ``steps``
    Lanczos iterations (fewer once the top Ritz value has converged to 1e-4, or once ``seconds``
    have passed), warm-started from ``start``. None when the optimizer has no comparable
    quantity, or the result is not finite."""
    rule = threshold(optimizer)
    if rule is None:
        return None
    limit, formula, preconditioned = rule
    op = hessian = LossHessian(model, loss_fn, batch)
    if preconditioned:
        sizes = [optimizer.step_size(p) for p in hessian.params]
        flat = np.concatenate([np.zeros(n) if s is None else np.ravel(s).astype(np.float64)
                               for s, n in zip(sizes, hessian.sizes)])
        if not np.isfinite(flat).all():
            return None
        op = _Preconditioned(hessian, np.sqrt(flat))
    if start is not None and start.shape != (hessian.num_parameters,):
        start = None
    deadline = None if seconds is None else time.monotonic() + seconds

    def stop(alphas, betas, _):
        return (deadline is not None and time.monotonic() > deadline) or _ritz_done(alphas, betas, 1, 1e-4)

    basis, products, alphas, betas = _lanczos(op, min(steps, hessian.num_parameters), seed, stop, start)
    if not (np.isfinite(alphas).all() and np.isfinite(betas).all()):
        return None
    values, vectors, _ = _ritz_pairs(alphas, betas, basis, products, 1)
    return Sharpness(float(values[0]), float(limit), preconditioned, formula, hessian.hvp_count,
                     vectors[0])


def diagnose_divergence(trainer) -> str | None:
    """For the non-finite guard: the sharpness against the threshold at the trainer's (finite)
    weights on its last batch, within 20 HVPs and about a second; None when it cannot say."""
    batch = getattr(trainer, "_batch", None)
    if batch is None:
        return None
    try:
        with np.errstate(all="ignore"):
            s = sharpness(trainer.model, trainer.loss_fn, batch, trainer.optimizer, steps=20, seconds=1.0)
    except (ValueError, TypeError, NotImplementedError, ArithmeticError):
        return None  # no second derivative for this model or loss, or nothing to take it of
    return None if s is None else s.text()
