"""Learning-rate schedulers: every row of the table against PyTorch over 250 steps with two
parameter groups, bit for bit, a state-dict round trip through JSON in the middle of every schedule, warmup
followed by plateau decay, and the argument checks."""

from __future__ import annotations

import copy
import json
import math
import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradstep as gs
from gradstep.optim import lr_scheduler as sched_mod
from gradstep.optim import schedules

from .scheduler_table import CASES, LRS, METRICS, Case

# ---------------------------------------------------------------------- harness

def make_optimizer(lib, kind: str):
    """An optimizer of ``lib`` (gradstep or torch) with two groups: lr 0.1 and 0.037."""
    params = [lib.zeros(3, requires_grad=True), lib.zeros(2, requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": LRS[1]}]
    if kind == "adam":
        if not hasattr(lib.optim, "Adam"):
            pytest.skip("this gradstep build has no optim.Adam yet")
        return lib.optim.Adam(groups, lr=LRS[0])
    return lib.optim.SGD(groups, lr=LRS[0], momentum=0.9)


def _momentum(group: dict) -> float:
    return group["betas"][0] if "betas" in group else group["momentum"]


def _snapshot(sched, opt) -> list[float]:
    """What a step leaves behind: get_last_lr(), the groups' lr and their momentum."""
    return [*sched.get_last_lr(), *(g["lr"] for g in opt.param_groups), *map(_momentum, opt.param_groups)]


def _drive(sched, case: Case, i: int) -> None:
    """Step ``sched`` the way the row asks, for the ``i``-th time (from 0)."""
    if case.metric is not None:
        sched.step(METRICS[case.metric][i])
    elif case.epoch is not None:
        sched.step(case.epoch(i + 1))
    else:
        sched.step()


def trace(case: Case, module, opt, sched=None, start: int = 0) -> list[list[float]]:
    """Build the row's scheduler (unless given) and step it to the end, recording every step."""
    rows = []
    if sched is None:
        sched = case.build(module, opt)
        rows.append(_snapshot(sched, opt))
    with warnings.catch_warnings():  # PyTorch's deprecation warning for step(epoch)
        warnings.simplefilter("ignore")
        for i in range(start, case.steps):
            opt.step()
            _drive(sched, case, i)
            rows.append(_snapshot(sched, opt))
    return rows


def assert_same(ours, theirs, what: str) -> None:
    """Bitwise equality: the chainable schedules compute PyTorch's own expressions step by step (a
    ratio of two closed forms would differ in the last bit, which can flip a float32 update)."""
    a, b = np.array(ours, dtype=np.float64), np.array(theirs, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: {a.shape} vs {b.shape}"
    bad = a != b
    if bad.any():
        step, col = np.argwhere(bad)[0]
        raise AssertionError(f"{what}: {bad.any(axis=1).sum()} steps differ, the first is step {step}, "
                             f"column {col}: gradstep {a[step, col]!r} vs PyTorch {b[step, col]!r}")


# ---------------------------------------------------------------------- parity with PyTorch

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_matches_pytorch(case, torch):
    ours = trace(case, sched_mod, make_optimizer(gs, case.optimizer))
    theirs = trace(case, torch.optim.lr_scheduler, make_optimizer(torch, case.optimizer))
    assert len(ours) == case.steps + 1 >= 201
    assert_same(ours, theirs, case.name)


_FACTOR = st.floats(0.01, 1.0)
CHAINABLE = st.one_of(
    st.builds(lambda n, g: ("StepLR", {"step_size": n, "gamma": g}), st.integers(1, 20), _FACTOR),
    st.builds(lambda ms, g: ("MultiStepLR", {"milestones": sorted(ms), "gamma": g}),
              st.lists(st.integers(0, 100), min_size=1, max_size=5), _FACTOR),
    st.builds(lambda f, n: ("ConstantLR", {"factor": f, "total_iters": n}), _FACTOR, st.integers(1, 60)),
    st.builds(lambda a, b, n: ("LinearLR", {"start_factor": a, "end_factor": b, "total_iters": n}),
              _FACTOR, st.floats(0.0, 1.0), st.integers(1, 150)),
    st.builds(lambda g: ("ExponentialLR", {"gamma": g}), st.floats(0.8, 1.0)),
    st.builds(lambda n, p: ("PolynomialLR", {"total_iters": n, "power": p}), st.integers(1, 150),
              st.floats(0.1, 3.0)),
    # T_max is an int, as PyTorch documents it: with a float one PyTorch's recursive form can divide
    # by zero (T_max = 1.6 at step 9: its restart test (8 - 1.6) % 3.2 == 0 misses by one rounding)
    st.builds(lambda t, e: ("CosineAnnealingLR", {"T_max": t, "eta_min": e}),
              st.integers(1, 60), st.floats(0.0, 0.05)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=CHAINABLE, jumps=st.lists(st.integers(0, 150), max_size=3))
def test_chainable_schedulers_match_pytorch_bit_for_bit(spec, jumps, torch):
    """Any configuration, stepped 150 times with a few ``step(epoch)`` jumps and a learning rate
    set by hand half-way."""
    name, kwargs = spec
    runs = []
    for lib, module in ((gs, sched_mod), (torch, torch.optim.lr_scheduler)):
        opt = make_optimizer(lib, "sgd")
        s = getattr(module, name)(opt, **kwargs)
        lrs = [s.get_last_lr()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(150):
                opt.step()
                s.step(jumps[i // 50]) if i % 50 == 7 and i // 50 < len(jumps) else s.step()
                if i == 75:
                    for g in opt.param_groups:
                        g["lr"] = 0.02
                lrs.append(s.get_last_lr())
        runs.append(lrs)
    assert_same(runs[0], runs[1], f"{name}({kwargs})")


def test_table_covers_every_scheduler():
    names = " ".join(c.name for c in CASES)
    bases = ("LRScheduler", "ClosedFormScheduler", "FactorScheduler")
    public = [n for n in sched_mod.__all__ if n not in bases]
    assert [n for n in public if n not in names] == []


def test_manual_lr_change_is_carried_along_like_pytorch(torch):
    """Chainable schedules continue from a learning rate set by hand (seed 004's
    set_learning_rate), as PyTorch's do; closed-form ones overwrite it."""
    builds = [lambda m, o: m.StepLR(o, 5, 0.5), lambda m, o: m.CosineAnnealingLR(o, 40, 0.001),
              lambda m, o: m.LinearLR(o, 0.1, total_iters=30), lambda m, o: m.LambdaLR(o, lambda e: 0.9 ** e)]
    for build in builds:
        results = []
        for lib, module in ((gs, sched_mod), (torch, torch.optim.lr_scheduler)):
            opt = make_optimizer(lib, "sgd")
            s = build(module, opt)
            lrs = []
            for i in range(60):
                opt.step()
                s.step()
                if i == 17:
                    for g in opt.param_groups:
                        g["lr"] = 0.02
                lrs.append([g["lr"] for g in opt.param_groups])
            results.append(lrs)
        assert_same(results[0], results[1], "manual change")


# ---------------------------------------------------------------------- saving and resuming

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_state_dict_round_trip_continues_exactly(case):
    full = trace(case, sched_mod, make_optimizer(gs, case.optimizer))
    half = case.steps // 2
    opt = make_optimizer(gs, case.optimizer)
    sched = case.build(sched_mod, opt)
    for i in range(half):
        opt.step()
        _drive(sched, case, i)
    saved = json.dumps(sched.state_dict())
    opt_state = copy.deepcopy(opt.state_dict())

    opt2 = make_optimizer(gs, case.optimizer)
    sched2 = case.build(sched_mod, opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(json.loads(saved))
    assert json.loads(json.dumps(sched2.state_dict())) == json.loads(saved)
    rest = trace(case, sched_mod, opt2, sched=sched2, start=half)
    assert rest == full[half + 1:]


RESUMABLE = [
    lambda m, o, k: m.ExponentialLR(o, 0.95, last_epoch=k),
    lambda m, o, k: m.CosineAnnealingLR(o, 40, 0.001, last_epoch=k),
    lambda m, o, k: m.LinearLR(o, 0.1, total_iters=60, last_epoch=k),
    lambda m, o, k: m.PolynomialLR(o, 80, 2.0, last_epoch=k),
    lambda m, o, k: m.LambdaLR(o, lambda e: 1.0 / (1 + e), last_epoch=k),
    lambda m, o, k: m.MultiplicativeLR(o, lambda e: 0.99, last_epoch=k),
    lambda m, o, k: m.CosineAnnealingWarmRestarts(o, 7, 2, last_epoch=k),
    lambda m, o, k: m.CyclicLR(o, 0.01, 0.1, 9, mode="triangular2", last_epoch=k),
    lambda m, o, k: m.OneCycleLR(o, 0.1, total_steps=100, three_phase=True, last_epoch=k),
]


@pytest.mark.parametrize("build", RESUMABLE, ids=range(len(RESUMABLE)))
def test_resuming_with_last_epoch_matches_pytorch(build, torch):
    """Rebuilding a scheduler with last_epoch=k on an optimizer holding step k's groups (the
    pre-load_state_dict way of resuming) continues as PyTorch's does."""
    k = 23
    t_opt = make_optimizer(torch, "sgd")
    t_first = build(torch.optim.lr_scheduler, t_opt, -1)
    for _ in range(k):
        t_opt.step()
        t_first.step()
    g_opt = make_optimizer(gs, "sgd")
    for g, t in zip(g_opt.param_groups, t_opt.param_groups):
        g.update({key: v for key, v in t.items() if key != "params"})
    runs = []
    for module, opt in ((sched_mod, g_opt), (torch.optim.lr_scheduler, t_opt)):
        s = build(module, opt, k)
        rows = [_snapshot(s, opt)]
        for _ in range(50):
            opt.step()
            s.step()
            rows.append(_snapshot(s, opt))
        runs.append(rows)
    assert_same(runs[0], runs[1], "resumed")


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        sched_mod.StepLR(_opt(), 3, last_epoch=4)


def test_load_state_dict_rejects_another_schedulers_state():
    opt = make_optimizer(gs, "sgd")
    step = sched_mod.StepLR(opt, 3)
    with pytest.raises(ValueError, match=r"unexpected keys \['step_size'\]"):
        sched_mod.ExponentialLR(make_optimizer(gs, "sgd"), 0.9).load_state_dict(step.state_dict())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_loads_pytorch_state_dict_midway(case, torch):
    """A PyTorch scheduler's state dict, loaded half-way with the optimizer's group values, goes on
    exactly like PyTorch's scheduler (MultiStepLR keeps a Counter there, OneCycleLR its phases)."""
    half = case.steps // 2
    t_opt = make_optimizer(torch, case.optimizer)
    t_sched = case.build(torch.optim.lr_scheduler, t_opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(half):
            t_opt.step()
            _drive(t_sched, case, i)
    g_opt = make_optimizer(gs, case.optimizer)
    g_sched = case.build(sched_mod, g_opt)
    for g, t in zip(g_opt.param_groups, t_opt.param_groups):
        g.update({k: v for k, v in t.items() if k != "params"})
    g_sched.load_state_dict(t_sched.state_dict())
    ours = trace(case, sched_mod, g_opt, sched=g_sched, start=half)
    theirs = trace(case, torch.optim.lr_scheduler, t_opt, sched=t_sched, start=half)
    assert_same(ours, theirs, case.name)


def test_loads_pytorch_state_dict(torch):
    """A PyTorch scheduler's state dict (MultiStepLR keeps a Counter) loads and continues alike."""
    t_opt, g_opt = make_optimizer(torch, "sgd"), make_optimizer(gs, "sgd")
    t_s = torch.optim.lr_scheduler.MultiStepLR(t_opt, [4, 9, 9, 30], 0.5)
    for _ in range(12):
        t_opt.step()
        t_s.step()
    g_s = sched_mod.MultiStepLR(g_opt, [1], 0.1)
    for g, t in zip(g_opt.param_groups, t_opt.param_groups):
        g["lr"] = t["lr"]
    g_s.load_state_dict(t_s.state_dict())
    assert g_s.milestones == [4, 9, 9, 30]
    for _ in range(30):
        t_opt.step()
        t_s.step()
        g_s.step()
        assert g_s.get_last_lr() == t_s.get_last_lr()


def test_written_learning_rates_are_python_floats():
    opt = make_optimizer(gs, "sgd")
    s = sched_mod.LambdaLR(opt, lambda e: np.float64(0.5) ** e)
    s.step()
    assert all(type(g["lr"]) is float for g in opt.param_groups)


# ---------------------------------------------------------------------- warmup, then plateau

def _warmup_plateau(opt, warmup=5, **plateau):
    warm = sched_mod.LinearLR(opt, start_factor=0.2, total_iters=warmup)
    plateau = sched_mod.ReduceLROnPlateau(opt, **plateau)
    return sched_mod.SequentialLR(opt, [warm, plateau], milestones=[warmup])


def test_warmup_then_plateau_scripted():
    """Linear warmup over 5 epochs, then halve the learning rate after 2 epochs without improvement."""
    opt = make_optimizer(gs, "sgd")
    s = _warmup_plateau(opt, patience=2, factor=0.5)
    assert s.needs_metrics
    # Steps 1-4 warm up; step 5 (the milestone) starts the plateau stage at the base lr and its
    # metric (9) belongs to the warmup. Then: 1.0 and 0.9 are new bests; 0.95, 0.92, 0.91 are three
    # steps without improvement (> patience 2): cut at the 3rd. 0.5 is a new best; three 0.6: cut;
    # three more 0.6: cut again.
    metrics = [9, 9, 9, 9, 9, 1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    lrs = [s.get_last_lr()[0]]
    for m in metrics:
        opt.step()
        s.step(m)
        lrs.append(s.get_last_lr()[0])
    base = LRS[0]
    warm = [base * f for f in (0.2, 0.36, 0.52, 0.68, 0.84)]
    expected = warm + [base] * 5 + [base / 2] * 4 + [base / 4] * 3 + [base / 8]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert s.get_last_lr()[1] == pytest.approx(LRS[1] / 8, rel=1e-12)


def test_warmup_then_plateau_matches_pytorch_pieces(torch):
    """The combined scheduler equals PyTorch's LinearLR for the warmup followed by a fresh PyTorch
    ReduceLROnPlateau started at the base learning rates, over the whole metric sequence."""
    warmup, steps = 5, 240
    metrics = METRICS["min"]
    opt = make_optimizer(gs, "sgd")
    s = _warmup_plateau(opt, warmup, patience=3, factor=0.5, cooldown=2, min_lr=1e-3)
    ours = [s.get_last_lr()]
    for i in range(steps):
        opt.step()
        s.step(metrics[i])
        ours.append(s.get_last_lr())

    t_opt = make_optimizer(torch, "sgd")
    L = torch.optim.lr_scheduler
    t_warm = L.LinearLR(t_opt, start_factor=0.2, total_iters=warmup)
    theirs = [t_warm.get_last_lr()]
    for _ in range(warmup - 1):
        t_opt.step()
        t_warm.step()
        theirs.append(t_warm.get_last_lr())
    for g, lr in zip(t_opt.param_groups, LRS):
        g["lr"] = lr
    t_plateau = L.ReduceLROnPlateau(t_opt, patience=3, factor=0.5, cooldown=2, min_lr=1e-3)
    theirs.append([g["lr"] for g in t_opt.param_groups])
    for i in range(warmup, steps):
        t_opt.step()
        t_plateau.step(metrics[i])
        theirs.append(t_plateau.get_last_lr())
    assert_same(ours, theirs, "warmup then plateau")
    assert min(r[0] for r in ours) < LRS[0] / 4  # the plateau stage did cut the learning rate


def test_plateau_stage_needs_the_metric():
    opt = make_optimizer(gs, "sgd")
    s = _warmup_plateau(opt, warmup=2)
    s.step()
    s.step()  # the milestone: the plateau stage starts, no metric needed yet
    with pytest.raises(ValueError, match=r"scheduler 1 \(ReduceLROnPlateau\) follows a metric"):
        s.step()


def test_chained_scheduler_with_plateau():
    """ExponentialLR and ReduceLROnPlateau chained: their factors multiply."""
    opt = make_optimizer(gs, "sgd")
    s = sched_mod.ChainedScheduler([sched_mod.ExponentialLR(opt, 0.9),
                                    sched_mod.ReduceLROnPlateau(opt, patience=0, factor=0.5)])
    for m in (1.0, 2.0, 2.0, 0.5):
        s.step(m)
    assert s.get_last_lr()[0] == pytest.approx(LRS[0] * 0.9 ** 4 * 0.5 ** 2, rel=1e-12)


# ---------------------------------------------------------------------- the pure schedules

def test_warm_restart_position_on_exact_restarts():
    """Integer epochs give the same (T_cur, T_i) as counting step by step, including the restart
    epochs where PyTorch's int(log(...)) rounds down (T_0=1, T_mult=3, epoch 121)."""
    for T_0, T_mult in [(1, 3), (2, 3), (3, 2), (5, 1), (1, 5)]:
        T_cur, T_i = 0, T_0
        for epoch in range(1, 3000):
            T_cur += 1
            if T_cur >= T_i:
                T_cur, T_i = T_cur % T_i, T_i * T_mult
            assert schedules.warm_restart_position(epoch, T_0, T_mult) == (T_cur, T_i), (T_0, T_mult, epoch)


def test_cosine_warm_restarts_step_epoch_restarts_at_base_lr():
    opt = make_optimizer(gs, "sgd")
    s = sched_mod.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3)
    s.step(121)
    assert s.get_last_lr() == [LRS[0], LRS[1]]


def test_schedules_closed_forms():
    assert schedules.step_decay(29, 10, 0.5) == 0.25
    assert schedules.multistep_decay(50, [10, 50, 50], 0.5) == 0.125
    assert schedules.linear_factor(5, 0.2, 1.0, 10) == pytest.approx(0.6)
    assert schedules.polynomial_decay(12, 10, 2.0) == 0.0
    assert schedules.cosine_annealing(5, 10) == pytest.approx(0.5)
    assert schedules.cyclic_position(15, 20.0, 0.5) == (1, 0.5)
    phase, pct = schedules.one_cycle_position(10, schedules.one_cycle_phases(100, 0.3, False))
    assert phase["end_lr"] == "max_lr" and pct == pytest.approx(10 / 29)


def _pair(name: str, **kwargs) -> tuple:
    """A schedule's closed form and its ratio, with the same constants."""
    return partial(getattr(schedules, name), **kwargs), partial(getattr(schedules, name + "_ratio"), **kwargs)


RATIOS = [  # the recursive step is derived from the closed form
    _pair("step_decay", step_size=7, gamma=0.3),
    _pair("multistep_decay", milestones=[3, 10, 10, 40], gamma=0.5),
    _pair("constant_factor", factor=0.25, total_iters=20),
    _pair("linear_factor", start_factor=0.1, end_factor=1.0, total_iters=50),
    _pair("linear_factor", start_factor=1.0, end_factor=0.0, total_iters=30),
    _pair("exponential_decay", gamma=0.93),
    _pair("polynomial_decay", total_iters=60, power=2.0),
    _pair("polynomial_decay", total_iters=60, power=0.5),
    _pair("cosine_annealing", T_max=20),
    _pair("cosine_annealing", T_max=7.5),
]


@pytest.mark.parametrize("closed, ratio", RATIOS, ids=[c.func.__name__ for c, _ in RATIOS])
def test_each_ratio_is_the_quotient_of_its_closed_forms(closed, ratio):
    checked = 0
    for t in range(1, 150):
        if closed(t - 1) != 0:  # past a factor of 0 the scheduler adds the rise instead
            assert ratio(t) == pytest.approx(closed(t) / closed(t - 1), rel=1e-12, abs=1e-15), t
            checked += 1
    assert checked >= 30  # the steps up to the end of the schedule at least


def test_cosine_rises_again_from_zero_by_the_difference_of_its_closed_forms():
    for T_max in (1, 7, 20):
        for t in (T_max + 1, 3 * T_max + 1):
            assert schedules.cosine_annealing(t - 1, T_max) == 0.0
            assert schedules.cosine_annealing_rise(T_max) == pytest.approx(
                schedules.cosine_annealing(t, T_max) - schedules.cosine_annealing(t - 1, T_max), rel=1e-12)


def test_lambda_with_a_schedule_function_equals_the_scheduler():
    """schedules.* are the schedulers' formulas: LambdaLR over one gives the scheduler's values."""
    from functools import partial
    o1, o2 = make_optimizer(gs, "sgd"), make_optimizer(gs, "sgd")
    a = sched_mod.LambdaLR(o1, partial(schedules.cosine_annealing, T_max=30))
    b = sched_mod.CosineAnnealingLR(o2, T_max=30)
    for _ in range(30):
        a.step()
        b.step()
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12, abs=1e-18)


# ---------------------------------------------------------------------- argument checks

def _opt():
    return make_optimizer(gs, "sgd")


INVALID = [
    (lambda: sched_mod.StepLR(object(), 3), TypeError, "object is not an Optimizer"),
    (lambda: sched_mod.StepLR(_opt(), 0), ValueError, "positive integer step_size, but got 0"),
    (lambda: sched_mod.StepLR(_opt(), 2, gamma="0.1"), TypeError, "gamma must be a real number"),
    (lambda: sched_mod.MultiStepLR(_opt(), [3, 2.5]), ValueError, "milestone, but got 2.5"),
    (lambda: sched_mod.LambdaLR(_opt(), [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda: sched_mod.MultiplicativeLR(_opt(), 0.9), TypeError, "should be a function, but got float"),
    (lambda: sched_mod.ConstantLR(_opt(), factor=1.5), ValueError, "between 0 and 1, but got 1.5"),
    (lambda: sched_mod.LinearLR(_opt(), start_factor=0), ValueError, "greater than 0"),
    (lambda: sched_mod.LinearLR(_opt(), end_factor=2), ValueError, "Ending multiplicative factor"),
    (lambda: sched_mod.LinearLR(_opt(), total_iters=0), ValueError, "positive integer total_iters"),
    (lambda: sched_mod.PolynomialLR(_opt(), total_iters=-1), ValueError, "total_iters, but got -1"),
    (lambda: sched_mod.CosineAnnealingLR(_opt(), T_max=0), ValueError, "positive T_max, but got 0"),
    (lambda: sched_mod.CosineAnnealingWarmRestarts(_opt(), T_0=0), ValueError, "positive integer T_0"),
    (lambda: sched_mod.CosineAnnealingWarmRestarts(_opt(), 5, T_mult=0), ValueError, "T_mult, but got 0"),
    (lambda: sched_mod.CosineAnnealingWarmRestarts(_opt(), 5, eta_min="0"), ValueError, "int eta_min"),
    (lambda: sched_mod.CyclicLR(_opt(), 0.1, [0.2]), ValueError, "max_lr must have the same length"),
    (lambda: sched_mod.CyclicLR(_opt(), 0.1, 0.2, mode="square"), ValueError, "mode is invalid"),
    (lambda: sched_mod.CyclicLR(_opt(), 0.1, 0.2, step_size_up=0), ValueError, "positive step_size_up"),
    (lambda: sched_mod.CyclicLR(_opt(), 0.1, 0.2, scale_mode="epoch"), ValueError, "scale_mode"),
    (lambda: sched_mod.OneCycleLR(_opt(), 0.1), ValueError, "either total_steps OR"),
    (lambda: sched_mod.OneCycleLR(_opt(), 0.1, total_steps=0), ValueError, "positive integer total_steps"),
    (lambda: sched_mod.OneCycleLR(_opt(), 0.1, 10, pct_start=1.5), ValueError, "between 0 and 1 pct_start"),
    (lambda: sched_mod.OneCycleLR(_opt(), 0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda: sched_mod.ReduceLROnPlateau(_opt(), factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda: sched_mod.ReduceLROnPlateau(_opt(), mode="up"), ValueError, "mode 'up' is unknown"),
    (lambda: sched_mod.ReduceLROnPlateau(_opt(), threshold_mode="x"), ValueError, "threshold mode 'x'"),
    (lambda: sched_mod.ReduceLROnPlateau(_opt(), min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda: sched_mod.ReduceLROnPlateau(_opt(), patience=-1), ValueError, "patience"),
    (lambda: sched_mod.SequentialLR(_opt(), [], []), ValueError, "at least one scheduler"),
    (lambda: sched_mod.ChainedScheduler([]), ValueError, "at least one scheduler"),
]


@pytest.mark.parametrize("build,exc,message", INVALID, ids=lambda v: v if isinstance(v, str) else "")
def test_invalid_arguments(build, exc, message):
    with pytest.raises(exc, match=message):
        build()


def test_composites_check_their_members():
    o1, o2 = _opt(), _opt()
    a, b = sched_mod.StepLR(o1, 2), sched_mod.StepLR(o2, 2)
    with pytest.raises(ValueError, match="same optimizer"):
        sched_mod.SequentialLR(o1, [a, b], [3])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        sched_mod.SequentialLR(o1, [a], [3])
    with pytest.raises(ValueError, match="increasing"):
        sched_mod.SequentialLR(o1, [a, sched_mod.StepLR(o1, 2), sched_mod.StepLR(o1, 2)], [5, 5])
    with pytest.raises(TypeError, match="index 1 should be a learning-rate scheduler"):
        sched_mod.ChainedScheduler([a, "step"])


def test_one_cycle_refuses_to_step_past_the_cycle():
    opt = _opt()
    s = sched_mod.OneCycleLR(opt, 0.1, total_steps=5)
    for _ in range(5):
        s.step()
    with pytest.raises(ValueError, match="Tried to step 6 times. The specified number of total steps is 5"):
        s.step()


def test_cycle_momentum_needs_momentum():
    class Plain:  # an optimizer-like object whose groups have no momentum
        param_groups = [{"lr": 0.1}]
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched_mod.CyclicLR(Plain(), 0.01, 0.1)
    s = sched_mod.CyclicLR(Plain(), 0.01, 0.1, step_size_up=4, cycle_momentum=False)
    s.step()
    assert Plain.param_groups[0]["lr"] == pytest.approx(0.01 + 0.09 / 4)


def test_plateau_metric_must_be_a_number():
    s = sched_mod.ReduceLROnPlateau(_opt())
    with pytest.raises(TypeError, match="metric given to step"):
        s.step("low")
    s.step(gs.tensor(0.5))
    assert s.best == 0.5 and not math.isinf(s.best)
