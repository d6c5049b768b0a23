"""The figures of ``net_landscape``: the loss surface's contours with every trajectory projected
onto the plane, and the same surface in 3-D. Sized for a report's column (6.5 inches wide)."""

from __future__ import annotations

import numpy as np

from .landscape_plots import COLORS
from .plots import new_figure

WIDTH = 6.5


def _levels(z: np.ndarray):
    """(levels, norm, label) for filled contours: log-spaced where the loss spans more than a decade
    (far from θ* it grows by orders of magnitude), else linear."""
    from matplotlib import colors

    finite = z[np.isfinite(z)]
    lo, hi = float(finite.min()), float(finite.max())
    if lo > 0 and hi / lo > 10:
        return np.geomspace(lo, hi, 25), colors.LogNorm(lo, hi), "loss (log-spaced levels)"
    if hi == lo:
        hi = lo + 1e-6
    return np.linspace(lo, hi, 25), colors.Normalize(lo, hi), "loss"


def _clean(z: np.ndarray) -> np.ndarray:
    """Non-finite losses (overflow far from θ*) drawn as the largest finite one."""
    finite = z[np.isfinite(z)]
    return np.where(np.isfinite(z), z, finite.max() if finite.size else 0.0)


def plot_contour(result):
    """``contour.png``: filled loss contours over the plane, every trajectory's recorded points
    (start ○, end ■), θ* ★, the axes saying what the directions are."""
    from matplotlib import ticker

    z = _clean(result.loss)
    levels, norm, label = _levels(z)
    fig = new_figure(figsize=(WIDTH, 6.2), layout="constrained")
    ax = fig.add_subplot()
    cs = ax.contourf(result.alphas, result.betas, z, levels=levels, norm=norm, cmap="viridis")
    ax.contour(result.alphas, result.betas, z, levels=levels[::3], colors="white", linewidths=0.4, alpha=0.5)
    log = label.startswith("loss (log")
    bar = fig.colorbar(cs, ax=ax, shrink=0.9, pad=0.02,
                       ticks=ticker.LogLocator(subs=(1, 2, 5)) if log else ticker.MaxNLocator(7))
    bar.ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%.3g"))
    bar.set_label(f"{label}, first {result.eval_samples} training samples")
    for i, t in enumerate(result.trajectories):
        c = COLORS[i % len(COLORS)]
        x, y = t.coords[:, 0], t.coords[:, 1]
        ax.plot(x, y, "-", color=c, lw=1.8, marker=".", ms=5, zorder=7,
                label=f"{t.label}: diverged (left out of the fit)" if t.diverged
                else f"{t.label}: {t.explained:.0%} of its variance in the plane")
        ax.plot(x[0], y[0], "o", color="white", mec=c, mew=1.8, ms=8, zorder=8)
        ax.plot(x[-1], y[-1], "s", color=c, mec="black", mew=0.8, ms=7, zorder=8)
    ax.plot(0, 0, "*", color="gold", mec="black", mew=0.8, ms=15, zorder=9,
            label=f"θ* ({result.reference}'s end), loss {result.center_loss:.3g}")
    ax.set_xlim(result.alphas[0], result.alphas[-1])
    ax.set_ylim(result.betas[0], result.betas[-1])
    ax.set_xlabel(result.axis_label(0))
    ax.set_ylabel(result.axis_label(1))
    ax.set_title(f"{result.title}: loss around θ* "
                 f"({'PCA' if result.config.directions == 'pca' else 'random'} plane, "
                 f"{result.explained:.1%} of the trajectories' variance)", fontsize=9.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=1, fontsize=8, framealpha=0.95,
              title="start ○, end ■", title_fontsize=8)
    return fig


def plot_surface(result):
    """``surface.png``: the loss over the plane as a 3-D surface (log loss where it spans decades)."""
    z = _clean(result.loss)
    levels, norm, label = _levels(z)
    log = label.startswith("loss (log")
    height = np.log10(z) if log else z
    fig = new_figure(figsize=(WIDTH, 5.0), layout="constrained")
    ax = fig.add_subplot(projection="3d")
    a, b = np.meshgrid(result.alphas, result.betas)
    surf = ax.plot_surface(a, b, height, cmap="viridis", norm=_height_norm(height), rstride=1, cstride=1,
                           linewidth=0.15, edgecolor="0.3", shade=False)
    ax.plot([0], [0], [height[np.unravel_index(np.argmin(np.hypot(a, b)), a.shape)]], "*", color="gold",
            mec="black", ms=13, zorder=10)
    ax.set_xlabel(result.axis_label(0), fontsize=8)
    ax.set_ylabel(result.axis_label(1), fontsize=8)
    ax.set_zlabel("log₁₀ loss" if log else "loss", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.view_init(elev=28, azim=_azimuth(result.alphas, result.betas, height))
    bar = fig.colorbar(surf, ax=ax, shrink=0.6, pad=0.1)
    bar.set_label(("log₁₀ loss" if log else "loss") + f", first {result.eval_samples} training samples")
    ax.set_title(f"{result.title}: loss surface around θ*", fontsize=9.5)
    return fig


def _height_norm(height):
    from matplotlib import colors
    return colors.Normalize(float(height.min()), float(height.max()))


def _azimuth(alphas, betas, height) -> float:
    """A view from the side opposite the highest loss, turned 30° off it: the surface rises away
    from the viewer, so no ridge in front hides the basin around θ*."""
    j, i = np.unravel_index(np.argmax(height), height.shape)
    x = (alphas[i] - alphas.mean()) / np.ptp(alphas)   # in the box's normalised coordinates
    y = (betas[j] - betas.mean()) / np.ptp(betas)
    return float(np.degrees(np.arctan2(-y, -x))) + 30.0
