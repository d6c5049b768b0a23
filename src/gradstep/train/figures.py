"""Figures of a training run, drawn on ``matplotlib.figure.Figure`` objects that are returned.

Nothing here touches matplotlib's backend or pyplot's list of figures: the caller shows a Figure
(a notebook displays it inline), saves it (``fig.savefig("curves.svg")``) or draws it again. The
sizes fit a report's text width: 7.5 inches wide, 8–9 point text.
"""

from __future__ import annotations

import functools
import io
import math
import os

import numpy as np

from ..serialization import atomic_write_bytes
from .smoothing import SmoothedLoss

WIDTH = 7.5          # inches: a report's text width
PANEL_HEIGHT = 2.6   # inches per row of panels
FONT = {"title": 9, "label": 8, "tick": 7.5, "legend": 7}
FORMATS = ("png", "svg", "pdf")


@functools.cache
def figure_class():
    """``matplotlib.figure.Figure`` that also shows itself in a notebook: a cell ending with one
    displays it as PNG even when pyplot (whose inline backend registers that display) was never
    imported. Made on first use, so that importing gradstep does not import matplotlib."""
    from matplotlib.figure import Figure

    class ReportFigure(Figure):
        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=100)
            return buf.getvalue()

    return ReportFigure


def new_figure(ncols: int = 1, nrows: int = 1, width: float = WIDTH, height: float | None = None):
    """A Figure with a grid of axes (a 2-D array), constrained layout, not known to pyplot."""
    fig = figure_class()(figsize=(width, height or PANEL_HEIGHT * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        ax.tick_params(which="both", labelsize=FONT["tick"])
        ax.grid(alpha=0.3, which="both", lw=0.5)
    return fig, axes


def label(ax, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None) -> None:
    if title:
        ax.set_title(title, fontsize=FONT["title"])
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=FONT["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=FONT["label"])


def legend(ax, **kwargs) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=FONT["legend"], frameon=False, **kwargs)


def figure_bytes(fig, fmt: str = "png", dpi: int = 150) -> bytes:
    """The figure rendered as ``fmt`` (png, svg, pdf), cropped to what is drawn."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def save(fig, path, formats=("png",), dpi: int = 150) -> list[str]:
    """Write ``fig`` as ``path`` with each of ``formats``' suffixes (replacing one of them that
    ``path`` ends with); returns the files written."""
    base, suffix = os.path.splitext(os.fspath(path))
    if suffix.lstrip(".").lower() not in FORMATS:
        base += suffix
    written = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown figure format {fmt!r}; known: {', '.join(FORMATS)}")
        atomic_write_bytes(f"{base}.{fmt}", figure_bytes(fig, fmt, dpi))
        written.append(f"{base}.{fmt}")
    return written


def smooth(values, weight: float = 0.05) -> np.ndarray:
    """Seed 003's weighted average of a noisy curve (bias-corrected EMA, newest weight ``weight``);
    non-finite values are carried through as gaps."""
    s = SmoothedLoss(weight)
    return np.asarray([s.update(v) if math.isfinite(v) else math.nan for v in values])


def positive(values) -> np.ndarray:
    """``values`` as floats, with NaN where a log axis cannot show them (<= 0, non-finite)."""
    a = np.asarray(values, dtype=float)
    return np.where((a > 0) & np.isfinite(a), a, np.nan)


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Label a log axis 0.5, 1, 2 instead of 5×10⁻¹, 10⁰, 2×10⁰ (on an axis spanning less than
    two decades also the minor ticks 2, 3 and 5 of each decade, within one decade every tick). Call it
    after the data is drawn."""
    import matplotlib.ticker as mticker

    target = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    short = lo > 0 and hi / lo < 100
    within_decade = lo > 0 and hi / lo < 10  # few ticks: label them all, or the axis may show none
    target.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    if within_decade:
        target.set_minor_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    elif short:
        target.set_minor_formatter(mticker.FuncFormatter(
            lambda v, _: f"{v:g}" if f"{v:e}"[0] in "235" else ""))
    else:
        target.set_minor_formatter(mticker.NullFormatter())


def _logged(history, key: str) -> bool:
    return any(r.get(key) is not None for r in history.epochs)


def plot_history(history, title: str | None = None):
    """The run's curves: the loss of every iteration (log scale) with its smoothed curve and the
    per-epoch validation loss; accuracy per epoch (or, without it, the loss per epoch); the
    learning rate. Returns the Figure."""
    acc_keys = [k for k in ("train_accuracy", "val_accuracy") if _logged(history, k)]
    fig, axes = new_figure(3)
    ax_loss, ax_epoch, ax_lr = axes[0]
    it = np.arange(1, len(history.iteration_loss) + 1)
    loss = positive(history.iteration_loss)
    per_epoch = len(history.iteration_loss) / max(len(history.epochs), 1)
    ax_loss.plot(it, loss, color="tab:blue", alpha=0.25, lw=0.6, label="per iteration")
    ax_loss.plot(it, np.exp(smooth(np.log(loss))), color="tab:blue", lw=1.4, label="smoothed")
    if _logged(history, "val_loss") and history.iteration_loss:
        ends = [per_epoch * (i + 1) for i in range(len(history.epochs))]
        ax_loss.plot(ends, positive(history["val_loss"]), "o-", ms=3, color="tab:orange", label="validation")
    if np.isfinite(loss).any():
        ax_loss.set_yscale("log")
        plain_log_ticks(ax_loss)
    label(ax_loss, "training loss", "iteration", "loss (log scale)")
    legend(ax_loss, loc="best")

    epochs = [r["epoch"] for r in history.epochs]
    keys = acc_keys or [k for k in ("train_loss", "val_loss") if _logged(history, k)]
    for k, color in zip(keys, ("tab:blue", "tab:orange")):
        values = history[k] if acc_keys else positive(history[k])
        name = "train" if k.startswith("train") else "validation"
        ax_epoch.plot(epochs, values, "o-", ms=3, color=color, label=name)
    label(ax_epoch, "accuracy per epoch" if acc_keys else "loss per epoch", "epoch",
          "accuracy" if acc_keys else "loss")
    if epochs:
        ax_epoch.xaxis.get_major_locator().set_params(integer=True)
        legend(ax_epoch, loc="best")
    else:
        ax_epoch.text(0.5, 0.5, "no complete epoch", ha="center", va="center", fontsize=FONT["label"],
                      transform=ax_epoch.transAxes)

    ax_lr.plot(it, history.iteration_lr, color="tab:green", lw=1.2)
    if history.iteration_lr:
        top = max(history.iteration_lr) * 1.1  # lr=inf (a diverging run) cannot set the axis
        ax_lr.set_ylim(0, top if 0 < top < float("inf") else 1.0)
    ax_lr.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax_lr.yaxis.get_offset_text().set_fontsize(FONT["tick"])
    label(ax_lr, "learning rate", "iteration")
    if title:
        fig.suptitle(title, fontsize=FONT["title"] + 1)
    return fig
