"""``gradstep sweep``: options into ``gradstep.explore.sweep.sweep``."""

from __future__ import annotations

import argparse
import time

from .common import EXIT_OK, UsageError, _Parser
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

OWN = ("lr", "batch_size", "grid", "budget", "metric", "out", "quiet")


def add_parser(sub) -> None:
    from ..explore.sweep import METRICS

    p = sub.add_parser("sweep", help="sweep learning rates, batch sizes and optimizer arguments",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    g = p.add_argument_group("grid")
    g.add_argument("--lr", default=None, metavar="LR,LR,...",
                   help="learning rates, e.g. 0.002,0.2,5 (default: the tutorials' one for the optimizer)")
    g.add_argument("--batch-size", default=None, metavar="B,B,...", help="batch sizes, e.g. 1,10,1000 (64)")
    g.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="values of another optimizer argument, e.g. momentum=0,0.9 (repeatable)")
    g.add_argument("--budget", default=None,
                   help='per cell: "N epochs" (default: --epochs, 5) or "N samples" seen')
    g.add_argument("--metric", default=None, choices=METRICS,
                   help="what the heatmap shows (default: validation accuracy for classification, "
                        "the training loss for regression)")
    g.add_argument("--out", default=None, help="output directory (default runs/sweep-<time>)")
    g.add_argument("--quiet", action="store_true", help="no line per finished cell")
    add_training_options(p, skip=("lr", "batch_size"))


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


def _numbers(text: str, option: str, kind):
    try:
        return [kind(v) for v in split_top_level(text)]
    except ValueError:
        raise UsageError(f"{option} takes comma-separated {kind.__name__}s, got {text!r}", "sweep") from None


def parse_grid(items: list[str]) -> dict:
    from ..explore.config import parse_value

    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--grid takes KEY=V1,V2,..., got {item!r}", "sweep")
        grid[key.strip()] = [parse_value(v) for v in split_top_level(values)]
    return grid


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import DataFileError
    from ..explore.builders import optimizer_spec
    from ..explore.config import ConfigError
    from ..explore.sweep import Budget, sweep

    given = {k: v for k, v in vars(args).items() if k not in OWN}
    cfg = config_from_args(argparse.Namespace(**given), "sweep")
    try:
        lrs = (_numbers(args.lr, "--lr", float) if args.lr is not None
               else [optimizer_spec(cfg)[1]["lr"]])
        batch_sizes = _numbers(args.batch_size, "--batch-size", int) if args.batch_size else [cfg.batch_size]
        budget = Budget.parse(args.budget) if args.budget is not None else None
        out = args.out or f"runs/sweep-{time.strftime('%Y%m%d-%H%M%S')}"
        progress = None if args.quiet else (lambda line: print(line, flush=True))
        result = sweep(cfg, lrs, batch_sizes, grid=parse_grid(args.grid), budget=budget, metric=args.metric,
                       out=out, progress=progress)
    except (ConfigError, DataFileError) as e:
        raise UsageError(str(e), "sweep") from None
    best = result.best()
    if best is not None:
        print(f"best: lr {best.lr:g}, batch size {best.batch_size}"
              + "".join(f", {k} {v}" for k, v in best.args.items()))
    bad = [c for c in result.cells if c.status != "ok"]
    if bad:
        print(f"{len(bad)} of {len(result.cells)} cells diverged or were diverging (marked in the report)")
    print(f"wrote {out}/ (report.md, heatmap.png, curves.png, results.json)")
    return EXIT_OK
