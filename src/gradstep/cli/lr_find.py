"""``gradstep lr-find``: options into an ``LRFindConfig``, then ``run_lr_find``."""

from __future__ import annotations

import argparse

from .common import (
    EXIT_OK,
    report_written,
    run_into_folder,
)
from .train import add_experiment_parser, experiment_config_from

DESCRIPTION = """The learning-rate range test (Leslie Smith; fastai's lr_find): train for
--num-iter mini-batches with a learning rate growing exponentially from --start-lr to --end-lr,
watch the smoothed loss, and suggest the learning rate where it falls fastest. Works on any model,
data set and optimizer of `gradstep train` (your own --model and --data included); the model and
optimizer are left as they were. Writes lr_find.png (the loss against the learning rate, the
suggestion marked) and lr_find.json into --out and prints the suggestion.

How to read the plot: flat while the learning rate is too small to matter, falling once it is large
enough, shooting up when it is too large. Pick a learning rate on the steep downward slope (the dot),
not at the minimum, which is already close to divergence.

examples:
  gradstep lr-find                                   # Adam on seed 002's MLP and the shipped sample
  gradstep lr-find --optimizer sgd --momentum 0.9 --batch-size 128
  gradstep lr-find --model cnn --num-iter 200
"""

SKIPPED = ("lr", "epochs", "scheduler", "sched_args", "scheduler_interval", "clip_grad_norm")
OWN = ("start_lr", "end_lr", "num_iter", "out")


def add_parser(sub) -> None:
    from ..explore.lr_find import LRFindConfig

    add_experiment_parser(sub, "lr-find", "find a learning rate with the LR range test", DESCRIPTION,
                          LRFindConfig(), OWN, "range test", SKIPPED)


def config_from(args: argparse.Namespace):
    from ..explore.lr_find import LRFindConfig

    return experiment_config_from(args, LRFindConfig, "lr-find", OWN)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    result, out, files = run_into_folder(config, args, "lr-find")
    stopped = " (stopped early: the loss exploded)" if result.diverged else ""
    print(f"ran {len(result.lrs)} mini-batches from lr {result.lrs[0]:.3g} to {result.lrs[-1]:.3g}{stopped}")
    if result.suggested_lr is None:
        print("no suggestion: the smoothed loss never fell clearly; try a wider range or more iterations")
    else:
        print(f"suggested learning rate: {result.suggested_lr:.3g} (steepest descent of the smoothed loss)")
        print(f"train with it: gradstep train --optimizer {config.train.optimizer} --lr "
              f"{result.suggested_lr:.3g} (and the same other options)")
    report_written(out, files)
    return EXIT_OK
