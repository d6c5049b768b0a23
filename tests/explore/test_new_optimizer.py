"""A new optimizer is its kernel and its module: a toy optimizer defined in a temporary module
(nothing else edited) shows up in ``gradstep train --help``, trains in ``compare --optimizers`` and
reports its step size to the training dynamics."""

import importlib
import json
import sys
import textwrap

import pytest

from gradstep import optim
from gradstep.cli import main

TOY = '''
import numpy as np

from gradstep.optim import Optimizer


class ToySign(Optimizer):
    """θ ← θ − γ sign(g): signSGD, as a user would write it."""

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, {"lr": lr})

    def _update(self, group, s):
        param = s.param          # a parameter, or a flat buffer of the group's parameters
        param -= group["lr"] * np.sign(s.grad)

    def _step_size(self, group, state, grad):
        # P = γ on every element; d = sign(g)
        return np.full_like(grad, group["lr"])
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_optimizer.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("toy_optimizer")
    yield module.ToySign
    optim.OPTIMIZERS.pop("toysign", None)
    sys.modules.pop("toy_optimizer", None)


def test_a_toy_optimizer_in_its_own_module_reaches_every_tool(toy, tmp_path, capsys):
    assert optim.OPTIMIZERS["toysign"] is toy
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "toysign" in capsys.readouterr().out

    out = tmp_path / "compare"
    code = main(["compare", "--dataset", "spirals", "--hidden", "8", "--optimizers", "sgd,toysign",
                 "--seeds", "1", "--epochs", "1", "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert [r["optimizer"] for r in runs] == ["sgd", "toysign"] and not runs[1]["diverged"]
    assert runs[1]["optimizer_args"] == {"lr": 0.01}

    out = tmp_path / "train"
    assert main(["train", "--dataset", "spirals", "--hidden", "8", "--optimizer", "toysign", "--epochs", "1",
                 "--dynamics", "--quiet", "--out", str(out)]) == 0
    sizes = json.loads((out / "dynamics.json").read_text())["layers"]["0.weight"]["step_size"]
    assert sizes["p50"] and all(v == pytest.approx(0.01) for v in sizes["p50"])   # float32
