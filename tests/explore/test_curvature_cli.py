"""``gradstep curvature``: the spectrum of built-in, user and checkpointed models' losses, written
as report, JSON and figure; bad input is one line with exit 2."""

import json

import numpy as np
import pytest

from gradstep.cli import main
from gradstep.data import DataLoader
from gradstep.explore import TrainConfig
from gradstep.explore.builders import build_data
from gradstep.explore.curvature_run import CurvatureConfig


def _linreg_hessian():
    data = build_data(TrainConfig(dataset="linreg"))
    x, _ = next(iter(DataLoader(data.train, batch_size=len(data.train))))
    a = np.hstack([x.numpy().astype(np.float64), np.ones((len(x), 1))])
    return a.T @ a / len(a)      # the Hessian of L2Loss (mean (a.theta - y)^2 / 2)


def test_linear_regression_spectrum_and_trace_are_exact(tmp_path, capsys):
    assert main(["curvature", "--dataset", "linreg", "--k", "3", "--float64", "--tol", "1e-8",
                 "--out", str(tmp_path)]) == 0
    assert "stability threshold 2/lambda_max" in capsys.readouterr().out
    exact = _linreg_hessian()
    got = json.loads((tmp_path / "results.json").read_text())
    np.testing.assert_allclose(got["eigenvalues"], np.linalg.eigvalsh(exact)[::-1], rtol=1e-6)
    assert got["converged"] and got["eigen_hvp_count"] <= 4 and got["samples"] == 1000
    assert abs(got["trace"] - np.trace(exact)) < 3 * got["trace_stderr"]
    assert got["stability_threshold"] == pytest.approx(2 / np.linalg.eigvalsh(exact)[-1], rel=1e-6)
    report = (tmp_path / "report.md").read_text()
    assert f"tr(H) ≈ **{got['trace']:.6g} ± {got['trace_stderr']:.2g}**" in report
    assert (tmp_path / "spectrum.png").stat().st_size > 10_000


def test_one_batch_and_the_whole_split_differ_on_an_mlp(tmp_path):
    base = TrainConfig(dataset="spirals", hidden=(8,), batch_size=64)
    whole = CurvatureConfig(base, k=2, trace_samples=4, density_steps=5, float64=True).run()
    one = CurvatureConfig(base, k=2, trace_samples=4, density_steps=0, one_batch=True, float64=True).run()
    assert whole.samples == 1080 and one.samples == 64 and one.density is None
    assert whole.eigenpairs.converged and whole.sharpness > whole.eigenpairs.eigenvalues[1] > 0
    assert abs(whole.sharpness - one.sharpness) > 1e-6 * whole.sharpness
    names = [f.get_label() for f in whole.plot()]
    assert names == ["spectrum"] and len(whole.plot()[0].axes) == 2


def test_a_checkpoint_is_rebuilt_from_its_stored_options(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--dataset", "spirals", "--hidden", "8", "--optimizer", "sgd", "--lr", "0.5",
                 "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    start = CurvatureConfig(TrainConfig(dataset="spirals", hidden=(8,)), k=1, trace_samples=2,
                            density_steps=0).run()
    assert main(["curvature", "--checkpoint", str(run / "last.safetensors"), "--k", "1",
                 "--trace-samples", "2", "--density-steps", "0", "--out", str(tmp_path / "c")]) == 0
    got = json.loads((tmp_path / "c" / "results.json").read_text())
    assert got["config"]["train"]["hidden"] == [8] and got["config"]["train"]["out"] is None
    assert got["loss"] < start.loss       # the trained weights, not the initial ones


def test_a_checkpoint_naming_a_user_function_needs_it_on_the_command_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "tests.explore.user_model:tiny_net", "--data",
                 "tests.explore.user_model:blobs", "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    checkpoint = str(run / "last.safetensors")
    assert main(["curvature", "--checkpoint", checkpoint, "--out", str(tmp_path / "c")]) == 2
    assert "give --model tests.explore.user_model:tiny_net" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
    assert main(["curvature", "--checkpoint", str(run / "last.safetensors"), "--model",
                 "tests.explore.user_model:tiny_net", "--data", "tests.explore.user_model:blobs", "--k", "2",
                 "--trace-samples", "2", "--density-steps", "0", "--out", str(tmp_path / "c")]) == 0


@pytest.mark.parametrize("args, message", [
    (["--dataset", "linreg", "--k", "4"], "--k 4: allowed is at most the number of parameters (3)"),
    (["--dataset", "linreg", "--loss", "tests.explore.user_model:per_sample_loss"],
     "the loss must be a scalar tensor"),
    (["--data", "tests.explore.user_model:blobs", "--model", "tests.explore.user_model:no_parameters"],
     "has no parameters that require grad"),
    (["--model", "nosuch"], "--model 'nosuch': allowed is one of mlp, linear, cnn"),
    (["--checkpoint", "missing.safetensors"], "--checkpoint 'missing.safetensors': allowed is a readable"),
    (["--k", "0"], "--k 0: allowed is an integer >= 1"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["curvature", *args, "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "c").exists()
