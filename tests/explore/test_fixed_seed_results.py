"""compare, sweep and landscape give, on fixed seeds, exactly the numbers they gave before the
experiment pipeline was restructured (``data/fixed_seed_results.json``, written by the code of
that time): every loss, metric, weight and trajectory point, bit for bit (timings left out)."""

import json
import pathlib

import pytest

from gradstep.explore import TrainConfig
from gradstep.explore.compare import compare
from gradstep.explore.landscape import LandscapeConfig, run_landscape
from gradstep.explore.sweep import Budget, sweep

EXPECTED = json.loads((pathlib.Path(__file__).parent / "data" / "fixed_seed_results.json").read_text())


def _history(h) -> dict:
    return {"iteration_loss": h.iteration_loss,
            "epochs": [{k: v for k, v in row.items() if "time" not in k} for row in h.epochs]}


def _json(obj):
    return json.loads(json.dumps(obj))


def _compare_runs(result) -> list:
    return [{"optimizer": r.optimizer, "seed": r.seed, "diverged": r.diverged, **_history(r.history)}
            for r in result.runs]


def test_compare(tmp_path):
    r = compare(TrainConfig(dataset="spirals", hidden=(16,), epochs=2, batch_size=64, dropout=0.1),
                ["sgd", "momentum", "adam", "nadam"], seeds=2, lr_overrides={"sgd": 0.1}, out=tmp_path / "a")
    assert _json(_compare_runs(r)) == EXPECTED["compare_spirals"]
    r = compare(TrainConfig(subset=256, hidden=(32,), epochs=1, batch_size=32), ["sgd", "adam"], seeds=1,
                out=tmp_path / "b")
    assert _json(_compare_runs(r)) == EXPECTED["compare_fmnist"]


def test_sweep(tmp_path):
    r = sweep(TrainConfig(dataset="linreg", optimizer="sgd", epochs=3, scheduler="StepLR",
                          sched_args={"step_size": 2, "gamma": 0.1}),
              lrs=[0.002, 0.2, 5], batch_sizes=[10, 1000], out=tmp_path / "a")
    got = [{"lr": c.lr, "batch_size": c.batch_size, "status": c.status, "final": c.final,
            "weights": c.weights, "initial_loss": c.initial_loss, **_history(c.history)} for c in r.cells]
    assert _json(got) == EXPECTED["sweep_linreg"]
    r = sweep(TrainConfig(dataset="spirals", optimizer="sgd", hidden=(16,)), lrs=[0.05, 0.5],
              batch_sizes=[32], grid={"momentum": [0.0, 0.9]}, budget=Budget(samples=1500),
              out=tmp_path / "b")
    got = [{"lr": c.lr, "batch_size": c.batch_size, "args": c.args, "status": c.status, "final": c.final,
            **_history(c.history)} for c in r.cells]
    assert _json(got) == EXPECTED["sweep_spirals"]


@pytest.mark.parametrize("key, function, optimizers, steps", [
    ("landscape_rosenbrock", "rosenbrock", ("sgd", "momentum", "adam", "nadam", "rmsprop", "adagrad"), 200),
    ("landscape_saddle", "saddle", ("sgd", "adam"), 100),
])
def test_landscape(tmp_path, key, function, optimizers, steps):
    r = run_landscape(LandscapeConfig(function=function, optimizers=optimizers, steps=steps,
                                      out=str(tmp_path)))
    got = [{"name": t.name, "points": t.points.tolist(), "reached_at": t.reached_at,
            "diverged_at": t.diverged_at} for t in r.trajectories]
    assert _json(got) == EXPECTED[key]
