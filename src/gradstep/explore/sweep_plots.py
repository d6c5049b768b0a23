"""The figures of ``sweep``: a heatmap of the final metric over learning rate × batch size (one
panel per combination of the other gridded arguments), and the loss curve of every cell."""

from __future__ import annotations

import numpy as np

from .plots import _positive, get_cmap, plain_log_ticks, smooth_log, subplots
from .report import metric_label

SMOOTH_ABOVE = 50   # smooth a curve only when it has more points than this


def _panel_title(args: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in args.items())


def _cell_text(value: float, metric: str) -> str:
    return f"{value:.1%}" if metric.endswith("accuracy") else f"{value:.3g}"


def plot_heatmap(result, title: str):
    """The final metric of every cell, learning rates down and batch sizes across; a diverged cell
    is grey, hatched and labelled "diverged"."""
    import matplotlib.colors as mcolors
    from matplotlib.patches import Rectangle

    combos = result.combos()
    lrs, bss, metric = result.lrs, result.batch_sizes, result.metric
    is_loss = metric.endswith("loss")
    values = [c.final.get(metric) for c in result.cells if c.status == "ok"]
    values = [v for v in values if v is not None and np.isfinite(v)]
    if is_loss and values and min(values) > 0:
        norm = mcolors.LogNorm(min(values), max(max(values), min(values) * 1.0001))
    elif values:
        norm = mcolors.Normalize(min(values), max(max(values), min(values) + 1e-12))
    else:
        norm = mcolors.Normalize(0, 1)
    cmap = get_cmap("viridis_r" if is_loss else "viridis")   # better is always yellow
    w = max(4.5, 1.3 * len(bss) + 2.5)
    h = max(3.2, 0.75 * len(lrs) + 1.8)
    fig, axes = subplots(1, len(combos), figsize=(w * len(combos), h), squeeze=False,
                             layout="constrained")
    for ax, combo in zip(axes[0], combos):
        grid = np.full((len(lrs), len(bss)), np.nan)
        for i, lr in enumerate(lrs):
            for j, bs in enumerate(bss):
                c = result.cell(lr, bs, combo)
                if c is not None and c.status == "ok" and c.final.get(metric) is not None:
                    grid[i, j] = c.final[metric]
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto")
        for i, lr in enumerate(lrs):
            for j, bs in enumerate(bss):
                c = result.cell(lr, bs, combo)
                if c is not None and c.status != "ok":
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="0.85",
                                               edgecolor="0.45", hatch="//", lw=0))
                    text = c.status
                    if c.status == "diverging" and c.final.get(metric) is not None:
                        text += "\n" + _cell_text(c.final[metric], metric)
                    ax.text(j, i, text, ha="center", va="center", fontsize=10, color="firebrick",
                            fontweight="bold", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
                elif np.isfinite(grid[i, j]):
                    r, g, b, _ = cmap(norm(grid[i, j]))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                    ax.text(j, i, _cell_text(grid[i, j], metric), ha="center", va="center", fontsize=10,
                            color="white" if dark else "black")
        if result.start is not None:
            _mark_threshold(ax, lrs, result.start.threshold, len(bss))
        ax.set_xticks(range(len(bss)), [str(b) for b in bss])
        ax.set_yticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
        ax.set_xlabel("batch size")
        if ax is axes[0, 0]:
            ax.set_ylabel("learning rate")
        if combo:
            ax.set_title(_panel_title(combo), fontsize=10)
    cbar = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9)
    cbar.set_label("final " + metric_label(metric) + (" (log scale)" if is_loss else ""))
    fig.suptitle(title, fontsize=11)
    return fig


def threshold_row(lrs, threshold: float) -> float | None:
    """Where 2/lambda_max falls on the heatmap's learning-rate axis (row i holds lrs[i]),
    interpolated on a log scale; an edge if it lies beyond every lr; None if the lrs are not sorted."""
    lrs = list(lrs)
    if not np.isfinite(threshold) or any(b <= a for a, b in zip(lrs, lrs[1:])):
        return None
    if threshold <= lrs[0]:
        return -0.5
    if threshold >= lrs[-1]:
        return len(lrs) - 0.5
    i = next(i for i in range(len(lrs) - 1) if lrs[i] < threshold <= lrs[i + 1])
    return i + np.log(threshold / lrs[i]) / np.log(lrs[i + 1] / lrs[i])


def _mark_threshold(ax, lrs, threshold: float, columns: int) -> None:
    """A dashed line at lr = 2/lambda_max, labelled, between the rows it separates."""
    y = threshold_row(lrs, threshold)
    if y is None:
        return
    ax.axhline(y, color="crimson", ls="--", lw=2)
    ax.annotate(rf"$2/\lambda_{{max}}$ = {threshold:.3g} (full-batch GD diverges below the line)",
                (columns - 0.5, y), xytext=(-4, 4 if y > 0 else -4), textcoords="offset points",
                ha="right", va="bottom" if y > 0 else "top", fontsize=8, color="crimson",
                fontweight="bold", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})


def plot_curves(result, title: str):
    """The training loss of every cell against the samples seen before its batch: a panel per
    cell, learning rates down (each row on one loss scale), batch sizes (× other gridded
    arguments) across; diverged and diverging cells in red."""
    combos = result.combos()
    lrs, cols = result.lrs, [(bs, combo) for combo in combos for bs in result.batch_sizes]
    fig, axes = subplots(len(lrs), len(cols), figsize=(3.2 * len(cols) + 0.8, 2.5 * len(lrs) + 0.9),
                             squeeze=False, sharex=True, sharey="row")
    for i, lr in enumerate(lrs):
        for j, (bs, combo) in enumerate(cols):
            ax = axes[i, j]
            ax.set_yscale("log")
            ax.grid(alpha=0.3, which="both")
            c = result.cell(lr, bs, combo)
            head = f"lr {lr:g}, batch {bs}" + (f", {_panel_title(combo)}" if combo else "")
            ax.set_title(head, fontsize=9)
            if c is None or not c.samples:
                ax.text(0.5, 0.5, "no step", ha="center", va="center", transform=ax.transAxes)
                continue
            loss = _positive(c.history.iteration_loss)
            x = np.asarray([0, *c.samples[:len(loss) - 1]], dtype=float)
            colour = "tab:blue" if c.status == "ok" else "firebrick"
            if len(loss) > SMOOTH_ABOVE:
                ax.plot(x, loss, color=colour, alpha=0.25, lw=0.6)
                ax.plot(x, smooth_log(loss), color=colour, lw=1.4)
            else:
                ax.plot(x, loss, "o-", color=colour, lw=1.4, ms=3)
            if c.status != "ok":
                what = f"diverged\nat step {c.steps + 1}" if c.diverged else "diverging"
                ax.text(0.5, 0.5, what, transform=ax.transAxes, ha="center", va="center",
                        color="firebrick", fontsize=11, fontweight="bold")
        plain_log_ticks(axes[i, 0])
    for ax in axes[-1]:
        ax.set_xlabel("samples seen")
    for ax in axes[:, 0]:
        ax.set_ylabel("loss per batch")
    fig.suptitle(f"{title}: training loss" + (" (smoothed; raw, pale)" if any(
        len(c.history.iteration_loss) > SMOOTH_ABOVE for c in result.cells) else ""), fontsize=11)
    fig.tight_layout()
    return fig
