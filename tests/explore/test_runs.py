"""Run folders: config.json reproduces its run bitwise; ``gradstep plot`` overlays finished runs,
labelled by the settings that differ, and rejects what it cannot plot with one line and exit 2."""

import json
import re

import numpy as np
import pytest

from gradstep.cli import main
from gradstep.explore import TrainConfig, train_run
from gradstep.explore.runs import load_config, load_run, plot_runs, run_labels
from gradstep.serialization import load

BASE = TrainConfig(dataset="spirals", epochs=2, batch_size=32, hidden=(16,), quiet=True)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    a = train_run(BASE.replace(optimizer="sgd", lr=0.1, momentum=0.9, out=str(root / "sgd")))
    b = train_run(BASE.replace(optimizer="adam", out=str(root / "adam")))
    return root, a, b


def test_config_json_holds_every_setting_the_seed_and_versions(two_runs):
    root, a, _ = two_runs
    doc = json.loads((root / "sgd" / "config.json").read_text())
    assert doc["format"] == "gradstep-run-config/1" and doc["seed"] == 0
    assert doc["config"] == a.config.to_dict()
    assert set(doc["versions"]) >= {"gradstep", "numpy", "python"}


def test_config_json_reproduces_the_run_bitwise(two_runs, tmp_path):
    root, a, _ = two_runs
    cfg = load_config(root / "sgd")
    assert cfg.out is None and cfg.optimizer == "sgd" and cfg.momentum == 0.9
    again = train_run(cfg.replace(out=str(tmp_path)))
    assert again.history.iteration_loss == a.history.iteration_loss
    first, second = load(root / "sgd" / "last.safetensors"), load(tmp_path / "last.safetensors")
    for k, v in first["model"].items():
        np.testing.assert_array_equal(v.numpy(), second["model"][k].numpy())


def test_labels_name_the_settings_that_differ(two_runs):
    root, _, _ = two_runs
    runs = [load_run(root / "sgd"), load_run(root / "adam")]
    assert run_labels(runs) == ["optimizer=sgd, lr=0.1, momentum=0.9", "optimizer=adam, lr=0.001"]
    fig = plot_runs(runs)
    assert [ax.get_title() for ax in fig.axes] == ["training loss (validation dashed)", "validation accuracy",
                                                  "learning rate"]
    assert fig.axes[2].get_yscale() == "log"  # learning rates 0.1 and 0.001
    legend = fig.legends[0]
    assert legend.get_title().get_text() == "runs differ in: optimizer, lr, momentum"
    assert [t.get_text() for t in legend.get_texts()] == run_labels(runs)


def test_gradstep_plot_writes_each_format(two_runs, tmp_path, capsys):
    root, _, _ = two_runs
    out = tmp_path / "cmp"
    code = main(["plot", str(root / "sgd"), str(root / "adam"), "--format", "png,pdf", "--out", str(out),
                 "--metric", "loss,val_accuracy", "--smooth", "0.5"])
    assert code == 0
    assert (tmp_path / "cmp.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "cmp.pdf").read_bytes()[:5] == b"%PDF-"
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["{root}"], r"{root}: not a run folder \(it has no history.json"),
    (["{root}/nowhere"], r"{root}/nowhere: no such folder"),
    (["{root}/sgd", "--metric", "f1"], r"--metric f1: not logged by {root}/sgd \(the runs log: loss, lr, ep"),
    (["{root}/sgd", "--format", "jpg"], r"--format 'jpg': allowed is one of png, svg, pdf"),
    (["{root}/sgd", "--smooth", "1"], r"--smooth must be in \[0, 1\), got 1.0"),
])
def test_gradstep_plot_bad_input_gets_one_line_and_exit_2(two_runs, capsys, args, message):
    root, _, _ = two_runs
    code = main(["plot", *[a.format(root=root) for a in args]])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("gradstep plot: error: ")
    assert re.search(message.format(root=re.escape(str(root))), err), err


def test_runs_with_no_metric_in_common(tmp_path, capsys):
    for name, history in (("a", {"iteration_loss": [], "epochs": [{"epoch": 1, "x": 1.0}]}),
                          ("b", {"iteration_loss": [], "epochs": [{"epoch": 1, "y": 2.0}]})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "history.json").write_text(json.dumps(history))
    assert main(["plot", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "the runs have no metric in common:" in err and "logs epoch, x" in err and err.count("\n") == 1
