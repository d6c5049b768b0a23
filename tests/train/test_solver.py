"""cs231n's Solver (seed 001): training, best-parameter restore, update rules, lr decay, histories,
output, safetensors checkpoints, reproducibility, sampling and argument errors."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.data.datasets import get_dataset
from gradstep.models import TwoLayerNet
from gradstep.optim import cs231n
from gradstep.train import Solver
from gradstep.train.solver import UPDATE_RULES
from gradstep.train.trainer import CHECKPOINT_FORMAT

N_TRAIN, N_VAL, HIDDEN = 400, 200, 50

# rule -> (a learning rate that learns the sample in a few epochs, the state the rule keeps)
RULES = {
    "sgd": (1e-1, ()),
    "sgd_momentum": (1e-2, ("velocity",)),
    "rmsprop": (1e-3, ("cache",)),
    "adam": (1e-3, ("m", "v", "t")),
}

# model kind -> a factory for seed 001's TwoLayerNet or the equivalent gradstep module
MODELS = {
    "cs231n": lambda: TwoLayerNet(input_dim=784, hidden_dim=HIDDEN, num_classes=10, weight_scale=1e-2),
    "module": lambda: nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10)),
}


@pytest.fixture(scope="module")
def data() -> dict:
    """A few hundred Fashion-MNIST sample images, flattened and standardised, split train/val."""
    ds = get_dataset("fashion-mnist-sample")
    n = N_TRAIN + N_VAL
    X = ds.data.numpy()[:n].reshape(n, -1).astype(np.float32) / np.float32(255)
    X = ((X - X.mean(axis=0)) / (X.std(axis=0) + np.float32(1e-3))).astype(np.float32)
    y = np.asarray(ds.targets[:n], dtype=np.int64)
    return {"X_train": X[:N_TRAIN], "y_train": y[:N_TRAIN], "X_val": X[N_TRAIN:], "y_val": y[N_TRAIN:]}


def params_of(model) -> dict[str, np.ndarray]:
    """The model's current parameters: cs231n's params dict, or the module's named parameters."""
    if isinstance(model, nn.Module):
        return {name: p.detach().numpy() for name, p in model.named_parameters()}
    return model.params


def make_solver(model, data, **kwargs) -> Solver:
    kwargs.setdefault("update_rule", "sgd")
    if "optim_config" not in kwargs:
        kwargs["optim_config"] = {"learning_rate": RULES[kwargs["update_rule"]][0]}
    kwargs.setdefault("batch_size", 50)
    kwargs.setdefault("num_epochs", 3)
    kwargs.setdefault("verbose", False)
    return Solver(model, data, **kwargs)


# ---------------------------------------------------------------------- training

@pytest.mark.parametrize("kind", MODELS)
def test_learns_the_sample(kind, data):
    solver = make_solver(MODELS[kind](), data, num_epochs=5)
    solver.train()
    assert solver.best_val_acc > 0.5  # ten classes: chance is 0.1
    assert np.mean(solver.loss_history[-8:]) < 0.5 * np.mean(solver.loss_history[:8])


@pytest.mark.parametrize("kind", MODELS)
def test_train_restores_the_best_params(kind, data):
    # the learning rate grows by 80% every epoch, so the last epoch is worse than the best one
    model = MODELS[kind]()
    solver = make_solver(model, data, optim_config={"learning_rate": 5e-2}, lr_decay=1.8, num_epochs=5)
    if kind == "module":
        parameters = list(model.parameters())
    solver.train()
    assert solver.val_acc_history[-1] < solver.best_val_acc, "the setup must make restoring matter"
    assert solver.best_val_acc == max(solver.val_acc_history)

    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc
    params = params_of(model)
    assert params.keys() == solver.best_params.keys()
    for name, value in params.items():
        assert value.dtype == solver.best_params[name].dtype == np.float32
        np.testing.assert_array_equal(value, solver.best_params[name], strict=True)
        assert not np.shares_memory(value, solver.best_params[name])  # best_params stays a snapshot
    if kind == "module":
        assert list(model.parameters()) == parameters  # the same Parameter objects, updated in place


@pytest.mark.parametrize("rule", RULES)
def test_every_update_rule_trains(rule, data):
    lr, state = RULES[rule]
    solver = make_solver(MODELS["cs231n"](), data, update_rule=rule, optim_config={"learning_rate": lr})
    solver.train()
    assert solver.update_rule is getattr(cs231n, rule)
    assert solver.best_val_acc > 0.4
    assert np.mean(solver.loss_history[-8:]) < np.mean(solver.loss_history[:8])
    for name, config in solver.optim_configs.items():
        for key in state:
            assert key in config, f"{rule} keeps no {key!r} for {name}"


def test_the_rule_table_is_cs231ns():
    assert set(UPDATE_RULES) == set(RULES)
    assert all(UPDATE_RULES[name] is getattr(cs231n, name) for name in RULES)


def test_lr_decay_is_applied_per_epoch_to_every_parameter(data):
    seen = []  # (iteration, parameter shape, learning rate) of every call of the rule

    def recording_sgd(w, dw, config):  # four parameters: four calls an iteration
        seen.append((len(seen) // 4, w.shape, config["learning_rate"]))
        return cs231n.sgd(w, dw, config)

    lr, decay, epochs, per_epoch = 0.1, 0.5, 3, N_TRAIN // 50
    solver = make_solver(MODELS["cs231n"](), data, update_rule=recording_sgd,
                         optim_config={"learning_rate": lr}, lr_decay=decay, num_epochs=epochs)
    solver.train()
    assert len(seen) == 4 * epochs * per_epoch  # W1, b1, W2, b2 at every iteration
    expected = [lr]
    for _ in range(epochs):
        expected.append(expected[-1] * decay)
    for t, _, rate in seen:
        assert rate == expected[t // per_epoch]
    assert all(config["learning_rate"] == expected[-1] for config in solver.optim_configs.values())
    assert solver.optim_config == {"learning_rate": lr}  # the user's dict is copied, not decayed


def test_each_parameter_gets_its_own_config(data):
    config = {"learning_rate": 1e-3}
    solver = make_solver(MODELS["cs231n"](), data, update_rule="adam", optim_config=config, num_epochs=1)
    solver.train()
    assert config == {"learning_rate": 1e-3}
    ms = [c["m"] for c in solver.optim_configs.values()]
    assert len({id(m) for m in ms}) == 4
    assert [m.shape for m in ms] == [p.shape for p in solver.model.params.values()]


# ---------------------------------------------------------------------- book-keeping

@pytest.mark.parametrize("batch_size, epochs", [(50, 3), (60, 2), (1000, 2)])
def test_history_lengths(batch_size, epochs, data):
    solver = make_solver(MODELS["cs231n"](), data, batch_size=batch_size, num_epochs=epochs)
    solver.train()
    per_epoch = max(N_TRAIN // batch_size, 1)
    assert len(solver.loss_history) == epochs * per_epoch
    # a check after the first iteration, then one after every epoch (the same check when an epoch
    # is one iteration long)
    checks = epochs + (per_epoch > 1)
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == checks
    assert solver.epoch == epochs
    assert all(isinstance(v, float) for v in solver.loss_history + solver.val_acc_history)


def test_print_every_and_verbose(data, capsys):
    solver = make_solver(MODELS["cs231n"](), data, num_epochs=2, print_every=5, verbose=True)
    solver.train()
    lines = capsys.readouterr().out.splitlines()
    iterations = [line for line in lines if line.startswith("(Iteration")]
    epochs = [line for line in lines if line.startswith("(Epoch")]
    assert [line.split(")")[0] for line in iterations] == [f"(Iteration {t} / 16" for t in (1, 6, 11, 16)]
    assert iterations[0] == f"(Iteration 1 / 16) loss: {solver.loss_history[0]:f}"
    assert [line.split(")")[0] for line in epochs] == ["(Epoch 0 / 2", "(Epoch 1 / 2", "(Epoch 2 / 2"]
    assert epochs[-1].endswith(f"val_acc: {solver.val_acc_history[-1]:f}")

    make_solver(MODELS["cs231n"](), data, num_epochs=2, print_every=5, verbose=False).train()
    assert capsys.readouterr().out == ""


def test_check_accuracy_subsamples(data):
    solver = make_solver(MODELS["cs231n"](), data)
    full = solver.check_accuracy(data["X_val"], data["y_val"], batch_size=64)
    assert full == solver.check_accuracy(data["X_val"], data["y_val"], batch_size=200)
    assert full == np.mean(np.argmax(solver.model.loss(data["X_val"]), axis=1) == data["y_val"])
    part = solver.check_accuracy(data["X_val"], data["y_val"], num_samples=7)
    assert part * 7 == pytest.approx(round(part * 7))  # a fraction of 7 samples


# ---------------------------------------------------------------------- checkpoints

def read_safetensors_layout(path) -> tuple[dict, int]:
    """The header of a safetensors file, after checking that header and tensors fill it exactly."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    spans = sorted(tuple(v["data_offsets"]) for k, v in header.items() if k != "__metadata__")
    end = 0
    for begin, stop in spans:  # contiguous, non-overlapping, nothing between or after them
        assert begin == end
        end = stop
    assert 8 + n + end == len(blob)
    return header, len(blob)


def test_checkpoints_are_the_trainers_safetensors_without_pickle(data, tmp_path):
    from safetensors.numpy import load_file

    name = tmp_path / "run"
    solver = make_solver(MODELS["cs231n"](), data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                         num_epochs=2, checkpoint_name=str(name))
    solver.train()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"run_epoch_{e}.safetensors" for e in range(3)]

    path = tmp_path / "run_epoch_2.safetensors"
    header, _ = read_safetensors_layout(path)  # no byte left over for anything else, a pickle say
    assert all(v["dtype"] in ("F32", "F64", "I64") for k, v in header.items() if k != "__metadata__")
    tensors = load_file(str(path))
    assert {"model/W1", "model/b2", "optimizer/state/0/m", "optimizer/state/0/v"} <= set(tensors)

    ckpt = gs.load(path)
    assert ckpt["format"] == CHECKPOINT_FORMAT and ckpt["trainer"]["epoch"] == 2
    log = ckpt["callbacks"]["SolverLog"]
    assert log["epoch"] == 2 and log["update_rule"] == "adam" and log["lr_decay"] == 1.0
    assert log["batch_size"] == 50 and log["num_train_samples"] == 1000 and log["num_val_samples"] is None
    assert log["loss_history"] == solver.loss_history
    assert log["val_acc_history"] == solver.val_acc_history
    assert log["train_acc_history"] == solver.train_acc_history
    assert log["best_val_acc"] == solver.best_val_acc
    assert ckpt["optimizer"]["state"][0]["t"] == 2 * (N_TRAIN // 50)
    assert ckpt["model"]["W1"].shape == (784, HIDDEN)

    # the Trainer reads it back into a fresh Solver: weights, rule state, book-keeping
    fresh = make_solver(MODELS["cs231n"](), data, update_rule="adam", optim_config={"learning_rate": 1e-3})
    fresh.trainer.load_checkpoint(path)
    assert fresh.loss_history == solver.loss_history and fresh.epoch == 2
    for k in fresh.model.params:  # model.params shows the Parameters the checkpoint was loaded into
        np.testing.assert_array_equal(fresh.model.params[k], ckpt["model"][k].numpy())
        np.testing.assert_array_equal(fresh.best_params[k], solver.best_params[k])
        np.testing.assert_array_equal(fresh.optim_configs[k]["m"], solver.optim_configs[k]["m"])


def test_checkpoint_of_a_module(data, tmp_path):
    solver = make_solver(MODELS["module"](), data, num_epochs=1, checkpoint_name=str(tmp_path / "m"))
    solver.train()
    ckpt = gs.load(tmp_path / "m_epoch_1.safetensors")
    assert set(ckpt["model"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert set(ckpt["callbacks"]["SolverLog"]["best_params"]) == set(ckpt["model"])


def test_a_non_finite_state_is_not_written(data, tmp_path):
    solver = make_solver(MODELS["cs231n"](), data, optim_config={"learning_rate": 1e30}, num_epochs=1,
                         checkpoint_name=str(tmp_path / "nan"))
    with pytest.warns(UserWarning, match=r"nan_epoch_1.safetensors not written: .*(NaN|inf)"):
        solver.train()
    assert not np.isfinite(solver.loss_history[-1])
    assert not (tmp_path / "nan_epoch_1.safetensors").exists()


# ---------------------------------------------------------------------- randomness

def run_once(seed: int, data, **kwargs) -> Solver:
    gs.manual_seed(seed)
    solver = make_solver(MODELS["cs231n"](), data, **kwargs)
    solver.train()
    return solver


@pytest.mark.parametrize("with_replacement", [True, False])
def test_manual_seed_reproduces_a_run(with_replacement, data):
    state = np.random.get_state()[1].copy()
    a = run_once(1, data, sample_with_replacement=with_replacement, num_train_samples=100)
    b = run_once(1, data, sample_with_replacement=with_replacement, num_train_samples=100)
    c = run_once(2, data, sample_with_replacement=with_replacement, num_train_samples=100)
    assert a.loss_history == b.loss_history != c.loss_history
    assert a.train_acc_history == b.train_acc_history
    for k in a.best_params:
        np.testing.assert_array_equal(a.model.params[k], b.model.params[k], strict=True)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # NumPy's global stream untouched


class RecordingModel:
    """A cs231n-style model whose only feature is the sample's index; it records every batch."""

    def __init__(self):
        self.params = {"w": np.zeros(1, dtype=np.float32)}
        self.batches: list[np.ndarray] = []

    def loss(self, X, y=None):
        if y is None:
            return np.zeros((len(X), 2), dtype=np.float32)
        self.batches.append(X[:, 0].astype(np.int64))
        return 0.0, {"w": np.zeros(1, dtype=np.float32)}


def index_data(n: int) -> dict:
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.zeros(n, dtype=np.int64)
    return {"X_train": X, "y_train": y, "X_val": X[:10], "y_val": y[:10]}


def test_batches_are_drawn_with_replacement_from_gradsteps_stream():
    model = RecordingModel()
    gs.manual_seed(3)
    Solver(model, index_data(50), batch_size=20, num_epochs=2, num_train_samples=None, verbose=False).train()
    gs.manual_seed(3)
    expected = [gs.random.rng().choice(50, 20)]
    expected.append(gs.random.rng().choice(50, 20))
    np.testing.assert_array_equal(model.batches[:2], expected)
    assert any(len(np.unique(b)) < 20 for b in model.batches)  # some sample drawn twice in a batch


def test_without_replacement_every_epoch_is_a_shuffle():
    model = RecordingModel()
    Solver(model, index_data(50), batch_size=20, num_epochs=3, sample_with_replacement=False,
           verbose=False).train()
    assert len(model.batches) == 3 * 2  # 50 // 20 batches per epoch; the remaining 10 are left out
    epochs = [np.concatenate(model.batches[i:i + 2]) for i in range(0, 6, 2)]
    for seen in epochs:
        assert len(np.unique(seen)) == 40
    assert not all(np.array_equal(epochs[0], e) for e in epochs[1:])


# ---------------------------------------------------------------------- errors

def test_unknown_keyword_arguments_are_named(data):
    with pytest.raises(ValueError, match='Unrecognized arguments "lr", "epochs"'):
        Solver(MODELS["cs231n"](), data, lr=1e-3, epochs=3)


def test_unknown_update_rule_names_the_known_ones(data):
    with pytest.raises(ValueError, match='Invalid update_rule "adagrad"; known rules: sgd, sgd_momentum, '
                                         'rmsprop, adam'):
        Solver(MODELS["cs231n"](), data, update_rule="adagrad")
    with pytest.raises(TypeError, match="update_rule must be a rule name or a callable"):
        Solver(MODELS["cs231n"](), data, update_rule=3)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"num_epochs": -1}, "num_epochs must be an integer >= 0, got -1"),
    ({"print_every": 2.5}, "print_every must be an integer >= 1, got 2.5"),
    ({"num_val_samples": 0}, "num_val_samples must be an integer >= 1, got 0"),
    ({"lr_decay": -0.5}, "lr_decay must be a positive number, got -0.5"),
])
def test_bad_numbers_are_named(kwargs, message, data):
    with pytest.raises(ValueError, match=message):
        Solver(MODELS["cs231n"](), data, **kwargs)


def test_bad_data_and_model(data):
    with pytest.raises(ValueError, match="data is missing X_val, y_val"):
        Solver(MODELS["cs231n"](), {"X_train": data["X_train"], "y_train": data["y_train"]})
    bad = dict(data, y_train=data["y_train"][:-1])
    with pytest.raises(ValueError, match=r"X_train has shape \(400, 784\) and y_train shape \(399,\)"):
        Solver(MODELS["cs231n"](), bad)
    with pytest.raises(TypeError, match="cs231n-style model with a `params` dict"):
        Solver(object(), data)
