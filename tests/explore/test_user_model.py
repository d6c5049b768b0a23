"""Your own model and data in every tool: compare (with its fairness), sweep, lr-find, train's
dynamics and landscape run on ``tests/explore/user_model.py`` given as ``module:function``; what
the functions return is checked with one line."""

import json

import pytest

from gradstep.cli import main
from gradstep.explore import TrainConfig
from gradstep.explore.compare import compare
from tests.cli.test_train_cli import gradstep
from tests.explore import user_model
from tests.explore.test_compare import Recorder, check_fair

MODEL, DATA = "tests.explore.user_model:tiny_net", "tests.explore.user_model:blobs"


@pytest.mark.parametrize("model, data", [(MODEL, DATA), (user_model.tiny_net, user_model.blobs)])
def test_compare_is_fair_on_a_user_model(model, data):
    recorders = {}

    def callbacks(name, seed):
        recorders[name, seed] = Recorder()
        return [recorders[name, seed]]

    optimizers = ["sgd", "adam", "rmsprop"]
    cfg = TrainConfig(model=model, data=data, batch_size=64, epochs=2)
    result = compare(cfg, optimizers, seeds=2, out=None, callbacks=callbacks)
    check_fair(recorders, optimizers, 8, "0.weight")   # 240 samples / batch 64 = 4 batches, 2 epochs
    assert result.score_key == "val_accuracy"
    assert all(not r.diverged and r.best_score > 0.3 for r in result.runs)
    assert result.to_dict()["config"]["model"] == MODEL   # a function is named by module:function


def test_compare_sweep_lr_find_landscape_and_dynamics_on_the_command_line(tmp_path):
    own = ["--model", MODEL, "--data", DATA]
    runs = {
        "compare": ["compare", *own, "--optimizers", "sgd,adam", "--seeds", "1", "--epochs", "1"],
        "sweep": ["sweep", *own, "--optimizer", "sgd", "--lr", "0.05,0.5", "--budget", "1 epochs"],
        "lr-find": ["lr-find", *own, "--num-iter", "20"],
        "train": ["train", *own, "--epochs", "2", "--dynamics"],
        "landscape": ["landscape", "--function", "tests.explore.user_model:tilted_bowl", "--optimizers",
                      "sgd,adam", "--steps", "50"],
    }
    for name, argv in runs.items():
        out = tmp_path / name
        r = gradstep(*argv, "--out", out)
        assert r.returncode == 0, (name, r.stderr)
        assert f"wrote {out}/" in r.stdout, name
    assert json.loads((tmp_path / "compare" / "results.json").read_text())["config"]["model"] == MODEL
    sweep = json.loads((tmp_path / "sweep" / "results.json").read_text())
    assert [c["lr"] for c in sweep["cells"]] == [0.05, 0.5] and sweep["metric"] == "val_accuracy"
    assert json.loads((tmp_path / "lr-find" / "lr_find.json").read_text())["config"]["data"] == DATA
    layers = json.loads((tmp_path / "train" / "dynamics.json").read_text())["layers"]
    assert list(layers) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert json.loads((tmp_path / "landscape" / "results.json").read_text())["function"] == "tilted-bowl"


@pytest.mark.parametrize("argv, words", [
    (["--model", "tests.explore.user_model:not_a_model", "--data", DATA],
     "--model tests.explore.user_model:not_a_model returned int; it must return a gradstep.nn.Module"),
    (["--data", "tests.explore.user_model:not_data"],
     "--data tests.explore.user_model:not_data returned str; it must return (train, val, test)"),
    (["--model", "tests.explore.user_model"], "allowed is one of mlp, linear, cnn, or package.module:"),
])
def test_a_wrong_return_is_one_line(argv, words, tmp_path, capsys):
    assert main(["train", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_landscape_function_must_return_a_surface(tmp_path, capsys):
    argv = ["landscape", "--function", "tests.explore.user_model:not_a_model", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "it must return a gradstep.explore.functions.Surface" in capsys.readouterr().err
