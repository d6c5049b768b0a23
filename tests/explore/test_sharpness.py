"""Sharpness against the stability threshold: ``TrainingDynamics(sharpness_every=N)`` and
``gradstep train --sharpness-every``, and the non-finite guard's diagnosis of a divergence."""

import json

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.cli import main
from gradstep.explore.curvature import LossHessian
from gradstep.explore.dynamics import TrainingDynamics
from gradstep.explore.sharpness import diagnose_divergence, sharpness, threshold
from gradstep.train import Callback, NonFiniteGuard


def _linreg(n=40):
    gs.manual_seed(0)
    X = gs.randn(n, 3) * gs.tensor([1.0, 2.0, 0.5])
    y = X @ gs.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return X, y


def _linreg_hessian(X) -> np.ndarray:
    """MSE of a linear model, parameters (w1, w2, w3, b): H = 2/n [X 1]^T [X 1], exactly."""
    a = np.hstack([X.numpy().astype(np.float64), np.ones((X.shape[0], 1))])
    return 2 / a.shape[0] * a.T @ a


def _trainer(model, opt, X, y, callbacks, batch_size=None):
    loader = gs.data.DataLoader(gs.data.TensorDataset(X, y), batch_size=batch_size or X.shape[0])
    return gs.train.Trainer(model, opt, nn.MSELoss(), metrics=(), callbacks=callbacks, verbose=0), loader


def test_sharpness_of_linear_regression_is_the_exact_hessians_top_eigenvalue():
    X, y = _linreg()
    exact = np.linalg.eigvalsh(_linreg_hessian(X))[-1]
    model = nn.Linear(3, 1)
    dyn = TrainingDynamics(sharpness_every=2)
    trainer, loader = _trainer(model, optim.SGD(model.parameters(), lr=0.05), X, y, [dyn])
    trainer.fit(loader, epochs=7)   # full batch: one step per epoch
    s = dyn.to_dict()["sharpness"]
    assert s["step"] == [1, 3, 5, 7]
    np.testing.assert_allclose(s["sharpness"], exact, rtol=1e-5)   # the Hessian is constant
    assert s["threshold"] == [pytest.approx(2 / 0.05)] * 4 and set(s["threshold_text"]) == {"2/lr"}
    assert not any(s["preconditioned"])
    assert max(s["hvps"][1:]) <= 4   # warm-started from the last eigenvector: few products


class _DenseExpectation(Callback):
    """Before each step: eigvalsh of P^½ H P^½, with H formed densely and P the optimizer's step size."""

    def __init__(self):
        self.values = []

    def on_before_optimizer_step(self, trainer):
        h = LossHessian(trainer.model, trainer.loss_fn, trainer._batch)
        p = np.concatenate([trainer.optimizer.step_size(q).ravel() for q in h.params]).astype(np.float64)
        root = np.sqrt(p)
        self.values.append(np.linalg.eigvalsh(root[:, None] * h.dense() * root[None, :])[-1])


def test_adams_preconditioned_sharpness_equals_the_dense_one():
    gs.manual_seed(1)
    X = gs.randn(16, 2)
    y = gs.tanh(X @ gs.tensor([[1.5], [-1.0]]))
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))   # 13 parameters
    dense, dyn = _DenseExpectation(), TrainingDynamics(sharpness_every=1)
    opt = optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.99))
    trainer, loader = _trainer(model, opt, X, y, [dense, dyn])
    trainer.fit(loader, epochs=5)
    s = dyn.to_dict()["sharpness"]
    assert all(s["preconditioned"]) and len(s["sharpness"]) == 5
    np.testing.assert_allclose(s["sharpness"], dense.values, rtol=1e-4)
    assert s["threshold"][0] == pytest.approx((2 + 2 * 0.8) / (1 - 0.8))   # 18 for beta1 = 0.8


def test_thresholds_per_optimizer():
    p = [gs.zeros(2, requires_grad=True)]
    assert threshold(optim.SGD(p, lr=0.1, momentum=0.9))[:2] == (pytest.approx(38.0), "(2+2β)/lr")
    assert threshold(optim.SGD(p, lr=0.1, momentum=0.5, nesterov=True))[0] == pytest.approx(3 / (2 * 0.1))
    assert threshold(optim.RMSprop(p, lr=0.1)) == (2.0, "2", True)
    assert threshold(optim.Adagrad(p, lr=0.1)) == (2.0, "2", True)
    assert threshold(optim.Adam(p, lr=0.1))[0] == pytest.approx(38.0)
    # no per-element step size: nothing comparable, so no estimate is recorded at all
    for opt in (optim.Rprop(p, lr=0.1), optim.LBFGS(p, lr=0.1)):
        assert threshold(opt) is None
    X, y = _linreg(8)
    model = nn.Linear(3, 1)
    dyn = TrainingDynamics(sharpness_every=1)
    trainer, loader = _trainer(model, optim.Rprop(model.parameters(), lr=0.01), X, y, [dyn])
    trainer.fit(loader, epochs=2)
    assert "sharpness" not in dyn.to_dict() and dyn.to_dict()["steps"]
    assert sharpness(model, nn.MSELoss(), (X, y), optim.Rprop(model.parameters())) is None


def test_no_sharpness_without_sharpness_every():
    X, y = _linreg(8)
    model = nn.Linear(3, 1)
    dyn = TrainingDynamics()
    trainer, loader = _trainer(model, optim.SGD(model.parameters(), lr=0.05), X, y, [dyn])
    trainer.fit(loader, epochs=2)
    assert "sharpness" not in dyn.to_dict() and dyn.sharpness == []
    with pytest.raises(ValueError, match="sharpness_every"):
        TrainingDynamics(sharpness_every=0)


def test_the_guard_says_the_step_size_is_above_the_threshold():
    X, y = _linreg()
    exact = np.linalg.eigvalsh(_linreg_hessian(X))[-1]

    def run(lr, diagnose):
        model = nn.Linear(3, 1)
        trainer, loader = _trainer(model, optim.SGD(model.parameters(), lr=lr), X, y, [])
        guard = next(cb for cb in trainer.callbacks if isinstance(cb, NonFiniteGuard))
        guard.diagnose = diagnose
        trainer.fit(loader, epochs=500)
        msg = trainer.history.stopped_reason
        assert "became non-finite" in msg
        return msg

    # lr * lambda_max = 4: the loss overflows while the weights are still finite
    msg = run(0.5, diagnose_divergence)
    assert (f"; sharpness {exact:.4g} > 2/lr = 4: the step size is above the stability threshold. "
            f"The weights and buffers are those of the last finite step") in msg, msg
    assert "sharpness" not in run(0.5, None)   # a plain Trainer's guard has no diagnosis
    # lr * lambda_max = 40: the weights grow to ~1e19, finite though their squares overflow float32,
    # and the loss overflows first: they are the last finite step's, and the diagnosis applies
    msg = run(5.0, diagnose_divergence)
    assert "sharpness" in msg and "those of the last finite step" in msg, msg
    # lr = 1e38: the first update overflows the weights themselves; with no finite weights, nothing extra
    msg = run(1e38, diagnose_divergence)
    assert "no longer finite" in msg and "sharpness" not in msg, msg


def test_train_sharpness_every_writes_it_and_bad_values_exit_2(tmp_path, capsys):
    bad = ["train", "--dataset", "linreg", "--sharpness-every", "0", "--out", str(tmp_path / "bad")]
    assert main(bad) == 2
    assert "--sharpness-every 0: allowed is an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    assert main(["train", "--dataset", "linreg", "--optimizer", "sgd", "--lr", "0.1", "--max-steps", "9",
                 "--sharpness-every", "4", "--quiet", "--out", str(tmp_path / "r")]) == 0
    data = json.loads((tmp_path / "r" / "dynamics.json").read_text())
    assert data["sharpness"]["step"] == [1, 5, 9]
    assert all(0 < v < 20 for v in data["sharpness"]["sharpness"])
    assert data["sharpness"]["threshold"] == [pytest.approx(20.0)] * 3
    assert (tmp_path / "r" / "dynamics.png").exists()


@pytest.mark.parametrize("kwargs", [{}, {"momentum": 0.5}, {"momentum": 0.5, "nesterov": True},
                                    {"momentum": 0.5, "dampening": 0.5}])
def test_sgds_threshold_is_where_a_quadratic_turns_unstable(kwargs):
    """gradstep's own SGD on f(θ) = a θ² / 2: bounded for a just below the threshold, growing above."""
    def final(a):
        theta = gs.tensor([1.0], dtype=gs.float64, requires_grad=True)
        opt = optim.SGD([theta], lr=0.1, **kwargs)
        for _ in range(1500):
            opt.zero_grad()
            (0.5 * a * theta * theta).sum().backward()
            opt.step()
        return abs(theta.item())

    limit = threshold(optim.SGD([gs.zeros(1, requires_grad=True)], lr=0.1, **kwargs))[0]
    assert final(0.98 * limit) < 1 < final(1.02 * limit)
