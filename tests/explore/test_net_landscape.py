"""``gradstep landscape --model``: filter-normalized and PCA directions, the surface around trained
weights, the trajectories projected onto it, and the command line."""

import dataclasses
import json

import numpy as np
import pytest

from gradstep.cli import main
from gradstep.data import DataLoader, Subset
from gradstep.explore.builders import build_data, build_loss
from gradstep.explore.config import ConfigError, TrainConfig
from gradstep.explore.net_landscape import (
    NetLandscapeConfig,
    explained_share,
    filter_normalized_direction,
    pca_directions,
    project,
    run_config,
)
from gradstep.explore.run import build_run, initial_state
from gradstep.random import Generator
from gradstep.train import evaluate

USER = "tests.explore.user_model"
TINY = TrainConfig(model=f"{USER}:tiny_net", data=f"{USER}:blobs", epochs=2, batch_size=32, quiet=True)


def test_filter_normalized_direction_has_each_filters_norm_and_no_bias():
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(6, 5)) * np.arange(1, 7)[:, None],   # a linear layer: a row per neuron
               rng.normal(size=6),                                     # its bias
               rng.normal(size=(4, 3, 3, 3)) * 0.1,                    # a convolution: a filter per channel
               rng.normal(size=4), rng.normal(size=4)]                 # batch norm's weight and bias
    d = filter_normalized_direction(weights, Generator(3))
    for w, di in zip(weights, d):
        assert di.shape == w.shape
        if w.ndim == 1:
            assert not di.any()
            continue
        rows_d, rows_w = di.reshape(len(di), -1), w.reshape(len(w), -1)   # a row per filter
        norm_d, norm_w = np.linalg.norm(rows_d, axis=1), np.linalg.norm(rows_w, axis=1)
        np.testing.assert_allclose(norm_d, norm_w, rtol=1e-12)
        # a random direction, not the weights rescaled
        cos = (rows_d * rows_w).sum(axis=1) / (norm_d * norm_w)
        assert np.all(np.abs(cos) < 0.9)
    again = filter_normalized_direction(weights, Generator(3))
    assert all(np.array_equal(a, b) for a, b in zip(d, again))   # seeded


def test_pca_directions_are_orthonormal_and_explain_what_numpys_svd_says():
    rng = np.random.default_rng(1)
    # a trajectory-like matrix: 25 points in 400 dimensions near a plane, plus noise
    t = np.linspace(0, 1, 25)[:, None]
    m = t * rng.normal(size=400) + np.sin(3 * t) * rng.normal(size=400) + 0.05 * rng.normal(size=(25, 400))
    m -= m[-1]   # differences to the final point
    d, shares = pca_directions(m)
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-10)
    centred = m - m.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(shares, s[:2] ** 2 / (s ** 2).sum(), rtol=1e-9)
    # the same axes, up to sign
    np.testing.assert_allclose(np.abs(np.sum(d * vt[:2], axis=1)), 1.0, rtol=1e-9)
    assert explained_share(m, d) == pytest.approx(shares.sum(), rel=1e-9)
    # projecting onto non-orthogonal directions is least squares: a point in their plane comes back exactly
    skew = np.stack([d[0], d[0] + 0.3 * d[1]])
    np.testing.assert_allclose(project(np.array([[2.0, -1.0]]) @ skew, skew), [[2.0, -1.0]], atol=1e-10)


def test_pca_of_a_straight_line_is_refused_on_one_line():
    m = np.outer(np.linspace(-1, 0, 10), np.ones(50))
    with pytest.raises(ConfigError, match="--directions pca needs trajectories that span 2 dimensions"):
        pca_directions(m)


def _trained_reference_loss(cfg: NetLandscapeConfig) -> float:
    """The first optimizer trained again, independently, and its loss on the evaluation subset."""
    rc = run_config(cfg, cfg.optimizers[0])
    data = build_data(rc)
    trainer, _, (train, val, _) = build_run(rc, data=data, initial_state=initial_state(rc, data))
    trainer.fit(train, rc.epochs, val_loader=val)
    loader = DataLoader(Subset(data.train, range(cfg.eval_samples)), batch_size=cfg.eval_samples)
    return evaluate(trainer.model, loader, build_loss(data), ())["loss"]


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_surface_at_the_origin_is_the_trained_models_loss(directions):
    cfg = NetLandscapeConfig(train=TINY, optimizers=("adam", "sgd"), lr={"sgd": 0.1}, directions=directions,
                             grid=5, range=(-1, 1), eval_samples=200)
    result = cfg.run()
    assert result.loss.shape == (5, 5) and result.alphas[2] == 0 and result.betas[2] == 0
    expected = _trained_reference_loss(cfg)
    assert result.loss[2, 2] == pytest.approx(expected, rel=1e-5)
    assert result.center_loss == pytest.approx(expected, rel=1e-5)
    assert result.trajectories[0].final_loss == pytest.approx(expected, rel=1e-5)
    # the first optimizer's end is θ*, the plane's origin
    np.testing.assert_allclose(result.trajectories[0].coords[-1], [0.0, 0.0], atol=1e-12)
    # away from the trained weights the loss rises somewhere on the window
    assert result.loss.max() > expected
    assert 0.0 <= result.explained <= 1.0
    if directions == "pca":
        assert result.explained == pytest.approx(sum(result.component_shares))
        assert result.explained > 0.5   # two optimizers' short paths lie close to a plane
    else:
        assert result.component_shares == []


def test_pca_window_holds_every_trajectory_by_default():
    result = NetLandscapeConfig(train=TINY, optimizers=("adam", "momentum"), grid=3, eval_samples=50).run()
    for t in result.trajectories:
        assert result.alphas[0] < t.coords[:, 0].min() and t.coords[:, 0].max() < result.alphas[-1]
        assert result.betas[0] < t.coords[:, 1].min() and t.coords[:, 1].max() < result.betas[-1]
        assert t.steps[0] == 0 and t.steps[-1] == 2 * 8   # 240 samples, batch 32: 8 steps per epoch
    # the figures for a report: axes that say what the directions are, a colour bar, every trajectory
    contour, surface = result.plot()
    ax, bar = contour.axes
    assert ax.get_xlabel().startswith("PC1 (") and "% of variance)" in ax.get_ylabel()
    assert bar.get_ylabel().startswith("loss")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == [f"{t.label}: {t.explained:.0%} of its variance in the plane"
                          for t in result.trajectories]
    assert surface.axes[0].get_zlabel() in ("loss", "log₁₀ loss") and len(surface.axes) == 2
    assert all(f.get_size_inches()[0] <= 7.5 for f in (contour, surface))


def test_command_line_with_a_user_model_writes_the_figures_grid_and_report(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["landscape", "--model", f"{USER}:tiny_net", "--data", f"{USER}:blobs", "--epochs", "2",
                 "--optimizers", "adam,sgd", "--lr", "sgd=0.1", "--grid", "7", "--eval-samples", "100",
                 "--record-every", "2", "--format", "png,svg", "--out", str(out)])
    assert code == 0
    files = ["contour.png", "contour.svg", "report.md", "results.json", "surface.png", "surface.svg"]
    assert sorted(p.name for p in out.iterdir()) == files
    res = json.loads((out / "results.json").read_text())
    assert len(res["alphas"]) == 7 and np.array(res["loss"]).shape == (7, 7)
    assert res["trajectories"][0]["steps"] == [0, 2, 4, 6, 8]   # 240 samples, batch 64: 4 steps an epoch
    assert res["config"]["train"]["model"] == f"{USER}:tiny_net"
    report = (out / "report.md").read_text()
    assert f"{res['explained_variance']:.1%} together" in report
    assert "the plane explains" in capsys.readouterr().out


def test_command_line_and_python_defaults_agree():
    from gradstep.cli import landscape as cli
    from gradstep.cli.common import make_parser

    parser = make_parser("gradstep")
    cli.add_parser(parser.add_subparsers(dest="command"))
    assert cli.config_from(parser.parse_args(["landscape", "--model", "mlp"])) == NetLandscapeConfig()


@pytest.mark.parametrize("args, words", [
    (["--model", "nope"], "--model 'nope': allowed is one of mlp, linear, cnn"),
    (["--model", "mlp", "--grid", "0"], "--grid 0: allowed is an integer in [2, 401]"),
    (["--model", "mlp", "--range", "-1,nan"], "--range '-1,nan': allowed is A,B"),
    (["--model", "mlp", "--range", "0,inf,0,1"], "--range '0,inf,0,1': allowed is A,B"),
    (["--model", "mlp", "--range", "1,-1"], "--range '1,-1': allowed is A,B"),
    (["--model", "mlp", "--eval-samples", "0"], "--eval-samples 0: allowed is an integer >= 1"),
    (["--model", "mlp", "--steps", "9"], "--steps applies to a 2-D test function"),
    (["--grid", "9"], "--grid applies to a network's landscape: add --model"),
    (["--model", "mlp", "--lr", "adam=0"], "--lr 'adam=0.0': allowed is a positive number"),
    (["--model", "mlp", "--opt-arg", "adam.nope=1"], "adam: Adam has no argument nope"),
    (["--model", "mlp", "--format", "gif"], "--format"),
])
def test_bad_arguments_exit_2_with_one_line(args, words, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["landscape", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err
    assert not out.exists()


LINREG = TrainConfig(dataset="linreg", batch_size=10, epochs=1, quiet=True)   # seed 004: lr 5 diverges


def test_a_diverged_run_is_drawn_but_neither_centres_nor_fits_the_plane():
    result = NetLandscapeConfig(train=LINREG, optimizers=("sgd", "adam"), lr={"sgd": 5.0}, grid=3,
                                eval_samples=50).run()
    sgd, adam = result.trajectories
    assert sgd.diverged and not adam.diverged and result.reference == "adam"
    np.testing.assert_allclose(adam.coords[-1], [0.0, 0.0], atol=1e-12)
    assert np.all(np.isfinite(result.loss))   # the window is adam's, not the diverged run's
    assert abs(result.alphas).max() < 1.0
    assert "`sgd` diverged and is left out of the plane's fit" in result.report()


def test_every_optimizer_diverging_exits_3_with_one_line(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["landscape", "--model", "linear", "--dataset", "linreg", "--batch-size", "10",
                 "--epochs", "1", "--optimizers", "sgd", "--lr", "5", "--out", str(out)]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "every optimizer diverged (sgd)" in err, err
    assert not out.exists()


def test_an_overall_bar_over_the_runs_and_the_grid_on_a_terminal(monkeypatch):
    class Terminal(__import__("io").StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    loud = dataclasses.replace(TINY, quiet=False)
    NetLandscapeConfig(train=loud, optimizers=("adam", "momentum"), grid=3, eval_samples=50).run()
    shown = term.getvalue()
    assert "landscape" in shown and "3/3" in shown and "grid" in shown
    term.truncate(0)
    NetLandscapeConfig(train=TINY, optimizers=("adam", "momentum"), grid=3, eval_samples=50).run()
    assert term.getvalue() == ""
