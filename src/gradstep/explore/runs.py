"""Run folders: ``config.json`` beside the history, and finished runs side by side.

Every run folder holds ``config.json``: every setting of the run (the ``TrainConfig``), its seed,
and the versions of gradstep, NumPy and Python it ran with, written atomically. ``load_config``
turns it back into a ``TrainConfig`` that trains the same run again, bitwise.

``plot_runs`` overlays the curves of finished runs (``gradstep plot RUN [RUN...]``): training loss,
accuracy, learning rate or any epoch column, against epochs, each run labelled by the settings in
which the runs differ.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from dataclasses import dataclass

import numpy as np

from ..serialization import atomic_write_bytes
from ..train import History
from ..train.figures import FONT, label, new_figure, plain_log_ticks, positive
from .config import ConfigError, TrainConfig

CONFIG_FILE = "config.json"
CONFIG_FORMAT = "gradstep-run-config/1"
# settings that say where and how a run was shown or stored, not what it computed
_NOT_SETTINGS = ("out", "resume", "quiet", "data_dir", "workers")
# what `gradstep plot` draws by default, where every run has it
DEFAULT_METRICS = ("loss", "accuracy", "lr")


class RunFolderError(ConfigError):
    """A folder that is not a finished run, or runs that cannot be shown together."""


def versions() -> dict:
    import gradstep
    return {"gradstep": gradstep.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "platform": sys.platform}


def write_config(folder, cfg: TrainConfig) -> str:
    """Write ``folder/config.json`` atomically; returns its path."""
    doc = {"format": CONFIG_FORMAT, "config": cfg.to_dict(), "seed": cfg.seed, "versions": versions()}
    path = os.path.join(os.fspath(folder), CONFIG_FILE)
    atomic_write_bytes(path, (json.dumps(doc, indent=1) + "\n").encode())
    return path


def read_config(folder) -> dict:
    """The settings of ``folder/config.json`` (``{}`` if the run has none)."""
    path = os.path.join(os.fspath(folder), CONFIG_FILE)
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{path}: not readable as JSON ({e})") from None
    settings = doc.get("config") if isinstance(doc, dict) and doc.get("format") == CONFIG_FORMAT else None
    if not isinstance(settings, dict):
        raise RunFolderError(f"{path}: not a gradstep run configuration (format {CONFIG_FORMAT} expected)")
    return settings


def load_config(folder, model=None, data=None) -> TrainConfig:
    """The ``TrainConfig`` of the run in ``folder``, with no output folder of its own (give it one
    with ``.replace(out=...)``); training it reproduces the run. A model or data factory the file
    names (``package.module:function``) is imported only if the call names it too (``model=``,
    ``data=``, as ``--model``/``--data`` do for ``--resume``): the file is data, not an instruction."""
    from .builders import code_from_file

    settings = read_config(folder)
    if not settings:
        raise RunFolderError(f"{os.fspath(folder)}: has no {CONFIG_FILE}")
    given = {k: v for k, v in (("model", model), ("data", data)) if v is not None}
    path = os.path.join(os.fspath(folder), CONFIG_FILE)
    try:
        settings = code_from_file(settings, given, "load it")
    except ConfigError as e:
        raise RunFolderError(f"{path}: {e}") from None
    return TrainConfig.from_dict(settings).replace(out=None, resume=None)


# --------------------------------------------------------------------------- runs side by side

@dataclass
class FinishedRun:
    folder: str
    history: History
    settings: dict      # config.json's settings ({} for a run without one)


def load_run(folder) -> FinishedRun:
    """A finished run: its ``history.json`` and settings. Raises ``RunFolderError`` naming the
    folder when it is not one."""
    folder = os.fspath(folder)
    path = os.path.join(folder, "history.json")
    if not os.path.isdir(folder):
        raise RunFolderError(f"{folder}: no such folder")
    if not os.path.exists(path):
        raise RunFolderError(f"{folder}: not a run folder (it has no history.json; `gradstep train` "
                             f"writes one into every run folder)")
    try:
        history = History.load_json(path)
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{path}: not a gradstep history ({e})") from None
    return FinishedRun(folder, history, read_config(folder))


def differing_settings(runs: list[FinishedRun]) -> list[str]:
    """The settings whose values are not the same in every run (in config.json's order)."""
    keys: list[str] = []
    for r in runs:
        keys += [k for k in r.settings if k not in keys and k not in _NOT_SETTINGS]
    return [k for k in keys if len({json.dumps(r.settings.get(k), sort_keys=True) for r in runs}) > 1]


def run_labels(runs: list[FinishedRun]) -> list[str]:
    """``optimizer=adam, lr=0.001``: each run by the settings that differ (those a run left unset
    left out, and an unset learning rate as the one it trained with), else by its folder."""
    keys = differing_settings(runs)
    if not keys:
        return [os.path.basename(os.path.normpath(r.folder)) for r in runs]
    labels = []
    for r in runs:
        values = {k: r.settings.get(k) for k in keys}
        if values.get("lr", 0) is None and r.history.iteration_lr:
            values["lr"] = r.history.iteration_lr[0]
        labels.append(", ".join(f"{k}={_text(v)}" for k, v in values.items() if v is not None))
    return labels


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(map(_text, value))
    return str(value)


def _has(run: FinishedRun, metric: str) -> bool:
    h = run.history
    if metric == "loss":
        return bool(h.iteration_loss)
    if metric == "lr":
        return bool(h.iteration_lr)
    if metric == "accuracy":
        return "val_accuracy" in h or "train_accuracy" in h
    return metric in h


def choose_metrics(runs: list[FinishedRun], metrics=None) -> list[str]:
    """The metrics to draw: those asked for (each must be in every run), else the defaults that
    every run has. Raises ``RunFolderError`` when there is none in common."""
    if metrics:
        for m in metrics:
            missing = [r.folder for r in runs if not _has(r, m)]
            if missing:
                logged = ", ".join(["loss", "lr", *runs[0].history.columns()])
                raise RunFolderError(f"--metric {m}: not logged by {', '.join(missing)} (the runs log: "
                                     f"{logged}; also accepted: loss, accuracy, lr)")
        return list(metrics)
    common = [m for m in DEFAULT_METRICS if all(_has(r, m) for r in runs)]
    if not common:
        raise RunFolderError("the runs have no metric in common: " + "; ".join(
            f"{r.folder} logs {', '.join(r.history.columns()) or 'nothing'}" for r in runs))
    return common


def _smooth(values, smoothing: float) -> np.ndarray:
    """TensorBoard's smoothing: each point is ``smoothing`` times the previous average plus the
    rest of itself (debiased); 0 draws the raw values."""
    from ..train.figures import smooth
    a = np.asarray(values, dtype=float)
    return a if smoothing <= 0 else smooth(a, 1 - smoothing)


def _epochs_axis(run: FinishedRun, n: int) -> np.ndarray:
    """Iteration i (1-based) as a fraction of epochs, so runs with other batch sizes line up."""
    per_epoch = n / max(len(run.history.epochs), 1)
    return np.arange(1, n + 1) / per_epoch


def plot_runs(runs: list[FinishedRun], metrics=None, smoothing: float = 0.9):
    """Overlay the runs' curves, one panel per metric (see ``choose_metrics``); returns the Figure.

    ``loss`` is the training loss of every iteration (smoothed, log scale) with the validation loss
    per epoch dashed; ``accuracy`` is the validation accuracy (training accuracy without one); ``lr``
    the learning rate of every iteration; any other name an epoch column of the history.
    """
    if not runs:
        raise RunFolderError("no runs to plot")
    if not 0 <= smoothing < 1:
        raise RunFolderError(f"--smooth must be in [0, 1), got {smoothing}")
    metrics = choose_metrics(runs, metrics)
    labels = run_labels(runs)
    n = len(metrics)
    fig, axes = new_figure(n, width=min(7.5, 2.6 * n + 0.8), height=2.9)
    colors = [f"C{i % 10}" for i in range(len(runs))]
    for ax, metric in zip(axes[0], metrics):
        title = _TITLES.get(metric, metric.replace("_", " "))
        if metric == "accuracy":  # the same column for every run
            both = all("val_accuracy" in r.history for r in runs)
            metric, title = ("val_accuracy", "validation accuracy") if both else ("train_accuracy",
                                                                                  "training accuracy")
        for run, color, name in zip(runs, colors, labels):
            _draw(ax, run, metric, color, name, smoothing)
        if _log_scale(ax, metric):
            ax.set_yscale("log")
            plain_log_ticks(ax)
        label(ax, title, "epoch")
    keys = differing_settings(runs)
    handles = [line for line in axes[0][0].get_lines() if not line.get_label().startswith("_")]
    fig.legend(handles, [h.get_label() for h in handles], loc="outside lower center", fontsize=FONT["legend"],
               ncol=min(len(runs), 3), frameon=False,
               title=f"runs differ in: {', '.join(keys)}" if keys else None, title_fontsize=FONT["legend"])
    return fig


def _log_scale(ax, metric: str) -> bool:
    """Losses on a log axis; learning rates too when the runs' span a decade or more."""
    values = np.concatenate([positive(ln.get_ydata()) for ln in ax.get_lines()] or [[]])
    values = values[np.isfinite(values)]
    if not values.size:
        return False
    return metric.endswith("loss") or (metric == "lr" and values.max() >= 10 * values.min())


_TITLES = {"loss": "training loss (validation dashed)", "accuracy": "accuracy", "lr": "learning rate"}


def _draw(ax, run: FinishedRun, metric: str, color: str, name: str, smoothing: float) -> None:
    h = run.history
    epochs = [row.get("epoch") for row in h.epochs]
    if metric == "loss":
        x = _epochs_axis(run, len(h.iteration_loss))
        ax.plot(x, positive(_smooth(h.iteration_loss, smoothing)), color=color, lw=1.3, label=name)
        if "val_loss" in h:
            ax.plot(epochs, positive(h["val_loss"]), "o--", ms=3, lw=1, color=color, label="_val")
    elif metric == "lr":
        ax.plot(_epochs_axis(run, len(h.iteration_lr)), h.iteration_lr, color=color, lw=1.3, label=name)
    else:
        values = [math.nan if v is None else v for v in h[metric]]
        ax.plot(epochs, values, "o-", ms=3, lw=1.3, color=color, label=name)
        ax.xaxis.get_major_locator().set_params(integer=True)
