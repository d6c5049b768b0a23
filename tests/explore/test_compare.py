"""``compare`` and ``gradstep compare``: fair runs (same initial weights, same batches, same
dropout masks per seed), the files it writes, diverged runs reported, and its defaults."""

import json

import numpy as np
import pytest

from gradstep.cli import main
from gradstep.explore import TrainConfig
from gradstep.explore.compare import DEFAULT_OPTIMIZERS, compare
from gradstep.train import Callback
from tests.cli.test_train_cli import _png_size, gradstep

OPTIMIZERS = ["sgd", "adam", "adadelta"]


class Recorder(Callback):
    """Records a run's initial weights and every training batch and output the model sees."""

    def __init__(self):
        self.initial, self.inputs, self.targets, self.outputs = None, [], [], []

    def on_fit_start(self, trainer) -> None:
        model = trainer.model
        self.initial = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        model.register_forward_hook(self._forward)
        loss_fn = trainer.loss_fn

        def recording_loss(out, y):
            if model.training:
                self.targets.append(y.numpy().copy())
            return loss_fn(out, y)

        trainer.loss_fn = recording_loss

    def _forward(self, module, args, out):
        if module.training:
            self.inputs.append(args[0].numpy().copy())
            self.outputs.append(out.detach().numpy().copy())


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    recorders = {}

    def callbacks(name, seed):
        recorders[name, seed] = Recorder()
        return [recorders[name, seed]]

    # dropout makes the first forward pass depend on the random stream too
    cfg = TrainConfig(subset=192, batch_size=64, epochs=2, hidden=(32,), dropout=0.2)
    result = compare(cfg, OPTIMIZERS, seeds=2, target_accuracy=0.3, out=str(out), callbacks=callbacks)
    return result, recorders, out


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def check_fair(rec: dict, optimizers: list, batches: int, first_weight: str) -> None:
    """For seeds 0 and 1: every optimizer starts from the same weights and sees the same batches
    (and the same first outputs, dropout included), while the optimizers and the seeds differ."""
    for seed in (0, 1):
        first = rec[optimizers[0], seed]
        assert len(first.inputs) == batches
        for name in optimizers[1:]:
            other = rec[name, seed]
            assert first.initial.keys() == other.initial.keys()
            assert all(np.array_equal(first.initial[k], other.initial[k]) for k in first.initial)
            assert np.array_equal(first.outputs[0], other.outputs[0])      # identical first logits
            assert _same(first.inputs, other.inputs) and _same(first.targets, other.targets)
            # the optimizers themselves do differ: after one step the outputs are not the same
            assert not np.array_equal(first.outputs[1], other.outputs[1])
    # and the seeds differ: other initial weights, other batches
    a, b = rec[optimizers[0], 0], rec[optimizers[0], 1]
    assert not np.array_equal(a.initial[first_weight], b.initial[first_weight])
    assert not np.array_equal(a.targets[0], b.targets[0])


def test_every_optimizer_starts_from_the_same_weights_and_sees_the_same_batches(compared):
    result, rec, _ = compared
    assert len(result.runs) == len(OPTIMIZERS) * 2
    check_fair(rec, OPTIMIZERS, 6, "0.weight")   # 192 samples / batch 64 = 3 batches, 2 epochs


def test_compare_writes_report_figures_and_results(compared):
    result, _, out = compared
    report = (out / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == OPTIMIZERS
    assert "time to 30% validation accuracy" in report and "±" in rows[0]
    data = json.loads((out / "results.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert data["optimizers"] == OPTIMIZERS and data["seeds"] == [0, 1] and len(data["runs"]) == 6
    run = data["runs"][0]
    assert len(run["history"]["iteration_loss"]) == len(run["iteration_time"]) == 6
    assert run["iteration_time"] == sorted(run["iteration_time"]) and len(run["epoch_time"]) == 2
    assert [s["optimizer"] for s in data["summary"]] == OPTIMIZERS
    for name in ("loss.png", "loss_vs_time.png", "accuracy.png"):
        w, h = _png_size(out / name)
        assert 700 < w < 2000 and 400 < h < 1200, (name, w, h)
    assert all(not r.diverged and r.final_train_loss > 0 for r in result.runs)


def test_diverged_runs_are_reported_and_the_command_succeeds(tmp_path):
    r = gradstep("compare", "--dataset", "linreg", "--optimizers", "sgd,momentum", "--lr", "sgd=5",
                 "--batch-size", "10", "--epochs", "1", "--seeds", "1", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 of 2 runs diverged" in r.stderr
    rows = {line.split("`")[1]: line for line in (tmp_path / "report.md").read_text().splitlines()
            if line.startswith("| `")}
    assert rows["sgd"].endswith("| **diverged** |") and rows["momentum"].endswith("| ok |")
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert [r["diverged"] for r in runs] == [True, False]
    assert runs[0]["final_train_loss"] is None and "non-finite" in runs[0]["stop_reason"]
    assert _png_size(tmp_path / "loss.png")[0] > 700


@pytest.mark.parametrize("args,message", [
    (["--optimizers", "sgd,adamx"], "--optimizers: 'adamx' is no optimizer"),
    (["--optimizers", "sgd,sgd"], "allowed is each optimizer once (sgd twice)"),
    (["--lr", "adam=fast"], "--lr 'adam=fast': allowed is VALUE or NAME=VALUE"),
    (["--optimizers", "sgd", "--lr", "adam=0.1"], "settings of the optimizers --optimizers lists (sgd)"),
    (["--optimizers", "sgd,adam", "--lr", "adam=-1"], "--lr 'adam=-1.0': allowed is a finite number >= 0"),
    (["--seeds", "0"], "--seeds 0: allowed is an integer >= 1"),
    (["--target-accuracy", "80"], "--target-accuracy 80.0: allowed is a finite number in (0, 1]"),
    (["--dataset", "linreg", "--target-accuracy", "0.8"], "needs a classification data set"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys):
    assert main(["compare", *args, "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "c" / "report.md").exists()


def test_no_options_run_seed_002s_comparison(monkeypatch, tmp_path):
    seen = {}

    def fake_run(config, **kw):
        seen.update(config=config)
        raise KeyboardInterrupt  # stop before training

    monkeypatch.setattr("gradstep.explore.compare.run_compare", fake_run)
    assert main(["compare", "--out", str(tmp_path)]) == 130
    config = seen["config"]
    cfg = config.train
    assert list(config.optimizers) == list(DEFAULT_OPTIMIZERS) == ["sgd", "momentum", "nesterov", "adagrad",
                                                                   "rmsprop", "adadelta", "adam", "adamw"]
    assert (cfg.dataset, cfg.model, cfg.hidden, cfg.batch_size) == ("fashion-mnist-sample", None, (200,), 64)
    assert cfg.epochs == 3 and config.seeds == 3 and config.lr == {}
