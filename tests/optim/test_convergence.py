"""Every optimizer, with its default hyperparameters, makes progress on three classic surfaces."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs

from .registry import OPTIMIZERS

STEPS = 300


def bowl(x):
    """x² + y² (seed 003's surface)."""
    return (x * x).sum()


def ill_conditioned(x):
    """(x² + 100 y²) / 2: curvatures 1 and 100."""
    return (x * x * gs.tensor([1.0, 100.0], dtype=gs.float64)).sum() * 0.5


def rosenbrock(x):
    """(1 − x)² + 100 (y − x²)², minimum 0 at (1, 1) at the end of a curved valley."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


SURFACES = [(bowl, [1.0, -1.5]), (ill_conditioned, [1.0, 1.0]), (rosenbrock, [-1.2, 1.0])]


@pytest.mark.parametrize("f,start", SURFACES, ids=[f.__name__ for f, _ in SURFACES])
@pytest.mark.parametrize("info", OPTIMIZERS, ids=[i.name for i in OPTIMIZERS])
def test_defaults_decrease_the_loss(info, f, start):
    x = gs.tensor(start, dtype=gs.float64, requires_grad=True)
    kwargs = {} if info.convergence_lr is None else {"lr": info.convergence_lr}
    opt = getattr(gs.optim, info.name)([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    initial = float(f(x).detach())
    for _ in range(STEPS):
        if info.needs_closure:
            opt.step(closure)
        else:
            closure()
            opt.step()
    final = float(f(x).detach())
    assert np.isfinite(final) and final < 0.9 * initial, (initial, final)
