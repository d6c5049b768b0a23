"""``gradstep lr-find``: the range test on a model and data set of ``gradstep train``, its plot,
its numbers, and the same suggestion as ``find_lr`` called by hand on the same objects."""

import json

import pytest

import gradstep as gs
from gradstep.cli import main
from gradstep.explore import TrainConfig
from gradstep.explore.builders import build_data, build_loaders, build_loss, build_model, build_optimizer
from gradstep.optim import find_lr
from tests.cli.test_train_cli import _png_size, gradstep


def test_lr_find_writes_plot_and_suggestion(tmp_path):
    r = gradstep("lr-find", "--dataset", "spirals", "--hidden", "32", "--optimizer", "sgd",
                 "--num-iter", "60", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "lr_find.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert data["suggested_lr"] is not None and 1e-7 <= data["suggested_lr"] <= 10
    assert f"suggested learning rate: {data['suggested_lr']:.3g}" in r.stdout
    assert len(data["lrs"]) == len(data["raw_losses"]) <= 60 and data["lrs"] == sorted(data["lrs"])
    w, h = _png_size(tmp_path / "lr_find.png")
    assert 700 < w < 1500 and 400 < h < 900

    # the same test by hand, on objects built as gradstep train builds them
    cfg = TrainConfig(dataset="spirals", hidden=(32,), optimizer="sgd")
    gs.manual_seed(cfg.seed)
    data_ = build_data(cfg)
    model = build_model(cfg, data_)
    loader = build_loaders(cfg, data_)[0]
    result = find_lr(model, build_optimizer(cfg, model.parameters()), build_loss(data_), loader, num_iter=60)
    assert result.suggested_lr == data["suggested_lr"] and result.raw_losses == data["raw_losses"]


@pytest.mark.parametrize("args,message", [
    (["--num-iter", "1"], "--num-iter 1: allowed is an integer >= 2"),
    (["--start-lr", "1", "--end-lr", "0.1"], "--end-lr 0.1: allowed is a learning rate above --start-lr 1"),
    (["--optimizer", "adamx"], "--optimizer 'adamx': allowed is one of"),
    (["--lr", "0.1"], "unrecognized arguments: --lr"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys):
    code = main(["lr-find", "--dataset", "linreg", *args, "--out", str(tmp_path / "f")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "f").exists()
