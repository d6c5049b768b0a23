"""The Solver gives, on fixed seeds, exactly the numbers it gave before it became a layer over the
Trainer (``data/solver_fixed_seed.json``, written by the code of that time with ``python -m
tests.train.test_solver_fixed_seed``): every loss, accuracy and best parameter, bit for bit, for
both model styles, every update rule, lr decay and both ways of sampling batches."""

from __future__ import annotations

import hashlib
import json
import pathlib

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.data.datasets import get_dataset
from gradstep.models import FullyConnectedNet, TwoLayerNet
from gradstep.train import Solver

PATH = pathlib.Path(__file__).parent / "data" / "solver_fixed_seed.json"

MODELS = {
    "two_layer": lambda: TwoLayerNet(input_dim=784, hidden_dim=20, num_classes=10, weight_scale=1e-2),
    "fc_batchnorm_dropout": lambda: FullyConnectedNet([20, 16], input_dim=784, num_classes=10, dropout=0.2,
                                                      normalization="batchnorm", reg=1e-3, seed=5,
                                                      weight_scale=5e-2, dtype=np.float32),
    "module_batchnorm": lambda: nn.Sequential(nn.Linear(784, 20), nn.BatchNorm1d(20), nn.ReLU(),
                                              nn.Linear(20, 10)),
}

# (model, update rule, learning rate, lr_decay, sample_with_replacement, num_val_samples)
RUNS = [
    ("two_layer", "sgd", 1e-1, 0.9, True, None),
    ("two_layer", "sgd_momentum", 1e-2, 0.8, False, 50),
    ("two_layer", "rmsprop", 1e-3, 1.0, True, None),
    ("two_layer", "adam", 1e-3, 0.95, False, None),
    ("fc_batchnorm_dropout", "adam", None, 0.9, True, 70),  # the rule's default learning rate
    ("module_batchnorm", "sgd_momentum", 1e-2, 0.7, True, None),
    ("module_batchnorm", "adam", 1e-3, 1.0, False, 60),
]


def _data() -> dict:
    ds = get_dataset("fashion-mnist-sample")
    X = (np.asarray(ds.data[:300]).reshape(300, -1).astype(np.float32) / np.float32(255) - np.float32(0.3))
    y = np.asarray(ds.targets[:300], dtype=np.int64)
    return {"X_train": X[:200], "y_train": y[:200], "X_val": X[200:], "y_val": y[200:]}


def _digest(arrays: dict) -> dict:
    return {k: [str(v.dtype), list(v.shape), hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()]
            for k, v in sorted(arrays.items())}


def run(case: tuple, data: dict) -> dict:
    kind, rule, lr, decay, replace, n_val = case
    gs.manual_seed(11)
    model = MODELS[kind]()
    config = {} if lr is None else {"learning_rate": lr}
    solver = Solver(model, data, update_rule=rule, optim_config=config, lr_decay=decay, batch_size=32,
                    num_epochs=3, num_train_samples=100, num_val_samples=n_val, verbose=False,
                    sample_with_replacement=replace)
    solver.train()
    final = ({k: p.detach().numpy() for k, p in model.named_parameters()} if isinstance(model, nn.Module)
             else model.params)
    return json.loads(json.dumps({
        "loss_history": solver.loss_history, "train_acc_history": solver.train_acc_history,
        "val_acc_history": solver.val_acc_history, "best_val_acc": solver.best_val_acc,
        "best_params": _digest(solver.best_params), "final_params": _digest(final),
        "next_random": gs.random.rng().integers(1 << 30)}, default=int))


@pytest.fixture(scope="module")
def data() -> dict:
    return _data()


@pytest.mark.parametrize("case", RUNS, ids=lambda c: f"{c[0]}-{c[1]}")
def test_identical_to_the_solver_before_the_trainer(case, data):
    assert run(case, data) == json.loads(PATH.read_text())["-".join(map(str, case))]


if __name__ == "__main__":  # writes the expected numbers: run only with the code they pin down
    d = _data()
    PATH.write_text(json.dumps({"-".join(map(str, c)): run(c, d) for c in RUNS}, indent=1) + "\n")
