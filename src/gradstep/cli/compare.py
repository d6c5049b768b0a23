"""``gradstep compare``: options into ``gradstep.explore.compare.compare``."""

from __future__ import annotations

import argparse
import sys
import time

from ..explore.compare import DEFAULT_EPOCHS, DEFAULT_OPTIMIZERS, DEFAULT_SEEDS
from .common import EXIT_OK, UsageError, _Parser
from .train import add_training_options, config_from_args

DESCRIPTION = """Train the same model on the same data with several optimizers and compare them
fairly: for each seed every optimizer starts from the same initial weights and sees the same
batches in the same order. Writes report.md (a table: final training loss, best and final
validation accuracy, time to --target-accuracy, training time; mean ± standard deviation over the
seeds; diverged runs marked), loss.png, loss_vs_time.png, accuracy.png and results.json into --out.

With no options it runs seed 002's comparison: its MLP (784-200-10, batch 64) with sgd, momentum,
nesterov, adagrad, rmsprop, adadelta, adam and adamw at the tutorials' learning rates, on the
shipped Fashion-MNIST sample, for 3 epochs with 3 seeds: about a minute on two cores. The options
of `gradstep train` (data set, model, batch size, epochs, scheduler, workers, ...) apply to every run.

examples:
  gradstep compare
  gradstep compare --optimizers sgd,momentum,adam --lr sgd=0.1 --seeds 5 --epochs 5
  gradstep compare --target-accuracy 0.8 --out runs/compare
  gradstep compare --dataset spirals --hidden 64,64 --optimizers sgd,adam --epochs 20
"""


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare optimizers on the same model and data",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    g = p.add_argument_group("comparison")
    g.add_argument("--optimizers", default=",".join(DEFAULT_OPTIMIZERS), metavar="LIST",
                   help=f"comma-separated optimizers (default {','.join(DEFAULT_OPTIMIZERS)}); any "
                        f"gradstep.optim name, or the SGD presets momentum and nesterov")
    g.add_argument("--lr", action="append", metavar="NAME=VALUE", default=[],
                   help="learning rate of one optimizer, e.g. --lr sgd=0.1 (repeatable); a bare VALUE "
                        "sets every optimizer's. Default: the tutorials' one for each optimizer")
    g.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                   help=f"run every optimizer with this many seeds (default {DEFAULT_SEEDS})")
    g.add_argument("--target-accuracy", type=float, metavar="A", default=None,
                   help="also report the training time until the validation accuracy reaches A "
                        "(e.g. 0.8)")
    g.add_argument("--epochs", type=int, default=argparse.SUPPRESS,
                   help=f"epochs per run (default {DEFAULT_EPOCHS})")
    g.add_argument("--out", default=None, help="output directory (default runs/compare-<time>)")
    g.add_argument("--quiet", action="store_true", help="no line per finished run")
    add_training_options(p, skip=("optimizer", "lr", "momentum", "opt_arg", "epochs"))


OWN = ("optimizers", "lr", "seeds", "target_accuracy", "out", "quiet")


def parse_lr_overrides(items: list[str], optimizers: list[str]) -> tuple[float | None, dict]:
    """(learning rate for all, {name: learning rate}) from ``--lr`` values."""
    common, per_name = None, {}
    for item in items:
        name, sep, value = item.rpartition("=")
        try:
            lr = float(value)
        except ValueError:
            raise UsageError(f"--lr takes NAME=VALUE or VALUE, got {item!r}", "compare") from None
        if sep:
            per_name[name.strip().lower()] = lr
        else:
            common = lr
    return common, per_name


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import DataFileError
    from ..explore.compare import compare
    from ..explore.config import ConfigError

    given = {k: v for k, v in vars(args).items() if k not in OWN}
    cfg = config_from_args(argparse.Namespace(**given), "compare")
    if "epochs" not in given:
        cfg = cfg.replace(epochs=DEFAULT_EPOCHS)
    optimizers = [o.strip().lower() for o in args.optimizers.split(",") if o.strip()]
    common, overrides = parse_lr_overrides(args.lr, optimizers)
    if common is not None:
        cfg = cfg.replace(lr=common)
    out = args.out or f"runs/compare-{time.strftime('%Y%m%d-%H%M%S')}"
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    start = time.perf_counter()
    try:
        result = compare(cfg, optimizers, seeds=args.seeds, lr_overrides=overrides,
                         target_accuracy=args.target_accuracy, out=out, progress=progress)
    except (ConfigError, DataFileError) as e:
        raise UsageError(str(e), "compare") from None
    if not args.quiet:
        print()
        print(result.table(), end="")
    diverged = sum(r.diverged for r in result.runs)
    if diverged:
        print(f"{diverged} of {len(result.runs)} runs diverged (marked in the report)", file=sys.stderr)
    print(f"wrote {out}/ (report.md, loss.png, loss_vs_time.png, accuracy.png, results.json) "
          f"in {time.perf_counter() - start:.0f} s")
    return EXIT_OK
