"""``gradstep lr-find``: options into ``gradstep.explore.lr_find.lr_find``."""

from __future__ import annotations

import argparse
import time

from .common import EXIT_OK, UsageError, _Parser
from .train import add_training_options, config_from_args

DESCRIPTION = """The learning-rate range test (Leslie Smith; fastai's lr_find): train for
--num-iter mini-batches with a learning rate growing exponentially from --start-lr to --end-lr,
watch the smoothed loss, and suggest the learning rate where it falls fastest. Works on any model,
data set and optimizer of `gradstep train`; the model and optimizer are left as they were. Writes
lr_find.png (the loss against the learning rate, the suggestion marked) and lr_find.json into --out
and prints the suggestion.

How to read the plot: flat while the learning rate is too small to matter, falling once it is large
enough, shooting up when it is too large. Pick a learning rate on the steep downward slope (the dot),
not at the minimum, which is already close to divergence.

examples:
  gradstep lr-find                                   # Adam on seed 002's MLP and the shipped sample
  gradstep lr-find --optimizer sgd --momentum 0.9 --batch-size 128
  gradstep lr-find --model cnn --num-iter 200
"""

SKIPPED = ("lr", "epochs", "scheduler", "sched_arg", "scheduler_interval", "clip_grad_norm")
OWN = ("start_lr", "end_lr", "num_iter", "out")


def add_parser(sub) -> None:
    p = sub.add_parser("lr-find", help="find a learning rate with the LR range test",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    g = p.add_argument_group("range test")
    g.add_argument("--start-lr", type=float, default=1e-7, help="the first learning rate (1e-7)")
    g.add_argument("--end-lr", type=float, default=10.0, help="the last learning rate (10)")
    g.add_argument("--num-iter", type=int, default=100, help="mini-batches to run (100)")
    g.add_argument("--out", default=None, help="output directory (default runs/lr-find-<time>)")
    add_training_options(p, skip=SKIPPED)


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import DataFileError
    from ..explore.config import ConfigError
    from ..explore.lr_find import lr_find

    given = {k: v for k, v in vars(args).items() if k not in OWN}
    cfg = config_from_args(argparse.Namespace(**given), "lr-find")
    out = args.out or f"runs/lr-find-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        result = lr_find(cfg, start_lr=args.start_lr, end_lr=args.end_lr, num_iter=args.num_iter, out=out)
    except (ConfigError, DataFileError) as e:
        raise UsageError(str(e), "lr-find") from None
    stopped = " (stopped early: the loss exploded)" if result.diverged else ""
    print(f"ran {len(result.lrs)} mini-batches from lr {result.lrs[0]:.3g} to {result.lrs[-1]:.3g}{stopped}")
    if result.suggested_lr is None:
        print("no suggestion: the smoothed loss never fell clearly; try a wider range or more iterations")
    else:
        print(f"suggested learning rate: {result.suggested_lr:.3g} (steepest descent of the smoothed loss)")
        print(f"train with it: gradstep train --optimizer {cfg.optimizer} --lr {result.suggested_lr:.3g} "
              f"(and the same other options)")
    print(f"wrote {out}/ (lr_find.png, lr_find.json)")
    return EXIT_OK
