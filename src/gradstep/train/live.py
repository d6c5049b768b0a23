"""``LiveCurves``: the training curves, redrawn as training goes (fastai's ``ShowGraph``, Chainer's
``PlotReport``).

In a Jupyter notebook the figure of ``History.plot()`` appears under the cell and is replaced in
place at every epoch's end (and every ``every_n_steps`` optimizer steps if given); with ``path`` the
same figure is also written there (atomically, in each of ``formats``), so a terminal user can keep
it open in an image viewer. On rank 0 only.
"""

from __future__ import annotations

import os
import warnings

from .. import distributed as dist
from .callbacks import Callback
from .figures import FORMATS, save
from .progress import in_notebook


class LiveCurves(Callback):
    """Redraw ``History.plot()`` while training; see the module docstring."""

    def __init__(self, path=None, every_n_steps: int | None = None, formats=("png",),
                 title: str | None = None):
        if every_n_steps is not None and (not isinstance(every_n_steps, int) or every_n_steps < 1):
            raise ValueError(f"every_n_steps must be a positive integer or None, got {every_n_steps!r}")
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown figure format(s) {', '.join(unknown)}; known: {', '.join(FORMATS)}")
        self.path = None if path is None else os.fspath(path)
        self.every_n_steps, self.formats, self.title = every_n_steps, tuple(formats), title
        self._handle = None
        self.draws = 0

    def on_fit_start(self, trainer) -> None:
        self._handle = None
        if self.path is None and not in_notebook() and dist.is_main_process():
            warnings.warn("LiveCurves draws into a Jupyter notebook or into a file; outside a notebook "
                          "give it path='curves.png'", stacklevel=2)

    def on_batch_end(self, trainer, logs: dict) -> None:
        if self.every_n_steps and logs.get("stepped") and trainer.global_step % self.every_n_steps == 0:
            self.draw(trainer)

    def on_epoch_end(self, trainer, logs: dict) -> None:
        self.draw(trainer)

    def draw(self, trainer) -> None:
        """Show (and write) the current figure."""
        if not dist.is_main_process():
            return
        fig = trainer.history.plot(title=self.title)
        if self.path is not None:
            save(fig, self.path, self.formats)
        if in_notebook():
            from IPython.display import display
            if self._handle is None:
                self._handle = display(fig, display_id=True)
            else:
                self._handle.update(fig)
        self.draws += 1
