"""What a torch.optim user does besides calling step(): reassigning .data and .grad, parameters
without gradients, zero_grad(set_to_none=False), groups added mid-training, changing the learning
rate, closures. Each is run on the flat path, the per-parameter path and PyTorch side by side."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs

from .harness import Run, assert_close, assert_identical
from .registry import BY_NAME, OPTIMIZERS, C

STEPS = 8
FIRST = [(info, info.configs[0]) for info in OPTIMIZERS]
FIRST_IDS = [info.name for info in OPTIMIZERS]


def side_by_side(torch, info, cfg, edit=None, after_backward=None, **kwargs):
    """Run gradstep (flat and per-parameter) and PyTorch in lockstep, applying ``edit(run, t)``
    before each step's gradients and ``after_backward(run)`` before each optimizer step; the flat
    and per-parameter runs must agree bitwise and PyTorch to 1e-10 (Lion has no PyTorch twin)."""
    runs = [Run(gs, info, cfg, flat=True, **kwargs), Run(gs, info, cfg, flat=False, **kwargs)]
    if info.reference == "torch":
        runs.append(Run(torch, info, cfg, **kwargs))
    for t in range(1, STEPS + 1):
        for run in runs:
            if edit is not None:
                edit(run, t)
            run.step(after_backward)
        assert_identical(runs[0].weights(), runs[1].weights(), f"step {t} flat vs per-param params")
        assert_identical(runs[0].states(), runs[1].states(), f"step {t} flat vs per-param state")
        if len(runs) == 3:
            assert_close(runs[0].weights(), runs[2].weights(), f"step {t} params vs torch")
            assert_close(runs[0].states(), runs[2].states(), f"step {t} state vs torch")
    return runs


@pytest.fixture
def torch64(torch):
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def reassign_data(run, t):
    """p.data = ... for two parameters at step 3 (a scaled copy, and a brand-new tensor)."""
    if t == 3:
        w1, b2 = run.params[0], run.params[3]
        w1.data = w1.data * 0.5
        b2.data = run.m.tensor(np.linspace(-1, 1, b2.shape[0]), dtype=run.m.float64)


@pytest.mark.parametrize("info,cfg", FIRST, ids=FIRST_IDS)
def test_reassigning_data_between_steps(torch64, info, cfg):
    runs = side_by_side(torch64, info, cfg, edit=reassign_data)
    flat = runs[0].opt
    for group in flat.param_groups:  # the parameters were put back into the flat buffer
        assert all(p._data.base is flat._layout(group)[0].data for p in group["params"])


def replace_grads(run):
    """p.grad = a new tensor (not the buffer's view) for every parameter."""
    for p in run.params:
        if p.grad is not None:
            p.grad = p.grad * 1.5


@pytest.mark.parametrize("info,cfg", [c for c in FIRST if not c[0].needs_closure],
                         ids=[i for i in FIRST_IDS if i != "LBFGS"])
def test_assigning_grads(torch64, info, cfg):
    side_by_side(torch64, info, cfg, after_backward=replace_grads)


def b2_unused(info):
    """b2 gets no gradient at odd steps; for L-BFGS never (it assumes one fixed objective, and
    switching objectives between steps makes its trajectory chaotic)."""
    if info.needs_closure:
        return lambda t: (3,)
    return lambda t: (3,) if t % 2 else ()


@pytest.mark.parametrize("info,cfg", FIRST, ids=FIRST_IDS)
def test_parameters_whose_grad_is_none_are_skipped(torch64, info, cfg):
    runs = side_by_side(torch64, info, cfg, unused=b2_unused(info))
    if "step" in runs[0].states()[0]:  # b2 missed every other step, so its count is behind
        assert runs[0].states()[3]["step"] < runs[0].states()[0]["step"]


@pytest.mark.parametrize("info,cfg", FIRST, ids=FIRST_IDS)
def test_zero_grad_without_set_to_none(torch64, info, cfg):
    """Zeroed (not None) gradients are stepped on: once b2 has had a gradient, its state advances
    with W1's even at the steps it gets none (it was skipped only at step 1, gradient None)."""
    def zero_not_none(run, t):
        run.set_to_none = False
    runs = side_by_side(torch64, info, cfg, edit=zero_not_none, unused=b2_unused(info))
    if "step" in runs[0].states()[0]:
        assert runs[0].states()[3]["step"] == runs[0].states()[0]["step"] - 1


@pytest.mark.parametrize("info,cfg", [c for c in FIRST if not c[0].needs_closure],
                         ids=[i for i in FIRST_IDS if i != "LBFGS"])
def test_add_param_group_while_training(torch64, info, cfg):
    """Train [W1, b1] first, then add [W2, b2] as a group with its own learning rate."""
    def add_group(run, t):
        if t == 4:
            run.opt.add_param_group({"params": run.params[2:], "lr": 2 * run.opt.param_groups[0]["lr"]})

    runs = [Run(gs, info, cfg, flat=True), Run(gs, info, cfg, flat=False)]
    ref = [Run(torch64, info, cfg)] if info.reference == "torch" else []
    for run in runs + ref:
        cls = type(run.opt)
        kwargs = {**cfg.kwargs, **({"flat": run.opt.flat} if run.m is gs else {"foreach": False})}
        run.opt = cls(run.params[:2], **kwargs)
    for t in range(1, STEPS + 1):
        for run in runs + ref:
            add_group(run, t)
            run.step()
        assert_identical(runs[0].weights(), runs[1].weights(), f"step {t} flat vs per-param")
        assert_identical(runs[0].states(), runs[1].states(), f"step {t} flat vs per-param state")
        if ref:
            assert_close(runs[0].weights(), ref[0].weights(), f"step {t} params vs torch")
            assert_close(runs[0].states(), ref[0].states(), f"step {t} state vs torch")
    assert len(runs[0].opt.param_groups) == 2


@pytest.mark.parametrize("info,cfg", FIRST, ids=FIRST_IDS)
def test_step_returns_the_closures_loss(info, cfg):
    run = Run(gs, info, cfg)
    returned = []

    def closure():
        returned.append(run.closure())
        return returned[-1]

    assert run.opt.step(closure) is returned[0]
    if not info.needs_closure:
        run.closure()
        assert run.opt.step() is None


def test_learning_rate_get_and_set(torch64):
    """Gluon's learning_rate / set_learning_rate (seed 004) and PyTorch's param_groups[i]['lr']
    change the same thing, while training."""
    info = BY_NAME["Adam"]

    def decay(run, t):
        if t == 4:
            if run.m is gs:
                assert run.opt.learning_rate == 1e-3
                run.opt.set_learning_rate(0.05)
            else:
                for g in run.opt.param_groups:
                    g["lr"] = 0.05
        if t == 6 and run.m is gs:
            run.opt.learning_rate = 0.01
        elif t == 6:
            run.opt.param_groups[0]["lr"] = 0.01

    runs = side_by_side(torch64, info, C(), edit=decay)
    assert runs[0].opt.learning_rate == runs[0].opt.param_groups[0]["lr"] == 0.01
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        runs[0].opt.set_learning_rate(-1)
    two = Run(gs, info, C(({"lr": 0.1}, {"lr": 0.2}))).opt
    with pytest.raises(ValueError, match=r"different learning rates \[0.1, 0.2\]"):
        two.learning_rate  # noqa: B018
    two.learning_rate = 0.3
    assert [g["lr"] for g in two.param_groups] == [0.3, 0.3]


def test_a_changed_shape_or_dtype_is_reported():
    x = gs.zeros(3, requires_grad=True)
    opt = gs.optim.SGD([x], lr=0.1)
    x.data = gs.zeros(4)
    x.sum().backward()
    with pytest.raises(gs.ShapeError, match=r"shape \(3,\).*given data of shape \(4,\).*flat=False"):
        opt.step()
    y = gs.zeros(3, dtype=gs.float32, requires_grad=True)
    opt = gs.optim.SGD([y], lr=0.1)
    y.data = gs.zeros(3, dtype=gs.float64)
    with pytest.raises(TypeError, match="float32 parameter .* given float64 data"):
        opt.step()


def test_float32_stays_float32_with_numpy_hyperparameters():
    """A NumPy float64 hyperparameter would promote float32 arrays; the optimizer stores Python floats."""
    x = gs.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = gs.optim.Adam([x], lr=np.float64(0.1), betas=(np.float64(0.9), 0.999))
    assert type(opt.param_groups[0]["lr"]) is float and type(opt.param_groups[0]["betas"][0]) is float
    for _ in range(3):
        opt.zero_grad()
        (x * x).sum().backward()
        opt.step()
    assert x.dtype == np.float32 and opt.state[x]["exp_avg"].dtype == np.float32


def test_repr_lists_each_group():
    opt = Run(gs, BY_NAME["SGD"], C(({"lr": 0.5}, {}), lr=0.1)).opt
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5" in text and "    lr: 0.1" in text
