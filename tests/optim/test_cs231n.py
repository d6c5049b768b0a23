"""The tutorials' hand-written update rules against gradstep's optimizers: seed 002's
``sgd_update`` / ``sgd_adagrad`` written through ``param.data`` and ``param.grad.data``, and seed
001's cs231n rules ``(w, dw, config) -> (next_w, config)``."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs
from gradstep.optim import cs231n

from .harness import Run, assert_identical
from .registry import C, OptimInfo

STEPS = 10
MANUAL = OptimInfo("SGD", (C(),), ())  # a Run whose optimizer is only used for zero_grad


def sgd_update(parameters, lr):
    """Seed 002, verbatim but for the library name."""
    for param in parameters:
        param.data = param.data - lr * param.grad.data


def sgd_adagrad(parameters, sqrs, lr):
    """Seed 002's Adagrad: note eps inside the square root, sqrt(s + eps)."""
    eps = 1e-10
    for param, sqr in zip(parameters, sqrs):
        sqr[:] = sqr + param.grad.data ** 2
        div = lr / gs.sqrt(sqr + eps) * param.grad.data
        param.data = param.data - div


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-param"])
def test_hand_written_sgd_is_SGD(flat):
    by_hand, built_in = Run(gs, MANUAL, C()), Run(gs, MANUAL, C(), lr=0.1, flat=flat)
    for t in range(STEPS):
        by_hand.closure()
        sgd_update(by_hand.params, 0.1)
        built_in.step()
        assert_identical(by_hand.weights(), built_in.weights(), f"step {t + 1}")


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-param"])
def test_hand_written_adagrad_is_Adagrad_up_to_where_eps_goes(flat):
    """The tutorial divides by sqrt(s + eps), PyTorch and gradstep by sqrt(s) + eps. From the same
    weights and accumulator each step, the two updates differ by exactly
    lr·g·(1/(√s + ε) − 1/√(s + ε)) and nothing else; that difference is relatively large only where
    g² is not much larger than ε = 1e-10 (about 1e-7 of the weights here)."""
    lr, eps = 0.05, 1e-10
    by_hand = Run(gs, MANUAL, C())
    built_in = Run(gs, OptimInfo("Adagrad", (), ()), C(), lr=lr, eps=eps, flat=flat)
    sqrs = [gs.zeros_like(p.detach()) for p in by_hand.params]
    start, largest = built_in.weights(), 0.0
    for t in range(STEPS):
        for p, w, sqr, st in zip(by_hand.params, built_in.weights(), sqrs, built_in.states()):
            p.data = gs.tensor(w, dtype=gs.float64)  # both start the step from the same point
            sqr[:] = gs.tensor(st["sum"], dtype=gs.float64)
        by_hand.closure()
        grads = [p.grad.numpy().copy() for p in by_hand.params]
        sgd_adagrad(by_hand.params, sqrs, lr)
        built_in.step()
        for g, s, hand, ours in zip(grads, sqrs, by_hand.weights(), built_in.weights()):
            s = s.numpy()
            expected = lr * g * (1 / (np.sqrt(s) + eps) - 1 / np.sqrt(s + eps))
            np.testing.assert_allclose(hand - ours, expected, rtol=1e-6, atol=1e-15, err_msg=f"step {t + 1}")
            largest = max(largest, np.abs(expected).max())
    assert largest > 1e-9  # the two placements of eps really differ
    moved = [np.abs(w - w0).max() for w, w0 in zip(built_in.weights(), start)]
    assert min(moved) > 1e-3  # the weights did move, by far more than the eps effect


def cs231n_rollout(rule, config, cls, steps=STEPS, **kwargs):
    """Minimise ½‖A w − b‖² with a cs231n rule (config per parameter, as the Solver keeps it) and
    with the gradstep class; return both weight trajectories."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(8, 5)), rng.normal(size=8)
    w = rng.normal(size=5)
    x = gs.tensor(w, dtype=gs.float64, requires_grad=True)
    opt = cls([x], **kwargs)
    ours, theirs = [], []
    for _ in range(steps):
        dw = a.T @ (a @ w - b)
        w, config = rule(w, dw, config)
        opt.zero_grad()
        r = gs.tensor(a) @ x - gs.tensor(b)
        (0.5 * (r * r).sum()).backward()
        opt.step()
        ours.append(x.detach().numpy().copy())
        theirs.append(w)
    return theirs, ours, config


@pytest.mark.parametrize("rule,config,cls,kwargs", [
    (cs231n.sgd, {"learning_rate": 0.02}, gs.optim.SGD, {"lr": 0.02}),
    (cs231n.rmsprop, {"learning_rate": 0.01, "decay_rate": 0.9}, gs.optim.RMSprop,
     {"lr": 0.01, "alpha": 0.9}),
    (cs231n.adam, {"learning_rate": 0.05}, gs.optim.Adam, {"lr": 0.05}),
], ids=["sgd", "rmsprop", "adam"])
def test_cs231n_rules_are_the_classes_bit_for_bit(rule, config, cls, kwargs):
    theirs, ours, _ = cs231n_rollout(rule, config, cls, **kwargs)
    assert_identical(theirs, ours, rule.__name__)


def test_cs231n_momentum_is_SGD_momentum_with_a_constant_learning_rate():
    """cs231n's v ← μv − γ dw; w ← w + v against PyTorch's b ← μb + g; θ ← θ − γb: the same
    iterates (v = −γb) up to rounding."""
    theirs, ours, config = cs231n_rollout(cs231n.sgd_momentum, {"learning_rate": 0.01}, gs.optim.SGD,
                                          lr=0.01, momentum=0.9)
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-12)
    assert config["momentum"] == 0.9 and config["velocity"].shape == (5,)


def test_cs231n_defaults_and_state_keys():
    w, dw = np.ones(3), np.full(3, 0.5)
    _, c = cs231n.sgd(w, dw)
    assert c == {"learning_rate": 1e-2}
    _, c = cs231n.sgd_momentum(w, dw)
    assert c["learning_rate"] == 1e-2 and c["momentum"] == 0.9 and np.allclose(c["velocity"], -0.005)
    _, c = cs231n.rmsprop(w, dw)
    assert (c["learning_rate"], c["decay_rate"], c["epsilon"]) == (1e-2, 0.99, 1e-8)
    assert np.allclose(c["cache"], 0.01 * 0.25)
    next_w, c = cs231n.adam(w, dw)
    assert (c["learning_rate"], c["beta1"], c["beta2"], c["epsilon"], c["t"]) == (1e-3, 0.9, 0.999, 1e-8, 1)
    assert np.allclose(next_w, 1 - 1e-3) and np.array_equal(w, np.ones(3))  # w itself untouched
    with pytest.raises(gs.ShapeError, match=r"dw has shape \(2,\) but w has shape \(3,\)"):
        cs231n.sgd(w, np.ones(2))


def test_cs231n_keeps_float32():
    w, dw = np.ones(4, np.float32), np.full(4, 0.5, np.float32)
    for rule in (cs231n.sgd, cs231n.sgd_momentum, cs231n.rmsprop, cs231n.adam):
        next_w, config = rule(w, dw)
        assert next_w.dtype == np.float32, rule.__name__


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_rule_optimizer_runs_the_rule_and_a_scheduler_sets_its_learning_rate(rule):
    fn = getattr(cs231n, rule)
    rng = np.random.default_rng(1)
    w0, grads = rng.standard_normal(5).astype(np.float32), rng.standard_normal((6, 5)).astype(np.float32)
    p = gs.nn.Parameter(w0.copy())
    opt = cs231n.RuleOptimizer([p], fn, {"momentum": 0.5} if rule == "sgd_momentum" else {})
    sched = gs.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    w, config = w0.copy(), {"momentum": 0.5} if rule == "sgd_momentum" else {}
    for g in grads:
        p.grad = gs.tensor(g)
        opt.step()
        sched.step()
        w, config = fn(w, g, config)      # by hand: the rule's default lr, halved after every step
        config["learning_rate"] *= 0.5
        np.testing.assert_array_equal(p.detach().numpy(), w, strict=True)
    assert opt.param_groups[0]["lr"] == config["learning_rate"]
    assert "ruleoptimizer" not in gs.optim.OPTIMIZERS and "_ruleoptimizer" not in gs.optim.OPTIMIZERS


def test_rule_optimizer_errors():
    p = gs.nn.Parameter(np.zeros(2, dtype=np.float32))
    with pytest.raises(TypeError, match="rule must be a callable"):
        cs231n.RuleOptimizer([p], "adam")
    with pytest.raises(ValueError, match="sets no default learning_rate"):
        cs231n.RuleOptimizer([p], lambda w, dw, config: (w, config))
