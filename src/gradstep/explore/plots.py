"""Figures as matplotlib ``Figure`` objects, made without pyplot: nothing here touches matplotlib's
global state (no backend switch, no open figure left behind), so a notebook shows them and a
script saves them; ``save_figure`` writes one atomically (PNG, SVG or PDF, from the extension).
The helpers the training figures use (``gradstep.train.figures``) serve here too."""

from __future__ import annotations

import os

import numpy as np

from ..train.figures import figure_bytes, figure_class, plain_log_ticks, save, smooth
from ..train.figures import positive as _positive

__all__ = ["subplots", "new_figure", "get_cmap", "figure_bytes", "save_figure", "smooth", "smooth_log",
           "plain_log_ticks"]


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, dpi=None, layout=None, **kwargs):
    """``(Figure, axes)`` as ``pyplot.subplots`` returns them, without pyplot."""
    fig = new_figure(figsize=figsize, dpi=dpi, layout=layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def new_figure(**kwargs):
    """A Figure unknown to pyplot that a notebook shows inline (``train.figures.figure_class``)."""
    return figure_class()(**{k: v for k, v in kwargs.items() if v is not None})


def get_cmap(name: str):
    from matplotlib import colormaps
    return colormaps[name]


def save_figure(fig, path, dpi: int = 110) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names (png by default)."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    save(fig, path, (fmt,), dpi)


def smooth_log(losses, weight: float = 0.05) -> np.ndarray:
    """Seed 003's weighted average taken over log(loss): on a log axis the smoothed curve runs
    through the middle of the noisy one and forgets a large early loss as fast as a small one
    (the plain average of losses spanning decades lags far behind on the way down). Like any
    one-sided average it trails the noisy curve by about ``1 / weight`` points."""
    return np.exp(smooth(np.log(_positive(losses)), weight))
