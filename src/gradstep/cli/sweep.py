"""``gradstep sweep``: options into a ``SweepConfig``, then ``run_sweep``."""

from __future__ import annotations

import argparse

from .common import (
    EXIT_OK,
    UsageError,
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

DESCRIPTION = """Train one optimizer on every cell of a grid of learning rates (--lr), batch sizes
(--batch-size) and other optimizer arguments (--grid), all cells from the same initial weights and
with the same budget: --budget "3 epochs", or "30000 samples" (the fair budget when batch sizes
differ: every cell sees as many samples). Writes heatmap.png (the final --metric of every cell;
diverged cells hatched and labelled), curves.png (the training loss of every cell), report.md (one
row per cell; w and b for linear regression) and results.json into --out. A diverged cell is a
result, not an error. The options of `gradstep train` (data set, model, optimizer, scheduler, ...)
apply to every cell.

Seed 004's study (linear regression, SGD, batch sizes 1, 10, 1000; lr 0.002 too slow, lr 5
diverges), exactly as the tutorial runs it: 3 epochs with the learning rate divided by 10 after
epoch 2:
  gradstep sweep --dataset linreg --optimizer sgd --lr 0.002,0.2,5 --batch-size 1,10,1000 \\
      --budget "3 epochs" --scheduler StepLR --sched-arg step_size=2 --sched-arg gamma=0.1

more examples:
  gradstep sweep --optimizer sgd --lr 0.01,0.03,0.1 --batch-size 32,128 --budget "18000 samples"
  gradstep sweep --optimizer sgd --lr 0.01,0.1 --grid momentum=0,0.9 --batch-size 64
  gradstep sweep --optimizer adam --lr 1e-3 --grid "betas=(0.9,0.999),(0.5,0.9)"
"""

OWN = ("grid", "budget", "metric", "curvature", "out")


def add_parser(sub) -> None:
    from ..explore.sweep import METRICS, SweepConfig

    d = SweepConfig()
    p = add_command(sub, "sweep", "sweep learning rates, batch sizes and optimizer arguments", DESCRIPTION)
    g = p.add_argument_group("grid")
    g.add_argument("--lr", action="append", dest="lr_values", metavar="LR,LR,...", default=argparse.SUPPRESS,
                   help="learning rates, e.g. 0.002,0.2,5 (default: the tutorials' one for the optimizer)")
    g.add_argument("--batch-size", default=argparse.SUPPRESS, metavar="B,B,...",
                   help=f"batch sizes, e.g. 1,10,1000 (default {d.train.batch_size})")
    g.add_argument("--grid", action="append", default=argparse.SUPPRESS, metavar="KEY=V1,V2,...",
                   help="values of another optimizer argument, e.g. momentum=0,0.9 (repeatable)")
    add_config_options(g, d, ("budget", "metric", "curvature", "out"), {"metric": METRICS})
    g.add_argument("--quiet", action="store_true", help="no progress bar and no line per finished cell")
    add_format_option(g)
    add_overwrite_option(g)
    add_training_options(p, d.train, skip=("lr", "batch_size"))


def split_top_level(text: str) -> list[str]:
    """``"0.1,(0.9,0.99),3"`` -> ``["0.1", "(0.9,0.99)", "3"]``: commas inside brackets stay."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return [p for p in parts if p]


def parse_grid(items: list[str]) -> dict:
    from ..explore.config import parse_value

    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--grid {item!r}: allowed is KEY=V1,V2,...", "sweep")
        grid[key.strip()] = [parse_value(v) for v in split_top_level(values)]
    return grid


def config_from(args: argparse.Namespace):
    from ..explore.sweep import SweepConfig

    base = SweepConfig()
    own = given(args, ("budget", "metric", "curvature", "out"))
    if "lr_values" in vars(args):
        values, named = parse_lr(args.lr_values, "sweep")
        if named:
            raise UsageError(f"--lr {','.join(args.lr_values)!r}: allowed is LR,LR,... (one optimizer is "
                             f"swept)", "sweep")
        own["lrs"] = tuple(values)
    if "batch_size" in vars(args):
        try:
            own["batch_sizes"] = tuple(int(v) for v in split_top_level(args.batch_size))
        except ValueError:
            raise UsageError(f"--batch-size {args.batch_size!r}: allowed is B,B,... (integers)",
                             "sweep") from None
    if "grid" in vars(args):
        own["grid"] = parse_grid(args.grid)
    namespace = argparse.Namespace(**{k: v for k, v in vars(args).items() if k != "batch_size"})
    return base.replace(train=config_from_args(namespace, "sweep", base=base.train), **own)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.quiet:  # no bars either
        config = config.replace(train=config.train.replace(quiet=True))
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    result, out, files = run_into_folder(config, args, "sweep", progress=progress)
    best = result.best()
    if best is not None:
        print(f"best: lr {best.lr:g}, batch size {best.batch_size}"
              + "".join(f", {k} {v}" for k, v in best.args.items()))
    bad = [c for c in result.cells if c.status != "ok"]
    if bad:
        print(f"{len(bad)} of {len(result.cells)} cells diverged or were diverging (marked in the report)")
    report_written(out, files)
    return EXIT_OK
