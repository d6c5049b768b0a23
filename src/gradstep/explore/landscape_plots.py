"""The figures of ``run_landscape``: contours with the descent field and trajectories, convergence
curves, and the animation (matplotlib's PillowWriter; Pillow comes with matplotlib)."""

from __future__ import annotations

import io
import math

import numpy as np

from .plots import _positive, new_figure, subplots

# Distinct colours that stay readable over the pale contour map.
COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
          "#7f7f7f", "#bcbd22", "#000080", "#800000")


# Below this the distances (and their squares, the gaps in f) are rounding noise: the plots stop there.
FLOOR = 1e-12


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _draw_surface(ax, surface, fig):
    """Filled contours of f (log-spaced levels if the surface asks), contour lines, the −∇f arrows,
    minima and saddle points; returns the colour bar."""
    from matplotlib import colors, ticker

    X, Y = surface.grid(300)
    Z = surface.values(X, Y)
    kw = {"cmap": "Blues_r", "alpha": 0.8}
    if surface.log_levels:  # f spans orders of magnitude
        floor = max(np.percentile(Z, 0.5), 1e-3)
        levels = np.logspace(np.log10(floor), np.log10(Z.max()), 25)
        cs = ax.contourf(X, Y, np.maximum(Z, floor), levels=levels, norm=colors.LogNorm(),
                         extend="both", **kw)
        bar = fig.colorbar(cs, ax=ax, shrink=0.85, ticks=ticker.LogLocator())
        bar.set_label("f(x, y) (log-spaced levels)")
    elif Z.min() >= 0:  # a bowl: levels equally spaced in √f are equally spaced ellipses
        low = 0.0 if surface.min_value == 0 else np.sqrt(Z.min())  # start the levels at the minimum
        levels = np.linspace(low, np.sqrt(Z.max()), 25) ** 2
        cs = ax.contourf(X, Y, Z, levels=levels, norm=colors.PowerNorm(0.5), **kw)
        ticks = [v for v in ticker.MaxNLocator(6).tick_values(low ** 2, Z.max()) if low ** 2 <= v <= Z.max()]
        bar = fig.colorbar(cs, ax=ax, shrink=0.85, ticks=ticks)
        bar.set_label("f(x, y) (levels spaced in √f)")
    else:
        levels = ticker.MaxNLocator(24).tick_values(Z.min(), Z.max())
        cs = ax.contourf(X, Y, Z, levels=levels, **kw)
        bar = fig.colorbar(cs, ax=ax, shrink=0.85)
        bar.set_label("f(x, y)")
    ax.contour(X, Y, Z, levels=levels[::2], colors="white", linewidths=0.4, alpha=0.6)
    # seed 003's quiver: the gradient by autograd, drawn as the direction of steepest descent
    Xq, Yq = surface.grid(17)
    U, V = surface.gradient_field(Xq, Yq)
    norm = np.hypot(U, V)
    norm[norm == 0] = 1.0
    ax.quiver(Xq, Yq, -U / norm, -V / norm, color="0.25", alpha=0.55, angles="xy", pivot="mid",
              scale=30, width=0.0025, label="−∇f (direction only)")
    for i, (x, y) in enumerate(surface.minima):
        ax.plot(x, y, marker="*", ms=15, color="gold", mec="black", mew=0.8, ls="none", zorder=9,
                label="minimum" if i == 0 else None)
    for i, (x, y) in enumerate(surface.saddles):
        ax.plot(x, y, marker="X", ms=11, color="gold", mec="black", mew=0.8, ls="none", zorder=9,
                label="saddle point" if i == 0 else None)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return bar


def _legend_label(result, t) -> str:
    """``adam (lr 0.05): tol in 312 steps`` / ``: not reached`` / ``: diverged at step 7``."""
    escape = result.surface.escape_below is not None
    if t.diverged_at is not None:
        return f"{t.label}: diverged at step {t.diverged_at}"
    if t.reached_at is None:
        return f"{t.label}: {'not escaped' if escape else 'not reached'}"
    return f"{t.label}: {'escaped' if escape else 'tol'} in {t.reached_at} steps"


def _figure(result, dpi: int = 110):
    """The figure with the surface drawn and the start marked: (fig, plot axes, legend axes)."""
    s = result.surface
    plot_h = float(np.clip(6.0 * np.ptp(s.ylim) / np.ptp(s.xlim), 3.2, 6.0))
    legend_h = 0.3 + 0.2 * math.ceil((len(result.trajectories) + 3) / 2)
    fig = new_figure(figsize=(7.5, plot_h + legend_h), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[plot_h, legend_h])
    ax, legend_ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    legend_ax.axis("off")
    _draw_surface(ax, s, fig)
    ax.plot(*result.start, marker="o", ms=9, color="white", mec="black", mew=1.5, ls="none",
            zorder=9, label=f"start ({result.start[0]:g}, {result.start[1]:g})")
    ax.set_title(f"{s.name}: f(x, y) = {s.formula}", fontsize=10)
    return fig, ax, legend_ax


def _legend(ax, legend_ax):
    """The plot's legend, in its own axes under the plot so that it never hides a trajectory."""
    legend_ax.legend(*ax.get_legend_handles_labels(), loc="upper center", ncol=2, fontsize=8,
                     framealpha=0.95)


def plot_landscape(result):
    """``landscape.png``: contours, the descent field, and every trajectory with its outcome."""
    fig, ax, legend_ax = _figure(result)
    for i, t in enumerate(result.trajectories):
        c = _color(i)
        ax.plot(t.points[:, 0], t.points[:, 1], "-", color=c, lw=1.7, zorder=7, solid_capstyle="round",
                label=_legend_label(result, t))
        # a dot per step shows the step sizes; at most ~80 of them, evenly spread over the run
        ax.plot(t.points[:, 0], t.points[:, 1], "o", color=c, ms=2.4, zorder=7, ls="none",
                markevery=max(1, len(t.points) // 80))
        end = t.points[-1]
        if np.all(np.isfinite(end)):
            ax.plot(*end, marker="x" if t.diverged_at else "s", ms=7, color=c, mec="black", mew=1.0,
                    zorder=8)
    _legend(ax, legend_ax)
    return fig


def plot_convergence(result):
    """``convergence.png``: the criterion's quantity per step (distance to the nearest minimum or
    ‖∇f‖, log scale, with the tolerance) and the gap f(p) − f*; for the saddle, f(p) itself."""
    s, cfg = result.surface, result.config
    escape = s.escape_below is not None
    fig, axes = subplots(1, 1 if escape else 2, figsize=(5.0 if escape else 7.5, 3.4), squeeze=False)
    left, right = axes[0][0], (None if escape else axes[0][1])
    for i, t in enumerate(result.trajectories):
        steps, c = np.arange(len(t.points)), _color(i)
        if escape:
            q = t.values
        elif cfg.criterion == "grad-norm":
            q = _positive(t.grad_norms)
        else:
            q = _positive(s.nearest_minimum(t.points)[1])
        left.plot(steps, q, color=c, lw=1.5, label=_legend_label(result, t))
        if right is not None:
            right.plot(steps, _positive(t.values - s.min_value), color=c, lw=1.5)
        finite = np.flatnonzero(np.isfinite(q))
        if t.diverged_at is not None and len(finite):
            left.plot(steps[finite[-1]], q[finite[-1]], "x", color=c, ms=9, mew=2)
    if escape:
        left.axhline(s.escape_below, color="black", ls="--", lw=1, label=f"escaped: f ≤ {s.escape_below:g}")
        left.set_yscale("symlog", linthresh=1.0)
        top = max(float(np.nanmax(t.values[np.isfinite(t.values)])) for t in result.trajectories)
        left.set_ylim(max(left.get_ylim()[0], -1e4), 3 * max(top, 1.0))
        left.set_ylabel("f(p) (symmetric log scale)")
        left.set_title("f along the run: escaping the saddle")
    else:
        what = "‖∇f(p)‖" if cfg.criterion == "grad-norm" else "distance to the nearest minimum"
        left.axhline(cfg.tol, color="black", ls="--", lw=1, label=f"tolerance {cfg.tol:g}")
        for ax, title, label, floor in ((left, what, what, FLOOR),
                                        (right, "gap to the minimum value", "f(p) − f*", FLOOR ** 2)):
            ax.set_yscale("log")
            ax.set_ylim(bottom=max(ax.get_ylim()[0], floor))
            ax.set_ylabel(f"{label} (log scale)")
            ax.set_title(title)
    for ax in (left, right):
        if ax is not None:
            ax.set_xlabel("step")
            ax.grid(alpha=0.3, which="both")
    fig.suptitle(f"{s.name}, start ({result.start[0]:g}, {result.start[1]:g})", fontsize=11)
    fig.tight_layout()
    fig.legend(*left.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=2 if escape else 3, fontsize=8)
    return fig


def gif_bytes(result, frames: int = 60, fps: int = 12, dpi: int = 72) -> bytes:
    """``landscape.gif``'s bytes: the trajectories growing step by step (at most ``frames`` frames).

    The contours are drawn once; each frame restores them and draws only the moving lines (the
    blitting of matplotlib's animations), and Pillow writes the frames as an animated GIF.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D
    from PIL import Image

    fig, ax, legend_ax = _figure(result, dpi=dpi)
    FigureCanvasAgg(fig)  # a canvas that renders, for blitting (no backend switch)
    moving, proxies = [], []
    for i, t in enumerate(result.trajectories):
        c = _color(i)
        moving.append(ax.plot([], [], "-", color=c, lw=1.6, zorder=7, animated=True)[0])
        moving.append(ax.plot([], [], "o", color=c, mec="black", ms=6, zorder=8, animated=True)[0])
        proxies.append(Line2D([], [], color=c, lw=1.6, label=_legend_label(result, t)))
    counter = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=10, animated=True,
                      bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85})
    handles, labels = ax.get_legend_handles_labels()
    legend_ax.legend(handles + proxies, labels + [p.get_label() for p in proxies], loc="upper center",
                     ncol=2, fontsize=8, framealpha=0.95)
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    longest = max(len(t.points) for t in result.trajectories)
    images = []
    for k in np.unique(np.linspace(0, longest - 1, min(frames, longest)).round().astype(int)):
        canvas.restore_region(background)
        for t, line, head in zip(result.trajectories, moving[::2], moving[1::2]):
            n = min(k + 1, len(t.points))
            line.set_data(t.points[:n, 0], t.points[:n, 1])
            head.set_data(t.points[n - 1:n, 0], t.points[n - 1:n, 1])
        counter.set_text(f"step {k}")
        for artist in (*moving, counter):
            ax.draw_artist(artist)
        images.append(Image.fromarray(np.array(canvas.buffer_rgba())[..., :3]))
    # one palette for every frame, from the last (which has every colour): quick, and no flicker
    palette = images[-1].quantize(colors=256)
    frames_p = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buf = io.BytesIO()
    frames_p[0].save(buf, format="GIF", save_all=True, append_images=frames_p[1:], duration=round(1000 / fps),
                     loop=0)
    return buf.getvalue()
