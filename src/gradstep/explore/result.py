"""``Result``: what an experiment produced, as files it writes and figures it draws.

Every experiment is ``run(config) -> Result``; a result lists its documents (``report.md``,
``results.json``, ...) and its figures, and the two public methods serve everyone alike:
``plot()`` returns the figures (matplotlib ``Figure`` objects made without pyplot, for a notebook
to show or a script to save) and ``write(folder)`` writes every file atomically and returns their
paths, so the command line prints what was written rather than a list of its own.
"""

from __future__ import annotations

import os

from ..train.figures import save
from .report import write_json, write_text


class Result:
    """Base of every experiment's result; a subclass says what its files are."""

    dpi = 110   # resolution of the figures it writes

    def documents(self) -> dict:
        """``{file name: content}``: a str is written as text, bytes as they are, anything else as
        strict JSON."""
        return {}

    def figures(self) -> dict:
        """``{file name: Figure}``; the extension says the format (png, svg, pdf)."""
        return {}

    def plot(self) -> list:
        """The result's figures, each labelled with its file name's stem (``fig.get_label()``)."""
        figures = []
        for name, fig in self.figures().items():
            fig.set_label(os.path.splitext(name)[0])
            figures.append(fig)
        return figures

    def write(self, folder, formats=("png",)) -> list[str]:
        """Write every document and figure into ``folder`` (made if missing), each atomically, the
        figures in each of ``formats`` (png, svg, pdf: ``--format png,pdf``); return the paths
        written, in order."""
        folder = os.fspath(folder)
        os.makedirs(folder, exist_ok=True)
        written = []
        for name, content in self.documents().items():
            path = os.path.join(folder, name)
            if isinstance(content, bytes):
                from ..serialization import atomic_write_bytes
                atomic_write_bytes(path, content)
            elif isinstance(content, str):
                write_text(path, content)
            else:
                write_json(path, content)
            written.append(path)
        for name, fig in self.figures().items():
            written += save(fig, os.path.join(folder, name), tuple(formats), self.dpi)
        return written
