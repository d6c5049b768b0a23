"""``gradstep evaluate CHECKPOINT``: loss and accuracy of a saved model on a data set's test split."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, UsageError, _Parser


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a saved model",
                       description="Print the loss and accuracy of the model in CHECKPOINT (a "
                                   "best.safetensors or last.safetensors of `gradstep train`) on a "
                                   "data set's test split.")
    p.__class__ = _Parser
    p.add_argument("checkpoint")
    p.add_argument("--dataset", default=None, help="data set (default: the one it was trained on)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--batch-size", type=int, default=256)


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import DataFileError
    from ..explore.config import ConfigError
    from ..explore.evaluate import evaluate_checkpoint
    from ..serialization import CheckpointError

    try:
        result = evaluate_checkpoint(args.checkpoint, dataset=args.dataset, data_dir=args.data_dir,
                                     batch_size=args.batch_size)
    except (ConfigError, CheckpointError, DataFileError) as e:
        raise UsageError(str(e), "evaluate") from None
    print(" | ".join(f"{k} {v:.4f}" for k, v in result.items()))
    return EXIT_OK
