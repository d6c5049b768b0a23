"""The figure of ``curvature``: the top eigenvalues and the eigenvalue density of the Hessian."""

from __future__ import annotations

import numpy as np

from .builders import model_name
from .plots import subplots


def plot_spectrum(result):
    """Left: the top-k eigenvalues with the trace's mean eigenvalue for scale; right (when
    computed): the Gaussian-smoothed eigenvalue density on a log scale, the top eigenvalues marked."""
    c, values = result.config, result.eigenpairs.eigenvalues
    panels = 2 if result.density is not None else 1
    fig, axes = subplots(1, panels, figsize=(5.2 * panels, 3.8), squeeze=False, layout="constrained")
    ax = axes[0, 0]
    ranks = np.arange(1, len(values) + 1)
    ax.stem(ranks, values, basefmt="k-")
    for r, v in zip(ranks, values):
        ax.annotate(f"{v:.4g}", (r, v), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8)
    mean = result.trace.trace / result.num_parameters
    ax.axhline(mean, color="tab:orange", ls="--", lw=1.2,
               label=f"mean eigenvalue tr(H)/n = {mean:.3g} (Hutchinson)")
    ax.set_xticks(ranks)
    ax.set_xlim(0.4, len(values) + 0.6)
    ax.set_xlabel("rank")
    ax.set_ylabel("Hessian eigenvalue")
    ax.set_title(f"top {len(values)} eigenvalues ({result.eigenpairs.method}, "
                 f"{result.eigenpairs.hvp_count} HVPs)", fontsize=10)
    top = max(values.max(), mean)
    ax.set_ylim(min(0.0, values.min(), mean) - 0.05 * abs(top), 1.15 * top if top > 0 else 1.0)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    if result.density is not None:
        ax = axes[0, 1]
        nodes = result.density.nodes
        lo, hi = float(nodes.min()), float(nodes.max())
        width = max(hi - lo, abs(hi), 1e-12)
        sigma = 0.01 * width
        grid = np.linspace(lo - 0.05 * width, hi + 0.05 * width, 600)
        ax.semilogy(grid, np.maximum(result.density.at(grid, sigma), 1e-12), color="tab:blue")
        for v in values:
            ax.axvline(v, color="crimson", lw=0.8, ls=":")
        ax.set_ylim(bottom=max(1e-8, 1e-6 / sigma))
        ax.set_xlabel("eigenvalue (top ones dotted)")
        ax.set_ylabel("density")
        ax.set_title(f"eigenvalue density (SLQ, Gaussian σ = {sigma:.2g})", fontsize=10)
        ax.grid(alpha=0.3)
    where = "one batch" if c.one_batch else f"{result.samples} samples"
    fig.suptitle(f"Hessian of the loss: {model_name(c.train)} on {c.train.dataset} ({where}), "
                 f"{result.num_parameters} parameters", fontsize=11)
    return fig
