"""``gradstep plot RUN [RUN...]``: finished runs side by side (``gradstep.explore.runs.plot_runs``)."""

from __future__ import annotations

import argparse
import os

from .common import (
    EXIT_OK,
    UsageError,
    _Parser,
    add_format_option,
    add_overwrite_option,
    formats_of,
    owned_folder,
)

DESCRIPTION = """Overlay the curves of finished runs (folders written by `gradstep train`): the
training loss (smoothed as TensorBoard smooths, validation loss dashed), the accuracy and the learning
rate against epochs, or the metrics named by --metric. The legend names each run by the settings
in which the runs differ, read from their config.json.

examples:
  gradstep plot runs/sgd runs/adam
  gradstep plot runs/* --metric val_accuracy --smooth 0 --format png,pdf --out report/optimizers
"""


def add_parser(sub) -> None:
    p = sub.add_parser("plot", help="overlay the curves of finished runs", description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders (each with history.json)")
    p.add_argument("--metric", default=None,
                   help="what to draw, comma-separated: loss, accuracy, lr or any epoch column such as "
                        "val_loss (default: loss, accuracy and lr, those every run has)")
    p.add_argument("--smooth", type=float, default=0.9,
                   help="smoothing of per-iteration curves in [0, 1), as TensorBoard's slider (0.9; 0: raw)")
    add_format_option(p)
    p.add_argument("--out", default="runs-plot", help="file name without suffix (runs-plot)")
    add_overwrite_option(p)


def run(args: argparse.Namespace) -> int:
    from ..explore.runs import RunFolderError, load_run, plot_runs
    from ..train.figures import save

    kinds = formats_of(args)
    metrics = [m.strip() for m in args.metric.split(",") if m.strip()] if args.metric else None
    try:
        runs = [load_run(folder) for folder in args.runs]
        fig = plot_runs(runs, metrics, smoothing=args.smooth)
    except RunFolderError as e:
        raise UsageError(str(e), "plot") from None
    targets = [f"{args.out}.{kind}" for kind in kinds]
    existing = [t for t in targets if os.path.lexists(t)]
    if existing and not args.overwrite:
        raise UsageError(f"{', '.join(existing)} already exists; replace it with --overwrite, or choose "
                         f"another --out", "plot")
    # the folder is owned as every command's: one holding a run's results needs --overwrite (which
    # replaces only the figures written here), and it is locked while they are written
    folder = os.path.dirname(os.path.abspath(args.out))
    with owned_folder(folder, args, "into" if args.overwrite else "new"):
        written = save(fig, args.out, kinds)
    print(f"wrote {', '.join(written)}")
    return EXIT_OK
