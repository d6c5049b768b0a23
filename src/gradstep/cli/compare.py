"""``gradstep compare``: options into a ``CompareConfig``, then ``run_compare``."""

from __future__ import annotations

import argparse
import sys
import time

from .common import (
    EXIT_OK,
    LR_HELP,
    add_command,
    add_config_options,
    add_format_option,
    add_overwrite_option,
    given,
    parse_lr,
    report_written,
    run_into_folder,
)
from .train import add_training_options, config_from_args

DESCRIPTION = """Train the same model on the same data with several optimizers and compare them
fairly: for each seed every optimizer starts from the same initial weights and sees the same
batches in the same order. Writes report.md (a table: final training loss, best and final
validation accuracy, time to --target-accuracy, training time; mean ± standard deviation over the
seeds; diverged runs marked), loss.png, loss_vs_time.png, accuracy.png and results.json into --out.

With no options it runs seed 002's comparison: its MLP (784-200-10, batch 64) with sgd, momentum,
nesterov, adagrad, rmsprop, adadelta, adam and adamw at the tutorials' learning rates, on the
shipped Fashion-MNIST sample, for 3 epochs with 3 seeds: about a minute on two cores. The options
of `gradstep train` (data set, model, batch size, epochs, scheduler, workers, ...) apply to every
run, your own --model and --data included.

examples:
  gradstep compare
  gradstep compare --optimizers sgd,momentum,adam --lr sgd=0.1 --seeds 5 --epochs 5
  gradstep compare --target-accuracy 0.8 --out runs/compare
  gradstep compare --dataset spirals --hidden 64,64 --optimizers sgd,adam --epochs 20
"""

OWN = ("optimizers", "seeds", "target_accuracy", "out")
SKIP = ("optimizer", "lr", "momentum", "opt_args")


def add_parser(sub) -> None:
    from ..explore.builders import optimizer_names
    from ..explore.compare import CompareConfig

    d = CompareConfig()
    p = add_command(sub, "compare", "compare optimizers on the same model and data", DESCRIPTION)
    g = p.add_argument_group("comparison")
    add_config_options(g, d, OWN, {"optimizers": optimizer_names()})
    g.add_argument("--lr", action="append", dest="lr_values", metavar="[NAME=]VALUE",
                   default=argparse.SUPPRESS,
                   help=LR_HELP + " (default: the tutorials' one for each optimizer)")
    g.add_argument("--quiet", action="store_true", help="no progress bar and no line per finished run")
    add_format_option(g)
    add_overwrite_option(g)
    add_training_options(p, d.train, skip=SKIP)


def config_from(args: argparse.Namespace):
    """The CompareConfig the options describe (its defaults where none is given)."""
    from ..explore.compare import CompareConfig

    base = CompareConfig()
    train = config_from_args(args, "compare", base=base.train)
    own = given(args, OWN)
    if "lr_values" in vars(args):
        values, named = parse_lr(args.lr_values, "compare")
        if values:
            train = train.replace(lr=values[-1])
        own["lr"] = named
    return base.replace(train=train, **own)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.quiet:  # no bars either
        config = config.replace(train=config.train.replace(quiet=True))
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    start = time.perf_counter()
    result, out, files = run_into_folder(config, args, "compare", progress=progress)
    if not args.quiet:
        print()
        print(result.table(), end="")
    diverged = sum(r.diverged for r in result.runs)
    if diverged:
        print(f"{diverged} of {len(result.runs)} runs diverged (marked in the report)", file=sys.stderr)
    report_written(out, files, f" in {time.perf_counter() - start:.0f} s")
    return EXIT_OK
