"""``TrainingDynamics``: its effective step sizes are the factors the optimizers really applied,
its records come at the right steps, and ``gradstep train --dynamics`` writes its files."""

import json

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.cli import main
from gradstep.explore.dynamics import TrainingDynamics
from tests.cli.test_train_cli import _png_size, gradstep
from tests.optim.registry import STEP_SIZE_CASES, STEP_SIZE_IDS


@pytest.mark.parametrize("info,kwargs,direction", STEP_SIZE_CASES, ids=STEP_SIZE_IDS)
@pytest.mark.parametrize("flat", [True, False])
def test_step_size_is_the_factor_the_kernel_applies(info, kwargs, direction, flat):
    rng = np.random.default_rng(0)
    p = gs.tensor(rng.standard_normal((4, 3)), dtype=gs.float64, requires_grad=True)
    opt = getattr(optim, info.name)([p], flat=flat, **kwargs)
    for _ in range(8):
        g = rng.standard_normal((4, 3))
        p.grad = gs.tensor(g, dtype=gs.float64)
        before = p.detach().numpy().copy()
        size = opt.step_size(p)       # asked before the step: it changes nothing
        opt.step()
        d = direction(opt.state[p], opt.param_groups[0], g)
        np.testing.assert_allclose(p.detach().numpy() - before, -size * d, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("cls", [optim.NAdam, optim.Adadelta, optim.Adam])
def test_step_size_has_the_parameters_dtype_and_changes_no_state(cls):
    p = gs.ones(2, 2, requires_grad=True)
    opt = cls([p])
    p.grad = gs.tensor(np.full((2, 2), 0.5, dtype=np.float32))
    opt.step()
    state = {k: np.copy(v) for k, v in opt.state[p].items()}
    eff = opt.step_size(p)
    assert eff.shape == (2, 2) and eff.dtype == np.float32 and (eff > 0).all()
    assert all(np.array_equal(state[k], opt.state[p][k]) for k in state)


def test_optimizers_without_a_step_size_factor_say_none():
    p = gs.ones(3, requires_grad=True)
    p.grad = gs.tensor(np.ones(3, dtype=np.float32))
    for opt in (optim.Lion([p]), optim.Rprop([p]), optim.ASGD([p])):
        assert opt.step_size(p) is None
    q = gs.ones(3, requires_grad=True)            # no gradient yet: nothing to say
    assert optim.Adam([q]).step_size(q) is None


def _fit(dyn, epochs=2, optimizer=optim.Adam):
    gs.manual_seed(0)
    X = gs.randn(40, 3)
    y = X @ gs.tensor([[1.0], [-2.0], [0.5]])
    loader = gs.data.DataLoader(gs.data.TensorDataset(X, y), batch_size=8, shuffle=True)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    trainer = gs.train.Trainer(model, optimizer(model.parameters(), lr=0.01), nn.MSELoss(), metrics=(),
                               callbacks=[dyn], verbose=0)
    if epochs:  # epochs=0: a trainer built alike that has not trained, to load a state into
        trainer.fit(loader, epochs)
    return trainer


def test_records_at_the_first_step_and_every_epoch_end():
    dyn = TrainingDynamics()
    trainer = _fit(dyn, epochs=3)
    data = dyn.to_dict()
    assert data["steps"] == [1, 5, 10, 15]           # 40 samples / batch 8 = 5 steps per epoch
    assert data["epochs"] == [0.2, 1.0, 2.0, 3.0]
    assert list(data["layers"]) == [name for name, _ in trainer.model.named_parameters()]
    for layer in data["layers"].values():
        assert all(v > 0 for q in ("grad_norm", "weight_norm", "update_ratio") for v in layer[q])
        s = layer["step_size"]
        quantiles = zip(s["p5"], s["p25"], s["p50"], s["p75"], s["p95"])
        assert all(a <= b <= c <= d <= e for a, b, c, d, e in quantiles)


def test_every_n_steps_and_the_norms_agree_with_plain_sgd():
    dyn = TrainingDynamics(every_n_steps=3)
    _fit(dyn, epochs=2, optimizer=optim.SGD)
    data = dyn.to_dict()
    assert data["steps"] == [1, 4, 7, 10]
    for layer in data["layers"].values():
        # plain SGD's step size is its learning rate on every element
        assert all(v == pytest.approx(0.01) for q in layer["step_size"].values() for v in q)
        # plain SGD: Δθ = −lr g, so ‖Δθ‖ / ‖θ‖ · ‖θ‖ = lr ‖g‖
        np.testing.assert_allclose(np.multiply(layer["update_ratio"], layer["weight_norm"]),
                                   0.01 * np.array(layer["grad_norm"]), rtol=1e-5)
    with pytest.raises(ValueError, match="every_n_steps"):
        TrainingDynamics(every_n_steps=0)


def test_bad_dynamics_every_exits_2_before_writing(tmp_path, capsys):
    assert main(["train", "--dataset", "linreg", "--dynamics-every", "0", "--out", str(tmp_path / "r")]) == 2
    assert "--dynamics-every 0: allowed is an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_train_dynamics_writes_json_and_png(tmp_path):
    # spirals: 1080 training samples, 17 steps per epoch at batch 64
    r = gradstep("train", "--dataset", "spirals", "--epochs", "2", "--hidden", "16", "--dynamics-every", "10",
                 "--quiet", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "dynamics.json" in r.stdout and "dynamics.png" in r.stdout
    data = json.loads((tmp_path / "dynamics.json").read_text())
    assert data["steps"] == [1, 11, 21, 31]
    assert set(data["layers"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert "step_size" in data["layers"]["0.weight"]  # the default optimizer is Adam
    w, h = _png_size(tmp_path / "dynamics.png")
    assert 900 < w <= 1200 and h > 600  # a report's text width (7.5 in at 150 dpi), 2 x 2 panels


def test_dynamics_state_resumes_with_the_run():
    dyn = TrainingDynamics()
    state = _fit(dyn, epochs=1).state_dict()
    resumed = TrainingDynamics()
    trainer = _fit(TrainingDynamics(), epochs=0)
    trainer.callbacks[-1] = resumed
    trainer.load_state_dict(state)
    assert resumed.to_dict() == dyn.to_dict() and resumed.to_dict()["steps"] == [1, 5]


def test_every_optimizer_that_reports_a_step_size_has_step_size_cases_in_its_registry_row():
    reporting = {cls.__name__ for cls in optim.OPTIMIZERS.values()
                 if cls._step_size is not optim.Optimizer._step_size
                 and cls.__module__.startswith("gradstep.")}
    assert reporting == {info.name for info, _, _ in STEP_SIZE_CASES}
