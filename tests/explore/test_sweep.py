"""``sweep`` and ``gradstep sweep``: seed 004's study with the run that diverges, fair budgets in
samples, grids over optimizer arguments, the files, and bad arguments."""

import json

import numpy as np
import pytest

from gradstep.cli import main
from gradstep.cli.sweep import parse_grid
from gradstep.explore import TrainConfig
from gradstep.explore.config import ConfigError
from gradstep.explore.sweep import Budget, sweep
from tests.cli.test_train_cli import _png_size, gradstep


def _rows(report: str) -> list[list[str]]:
    lines = [line for line in report.splitlines() if line.startswith("| ")][1:]  # not the header
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines]


def test_seed_004_study(tmp_path):
    # the tutorial exactly: linear regression, SGD, 3 epochs, lr divided by 10 after epoch 2
    cfg = TrainConfig(dataset="linreg", optimizer="sgd", epochs=3, scheduler="StepLR",
                      sched_args={"step_size": 2, "gamma": 0.1})
    result = sweep(cfg, [0.002, 0.2, 5], [1, 10, 1000], out=str(tmp_path))
    cells = {(c.lr, c.batch_size): c for c in result.cells}
    assert len(cells) == 9
    for bs in (1, 10):  # lr 0.2 converges to the true w and b
        c = cells[0.2, bs]
        assert c.status == "ok"
        np.testing.assert_allclose(c.weights["w"], [2.0, -3.4], atol=0.05)
        np.testing.assert_allclose(c.weights["b"], [4.2], atol=0.05)
        assert c.final["train_loss"] < 1e-3
        assert [e["lr"] for e in c.history.epochs] == pytest.approx([0.2, 0.2, 0.02])
    assert abs(cells[0.002, 10].weights["w"][0] - 2.0) > 0.3          # lr 0.002 is too slow
    assert cells[5, 1].status == cells[5, 10].status == "diverged"     # lr 5 diverges
    assert cells[5, 1000].status == "diverging"    # only 3 steps: still finite, but growing
    assert "non-finite" in cells[5, 10].stop_reason
    rows = {(float(r[0]), int(r[1])): r for r in _rows((tmp_path / "report.md").read_text())}
    assert len(rows) == 9
    assert rows[5, 10][-1].startswith("**diverged** at step") and rows[5, 10][5:7] == ["–", "–"]
    assert rows[0.2, 10][5].startswith("[2.0") and rows[0.2, 10][-1] == "ok"
    data = json.loads((tmp_path / "results.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert [c["status"] for c in data["cells"]].count("diverged") == 2
    assert all(c["samples_seen"] == 3000 for c in data["cells"] if c["status"] != "diverged")
    w, h = _png_size(tmp_path / "heatmap.png")
    assert 500 < w < 1500 and 300 < h < 900
    w, h = _png_size(tmp_path / "curves.png")
    assert 900 < w < 2500 and 700 < h < 2000


def test_sample_budget_and_grid_through_the_command_line(tmp_path):
    r = gradstep("sweep", "--dataset", "linreg", "--optimizer", "sgd", "--lr", "0.05,0.1", "--batch-size",
                 "7,100", "--grid", "momentum=0,0.9", "--budget", "650 samples", "--out", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "best: lr" in r.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["cells"]) == 8 and data["budget"] == "650 samples"
    for c in data["cells"]:   # every cell sees the same number of samples, up to one batch
        assert 650 <= c["samples_seen"] < 650 + c["batch_size"]
        assert c["args"]["momentum"] in (0, 0.9)
    header = (tmp_path / "report.md").read_text().split("\n| lr |")[1].split("\n")[0]
    assert "momentum" in header and "w" in header
    assert len(_rows((tmp_path / "report.md").read_text())) == 8
    assert _png_size(tmp_path / "heatmap.png")[0] > 900   # two panels: momentum 0 and 0.9


def test_classification_heatmap_shows_validation_accuracy(tmp_path):
    result = sweep(TrainConfig(dataset="spirals", hidden=(16,), optimizer="adam"), [0.01, 0.1], [64],
                   budget=Budget(epochs=2), out=str(tmp_path))
    assert result.metric == "val_accuracy"
    assert all(0 <= c.final["val_accuracy"] <= 1 and c.weights is None for c in result.cells)
    assert "validation accuracy" in (tmp_path / "report.md").read_text()


def test_budget():
    assert Budget.parse("3 epochs") == Budget(epochs=3) == Budget.parse("3")
    assert Budget.parse("30000 samples") == Budget(samples=30000)
    assert Budget(epochs=3).plan(1000, 10) == (3, None)
    assert Budget(samples=3000).plan(1000, 10) == (3, 300)
    assert Budget(samples=2500).plan(1000, 300) == (3, 4 + 4 + 2)   # 4 batches per epoch, then 2
    with pytest.raises(ConfigError, match="--budget"):
        Budget.parse("3 weeks")


def test_grid_values_keep_tuples_whole():
    assert parse_grid(["betas=(0.9,0.999),(0.5,0.9)", "momentum=0,0.9"]) == {
        "betas": [(0.9, 0.999), (0.5, 0.9)], "momentum": [0, 0.9]}


@pytest.mark.parametrize("args,message", [
    (["--budget", "3 weeks"], "--budget '3 weeks': allowed is"),
    (["--lr", "0.1,fast"], "--lr 'fast': allowed is VALUE"),
    (["--batch-size", "0,10"], "--batch-size [0]: allowed is positive integers"),
    (["--optimizer", "sgd", "--grid", "gamma=1,2"], "SGD has no argument gamma"),
    (["--optimizer", "sgd", "--grid", "momentum=0,-1"], "SGD: Invalid momentum value: -1"),
    (["--grid", "momentum"], "--grid 'momentum': allowed is KEY=V1,V2"),
    (["--metric", "val_accuracy"], "needs a validation split"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys):
    code = main(["sweep", "--dataset", "linreg", "--lr", "0.1", *args, "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "s").exists()
