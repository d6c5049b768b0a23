"""What a second ``fit`` does (trains that many epochs more, as in Keras and fastai), what the first
``fit`` after loading a checkpoint does (resumes to the run's total, as Lightning and Keras's
BackupAndRestore do), and the progress display: bars on a terminal, lines in a pipe, none when quiet."""

import io
import re
import warnings

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, TensorDataset
from gradstep.train import ModelCheckpoint, ProgressBar, Trainer


def _data(n=96):
    X, y = gs.data.datasets.make_spirals(n, 3, noise=0.1, generator=gs.Generator(0))
    return TensorDataset(X, y)


def _trainer(callbacks=()):
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0, callbacks=list(callbacks),
                   scheduler=optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))


def _loader(ds):
    return DataLoader(ds, batch_size=16, shuffle=True, generator=gs.Generator(1))


def test_a_second_fit_trains_that_many_epochs_more_and_equals_one_long_fit():
    ds = _data()
    once = _trainer()
    once.fit(_loader(ds), epochs=3)
    twice = _trainer()
    loader = _loader(ds)
    twice.fit(loader, epochs=2)
    assert twice.epoch == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # continuing is the documented behaviour: no warning
        hist = twice.fit(loader, epochs=1)
    assert twice.epoch == 3 and hist["epoch"] == [1, 2, 3] and twice.global_step == 18
    assert hist["lr"] == once.history["lr"]  # the scheduler went on too
    for a, b in zip(once.model.parameters(), twice.model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_an_epoch_cut_short_counts_as_the_first_of_the_next_fit():
    t = _trainer()
    loader = _loader(_data())
    t.fit(loader, epochs=5, max_steps=4)
    assert t.epoch == 0 and t.batch_in_epoch == 4
    t.fit(loader, epochs=2)
    assert t.epoch == 2 and t.global_step == 12 and t.history["epoch"] == [1, 2]
    straight = _trainer()
    straight.fit(_loader(_data()), epochs=2)
    for a, b in zip(straight.model.parameters(), t.model.parameters()):  # the epoch went on where it stopped
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_the_first_fit_after_a_checkpoint_counts_the_total(tmp_path):
    ds = _data()
    first = _trainer([ModelCheckpoint(tmp_path, monitor=None)])
    first.fit(_loader(ds), epochs=3, max_steps=8)  # stopped in epoch 2
    resumed = _trainer()
    loader = _loader(ds)
    resumed.load_checkpoint(tmp_path / "last.safetensors", train_loader=loader)
    resumed.fit(loader, epochs=3)
    assert resumed.epoch == 3 and resumed.global_step == 18
    resumed.fit(loader, epochs=1)  # later calls continue again
    assert resumed.epoch == 4


def test_a_checkpoint_already_at_its_total_warns_that_nothing_is_left(tmp_path):
    ds = _data()
    _trainer([ModelCheckpoint(tmp_path, monitor=None)]).fit(_loader(ds), epochs=2)
    t = _trainer()
    loader = _loader(ds)
    t.load_checkpoint(tmp_path / "last.safetensors", train_loader=loader)
    with pytest.warns(UserWarning, match=r"already completed 2 epochs.*nothing to train.*epochs=3"):
        t.fit(loader, epochs=2)
    assert t.global_step == 12 and len(t.history) == 2


@pytest.mark.parametrize("bad", [-1, 2.0, True, "3"])
def test_epochs_must_be_a_non_negative_integer(bad):
    with pytest.raises(ValueError, match=r"epochs must be a non-negative integer \(0 trains nothing\), got"):
        _trainer().fit(_loader(_data()), epochs=bad)


def test_zero_epochs_trains_nothing():
    """As Keras's fit(epochs=0): the model is left as it was and the history stays empty."""
    t = _trainer()
    before = [p.detach().numpy().copy() for p in t.model.parameters()]
    history = t.fit(_loader(_data()), epochs=0)
    assert t.global_step == 0 and len(history) == 0
    assert all((p.detach().numpy() == b).all() for p, b in zip(t.model.parameters(), before))


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _progress(stream, **kw):
    t = _trainer([ProgressBar(stream=stream, **kw)])
    t.fit(_loader(_data()), epochs=2, val_loader=DataLoader(_data(), batch_size=48))
    return stream.getvalue()


def test_a_terminal_gets_a_bar_per_epoch_with_running_loss_eta_and_validation_metrics():
    text = _progress(_Terminal(), refresh_every=2, mininterval=0)
    final = [line.split("\r")[-1] for line in text.split("\n") if line.strip()]
    assert len(final) == 2
    for i, line in enumerate(final, 1):
        # the closed bar: all 6 batches, and the epoch's training and validation metrics
        assert re.search(rf"epoch {i}/2: 100%.*6/6 \[\d\d:\d\d<00:00", line), line
        assert re.search(r"loss=[\d.]+, acc=[\d.]+, val_loss=[\d.]+, val_acc=[\d.]+", line), line
    # while the epoch ran: the running mean loss with an ETA
    assert re.search(r"epoch 1/2:  67%.*4/6 \[\d\d:\d\d<\d\d:\d\d.*loss=[\d.]+, acc=[\d.]+, lr=0.1\]", text)


def test_a_pipe_gets_one_line_per_epoch_and_no_bar():
    text = _progress(io.StringIO())
    assert "\r" not in text and "%" not in text
    lines = text.strip().split("\n")
    assert len(lines) == 2 and all(re.match(rf"epoch {i}/2 \| train_loss [\d.]+ \| train_accuracy", line)
                                   for i, line in enumerate(lines, 1))


def test_quiet_shows_nothing(capsys):
    t = _trainer()
    t.callbacks.append(ProgressBar(stream=None))
    t.callbacks[-1].disable()
    t.fit(_loader(_data()), epochs=1)
    assert capsys.readouterr() == ("", "")


class _TerminalFrom(io.StringIO):
    """A stream that becomes a terminal from the second epoch on (isatty asked once per epoch)."""

    def __init__(self):
        super().__init__()
        self.asked = 0

    def isatty(self):
        self.asked += 1
        return self.asked > 1


def test_a_bar_takes_part_in_the_batches_only_in_epochs_where_it_is_drawn(monkeypatch):
    calls = []
    per_batch = ProgressBar.on_batch_end

    def counted(self, trainer, logs):
        calls.append(trainer.epoch + 1)
        per_batch(self, trainer, logs)

    monkeypatch.setattr(ProgressBar, "on_batch_end", counted)
    stream = _TerminalFrom()
    _trainer([ProgressBar(stream, mininterval=0)]).fit(_loader(_data()), epochs=2)
    assert calls == [2] * 6  # epoch 1 into a pipe: one line, no per-batch call; epoch 2: a bar
    assert stream.getvalue().startswith("epoch 1/2 | train_loss") and "6/6" in stream.getvalue()


class _CountingBar(ProgressBar):
    def __init__(self, stream):
        super().__init__(stream=stream)
        self.batches = 0

    def on_batch_end(self, trainer, logs):
        self.batches += 1
        super().on_batch_end(trainer, logs)


def test_a_subclass_with_its_own_per_batch_hook_keeps_it_without_a_bar():
    bar = _CountingBar(io.StringIO())
    _trainer([bar]).fit(_loader(_data()), epochs=2)
    assert bar.batches == 12 and bar.stream.getvalue().count("samples/s") == 2


def test_the_epoch_line_gives_the_samples_per_second_of_the_epoch(monkeypatch):
    from types import SimpleNamespace

    from gradstep.train import progress
    ticks = iter(range(100))
    monkeypatch.setattr(progress, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    stream = io.StringIO()
    _trainer([ProgressBar(stream=stream)]).fit(_loader(_data()), epochs=2)
    # each epoch: 96 samples between its start and its end, one tick apart
    assert re.findall(r"\| (\d+) samples/s \|", stream.getvalue()) == ["96", "96"]
