"""Trainer: the loop, accumulation, the non-finite guard, callbacks, checkpoints and exact resume."""

import math

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, TensorDataset
from gradstep.serialization import CheckpointError
from gradstep.train import CSVLogger, EarlyStopping, History, LearningRateMonitor, ModelCheckpoint, Trainer


def _spirals(n=300, seed=0, dtype=np.float32):
    X, y = gs.data.datasets.make_spirals(n, 3, noise=0.1, generator=gs.Generator(seed))
    return TensorDataset(X.to(dtype), y)


def _mlp(dtype=gs.float32):
    gs.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3)).to(dtype)


def test_fit_learns_and_records_history():
    ds = _spirals()
    model = _mlp()
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=0.02), nn.CrossEntropyLoss(), verbose=0)
    loader = DataLoader(ds, batch_size=32, shuffle=True, generator=gs.Generator(1))
    hist = trainer.fit(loader, epochs=15, val_loader=DataLoader(ds, batch_size=100))
    assert len(hist) == 15 and len(hist.iteration_loss) == 15 * len(loader)
    assert hist["val_accuracy"][-1] > 0.8 > hist["val_accuracy"][0] - 0.3
    assert hist.epochs[-1]["train_loss"] < hist.epochs[0]["train_loss"]
    ev = trainer.evaluate(DataLoader(ds, batch_size=64))
    assert set(ev) == {"loss", "accuracy"} and math.isclose(ev["accuracy"], hist["val_accuracy"][-1])
    assert trainer.predict(DataLoader(ds, batch_size=64)).shape == (300, 3)
    assert model.training  # evaluate/predict restore the mode


def test_accumulated_gradients_equal_one_big_batch():
    ds = _spirals(64, dtype=np.float64)
    results = []
    for bs, acc in ((32, 1), (8, 4)):
        model = _mlp(gs.float64)
        trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                          metrics=(), accumulate_steps=acc, verbose=0)
        trainer.fit(DataLoader(ds, batch_size=bs), epochs=2)
        results.append([p.detach().numpy().copy() for p in model.parameters()])
        assert trainer.global_step == 4
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


class _SqrtModel(nn.Module):
    """Its output is sqrt(w) with w = 0: the loss is finite, the gradient of w is infinite."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(gs.zeros(1))

    def forward(self, x):
        return (x[:, :1] * 0 + self.w.sqrt()).expand(x.shape[0], 3) * 1.0


def test_guard_names_the_parameter_whose_gradient_is_nonfinite():
    model = _SqrtModel()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=0)
    trainer.fit(DataLoader(_spirals(32), batch_size=8), epochs=1)
    assert trainer.diverged and "gradient of parameter 'w'" in trainer.stop_reason
    assert trainer.global_step == 0 and model.w.item() == 0.0  # the bad step was not applied


class _TwoParams(nn.Module):
    """A finite loss whose second parameter's gradient is infinite (sqrt at 0)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(gs.ones(3))
        self.b = nn.Parameter(gs.zeros(1))

    def forward(self, x):
        return x[:, :1] * self.a + self.b.sqrt()


@pytest.mark.parametrize("flat", [True, False])
def test_guard_finds_the_nonfinite_gradient_among_several_flat_or_not(flat):
    model = _TwoParams()
    trainer = Trainer(model, optim.Adam(model.parameters(), flat=flat), nn.CrossEntropyLoss(), verbose=0)
    trainer.fit(DataLoader(_spirals(32), batch_size=8), epochs=1)
    assert trainer.diverged and "gradient of parameter 'b'" in trainer.stop_reason


def test_guard_blames_the_learning_rate_when_the_loss_grew():
    X = gs.randn(200, 2)
    y = X @ gs.tensor([[2.0], [-3.4]]) + 4.2
    model = nn.Linear(2, 1)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=5.0), nn.L2Loss(), metrics=(), verbose=0)
    hist = trainer.fit(DataLoader(TensorDataset(X, y), batch_size=10), epochs=3)
    assert trainer.diverged and "learning rate (lr=5) is the likely cause" in trainer.stop_reason
    assert hist.stopped_reason == trainer.stop_reason
    assert all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())


def test_early_stopping_restores_best_weights():
    ds = _spirals()
    model = _mlp()
    es = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    # a learning rate that makes progress and then thrashes
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=3.0), nn.CrossEntropyLoss(),
                      callbacks=[es], verbose=0)
    hist = trainer.fit(DataLoader(ds, batch_size=16), epochs=30, val_loader=DataLoader(ds, batch_size=300))
    assert trainer.stop_reason and "early stopping" in trainer.stop_reason
    assert len(hist) < 30
    best = min(hist["val_loss"])
    assert es.best == best
    assert math.isclose(trainer.evaluate(DataLoader(ds, batch_size=300))["loss"], best, rel_tol=1e-6)


def test_lr_monitor_csv_logger_and_scheduler_per_step(tmp_path):
    ds = _spirals(64)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    mon = LearningRateMonitor()
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, scheduler_interval="step",
                      callbacks=[mon, CSVLogger(tmp_path / "h.csv")], verbose=0)
    trainer.fit(DataLoader(ds, batch_size=16), epochs=2)
    lrs = [r[0] for r in mon.lrs]
    assert lrs == [0.1 * 0.5 ** (i // 3) for i in range(1, 9)]
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert len(lines) == 3 and "lr/group0" in lines[0] and "train_accuracy" in lines[0]


def test_lr_monitor_columns_are_saved_in_checkpoints_and_resumed(tmp_path):
    """The monitor's ``lr/group0`` column holds the path separator of the checkpoint format; its
    history is saved and read back whole."""
    ds = _spirals(64)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[LearningRateMonitor()], verbose=0)
    trainer.fit(DataLoader(ds, batch_size=16), epochs=2)
    trainer.save_checkpoint(tmp_path / "c.ckpt")
    model2 = _mlp()
    again = Trainer(model2, optim.SGD(model2.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                    callbacks=[LearningRateMonitor()], verbose=0)
    again.load_checkpoint(tmp_path / "c.ckpt")
    assert [e["lr/group0"] for e in again.history.epochs] == [0.1, 0.1]
    assert again.history.epochs == trainer.history.epochs
    from gradstep.serialization import save
    with pytest.raises(TypeError, match="two entries would be saved under the name 'a/b'"):
        save({"a/b": np.zeros(1), "a": {"b": np.ones(1)}}, tmp_path / "x.gs")
    assert not (tmp_path / "x.gs").exists()


def test_plateau_scheduler_gets_the_validation_loss():
    ds = _spirals(64)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    seen = []
    orig = sched.step
    sched.step = lambda metrics=None: (seen.append(metrics), orig(metrics))
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, verbose=0)
    hist = trainer.fit(DataLoader(ds, batch_size=16), epochs=3, val_loader=DataLoader(ds, batch_size=64))
    assert seen == hist["val_loss"]


def test_history_json_and_csv_round_trip(tmp_path):
    h = History()
    for i in range(5):
        h.log_iteration(1.0 / (i + 1), 0.1)
    h.log_epoch({"epoch": 1, "train_loss": 0.5, "val_accuracy": float("nan")})
    h.save_json(tmp_path / "h.json")
    back = History.load_json(tmp_path / "h.json")
    assert back.iteration_loss == h.iteration_loss and math.isnan(back["val_accuracy"][0])
    h.save_csv(tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text().splitlines()[0] == "epoch,train_loss,val_accuracy"


def test_history_acts_as_a_mapping_of_columns_and_never_loops_on_membership():
    h = History()
    h.log_iteration(0.7, 0.1)
    h.log_epoch({"epoch": 1, "train_loss": 0.5, "val_accuracy": 0.8})
    # with only __getitem__, Python's `in` and iteration would call history[0], history[1], ... forever
    assert "val_accuracy" in h and "val_loss" not in h and "loss_per_iteration" in h
    assert list(h) == ["epoch", "train_loss", "val_accuracy"]
    assert {k: h[k] for k in h}["train_loss"] == [0.5]
    with pytest.raises(TypeError, match=r"indexed by column name \(epoch, train_loss, val_accuracy\)"):
        h[0]
    assert "val_loss" not in History() and list(History()) == []


def _trainer(tmp_path, dtype=gs.float32):
    model = _mlp(dtype)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    return Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, verbose=0,
                   callbacks=[ModelCheckpoint(tmp_path, monitor="val_accuracy")])


def test_checkpoint_resume_in_process_is_bitwise(tmp_path):
    ds = _spirals()

    def loader():
        return DataLoader(ds, batch_size=32, shuffle=True, generator=gs.Generator(3))

    straight = _trainer(tmp_path / "a")
    straight.fit(loader(), epochs=3, val_loader=DataLoader(ds, batch_size=100))
    first = _trainer(tmp_path / "b")
    first.fit(loader(), epochs=3, val_loader=DataLoader(ds, batch_size=100), max_steps=15)
    assert first.stop_reason == "reached max_steps=15" and first.batch_in_epoch == 5
    resumed = _trainer(tmp_path / "b")
    gs.manual_seed(12345)  # the checkpoint restores every stream
    ld = loader()
    resumed.load_checkpoint(tmp_path / "b" / "last.safetensors", train_loader=ld)
    resumed.fit(ld, epochs=3, val_loader=DataLoader(ds, batch_size=100))
    for a, b in zip(straight.model.parameters(), resumed.model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert straight.history.iteration_loss == resumed.history.iteration_loss
    assert straight.history["train_loss"] == resumed.history["train_loss"]


def test_checkpoint_that_does_not_fit_the_model(tmp_path):
    t = _trainer(tmp_path)
    ds = _spirals(64)
    t.fit(DataLoader(ds, batch_size=32), epochs=1, val_loader=DataLoader(ds, batch_size=64))
    other = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    t2 = Trainer(other, optim.Adam(other.parameters()), nn.CrossEntropyLoss(), verbose=0)
    with pytest.raises(CheckpointError, match=r"(?s)last.safetensors.*0.weight.*\(32, 2\).*\(16, 2\)"):
        t2.load_checkpoint(tmp_path / "last.safetensors")
    with pytest.raises(CheckpointError, match="not a gradstep training checkpoint"):
        t2.load_checkpoint(tmp_path / "best.safetensors")


def test_invalid_arguments():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, opt, nn.CrossEntropyLoss(), scheduler_interval="batch")
    with pytest.raises(ValueError, match="accumulate_steps"):
        Trainer(model, opt, nn.CrossEntropyLoss(), accumulate_steps=0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        Trainer(model, opt, nn.CrossEntropyLoss(), metrics=("f1",))
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_resume_mid_epoch_with_the_progress_bar(tmp_path, capsys):
    ds = _spirals()
    t = _trainer(tmp_path)
    t.callbacks.append(gs.train.ProgressBar())
    val = DataLoader(ds, batch_size=100)
    t.fit(DataLoader(ds, batch_size=32), epochs=2, max_steps=3, val_loader=val)
    t2 = _trainer(tmp_path)
    t2.callbacks.append(gs.train.ProgressBar())
    ld = DataLoader(ds, batch_size=32)
    t2.load_checkpoint(tmp_path / "last.safetensors", train_loader=ld)
    t2.fit(ld, epochs=2, val_loader=val)
    assert t2.epoch == 2 and "epoch 2/2" in capsys.readouterr().err


def test_divergence_with_batch_norm_keeps_finite_buffers(tmp_path):
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=1e4), nn.CrossEntropyLoss(), verbose=0,
                      callbacks=[ModelCheckpoint(tmp_path, monitor=None)])
    trainer.fit(DataLoader(_spirals(), batch_size=32), epochs=3)
    assert trainer.diverged
    for name, v in model.state_dict().items():
        assert np.isfinite(v.numpy()).all(), name
    state = gs.load(tmp_path / "last.safetensors")  # written, and finite
    assert all(np.isfinite(v.numpy()).all() for v in state["model"].values())


def test_a_checkpoint_that_does_not_fit_changes_nothing(tmp_path):
    t = _trainer(tmp_path)
    ds = _spirals(64)
    t.fit(DataLoader(ds, batch_size=32), epochs=1, val_loader=DataLoader(ds, batch_size=64))
    state = gs.load(tmp_path / "last.safetensors")
    state["optimizer"]["param_groups"] = state["optimizer"]["param_groups"] * 2  # breaks the optimizer
    other = _trainer(tmp_path / "o")
    before = {k: v.numpy().copy() for k, v in other.model.state_dict().items()}
    with pytest.raises(ValueError):
        other.load_state_dict(state)
    for k, v in other.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_default_metrics_follow_the_loss():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert [m.name for m in Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0).metrics] == ["accuracy"]
    assert Trainer(model, opt, nn.MSELoss(), verbose=0).metrics == []


def test_lbfgs_gets_a_closure_from_the_trainer():
    ds = _spirals(120, dtype=np.float64)
    model = _mlp(gs.float64)
    opt = optim.LBFGS(model.parameters(), lr=1, max_iter=5, line_search_fn="strong_wolfe")
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0)
    hist = trainer.fit(DataLoader(ds, batch_size=120), epochs=5)
    assert hist.epochs[-1]["train_loss"] < 0.7 * hist.epochs[0]["train_loss"]
    with pytest.raises(ValueError, match="L-BFGS"):
        Trainer(model, opt, nn.CrossEntropyLoss(), accumulate_steps=2)


def test_resume_with_a_different_set_of_callbacks(tmp_path):
    ds = _spirals(64)
    t = _trainer(tmp_path)
    t.callbacks.append(gs.train.ProgressBar())
    t.fit(DataLoader(ds, batch_size=32), epochs=1, val_loader=DataLoader(ds, batch_size=64))
    quiet = _trainer(tmp_path / "q")  # no progress bar, different checkpoint directory
    quiet.load_checkpoint(tmp_path / "last.safetensors")
    assert quiet.epoch == 1


def test_checkpoint_files_have_ordinary_permissions(tmp_path):
    import os
    gs.save({"a": gs.ones(1)}, tmp_path / "m.safetensors")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o666 & ~mask


def test_callbacks_changed_during_a_fit_take_part_from_the_next_batch():
    """The Trainer calls only the hooks a callback defines (its class's or the instance's own), and
    sees a callback added, replaced or given a hook while a fit runs."""
    calls = []

    class Record(gs.train.Callback):
        def __init__(self, tag):
            self.tag = tag

        def on_batch_end(self, trainer, logs):
            calls.append((self.tag, trainer.epoch, trainer.batch_in_epoch))

    class AddLater(gs.train.Callback):
        def on_epoch_end(self, trainer, logs):
            if trainer.epoch == 1:  # after the first epoch: one more callback, one replaced
                trainer.callbacks.append(Record("added"))
                trainer.callbacks[trainer.callbacks.index(first)] = Record("replacement")

    first, plain = Record("first"), gs.train.Callback()
    plain.on_batch_start = lambda t: calls.append(("instance hook", t.epoch, t.batch_in_epoch))
    model = _mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=0,
                      callbacks=[first, AddLater(), plain])
    trainer.fit(DataLoader(_spirals(64), batch_size=32), epochs=2)
    assert calls == [("instance hook", 0, 0), ("first", 0, 1), ("instance hook", 0, 1), ("first", 0, 2),
                     ("instance hook", 1, 0), ("replacement", 1, 1), ("added", 1, 1),
                     ("instance hook", 1, 1), ("replacement", 1, 2), ("added", 1, 2)]
