"""The figures of ``compare``: one colour per optimizer, the mean over seeds as a line and the
min–max over seeds as a band."""

from __future__ import annotations

import warnings

import numpy as np

from .plots import get_cmap, plain_log_ticks, smooth_log, subplots
from .report import metric_label


def colours(names: list[str]) -> dict:
    cmap = get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {n: cmap(i % cmap.N) for i, n in enumerate(names)}


def stack(curves) -> np.ndarray:
    """Curves of different lengths (a diverged run stops early) as rows padded with NaN."""
    curves = [np.array([np.nan if v is None else v for v in c], dtype=float) for c in curves]
    out = np.full((len(curves), max((len(c) for c in curves), default=0)), np.nan)
    for i, c in enumerate(curves):
        out[i, :len(c)] = c
    return out


def band(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, min, max) over the rows, ignoring NaN (columns without any value stay NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        return np.nanmean(rows, axis=0), np.nanmin(rows, axis=0), np.nanmax(rows, axis=0)


def legend_label(name: str, runs) -> str:
    d = sum(r.diverged for r in runs)
    if d == 0:
        return name
    return f"{name} (diverged)" if d == len(runs) else f"{name} (diverged {d}/{len(runs)})"


def _seed_text(result) -> str:
    n = len(result.seeds)
    return "one seed" if n == 1 else f"mean and min–max band over {n} seeds"


def plot_loss(result, title: str, against: str = "iteration"):
    """The smoothed training loss of every optimizer against the iteration or the training time
    (log scale); a diverged run's curve ends in a cross."""
    fig, ax = subplots(figsize=(7.5, 4.4))
    colour = colours(result.optimizers)
    firsts, kept, crosses = [], [], []
    for name in result.optimizers:
        runs = result.runs_of(name)
        curves = stack([smooth_log(r.history.iteration_loss) for r in runs])
        mean, lo, hi = band(curves)
        if against == "time":
            x = band(stack([r.iteration_time for r in runs]))[0]
        else:
            x = np.arange(1, curves.shape[1] + 1)
        c = colour[name]
        ax.plot(x, mean, color=c, lw=1.6, label=legend_label(name, runs))
        if len(runs) > 1:
            ax.fill_between(x, lo, hi, color=c, alpha=0.15, lw=0)
        for i, r in enumerate(runs):
            finite = np.flatnonzero(np.isfinite(curves[i]))
            if r.diverged and finite.size:
                j = finite[-1]
                crosses.append((x[j] if against == "iteration" else r.iteration_time[j], curves[i, j], c))
        if np.isfinite(mean).any():
            firsts.append(mean[np.flatnonzero(np.isfinite(mean))[0]])
            if not all(r.diverged for r in runs):
                kept.append(np.nanmax(hi))
    if firsts:  # a diverging curve would squash the others: cut it a little above them
        top = 1.3 * max(kept) if kept else 3 * max(firsts)
        bottom = np.nanmin([line.get_ydata().min() for line in ax.get_lines()
                            if np.isfinite(line.get_ydata()).any()])
        ax.set_ylim(bottom * 0.8, top)
    for x_end, y_end, c in crosses:  # where a diverged run stopped (at the top edge if above it)
        y_end = min(y_end, ax.get_ylim()[1] / 1.05)
        ax.plot([x_end], [y_end], marker="x", ms=9, mew=2, color=c, ls="none")
    ax.set_yscale("log")
    plain_log_ticks(ax)
    ax.set_xlabel("training time (s; validation excluded)" if against == "time" else "iteration (mini-batch)")
    ax.set_ylabel("training loss (log scale)")
    ax.set_title(f"{title}: training loss, smoothed, {_seed_text(result)}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper right", fontsize=9, ncol=2 if len(result.optimizers) > 5 else 1)
    fig.tight_layout()
    return fig


def plot_accuracy(result, title: str):
    """The per-epoch score (validation accuracy, or what the data allows) of every optimizer."""
    key = result.score_key or "train_loss"
    pct = key.endswith("accuracy")
    fig, ax = subplots(figsize=(7.5, 4.4))
    colour = colours(result.optimizers)
    k = len(result.optimizers)
    for i, name in enumerate(result.optimizers):
        runs = result.runs_of(name)
        rows = stack([r.history[key] for r in runs]) * (100.0 if pct else 1.0)
        mean, lo, hi = band(rows)
        # side by side within each epoch, so that the bars of different optimizers do not overlap
        epochs = np.arange(1, rows.shape[1] + 1) + 0.25 * ((i + 0.5) / k - 0.5)
        c = colour[name]
        if len(runs) > 1:
            ax.errorbar(epochs, mean, yerr=[mean - lo, hi - mean], fmt="o-", color=c, lw=1.4, ms=4,
                        capsize=2, elinewidth=1, label=legend_label(name, runs))
        else:
            ax.plot(epochs, mean, "o-", color=c, lw=1.4, ms=4, label=legend_label(name, runs))
    if pct and result.target_accuracy is not None:
        ax.axhline(100 * result.target_accuracy, color="0.4", ls=":", lw=1)
        ax.annotate(f"target {result.target_accuracy:.0%}", (0.01, 100 * result.target_accuracy),
                    xycoords=("axes fraction", "data"), va="bottom", fontsize=8, color="0.3")
    label = metric_label(key)
    if pct:
        ax.set_ylabel(f"{label} (%)")
    else:
        ax.set_yscale("log")
        plain_log_ticks(ax)
        ax.set_ylabel(f"{label} (log scale)")
    ax.set_xlabel("epoch")
    n = max((len(r.history.epochs) for r in result.runs), default=1)
    ax.set_xticks(range(1, n + 1) if n <= 15 else np.linspace(1, n, 8).round())
    seeds = "" if len(result.seeds) == 1 else f"mean and min–max over {len(result.seeds)} seeds"
    ax.set_title(f"{title}: {label} per epoch" + (f", {seeds}" if seeds else ""), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right" if pct else "upper right", fontsize=9,
              ncol=2 if len(result.optimizers) > 5 else 1)
    fig.tight_layout()
    return fig
