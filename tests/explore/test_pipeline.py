"""The experiment pipeline: one config per command that checks itself completely, with the same
defaults on the command line and in Python; results that plot without pyplot and write their
files atomically; registries that the command line reads."""

import argparse
import dataclasses
import sys

import pytest

from gradstep.cli import compare as cli_compare
from gradstep.cli import curvature as cli_curvature
from gradstep.cli import landscape as cli_landscape
from gradstep.cli import lr_find as cli_lr_find
from gradstep.cli import main
from gradstep.cli import sweep as cli_sweep
from gradstep.cli import train as cli_train
from gradstep.cli.common import make_parser
from gradstep.explore import builders
from gradstep.explore.compare import CompareConfig
from gradstep.explore.config import ConfigError, TrainConfig
from gradstep.explore.curvature_run import CurvatureConfig
from gradstep.explore.landscape import LandscapeConfig
from gradstep.explore.lr_find import LRFindConfig
from gradstep.explore.net_landscape import NetLandscapeConfig
from gradstep.explore.sweep import SweepConfig


def _parse(command: str, argv: list[str]) -> argparse.Namespace:
    parser = make_parser("gradstep")
    sub = parser.add_subparsers(dest="command")
    {"train": cli_train, "compare": cli_compare, "sweep": cli_sweep, "lr-find": cli_lr_find,
     "landscape": cli_landscape, "curvature": cli_curvature}[command].add_parser(sub)
    return parser.parse_args([command, *argv])


CONFIG_FROM_ARGS = {
    "train": (lambda a: cli_train.config_from_args(a), TrainConfig),
    "compare": (cli_compare.config_from, CompareConfig),
    "sweep": (cli_sweep.config_from, SweepConfig),
    "lr-find": (cli_lr_find.config_from, LRFindConfig),
    "landscape": (cli_landscape.config_from, LandscapeConfig),
    "curvature": (cli_curvature.config_from, CurvatureConfig),
}


@pytest.mark.parametrize("command", list(CONFIG_FROM_ARGS))
def test_command_line_and_python_defaults_are_the_same(command):
    to_config, cls = CONFIG_FROM_ARGS[command]
    from_cli = to_config(_parse(command, []))
    assert from_cli == cls()
    assert from_cli.to_dict() == cls().to_dict()


def test_compare_defaults_are_seed_002s_in_both():
    assert CompareConfig().train.epochs == 3 and CompareConfig().seeds == 3
    assert CompareConfig().out is None and TrainConfig().out is None   # runs/<command>-<time> at run time


@pytest.mark.parametrize("command, argv, words", [
    ("train", ["--dropout", "1.5"], "--dropout 1.5: allowed is a finite number in [0, 1)"),
    ("train", ["--clip-grad-norm", "nan"], "--clip-grad-norm nan: allowed is a finite number > 0"),
    ("train", ["--max-steps", "0"], "--max-steps 0: allowed is an integer >= 1"),
    ("train", ["--workers", "-1"], "--workers -1: allowed is an integer in [0, 64]"),
    ("train", ["--epochs", "0"], "--epochs 0: allowed is an integer >= 1"),
    ("train", ["--val-fraction", "1"], "--val-fraction 1.0: allowed is a finite number in [0, 1)"),
    ("train", ["--weight-decay", "inf"], "--weight-decay inf: allowed is a finite number >= 0"),
    ("train", ["--model", "nope"], "--model 'nope': allowed is one of mlp, linear, cnn"),
    ("train", ["--model", "no_such_module_x:f"], "cannot import no_such_module_x"),
    ("train", ["--data", "tests.explore.user_model:nothing_here"], "has no function nothing_here"),
    ("train", ["--hidden", "0"], "--hidden '0': allowed is positive sizes"),
    ("compare", ["--optimizers", "sgd,lion2"], "'lion2' is no optimizer"),
    ("compare", ["--seeds", "-1"], "--seeds -1: allowed is an integer >= 1"),
    ("compare", ["--dropout", "-0.1"], "--dropout -0.1: allowed is"),
    ("sweep", ["--metric", "accuracy"], "--metric 'accuracy': allowed is one of train_loss"),
    ("sweep", ["--budget", "0 epochs"], "--budget '0 epochs': allowed is a positive number"),
    ("lr-find", ["--end-lr", "-1"], "--end-lr -1.0: allowed is a finite number > 0"),
    ("lr-find", ["--num-iter", "1.5"], "invalid int value: '1.5'"),
    ("landscape", ["--function", "nope"], "unknown function 'nope'"),
    ("landscape", ["--tol", "nan"], "--tol nan: allowed is a finite number > 0"),
])
def test_every_commands_config_rejects_bad_values_on_one_line_before_loading_data(
        command, argv, words, tmp_path, capsys, monkeypatch):
    def no_data(cfg):
        raise AssertionError("data was loaded before the config was checked")

    monkeypatch.setattr(builders, "_builtin_data", no_data)
    assert main([command, *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("toml, words", [
    ('quiet = "no"', "--quiet 'no': allowed is true or false"),
    ("epochs = 2.5", "--epochs 2.5: allowed is an integer >= 1"),
    ("batch_size = true", "--batch-size True: allowed is an integer >= 1"),
    ('lr = "fast"', "--lr 'fast': allowed is a finite number >= 0"),
    ("opt_args = 3", "--opt-args 3: allowed is a table"),
    ('optimiser = "sgd"', "unknown option(s) optimiser"),
])
def test_toml_values_of_the_wrong_type_are_rejected(toml, words, tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text(toml + "\n")
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_configs_check_themselves_in_python_too():
    with pytest.raises(ConfigError, match=r"^--batch-size 0: allowed is an integer >= 1$"):
        TrainConfig(batch_size=0)
    with pytest.raises(ConfigError, match="--train"):
        CompareConfig(train={"epochs": 1})
    with pytest.raises(ConfigError, match="'adamz' is no optimizer"):
        CompareConfig(optimizers=("sgd", "adamz"))
    with pytest.raises(ConfigError, match="--steps 0"):
        LandscapeConfig(steps=0)
    # a config read back from its dict is the same config, nested ones included
    c = CompareConfig(TrainConfig(dataset="spirals", hidden=(8, 4)), ("sgd", "adam"), lr={"sgd": 0.1})
    assert CompareConfig.from_dict(c.to_dict()) == c


def test_registries_drive_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for name in builders.optimizer_names() + list(builders.MODEL_SPECS) + ["spirals", "OneCycleLR"]:
        assert name in text, name


def test_results_plot_figures_without_pyplot_and_write_their_files(tmp_path):
    import matplotlib
    from matplotlib.figure import Figure

    from gradstep.explore.compare import CompareConfig, run_compare
    from gradstep.explore.landscape import landscape
    from gradstep.explore.lr_find import run_lr_find
    from gradstep.explore.sweep import run_sweep

    backend = matplotlib.get_backend()
    pyplot_loaded = "matplotlib.pyplot" in sys.modules
    train = TrainConfig(dataset="spirals", hidden=(8,), epochs=1)
    results = {
        "compare": (run_compare(CompareConfig(train, ("sgd", "adam"), seeds=1)),
                    ["report.md", "results.json", "loss.png", "loss_vs_time.png", "accuracy.png"]),
        "sweep": (run_sweep(SweepConfig(train, lrs=(0.1,), batch_sizes=(32,))),
                  ["report.md", "results.json", "heatmap.png", "curves.png"]),
        "lr-find": (run_lr_find(LRFindConfig(train, num_iter=10)), ["lr_find.json", "lr_find.png"]),
        "landscape": (landscape(LandscapeConfig(optimizers=("sgd",), steps=5)),
                      ["report.md", "results.json", "landscape.png", "convergence.png"]),
        "net-landscape": (NetLandscapeConfig(train.replace(epochs=2), ("sgd", "adam"), grid=3,
                                             eval_samples=50).run(),
                          ["report.md", "results.json", "contour.png", "surface.png"]),
    }
    for name, (result, files) in results.items():
        figures = result.plot()
        assert figures and all(isinstance(f, Figure) for f in figures), name
        written = result.write(tmp_path / name)
        assert [p.rsplit("/", 1)[-1] for p in written] == files, name
        # every file whole, no temporary file left behind
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == sorted(files), name
    assert matplotlib.get_backend() == backend
    if not pyplot_loaded:
        assert "matplotlib.pyplot" not in sys.modules


def test_a_write_that_fails_leaves_no_half_written_file(tmp_path, monkeypatch):
    from gradstep.explore.landscape import landscape
    from gradstep.train import figures

    result = landscape(LandscapeConfig(optimizers=("sgd",), steps=5))

    def broken(fig, fmt="png", dpi=150):
        raise OSError("disk full")

    monkeypatch.setattr(figures, "figure_bytes", broken)
    with pytest.raises(OSError):
        result.write(tmp_path)
    # the documents written before the failure are whole; no figure file exists, not even in part
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "results.json"]


def test_config_fields_all_have_checks_or_are_normalised():
    for cls in (TrainConfig, CompareConfig, SweepConfig, LRFindConfig, LandscapeConfig, NetLandscapeConfig):
        for f in dataclasses.fields(cls):
            assert "check" in f.metadata or f.name == "train", (cls.__name__, f.name)
