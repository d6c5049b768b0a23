"""``gradstep curvature``: the Hessian spectrum of a gradstep-train model's loss, its files, and its
sharpness against the exact Hessian of linear regression."""

import json

import numpy as np
import pytest

from gradstep.cli import main
from gradstep.explore import TrainConfig
from gradstep.explore.builders import build_data
from tests.cli.test_train_cli import _png_size


def test_linear_regression_sharpness_is_exact(tmp_path, capsys):
    code = main(["curvature", "--dataset", "linreg", "--model", "linear", "--k", "3", "--num-batches", "2",
                 "--trace-samples", "64", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads((tmp_path / "curvature.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    cfg = TrainConfig(dataset="linreg", model="linear")
    x = np.stack([np.asarray(build_data(cfg).train[i][0], dtype=np.float64) for i in range(data["samples"])])
    a = np.hstack([x, np.ones((len(x), 1))])
    exact = np.linalg.eigvalsh(a.T @ a / len(x))[::-1]  # L2Loss = mean (a.w - y)^2 / 2: H = A^T A / n
    assert data["samples"] == 2 * cfg.batch_size and data["num_parameters"] == 3
    np.testing.assert_allclose(data["eigenvalues"], exact, rtol=1e-4)
    assert data["gd_stability_threshold_lr"] == pytest.approx(2 / exact[0], rel=1e-4)
    assert abs(data["trace"]["estimate"] - exact.sum()) <= 3 * data["trace"]["stderr"]
    assert f"full-batch gradient descent is stable for lr < {2 / data['eigenvalues'][0]:.3g}" in out
    w, h = _png_size(tmp_path / "curvature.png")
    assert 500 < w < 1500 and 300 < h < 900


def test_cnn_with_batch_norm(tmp_path, capsys):
    code = main(["curvature", "--model", "cnn", "--batch-size", "16", "--num-batches", "1", "--k", "2",
                 "--trace-samples", "0", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "curvature.json").read_text())
    assert data["converged"] and data["eigenvalues"][0] >= data["eigenvalues"][1] and data["trace"] is None
    assert "top 2 Hessian eigenvalues" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--k", "0"], "--k 0: allowed is an integer >= 1"),
    (["--k", "4"], "--k 4 is larger than the number of parameters (3)"),
    (["--method", "arnoldi"], "argument --method: invalid choice: 'arnoldi'"),
    (["--trace-samples", "1"], "--trace-samples must be 0 (no trace) or at least 2"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys):
    code = main(["curvature", "--dataset", "linreg", "--model", "linear", *args,
                 "--out", str(tmp_path / "f")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "f").exists()


def test_at_a_checkpoints_weights(tmp_path, capsys):
    assert main(["train", "--dataset", "linreg", "--model", "linear", "--epochs", "2", "--optimizer", "sgd",
                 "--lr", "0.1", "--out", str(tmp_path / "run")]) == 0
    for name, extra in (("start", ["--dataset", "linreg", "--model", "linear"]),
                        ("trained", ["--checkpoint", str(tmp_path / "run" / "last.safetensors")])):
        assert main(["curvature", *extra, "--trace-samples", "0", "--out", str(tmp_path / name)]) == 0
    start, trained = (json.loads((tmp_path / n / "curvature.json").read_text()) for n in ("start", "trained"))
    assert trained["checkpoint"].endswith("last.safetensors")
    assert trained["loss"] < start["loss"] / 10  # the trained weights, not the initial ones
    # linear regression's Hessian does not depend on the weights
    np.testing.assert_allclose(trained["eigenvalues"], start["eigenvalues"], rtol=1e-4)
    capsys.readouterr()
    assert main(["curvature", "--checkpoint", str(tmp_path / "missing.safetensors"),
                 "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err
    assert "missing.safetensors" in err and err.count("\n") == 1, err


def test_a_checkpoint_naming_a_user_function_needs_it_on_the_command_line(tmp_path, capsys):
    run = tmp_path / "run"
    user = ["--model", "tests.explore.user_model:tiny_net", "--data", "tests.explore.user_model:blobs"]
    assert main(["train", *user, "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    checkpoint = str(run / "last.safetensors")
    capsys.readouterr()
    assert main(["curvature", "--checkpoint", checkpoint, "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "give --model tests.explore.user_model:tiny_net" in err and err.count("\n") == 1, err
    assert not (tmp_path / "c").exists()
    assert main(["curvature", "--checkpoint", checkpoint, *user, "--k", "2", "--trace-samples", "0",
                 "--out", str(tmp_path / "c")]) == 0
    got = json.loads((tmp_path / "c" / "curvature.json").read_text())
    assert got["num_parameters"] == 2 * 16 + 16 + 16 * 3 + 3


def test_a_model_without_parameters_is_one_line(tmp_path, capsys):
    assert main(["curvature", "--model", "tests.explore.user_model:no_parameters", "--data",
                 "tests.explore.user_model:blobs", "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err
    assert "has no parameters that require grad" in err and err.count("\n") == 1, err
    assert not (tmp_path / "f").exists()


class _Terminal(__import__("io").StringIO):
    def isatty(self):
        return True


def test_an_overall_bar_counts_the_stages_on_a_terminal_and_none_when_quiet(tmp_path, monkeypatch):
    """Like compare's and sweep's: one bar over the stages (gradient, eigenvalues, trace, density)."""
    from gradstep.explore.curvature_run import CurvatureConfig

    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert main(["curvature", "--dataset", "linreg", "--model", "linear", "--k", "1", "--num-batches", "1",
                 "--trace-samples", "4", "--out", str(tmp_path / "c")]) == 0
    shown = term.getvalue()
    assert "curvature" in shown and "4/4" in shown and "stage" in shown
    term.truncate(0)
    CurvatureConfig(TrainConfig(dataset="linreg", model="linear", quiet=True), k=1, num_batches=1).run()
    assert term.getvalue() == ""
