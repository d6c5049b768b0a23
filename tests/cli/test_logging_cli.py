"""gradstep train's --logger, --live and --format, and --format on the other commands: what they
write, and one line with exit 2 for a logger or format that does not exist or cannot be used."""

import json
import sys

import pytest
from tensorboard.backend.event_processing import event_accumulator

from gradstep.cli import main

TINY = ["--dataset", "spirals", "--hidden", "16", "--epochs", "2", "--batch-size", "32"]


def test_train_logs_to_tensorboard_jsonl_and_csv_as_it_goes(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", *TINY, "--quiet", "--out", str(out), "--logger", "tensorboard,jsonl,csv",
                 "--dynamics", "--format", "png,pdf", "--live"])
    assert code == 0
    acc = event_accumulator.EventAccumulator(str(out / "tensorboard"), size_guidance={"scalars": 0}).Reload()
    history = json.loads((out / "history.json").read_text())
    val = [e.value for e in acc.Scalars("loss/val")]
    assert val == pytest.approx([row["val_loss"] for row in history["epochs"]], rel=1e-6)
    assert any(t.startswith("update_ratio/") for t in acc.Tags()["scalars"])  # with --dynamics
    rows = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert (out / "history.csv").read_text().startswith("epoch,train_loss")
    for name in ("curves.png", "curves.pdf", "dynamics.pdf", "live.png", "config.json"):
        assert (out / name).exists(), name
    settings = json.loads((out / "config.json").read_text())["config"]
    assert settings["loggers"] == ["tensorboard", "jsonl", "csv"]
    written = capsys.readouterr().out
    assert "config.json" in written and "curves.pdf" in written


@pytest.mark.parametrize("args, message", [
    (["--logger", "wandb"], "--logger 'wandb': allowed is one of tensorboard, csv, jsonl"),
    (["--format", "png,jpg"], "--format 'jpg': allowed is one of png, svg, pdf"),
])
def test_an_unknown_logger_or_format_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["train", *TINY, "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradstep train: error: " + message) and err.count("\n") == 1
    assert not (tmp_path / "run").exists()  # refused before anything was made


def test_tensorboard_not_installed_names_the_extra(tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    assert main(["train", *TINY, "--out", str(tmp_path / "run"), "--logger", "tensorboard"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'gradstep[tensorboard]'" in err
    assert err.startswith("gradstep train: error: --logger tensorboard: TensorBoard logging needs")


def test_compare_and_lr_find_write_every_format(tmp_path):
    assert main(["compare", *TINY, "--optimizers", "sgd,adam", "--seeds", "1", "--quiet",
                 "--format", "svg,png", "--out", str(tmp_path / "cmp")]) == 0
    assert (tmp_path / "cmp" / "loss.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "cmp" / "loss.png").exists()
    assert main(["lr-find", "--dataset", "spirals", "--num-iter", "20", "--format", "pdf",
                 "--out", str(tmp_path / "lr")]) == 0
    assert (tmp_path / "lr" / "lr_find.pdf").read_bytes()[:5] == b"%PDF-"
    assert not (tmp_path / "lr" / "lr_find.png").exists()
