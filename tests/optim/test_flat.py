"""The flat-buffer path against the per-parameter path: the same rule, so the same bits."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs

from .harness import Run, assert_identical
from .registry import BY_NAME, C, cases

STEPS = 10


def assert_lockstep(a: Run, b: Run, steps: int, label: str) -> None:
    for t in range(steps):
        la, lb = a.step(), b.step()
        where = f"{label} step {t + 1}"
        assert la == lb, f"{where}: loss {la} != {lb}"
        assert_identical(a.weights(), b.weights(), f"{where} params")
        assert_identical(a.states(), b.states(), f"{where} state")


@pytest.mark.parametrize("info,cfg", **cases(lambda info, cfg: True))
def test_flat_and_per_parameter_paths_are_bitwise_equal(info, cfg):
    flat, per_param = Run(gs, info, cfg, flat=True), Run(gs, info, cfg, flat=False)
    assert_lockstep(flat, per_param, STEPS, info.name)
    for group in flat.opt.param_groups:
        (segment,) = flat.opt._layout(group)
        assert all(p._data.base is segment.data for p in group["params"]), "not views into the buffer"
        if not info.needs_closure:  # the step really ran once on the whole flat buffer
            assert [s.param is segment.data for s in flat.opt._slots(group)] == [True]


def some_grads_missing(t: int) -> tuple:
    """Which parameters get no gradient at step t: b2 every third step, W1 at step 2."""
    return (3,) if t % 3 == 1 else (0,) if t == 2 else ()


@pytest.mark.parametrize("info,cfg", **cases(lambda info, cfg: cfg is info.configs[0] or bool(cfg.groups)))
def test_parameters_without_gradient_are_left_out_of_the_flat_step(info, cfg):
    """With a grad of None a parameter is skipped (its state untouched), which the flat path must
    reproduce bit for bit while the others still move."""
    flat = Run(gs, info, cfg, flat=True, unused=some_grads_missing)
    per_param = Run(gs, info, cfg, flat=False, unused=some_grads_missing)
    assert_lockstep(flat, per_param, STEPS, info.name)


def test_mixed_dtypes_get_one_segment_each_and_keep_their_dtype():
    a32 = gs.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=gs.float32, requires_grad=True)
    a64 = gs.tensor(np.linspace(1, 2, 4), dtype=gs.float64, requires_grad=True)
    b32 = gs.tensor(np.linspace(-2, 0, 5), dtype=gs.float32, requires_grad=True)
    twins = [p.detach().clone().requires_grad_() for p in (a32, a64, b32)]
    opts = [gs.optim.Adam([a32, a64, b32], lr=0.1, weight_decay=0.1),
            gs.optim.Adam(twins, lr=0.1, weight_decay=0.1, flat=False)]
    segments = opts[0]._layout(opts[0].param_groups[0])
    assert [s.dtype for s in segments] == [np.float32, np.float64]
    assert [len(s) for s in segments] == [2, 1]
    for _ in range(5):
        for opt, ps in zip(opts, ([a32, a64, b32], twins)):
            opt.zero_grad()
            ((ps[0] * ps[0]).sum() + (ps[1] ** 3).sum() + ps[2].sin().sum()).backward()
            opt.step()
    for p, q in zip((a32, a64, b32), twins):
        assert p.dtype == q.dtype and np.array_equal(p.detach().numpy(), q.detach().numpy())
        st = opts[0].state[p]
        assert st["exp_avg"].dtype == p.dtype and st["exp_avg_sq"].dtype == p.dtype


def test_a_frozen_parameter_splits_the_flat_step_into_two_runs():
    """A parameter that never gets a gradient (frozen) costs one extra slot, not a per-parameter path."""
    info, cfg = BY_NAME["Adam"], C(lr=0.01)
    runs = [Run(gs, info, cfg, flat=flat, unused=lambda t: (1,)) for flat in (True, False)]
    for r in runs:
        r.params[1].requires_grad_(False)
    assert_lockstep(*runs, STEPS, "Adam with b1 frozen")
    opt = runs[0].opt
    segment = opt._layout(opt.param_groups[0])[0]
    assert segment.sync(opt.state) == [(0, 1), (2, 4)]
    assert len(list(opt._slots(opt.param_groups[0]))) == 2
    assert 1 not in opt.state_dict()["state"]
