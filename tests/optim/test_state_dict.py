"""state_dict / load_state_dict: a reloaded optimizer continues exactly where the saved one was."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gradstep as gs

from .harness import Run, assert_identical
from .registry import BY_NAME, C, cases
from .test_flat import assert_lockstep

STEPS = 10


def to_json(state_dict: dict) -> tuple[str, dict]:
    """Split a state dict into JSON text and its arrays (as a checkpoint in safetensors + JSON would)."""
    arrays = {}

    def strip(v):
        if isinstance(v, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = v
            return {"__array__": key}
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [strip(x) for x in v]
        assert v is None or isinstance(v, (bool, int, float, str)), f"not JSON-serialisable: {v!r}"
        return v

    return json.dumps(strip(state_dict)), arrays


def from_json(text: str, arrays: dict) -> dict:
    def fill(v):
        if isinstance(v, dict):
            return arrays[v["__array__"]] if "__array__" in v else {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        return v
    return fill(json.loads(text))


def normalised(state_dict: dict) -> dict:
    """Tuples as lists, so a dict compares equal to its JSON round trip."""
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v
    return norm(state_dict)


@pytest.mark.parametrize("through_json", [False, True], ids=["dict", "json"])
@pytest.mark.parametrize("info,cfg", **cases(lambda info, cfg: True))
def test_reloaded_optimizer_runs_in_lockstep(info, cfg, through_json):
    first = Run(gs, info, cfg)
    for _ in range(STEPS):
        first.step()
    saved = first.opt.state_dict()
    if through_json:
        saved = from_json(*to_json(saved))
    second = Run(gs, info, cfg, weights=first.weights(), flat=not through_json)
    second.t = first.t
    second.opt.load_state_dict(saved)
    assert_identical(normalised(second.opt.state_dict()), normalised(first.opt.state_dict()), "reloaded")
    assert_lockstep(first, second, STEPS, f"{info.name} after reload")


def test_state_dict_layout_is_pytorchs():
    """'state' keyed by the parameters' index across groups, 'param_groups' listing those indices,
    arrays copied (saving is a snapshot), scalars as Python numbers."""
    run = Run(gs, BY_NAME["Adam"], C(({"lr": 0.1}, {"amsgrad": True})))
    run.step()
    sd = run.opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][0]["lr"] == 0.1 and sd["param_groups"][1]["amsgrad"] is True
    assert list(sd["state"]) == [0, 1, 2, 3]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert set(sd["state"][2]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert type(sd["state"][0]["step"]) is float and sd["state"][0]["step"] == 1.0
    before = sd["state"][0]["exp_avg"].copy()
    run.step()
    assert np.array_equal(sd["state"][0]["exp_avg"], before)


def test_loads_a_pytorch_state_dict(torch):
    """A torch.optim state dict, its tensors turned into arrays, loads and continues identically."""
    info, cfg = BY_NAME["Adam"], C(({"lr": 0.01}, {"amsgrad": True}))
    theirs = Run(torch, info, cfg)
    for _ in range(3):
        theirs.step()
    sd = theirs.opt.state_dict()
    converted = {"state": {k: {n: (v.item() if v.ndim == 0 else v.detach().numpy()) for n, v in st.items()}
                           for k, st in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    ours = Run(gs, info, cfg, weights=theirs.weights())
    ours.opt.load_state_dict(converted)
    for _ in range(3):
        ours.step(), theirs.step()
    np.testing.assert_allclose(np.concatenate([w.ravel() for w in ours.weights()]),
                               np.concatenate([w.ravel() for w in theirs.weights()]), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("change,message", [
    (lambda sd: sd["param_groups"].pop(), "loaded state dict has 1 parameter groups but the optimizer has 2"),
    (lambda sd: sd["param_groups"][1]["params"].pop(),
     "group 1 has 1 parameters in the state dict and 2 here"),
    (lambda sd: sd["state"][1].update(exp_avg=np.zeros((2, 2))),
     "loaded state 'exp_avg' of parameter 1 has shape (2, 2) but the parameter has shape (5,)"),
    (lambda sd: sd["state"].update({7: {}}), "has state for parameter 7, which none of its parameter groups"),
    (lambda sd: sd.pop("state"), "expects a dict with 'state' and 'param_groups'"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "Invalid learning rate: -1.0"),
])
def test_load_state_dict_rejects_what_does_not_fit(change, message):
    run = Run(gs, BY_NAME["Adam"], C(({}, {})))
    run.step()
    sd = run.opt.state_dict()
    before = run.opt.state_dict()
    change(sd)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run.opt.load_state_dict(sd)
    assert_identical(normalised(run.opt.state_dict()), normalised(before), "unchanged after a failed load")
