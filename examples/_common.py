"""What the example scripts share: their two options, where their images go, and their data.

Every example runs in seconds as it is and at the tutorial's full size with ``--full``; images go
to ``--out`` (default ``examples/out/<example>/``, which git ignores).
"""

from __future__ import annotations

import argparse
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(doc: str, full: str) -> argparse.Namespace:
    """``--full`` (what it does is ``full``) and ``--out``; the script's docstring is the help."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help=full)
    p.add_argument("--out", default=None, help="directory for the images (default examples/out/<name>)")
    return p.parse_args()


def out_dir(args: argparse.Namespace, script: str) -> str:
    """The directory the example writes its images into, created."""
    name = os.path.splitext(os.path.basename(script))[0]
    path = args.out or os.path.join(HERE, "out", name)
    os.makedirs(path, exist_ok=True)
    return path


def mnist_or_sample(transform, train: bool):
    """MNIST (the tutorials' data) if its files are installed, else the Fashion-MNIST sample that
    ships with gradstep; returns ``(dataset, name)``."""
    from gradstep.data.datasets import MNIST, DatasetNotFoundError, FashionMNIST

    try:
        return MNIST(train=train, transform=transform), "MNIST"
    except DatasetNotFoundError:
        return FashionMNIST(sample=True, train=train, transform=transform), "the Fashion-MNIST sample"


def figure(**kwargs):
    """A matplotlib Figure that pyplot does not know of, so nothing global changes: a script saves
    it (``save``), a notebook shows it inline. ``kwargs`` go to ``Figure`` (figsize, ...)."""
    from matplotlib.figure import Figure
    return Figure(**kwargs)


def subplots(*args, figsize=None, **kwargs):
    """``plt.subplots`` without pyplot: ``(figure, axes)``."""
    fig = figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)


def save(fig, path: str) -> None:
    fig.savefig(path, dpi=110, bbox_inches="tight")
