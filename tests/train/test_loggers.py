"""Logger callbacks (TensorBoard event files read back with TensorBoard's own reader, CSV, JSON
lines) and LiveCurves."""

import json
import math
import sys

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, TensorDataset
from gradstep.train import JSONLLogger, LiveCurves, TensorBoardLogger, Trainer
from gradstep.train.loggers import make_logger


def _fit(callbacks, epochs=2, val=True):
    gs.manual_seed(0)
    X, y = gs.data.datasets.make_spirals(96, 3, noise=0.1, generator=gs.Generator(0))
    ds = TensorDataset(X, y)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    t = Trainer(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss(),
                verbose=0, callbacks=callbacks)
    val_loader = DataLoader(ds, batch_size=48) if val else None
    t.fit(DataLoader(ds, batch_size=8), epochs=epochs, val_loader=val_loader)
    return t, ds


def _first_grad_norm(ds):
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = next(iter(DataLoader(ds, batch_size=8)))
    nn.CrossEntropyLoss()(model(x), y).backward()
    return math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in model.parameters()))


def test_tensorboard_logger_writes_what_tensorboard_reads(tmp_path):
    t, ds = _fit([TensorBoardLogger(tmp_path, log_every_n_steps=5, update_ratios=True)])
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0}).Reload()
    tags = set(acc.Tags()["scalars"])
    params = [name for name, _ in t.model.named_parameters()]
    assert tags == {"loss/train_step", "lr/step", "grad_norm/step", "loss/train", "loss/val",
                    "accuracy/train", "accuracy/val", "lr/epoch", "time/epoch_seconds",
                    *(f"update_ratio/{p}" for p in params)}
    steps = [e.step for e in acc.Scalars("loss/train_step")]
    assert steps == [1, 5, 10, 15, 20]  # of 24 steps (12 per epoch): the first and every 5th
    h = t.history
    assert [e.value for e in acc.Scalars("loss/train_step")] == pytest.approx(
        [h.iteration_loss[s - 1] for s in steps], rel=1e-6)
    assert [(e.step, e.value) for e in acc.Scalars("loss/val")] == [
        (12, pytest.approx(h["val_loss"][0], rel=1e-6)), (24, pytest.approx(h["val_loss"][1], rel=1e-6))]
    assert [e.value for e in acc.Scalars("accuracy/train")] == pytest.approx(h["train_accuracy"], rel=1e-6)
    assert acc.Scalars("grad_norm/step")[0].value == pytest.approx(_first_grad_norm(ds), rel=1e-5)
    ratios = [acc.Scalars(f"update_ratio/{p}")[0].value for p in params]
    assert all(0 < r < 1 for r in ratios)
    assert acc.Scalars("lr/step")[0].value == pytest.approx(0.1)


def test_a_second_fit_appends_to_the_same_log_dir(tmp_path):
    logger = TensorBoardLogger(tmp_path, log_every_n_steps=12)
    t, ds = _fit([logger], epochs=1, val=False)
    t.fit(DataLoader(ds, batch_size=8), epochs=1)
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0}).Reload()
    assert [e.step for e in acc.Scalars("loss/train")] == [12, 24]


def test_jsonl_logger_holds_one_object_per_epoch(tmp_path):
    t, _ = _fit([JSONLLogger(tmp_path / "h.jsonl")], epochs=3)
    rows = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert [r["val_accuracy"] for r in rows] == t.history["val_accuracy"]


def test_make_logger_by_name(tmp_path):
    assert isinstance(make_logger("jsonl", tmp_path), JSONLLogger)
    tb = make_logger("tensorboard", tmp_path)
    assert tb.log_dir == str(tmp_path / "tensorboard")
    with pytest.raises(ValueError, match=r"unknown logger 'wandb'; known: csv, jsonl, tensorboard"):
        make_logger("wandb", tmp_path)
    with pytest.raises(ValueError, match="log_every_n_steps must be a positive integer"):
        TensorBoardLogger(tmp_path, log_every_n_steps=0)


def test_the_tensorboard_logger_without_tensorboard_names_the_extra(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install 'gradstep\[tensorboard\]'"):
        make_logger("tensorboard", tmp_path)


def test_live_curves_redraw_into_a_file_at_every_epoch(tmp_path):
    live = LiveCurves(tmp_path / "live.png", every_n_steps=6, formats=("png", "svg"))
    _fit([live], epochs=2)
    assert live.draws == 2 * 2 + 2  # every 6 of 12 steps, and each epoch's end
    assert (tmp_path / "live.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "live.svg").exists()


def test_live_curves_outside_a_notebook_without_a_file_warn(tmp_path):
    with pytest.warns(UserWarning, match="outside a notebook give it path="):
        _fit([LiveCurves()], epochs=1)
    with pytest.raises(ValueError, match=r"unknown figure format\(s\) jpg; known: png, svg, pdf"):
        LiveCurves(tmp_path / "x.png", formats=("jpg",))
