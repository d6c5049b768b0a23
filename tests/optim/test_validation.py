"""Invalid hyperparameters and parameter lists raise errors that name the bad value."""

from __future__ import annotations

import inspect
import re

import pytest

import gradstep as gs

from .registry import INVALID, INVALID_IDS, OPTIMIZERS


def params():
    return [gs.zeros((2, 3), requires_grad=True), gs.zeros(3, requires_grad=True)]


@pytest.mark.parametrize("info,kwargs,message", INVALID, ids=INVALID_IDS)
def test_invalid_argument_raises_naming_it(info, kwargs, message):
    cls = getattr(gs.optim, info.name)
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(params(), **kwargs)


@pytest.mark.parametrize("info,kwargs,message",
                         [c for c in INVALID if c[0].name != "LBFGS"],
                         ids=[i for i, c in zip(INVALID_IDS, INVALID) if c[0].name != "LBFGS"])
def test_invalid_argument_in_a_parameter_group_raises_too(info, kwargs, message):
    opt = getattr(gs.optim, info.name)(params())
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.add_param_group({"params": [gs.zeros(4, requires_grad=True)], **kwargs})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize("info", OPTIMIZERS, ids=[i.name for i in OPTIMIZERS])
def test_a_learning_rate_that_is_not_a_number_is_rejected(info):
    with pytest.raises(ValueError, match="Invalid learning rate: fast"):
        getattr(gs.optim, info.name)(params(), lr="fast")


def test_parameter_lists_are_checked():
    with pytest.raises(ValueError, match="empty parameter list"):
        gs.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got a Tensor"):
        gs.optim.SGD(gs.zeros(3, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        gs.optim.SGD({gs.zeros(3, requires_grad=True)}, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is ndarray"):
        gs.optim.SGD([gs.zeros(3).numpy()], lr=0.1)
    x = gs.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        gs.optim.SGD([x * 2], lr=0.1)
    with pytest.raises(ValueError, match="the same parameter twice"):
        gs.optim.SGD([x, x], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        gs.optim.SGD([{"params": [x]}, {"params": [x], "lr": 0.2}], lr=0.1)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        gs.optim.LBFGS([{"params": [x]}, {"params": [gs.zeros(2, requires_grad=True)]}])
    with pytest.raises(TypeError, match="needs a closure"):
        gs.optim.LBFGS([x]).step()


IMPLEMENTATION_KEYWORDS = ("foreach", "fused", "capturable", "differentiable", "maximize")


@pytest.mark.parametrize("info", [i for i in OPTIMIZERS if i.reference == "torch"], ids=lambda i: i.name)
def test_takes_the_implementation_keywords_torch_takes(torch, info):
    """Each optimizer accepts exactly the implementation keywords torch.optim's has, with its defaults,
    and keeps them in its param groups as torch does."""
    ours = inspect.signature(getattr(gs.optim, info.name)).parameters
    theirs = inspect.signature(getattr(torch.optim, info.name)).parameters
    for k in IMPLEMENTATION_KEYWORDS:
        assert (k in ours) == (k in theirs), k
        if k in theirs:
            assert ours[k].default == theirs[k].default, k
    group = getattr(gs.optim, info.name)(params()).param_groups[0]
    torch_group = getattr(torch.optim, info.name)([torch.zeros(2, requires_grad=True)]).param_groups[0]
    assert {k: group[k] for k in IMPLEMENTATION_KEYWORDS if k in torch_group} == {
        k: torch_group[k] for k in IMPLEMENTATION_KEYWORDS if k in torch_group}
