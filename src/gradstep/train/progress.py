"""Progress: Keras's bar per epoch for the Trainer, and an overall bar over the runs of an experiment.

``tqdm.auto`` draws a widget in a Jupyter notebook and a text bar on a terminal. Where neither is
(a pipe, a log file) there is no bar: the Trainer prints one line per epoch and an experiment its
own line per run. ``verbose=0`` / ``--quiet`` shows nothing.
"""

from __future__ import annotations

import math
import sys
import time

from .callbacks import Callback


class ProgressBar(Callback):
    """Keras's progress display: a tqdm bar per epoch, a step per batch, with the epoch's running
    loss (and accuracy), the learning rate and tqdm's rate and ETA; when the epoch ends the bar keeps
    its training and validation metrics. ``tqdm.auto`` draws a widget in a Jupyter notebook and a
    text bar on a terminal; into a pipe or a file (no terminal, no notebook) it writes one plain
    line per epoch instead. ``disable()`` silences it (the Trainer does so on every process but
    rank 0, which keeps the same callbacks, and so checkpoints, everywhere). With ``leave=False``
    each epoch's bar disappears when it ends (the inner bars under ``RunsProgress``).

    The bar costs one counter update per batch; its postfix is rebuilt every ``refresh_every``
    batches, and tqdm redraws at most every ``mininterval`` seconds. With no bar drawn (a pipe, a
    file, disabled) it takes no part in the batches at all: its ``on_batch_end`` is switched off
    for the epoch, and the epoch line's samples/s come from the Trainer's count.
    """

    def __init__(self, stream=None, refresh_every: int = 10, mininterval: float = 0.2, leave: bool = True):
        self.stream, self.leave = stream, leave
        self.refresh_every = refresh_every
        self.mininterval = mininterval
        self._bar = None
        self._t0, self._start = time.perf_counter(), 0  # when and at which sample count it began
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    @property
    def _out(self):
        return self.stream if self.stream is not None else sys.stderr

    def on_fit_start(self, trainer) -> None:
        self._t0, self._start = time.perf_counter(), trainer.samples_in_epoch
        if trainer.batch_in_epoch and self.enabled:  # resumed mid-epoch: its bar starts part-way
            self.on_epoch_start(trainer)
        self._follow_batches()

    def on_epoch_start(self, trainer) -> None:
        self._t0, self._start = time.perf_counter(), trainer.samples_in_epoch
        if self.enabled and interactive(self.stream):
            self._bar = progress_bar(total=_length(trainer.train_loader), initial=trainer.batch_in_epoch,
                                     desc=f"epoch {trainer.epoch + 1}/{trainer.epochs}", unit="batch",
                                     file=self.stream, mininterval=self.mininterval, leave=self.leave)
        self._follow_batches()

    def _follow_batches(self) -> None:
        """Take part in ``on_batch_end`` only while a bar is drawn (the Trainer looks again after
        ``on_fit_start`` and ``on_epoch_start``): nothing to do per batch otherwise, unless a
        subclass has its own ``on_batch_end``."""
        if self._bar is None and type(self).on_batch_end is ProgressBar.on_batch_end:
            self.on_batch_end = None
        else:
            self.__dict__.pop("on_batch_end", None)

    def on_batch_end(self, trainer, logs: dict) -> None:
        bar = self._bar
        if bar is not None:
            bar.update(1)
            if trainer.batch_in_epoch % self.refresh_every == 0:
                bar.set_postfix(self._postfix(trainer, logs), refresh=False)

    def _postfix(self, trainer, logs) -> dict:
        post = {"loss": f"{trainer.running_loss:.4f}"}
        acc = trainer.running_metric("accuracy")
        if acc is not None:
            post["acc"] = f"{acc:.3f}"
        post["lr"] = f"{logs['lr']:.3g}"
        return post

    def on_epoch_end(self, trainer, logs: dict) -> None:
        if not self.enabled:
            return
        rate = (trainer.samples_in_epoch - self._start) / max(time.perf_counter() - self._t0, 1e-9)
        shown = {k: v for k, v in logs.items()
                 if k not in ("epoch", "time", "lr") and isinstance(v, float) and math.isfinite(v)}
        if self._bar is not None:  # the finished bar keeps the epoch's metrics, validation included
            short = {_SHORT.get(k, k): f"{v:.4f}" for k, v in shown.items()}
            self._bar.set_postfix(short, refresh=True)
            self._bar.close()
            self._bar = None
            return
        parts = [f"epoch {logs['epoch']}/{trainer.epochs}"] + [f"{k} {v:.4f}" for k, v in shown.items()]
        parts += [f"lr {logs['lr']:.3g}", f"{rate:.0f} samples/s", f"{logs['time']:.1f}s"]
        print(" | ".join(parts), file=self._out, flush=True)

    def on_fit_end(self, trainer) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.enabled and trainer.stop_reason and trainer.diverged:
            print(trainer.stop_reason, file=self._out, flush=True)


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where tqdm.auto draws a widget). Cheap: looks only
    at an IPython that is already imported."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def interactive(stream=None) -> bool:
    """Whether progress bars belong here: a notebook (unless ``stream`` is an explicit file), or a
    stream (default stderr) that is a terminal. A pipe or a file gets no bar."""
    if stream is None and in_notebook():
        return True
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(total=None, desc: str = "", file=None, leave: bool = True, **kwargs):
    """A ``tqdm.auto`` bar (a widget in a notebook, text on a terminal); a text bar in a notebook
    without ipywidgets, where tqdm's widget cannot be drawn."""
    from tqdm.auto import tqdm
    if file is not None:
        kwargs["file"] = file
    kwargs.update(total=total, desc=desc, leave=leave, dynamic_ncols=True)
    try:
        return tqdm(**kwargs)
    except ImportError:  # tqdm.notebook: "IProgress not found"
        from tqdm.std import tqdm as text_tqdm
        return text_tqdm(**kwargs)


_SHORT = {"train_loss": "loss", "train_accuracy": "acc", "val_loss": "val_loss", "val_accuracy": "val_acc"}


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None


class RunsProgress:
    """The overall bar of an experiment of ``total`` runs (compare, sweep, lr-find, landscape): run
    i of N, what runs now, the time left; the runs' own bars come and go under it (``inner()``).

        with RunsProgress(len(cells), "sweep") as bar:
            for cell in cells:
                bar.start(f"lr {lr:g} batch {bs}")
                ...                       # Trainer(..., callbacks=[bar.inner()], verbose=0)
                bar.done(f"val_acc {acc:.3f}")

    Drawn only where bars belong (``interactive``) and when ``enabled``; else every method does
    nothing and ``inner()`` returns None.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, stream=None, unit: str = "run"):
        self.total, self.desc = total, desc
        self.bar = None
        self._stream = stream
        if enabled and interactive(stream):
            self.bar = progress_bar(total=total, desc=desc, file=stream, unit=unit, mininterval=0.2)
        self._last = ""

    def start(self, setting: str) -> None:
        """Say which run goes now (``run i/N: setting``)."""
        if self.bar is not None:
            self.bar.set_description(f"{self.desc} {self.bar.n + 1}/{self.total}: {setting}", refresh=True)

    def done(self, summary: str | None = None) -> None:
        """Count a finished run; ``summary`` (its result) stays in the postfix until the next."""
        if self.bar is not None:
            if summary:
                self.bar.set_postfix_str(summary, refresh=False)
            self.bar.update(1)

    def inner(self) -> ProgressBar | None:
        """A Trainer callback drawing each epoch's bar under this one, gone when the epoch ends."""
        return None if self.bar is None else ProgressBar(stream=self._stream, leave=False)

    def callbacks(self) -> list:
        """``[inner()]`` while a bar is drawn, else ``[]``: to add to a run's Trainer callbacks."""
        inner = self.inner()
        return [] if inner is None else [inner]

    def lines(self, report):
        """``report`` (a function of one line of text, e.g. ``print``, or None), printing through
        tqdm while the bar is drawn so that the line does not break it."""
        if report is None or self.bar is None:
            return report
        return self.bar.write

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_description(self.desc, refresh=False)
            self.bar.close()
            self.bar = None

    def __enter__(self) -> RunsProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
