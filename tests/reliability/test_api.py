"""The Python API misused: each mistake raises one exception whose message names the problem, and
PyTorch's warnings appear where PyTorch warns."""

import math
import os
import warnings

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.explore import TrainConfig
from gradstep.explore.config import ConfigError
from gradstep.serialization import CheckpointError, load_metadata
from gradstep.train import Trainer


def _model_and_opt():
    model = nn.Linear(2, 1)
    return model, optim.SGD(model.parameters(), lr=0.1)


def test_load_a_folder(tmp_path):
    with pytest.raises(CheckpointError, match=f"cannot read {tmp_path}: Is a directory"):
        gs.load(tmp_path)


def test_load_metadata_of_garbage(tmp_path):
    (tmp_path / "x").write_bytes(b"\xff" * 20)
    with pytest.raises(CheckpointError, match="header claims"):
        load_metadata(tmp_path / "x")


def test_load_to_a_gpu():
    with pytest.raises(ValueError, match="CPU only"):
        gs.load("whatever.safetensors", map_location="cuda")


def test_save_an_unsupported_object(tmp_path):
    with pytest.raises(TypeError, match="set"):
        gs.save({"a": {1, 2}}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_nan_with_require_finite_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="NaN or infinite"):
        gs.save({"w": gs.tensor([math.nan])}, tmp_path / "x.safetensors", require_finite=True)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs,pattern", [
    ({"accumulate_steps": 0}, "accumulate_steps must be a positive integer"),
    ({"scheduler_interval": "batch"}, "scheduler_interval must be 'epoch' or 'step'"),
    ({"grad_clip_norm": -1.0}, "grad_clip_norm must be positive"),
    ({"grad_clip_norm": math.nan}, "grad_clip_norm must be positive"),
])
def test_trainer_arguments(kwargs, pattern):
    model, opt = _model_and_opt()
    with pytest.raises(ValueError, match=pattern):
        Trainer(model, opt, nn.MSELoss(), **kwargs)


def test_trainer_load_checkpoint_of_weights_only(tmp_path):
    model, opt = _model_and_opt()
    gs.save(model.state_dict(), tmp_path / "w.safetensors")
    with pytest.raises(CheckpointError, match="weights-only"):
        Trainer(model, opt, nn.MSELoss(), verbose=0).load_checkpoint(tmp_path / "w.safetensors")


@pytest.mark.parametrize("changes,pattern", [
    ({"hidden": (10**9,)}, "--hidden .*allowed is sizes up to 65536"),
    ({"hidden": (60000, 60000)}, "--hidden .*weights between hidden layers"),
    ({"quiet": "no"}, "--quiet 'no': allowed is true or false"),
    ({"epochs": True}, "--epochs True: allowed is an integer"),
    ({"batch_size": 2.0}, "--batch-size 2.0: allowed is an integer"),
    ({"workers": -1}, "--workers -1: allowed is an integer in \\[0, 64\\]"),
    ({"workers": 10**6}, "--workers 1000000: allowed is an integer in \\[0, 64\\]"),
    ({"dropout": 1.0}, "--dropout 1.0: allowed is a finite number in \\[0, 1\\)"),
    ({"clip_grad_norm": math.inf}, "--clip-grad-norm inf: allowed is a finite number > 0"),
    ({"opt_args": [("lr", 1)]}, "--opt-args .*allowed is a table"),
])
def test_a_config_checks_itself_before_anything_runs(tmp_path, changes, pattern):
    with pytest.raises(ConfigError, match=pattern):
        TrainConfig(**{"dataset": "linreg", "out": str(tmp_path / "r"), "quiet": True, **changes})
    assert not (tmp_path / "r").exists()


def _scheduler_warnings(opt, sched, optimizer_first: bool):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if optimizer_first:
            opt.step()
        sched.step()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_scheduler_before_optimizer_warns_as_pytorch_does(torch):
    model, opt = _model_and_opt()
    got = _scheduler_warnings(opt, optim.lr_scheduler.StepLR(opt, step_size=1), optimizer_first=False)
    assert len(got) == 1 and "before optimizer.step()" in got[0]
    tmodel = torch.nn.Linear(2, 1)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    expected = _scheduler_warnings(topt, torch.optim.lr_scheduler.StepLR(topt, step_size=1), False)
    assert any("before `optimizer.step()`" in w for w in expected)  # PyTorch warns too


def test_scheduler_after_optimizer_is_silent(torch):
    model, opt = _model_and_opt()
    model(gs.randn(3, 2)).sum().backward()
    assert _scheduler_warnings(opt, optim.lr_scheduler.StepLR(opt, step_size=1), optimizer_first=True) == []
    tmodel = torch.nn.Linear(2, 1)
    tmodel(torch.randn(3, 2)).sum().backward()
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(topt, step_size=1)
    assert not [w for w in _scheduler_warnings(topt, sched, True) if "lr_scheduler" in w]


def test_scheduler_warns_only_once():
    model, opt = _model_and_opt()
    sched = optim.lr_scheduler.StepLR(opt, step_size=1)
    assert len(_scheduler_warnings(opt, sched, optimizer_first=False)) == 1
    assert _scheduler_warnings(opt, sched, optimizer_first=False) == []


def test_evaluate_a_missing_file_through_the_api(tmp_path):
    from gradstep.explore.evaluate import evaluate_checkpoint
    with pytest.raises(CheckpointError, match="No such file"):
        evaluate_checkpoint(str(tmp_path / "none.safetensors"))


def test_a_tensor_read_from_a_file_is_writable_and_owned(tmp_path):
    """Bounded reads give each tensor its own array (not a view into a file buffer)."""
    gs.save({"a": gs.ones(3), "b": gs.zeros(2)}, tmp_path / "x.safetensors")
    out = gs.load(tmp_path / "x.safetensors")
    a = out["a"].numpy()
    a[0] = 5
    assert a.base is None or a.base.nbytes == a.nbytes
    np.testing.assert_array_equal(out["b"].numpy(), [0, 0])
