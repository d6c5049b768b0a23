"""Figures drawn with matplotlib's non-interactive backend, saved as PNG."""

from __future__ import annotations

import math
import os

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def smooth(values, weight: float = 0.05) -> np.ndarray:
    """Seed 003's weighted average of a noisy curve (bias-corrected EMA, newest weight ``weight``);
    non-finite values are carried through as gaps."""
    from ..optim.lr_finder import SmoothedLoss
    s = SmoothedLoss(weight)
    out = []
    for v in values:
        out.append(s.update(v) if math.isfinite(v) else math.nan)
    return np.asarray(out)


def smooth_log(losses, weight: float = 0.05) -> np.ndarray:
    """Seed 003's weighted average taken over log(loss): on a log axis the smoothed curve runs
    through the middle of the noisy one and forgets a large early loss as fast as a small one
    (the plain average of losses spanning decades lags far behind on the way down). Like any
    one-sided average it trails the noisy curve by about ``1 / weight`` points."""
    return np.exp(smooth(np.log(_positive(losses)), weight))


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Label a log axis 0.5, 1, 2 instead of 5×10⁻¹, 10⁰, 2×10⁰ (on a short axis also the
    minor ticks 2, 3 and 5 of each decade)."""
    import matplotlib.ticker as mticker

    def minor(v, _):
        return f"{v:g}" if f"{v:e}"[0] in "235" else ""

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(mticker.FuncFormatter(minor) if _short(ax, axis) else mticker.NullFormatter())


def _short(ax, axis: str) -> bool:
    """Whether a log axis spans less than about two decades (then its minor ticks get labels)."""
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    return lo > 0 and hi / lo < 100


def save_figure(fig, path) -> None:
    plt = _pyplot()
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _positive(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.where((a > 0) & np.isfinite(a), a, np.nan)


def plot_history(history, path, title: str | None = None) -> None:
    """``curves.png``: the loss of every iteration (log scale) with its smoothed curve and the
    per-epoch means; train and validation accuracy (or loss) per epoch; the learning rate."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    it = np.arange(1, len(history.iteration_loss) + 1)
    loss = _positive(history.iteration_loss)
    ax = axes[0]
    ax.plot(it, loss, color="tab:blue", alpha=0.3, lw=0.8, label="loss per iteration")
    ax.plot(it, smooth(loss), color="tab:blue", lw=1.8, label="smoothed")
    if history.epochs and history.iteration_loss:
        per_epoch = len(history.iteration_loss) / max(len(history.epochs), 1)
        ends = [per_epoch * (i + 1) for i in range(len(history.epochs))]
        if any(r.get("val_loss") is not None for r in history.epochs):
            ax.plot(ends, _positive(history["val_loss"]), "o-", color="tab:orange", label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (log scale)")
    ax.set_title("training loss")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3, which="both")

    ax = axes[1]
    epochs = [r["epoch"] for r in history.epochs]
    def logged(key):
        return any(r.get(key) is not None for r in history.epochs)

    acc_keys = [k for k in ("train_accuracy", "val_accuracy") if logged(k)]
    if acc_keys:
        for k, c in zip(acc_keys, ("tab:blue", "tab:orange")):
            ax.plot(epochs, history[k], "o-", color=c, label=k.replace("_", " "))
        ax.set_ylabel("accuracy")
        ax.set_title("accuracy per epoch")
    else:
        for k, c in (("train_loss", "tab:blue"), ("val_loss", "tab:orange")):
            if logged(k):
                ax.plot(epochs, _positive(history[k]), "o-", color=c, label=k.replace("_", " "))
        ax.set_yscale("log")
        ax.set_ylabel("loss (log scale)")
        ax.set_title("loss per epoch")
    ax.set_xlabel("epoch")
    if epochs:
        ax.set_xticks(epochs if len(epochs) <= 12 else np.linspace(epochs[0], epochs[-1], 8).round())
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no complete epoch", ha="center", va="center", transform=ax.transAxes)
    ax.grid(alpha=0.3)

    ax = axes[2]
    ax.plot(it, history.iteration_lr, color="tab:green")
    if history.iteration_lr:  # lr=inf (a diverging run) cannot set the axis: 0 to 1 then
        top = max(history.iteration_lr) * 1.1
        ax.set_ylim(0, top if 0 < top < float("inf") else 1.0)
    ax.set_xlabel("iteration")
    ax.set_ylabel("learning rate")
    ax.set_title("learning rate")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
