"""``gradstep landscape``: the 2-D test functions, the runs, their files and the command line."""

import json
import math
import struct
import warnings

import numpy as np
import pytest

from gradstep import Tensor
from gradstep.cli import main
from gradstep.explore.builders import build_optimizer
from gradstep.explore.config import TrainConfig
from gradstep.explore.functions import SURFACES, get_surface
from gradstep.explore.landscape import LandscapeConfig, run_landscape, run_trajectory


def _png_size(path):
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _report_rows(path):
    """The data rows of the markdown table in report.md, as lists of cells."""
    lines = [ln for ln in open(path, encoding="utf-8").read().splitlines() if ln.startswith("|")]
    assert lines[1].startswith("|---")
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]


# The gradient of every surface, written out by hand: what autograd must reproduce.
C, S = math.cos(math.pi / 6), math.sin(math.pi / 6)
ANALYTIC = {
    "quadratic": lambda x, y: (2 * x, 2 * y),
    "ill-conditioned": lambda x, y: (x, 25 * y),
    "ill-conditioned-rotated": lambda x, y: (
        (C * x + S * y) * C - 25 * (-S * x + C * y) * S,
        (C * x + S * y) * S + 25 * (-S * x + C * y) * C),
    "rosenbrock": lambda x, y: (-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)),
    "beale": lambda x, y: (
        2 * (1.5 - x + x * y) * (y - 1) + 2 * (2.25 - x + x * y ** 2) * (y ** 2 - 1)
        + 2 * (2.625 - x + x * y ** 3) * (y ** 3 - 1),
        2 * (1.5 - x + x * y) * x + 2 * (2.25 - x + x * y ** 2) * 2 * x * y
        + 2 * (2.625 - x + x * y ** 3) * 3 * x * y ** 2),
    "saddle": lambda x, y: (2 * x, -2 * y),
    "himmelblau": lambda x, y: (4 * x * (x ** 2 + y - 11) + 2 * (x + y ** 2 - 7),
                                2 * (x ** 2 + y - 11) + 4 * y * (x + y ** 2 - 7)),
}


def test_every_surface_has_an_analytic_gradient_here():
    assert set(ANALYTIC) == set(SURFACES)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradient_field_is_the_analytic_gradient(name):
    s = SURFACES[name]
    X, Y = s.grid(23, pad=0.1)
    U, V = s.gradient_field(X, Y)
    Ua, Va = ANALYTIC[name](X, Y)
    scale = np.maximum(1.0, np.hypot(Ua, Va))
    np.testing.assert_allclose(U / scale, Ua / scale, rtol=0, atol=1e-12)
    np.testing.assert_allclose(V / scale, Va / scale, rtol=0, atol=1e-12)
    # one point as a (2,) tensor gives the same as the grid
    f, g = s.value_and_grad(np.array([X[3, 5], Y[3, 5]]))
    assert f.shape == () and g.shape == (2,)
    np.testing.assert_allclose(g, [U[3, 5], V[3, 5]], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_minima_are_minima_and_start_is_in_the_window(name):
    s = SURFACES[name]
    assert s.xlim[0] < s.start[0] < s.xlim[1] and s.ylim[0] < s.start[1] < s.ylim[1]
    for m in s.minima:
        assert s.xlim[0] < m[0] < s.xlim[1] and s.ylim[0] < m[1] < s.ylim[1]
        f, g = s.value_and_grad(np.array(m))
        assert np.linalg.norm(g) < 1e-9 and abs(f - s.min_value) < 1e-12
        ring = np.array(m)[:, None] + 1e-3 * np.array([[1, 0, -1, 0, 1], [0, 1, 0, -1, 1]])
        assert np.all(s.values(ring) > f)
    if not s.minima:
        assert s.escape_below is not None and s.min_value is None


def test_momentum_beats_plain_sgd_on_the_ill_conditioned_quadratic():
    """Seed 002's narrow funnel: with the same learning rate, momentum 0.9 reaches the tolerance
    in fewer steps than plain SGD, which crawls along the flat direction at (1 - lr) per step."""
    s = get_surface("ill-conditioned")
    sgd = run_trajectory(s, "sgd", s.start, 1000, lr=0.01)
    momentum = run_trajectory(s, "sgd", s.start, 1000, lr=0.01, opt_args={"momentum": 0.9})
    assert momentum.hyperparameters == {"lr": 0.01, "momentum": 0.9}
    assert sgd.reached_at is not None and momentum.reached_at is not None
    assert momentum.reached_at < sgd.reached_at / 2, (momentum.reached_at, sgd.reached_at)
    # and the flat direction is what holds SGD back: ln(distance / tol) / lr steps, give or take
    expected = math.log(abs(s.start[0]) / 1e-3) / 0.01
    assert 0.9 * expected < sgd.reached_at < 1.1 * expected


def test_steps_to_tolerance_means_within_it_for_the_rest_of_the_run():
    s = get_surface("quadratic")
    for name in ("sgd", "rmsprop", "adam"):
        t = run_trajectory(s, name, s.start, 200)
        d = s.nearest_minimum(t.points)[1]
        if t.reached_at is not None:
            assert np.all(d[t.reached_at:] <= 1e-3) and (t.reached_at == 0 or d[t.reached_at - 1] > 1e-3)
        if t.touched_at is not None:
            assert d[t.touched_at] <= 1e-3 and np.all(d[:t.touched_at] > 1e-3)
    # RMSprop without decay ends up hopping ±lr around the minimum: it passes, but does not stay
    rms = run_trajectory(s, "rmsprop", s.start, 200)
    assert rms.touched_at is not None and rms.reached_at is None


def test_gradient_norm_criterion():
    s = get_surface("himmelblau")
    t = run_trajectory(s, "sgd", s.start, 100, tol=1e-6, criterion="grad-norm")
    assert t.reached_at is not None
    assert np.all(t.grad_norms[t.reached_at:] <= 1e-6) and t.grad_norms[t.reached_at - 1] > 1e-6
    _, g = s.value_and_grad(t.points[t.reached_at])
    assert np.linalg.norm(g) == pytest.approx(t.grad_norms[t.reached_at])


def test_lbfgs_runs_through_the_closure():
    s = get_surface("quadratic")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the mini-batch warning is for training, not for a 2-D surface
        t = run_trajectory(s, "lbfgs", s.start, 3)
    assert t.reached_at == 1 and t.evaluations > 3  # several evaluations in its one step


def test_training_lbfgs_on_small_mini_batches_warns():
    params = [Tensor._make(np.zeros(3), requires_grad=True)]
    with pytest.warns(UserWarning, match="LBFGS is a full-batch method; mini-batches of 64"):
        build_optimizer(TrainConfig(optimizer="lbfgs", batch_size=64), params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_optimizer(TrainConfig(optimizer="lbfgs", batch_size=1000), params)


def test_saddle_is_judged_by_escape_and_running_off_is_not_divergence():
    s = get_surface("saddle")
    for name in ("sgd", "adam"):
        t = run_trajectory(s, name, s.start, 300)
        assert t.reached_at is not None and t.diverged_at is None
        assert t.values[t.reached_at] <= -1 < t.values[t.reached_at - 1]


def test_tiny_run_writes_its_files_and_reports_divergence(tmp_path):
    # x² + y²: gradient descent multiplies the point by (1 - 2 lr), so lr = 1.5 triples it each step
    names = ("sgd", "momentum", "adam")
    res = run_landscape(LandscapeConfig(function="quadratic", optimizers=names, steps=200,
                                        lr={"sgd": 1.5}, out=str(tmp_path)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["convergence.png", "landscape.png", "report.md",
                                                          "results.json"]
    w, h = _png_size(tmp_path / "landscape.png")
    assert 700 < w < 1400 and 600 < h < 1400
    w, h = _png_size(tmp_path / "convergence.png")
    assert 700 < w < 1000 and 300 < h < 600  # a report's text width, 7.5 in

    sgd, momentum, adam = res.trajectories
    assert sgd.diverged_at is not None and np.all(np.isfinite(sgd.points[:-1]))
    assert len(sgd.points) == sgd.diverged_at + 1
    assert momentum.diverged_at is None and momentum.reached_at is not None
    assert adam.diverged_at is None and adam.reached_at is not None
    rows = _report_rows(tmp_path / "report.md")
    assert [r[0] for r in rows] == list(names)
    assert [r[1] for r in rows] == ["SGD(lr=1.5)", "SGD(lr=0.1, momentum=0.9)", "Adam(lr=0.1)"]
    assert [r[2] for r in rows] == [f"diverged at step {sgd.diverged_at}", str(momentum.reached_at),
                                    str(adam.reached_at)]

    data = json.loads((tmp_path / "results.json").read_text())
    assert data["function"] == "quadratic" and data["start"] == [-3.0, 2.5]
    assert [r["name"] for r in data["runs"]] == list(names)
    assert [r["diverged"] for r in data["runs"]] == [True, False, False]
    assert data["runs"][0]["diverged_at"] == sgd.diverged_at
    for r, t in zip(data["runs"], res.trajectories):
        assert r["steps_to_tolerance"] == t.reached_at and len(r["points"]) == len(t.points)
        finite = np.isfinite(t.points).all(axis=1)
        np.testing.assert_array_equal(np.array(r["points"], dtype=float)[finite], t.points[finite])


def test_command_line_with_gif(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["landscape", "--function", "himmelblau", "--optimizers", "sgd,adam", "--steps", "30",
                 "--start", "-0.5,-1.5", "--lr", "sgd=0.01,adam=0.2", "--gif", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith("optimizer") and "wrote" in printed
    head = (out / "landscape.gif").read_bytes()[:6]
    assert head == b"GIF89a"
    from PIL import Image
    with Image.open(out / "landscape.gif") as im:
        assert im.n_frames == 31 and im.size[0] > 500
    data = json.loads((out / "results.json").read_text())
    assert data["start"] == [-0.5, -1.5]
    assert [r["hyperparameters"]["lr"] for r in data["runs"]] == [0.01, 0.2]


@pytest.mark.parametrize("args, words", [
    (["--function", "nope"], "unknown function 'nope'"),
    (["--optimizers", "sgd,foo"], "--optimizers: 'foo' is no optimizer"),
    (["--optimizers", "sgd,sgd"], "allowed is each optimizer once (sgd twice)"),
    (["--start", "1"], "--start '1': allowed is two numbers X,Y"),
    (["--start", "a,b"], "--start 'a,b': allowed is two numbers X,Y"),
    (["--steps", "0"], "--steps 0: allowed is an integer >= 1"),
    (["--tol", "-1"], "--tol -1.0: allowed is a finite number > 0"),
    (["--optimizers", "sgd", "--lr", "adam=0.1"], "settings of the optimizers --optimizers lists (sgd)"),
    (["--optimizers", "sgd", "--lr", "sgd=-1"], "--lr 'sgd=-1.0': allowed is a positive number"),
    (["--optimizers", "sgd", "--lr", "sgd"], "--lr 'sgd': allowed is VALUE or NAME=VALUE"),
    (["--optimizers", "sgd", "--opt-arg", "sgd.foo=1"], "SGD has no argument foo"),
    (["--optimizers", "sgd", "--opt-arg", "sgd.nesterov=True"], "Nesterov momentum requires"),
    (["--criterion", "closest"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(args, words, tmp_path, capsys):
    assert main(["landscape", *args, "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert not (tmp_path / "never").exists()
