"""The start-point curvature of sweep: seed 004's sharpness against its exact Hessian, the noise
scale against per-example gradients, and what the report and heatmap say."""

import numpy as np
import pytest

from gradstep.data import DataLoader
from gradstep.explore import TrainConfig
from gradstep.explore.builders import build_data, build_loss, build_model
from gradstep.explore.run import initial_state
from gradstep.explore.stability import start_curvature
from gradstep.explore.sweep import SweepConfig, sweep
from gradstep.explore.sweep_plots import threshold_row


def _seed004(seed: int):
    cfg = TrainConfig(dataset="linreg", optimizer="sgd", seed=seed)
    data = build_data(cfg)
    model = build_model(cfg, data)
    state = initial_state(cfg, data)
    model.load_state_dict(state)
    x, y = next(iter(DataLoader(data.train, batch_size=len(data.train))))
    a = np.hstack([x.numpy().astype(np.float64), np.ones((len(x), 1))])
    theta = np.concatenate([state["0.weight"].ravel(), state["0.bias"]]).astype(np.float64)
    return model, build_loss(data), data, a, y.numpy().astype(np.float64).reshape(-1), theta


def test_sharpness_of_seed004_matches_eigvalsh_of_its_exact_hessian():
    model, loss, data, a, _, _ = _seed004(0)
    start = start_curvature(model, loss, data.train)
    exact = np.linalg.eigvalsh(a.T @ a / len(a))[-1]   # L2Loss: mean (a.theta - y)^2 / 2
    np.testing.assert_allclose(start.sharpness, exact, rtol=1e-6)
    assert start.threshold == pytest.approx(2 / exact, rel=1e-6) and start.samples == len(a)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_scale_of_linear_regression_agrees_with_per_example_gradients(seed):
    model, loss, data, a, y, theta = _seed004(seed)
    g = a * (a @ theta - y)[:, None]            # per-example gradients of (a.theta - y)^2 / 2
    mean = g.mean(axis=0)
    exact = ((g - mean) ** 2).sum(axis=1).mean() / (mean @ mean)
    noise = start_curvature(model, loss, data.train, seed=seed).noise
    assert noise.b_simple == pytest.approx(exact, rel=0.15)
    assert noise.small == 8 and noise.big == len(a) and noise.batches == len(a) // 8


def test_threshold_row_interpolates_on_a_log_scale():
    assert threshold_row([0.002, 0.2, 5], 1.0) == pytest.approx(1 + np.log(5) / np.log(25))
    assert threshold_row([0.1, 0.2], 0.01) == -0.5 and threshold_row([0.1, 0.2], 3) == 1.5
    assert threshold_row([0.2, 0.1], 0.15) is None


def test_seed004_sweep_says_why_lr_5_diverges(tmp_path):
    r = sweep(TrainConfig(dataset="linreg", optimizer="sgd", epochs=1, quiet=True), lrs=[0.2, 5],
              batch_sizes=[10, 1000], out=tmp_path)
    report = (tmp_path / "report.md").read_text()
    thr = r.start.threshold
    assert 0.999 < thr < 5 and f"2/λ_max = **{thr:.4g}**" in report
    assert "- lr 5: above the threshold" in report and "- lr 0.2: below the threshold" in report
    assert f"B_simple = tr(Σ)/|G|² ≈ **{r.start.noise.b_simple:.3g}**" in report
    assert "- batch 10: steps ×" in report and "- batch 1000: steps ×" in report
    import json
    start = json.loads((tmp_path / "results.json").read_text())["start"]
    assert start["stability_threshold"] == pytest.approx(thr) and start["noise_scale"]["big"] == 1000


def test_no_curvature_leaves_it_out():
    r = SweepConfig(TrainConfig(dataset="linreg", optimizer="sgd", epochs=1, quiet=True), (0.2,), (10,),
                    curvature=False).run()
    assert r.start is None and "Curvature at the start" not in r.report()
