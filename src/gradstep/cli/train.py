"""``gradstep train``: options into a ``TrainConfig``, then ``gradstep.explore.train_run``."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_DIVERGED, EXIT_FAILED, EXIT_OK, UsageError, _Parser

DESCRIPTION = """Train a model and write history.json, history.csv, curves.png, last.safetensors
and best.safetensors into --out. Options may also come from a TOML file (--config); flags given
on the command line override it. With --resume the run continues from a checkpoint with the
configuration stored in it (flags given here override that too).

examples:
  gradstep train                                   # seed 002's MLP on the shipped Fashion-MNIST sample
  gradstep train --optimizer sgd --lr 0.1 --momentum 0.9 --scheduler StepLR --sched-arg step_size=2
  gradstep train --dataset linreg --optimizer sgd --lr 0.2 --batch-size 10 --epochs 3
  gradstep train --model cnn --dataset fashion-mnist --epochs 5
"""


def add_training_options(p: argparse.ArgumentParser, skip: tuple = ()) -> None:
    """The options shared by train, compare and sweep (defaults come from TrainConfig); those
    named in ``skip`` (e.g. ``("lr",)``) are left for the command to define its own way."""
    p = _Skipping(p, {"--" + name.replace("_", "-") for name in skip})
    S = argparse.SUPPRESS
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default=S, help="fashion-mnist-sample (default, shipped), fashion-mnist, "
                   "mnist, cifar10, linreg, spirals, moons")
    g.add_argument("--data-dir", default=S, help="directory holding the data set's files")
    g.add_argument("--val-fraction", type=float, default=S,
                   help="share of the training data held out for validation (0.1)")
    g.add_argument("--batch-size", type=int, default=S, help="mini-batch size (64)")
    g.add_argument("--subset", type=int, metavar="N", default=S,
                   help="train on only the first N training samples (quick trials)")
    g.add_argument("--workers", type=int, default=S, help="DataLoader worker processes (0)")
    g = p.add_argument_group("model")
    g.add_argument("--model", default=S, choices=["mlp", "linear", "cnn"], help="mlp (default), linear, cnn")
    g.add_argument("--hidden", default=S, help="hidden sizes of the mlp: 200 (default) or 256,128")
    g.add_argument("--batchnorm", action=argparse.BooleanOptionalAction, default=S,
                   help="batch normalisation in hidden layers (default: on for cnn, off for mlp)")
    g.add_argument("--dropout", type=float, default=S, help="dropout probability in hidden layers (0)")
    g = p.add_argument_group("optimisation")
    g.add_argument("--optimizer", default=S, help="adam (default), sgd, momentum, nesterov, adagrad, "
                   "rmsprop, adadelta, adamw, adamax, nadam, radam, rprop, asgd, lion")
    g.add_argument("--lr", type=float, default=S,
                   help="learning rate (default: the tutorials' one for the optimizer)")
    g.add_argument("--momentum", type=float, default=S)
    g.add_argument("--weight-decay", type=float, default=S)
    g.add_argument("--opt-arg", action="append", metavar="KEY=VALUE", default=S,
                   help="any other optimizer argument, e.g. --opt-arg betas='(0.9, 0.99)'")
    g.add_argument("--scheduler", default=S, help="a learning-rate scheduler, e.g. StepLR, OneCycleLR")
    g.add_argument("--sched-arg", action="append", metavar="KEY=VALUE", default=S,
                   help="a scheduler argument, e.g. --sched-arg step_size=2")
    g.add_argument("--scheduler-interval", choices=["epoch", "step"], default=S,
                   help="step the scheduler per epoch (default) or per optimizer step")
    g.add_argument("--epochs", type=int, default=S, help="epochs to train (5)")
    g.add_argument("--clip-grad-norm", type=float, default=S, help="clip the gradients' global norm")
    g.add_argument("--seed", type=int, default=S, help="random seed (0)")


class _Skipping:
    """A parser or argument group that ignores ``add_argument`` for the options in ``skip``."""

    def __init__(self, target, skip: set):
        self._target, self._skip = target, skip

    def add_argument_group(self, *args, **kwargs):
        return _Skipping(self._target.add_argument_group(*args, **kwargs), self._skip)

    def add_argument(self, *names, **kwargs):
        if not self._skip.intersection(names):
            self._target.add_argument(*names, **kwargs)


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model", description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    add_training_options(p)
    S = argparse.SUPPRESS
    g = p.add_argument_group("run")
    g.add_argument("--early-stopping", type=int, metavar="PATIENCE", default=S,
                   help="stop after PATIENCE epochs without a better validation loss")
    g.add_argument("--max-steps", type=int, default=S, help="stop after this many optimizer steps")
    g.add_argument("--out", default=S,
                   help="output directory (default runs/<dataset>-<model>-<optimizer>-<time>)")
    g.add_argument("--resume", metavar="CHECKPOINT", default=S, help="continue from a last.safetensors")
    g.add_argument("--overwrite", action="store_true", default=S,
                   help="replace the run already in --out (otherwise a folder holding a run is refused)")
    g.add_argument("--config", metavar="FILE.toml", default=S, help="read options from a TOML file")
    g.add_argument("--dynamics", action="store_true", default=S,
                   help="record and plot per-layer gradient norms, weight norms, update-to-weight "
                        "ratios and effective step sizes (dynamics.json, dynamics.png)")
    g.add_argument("--dynamics-every", type=int, metavar="N", default=S,
                   help="record the dynamics every N steps instead of at every epoch's end")
    g.add_argument("--quiet", action="store_true", default=S, help="no progress bar")


def config_from_args(args: argparse.Namespace, command: str = "train"):
    """TrainConfig: defaults, then --resume's stored config, then --config's file, then flags."""
    from ..explore.checks import check_config
    from ..explore.config import ConfigError, TrainConfig, parse_hidden, parse_key_values
    from ..explore.run import config_from_checkpoint
    from ..serialization import CheckpointError

    given = dict(vars(args))
    given.pop("command", None)
    try:
        cfg = TrainConfig()
        if given.get("resume"):
            cfg = config_from_checkpoint(given["resume"])
        if "config" in given:  # the file is checked as a whole, before flags override any of it
            path = given.pop("config")
            try:
                cfg = check_config(TrainConfig.from_dict({**cfg.to_dict(), **_read_toml(path)}))
            except (ConfigError, TypeError) as e:
                raise ConfigError(e if str(e).startswith("the config file") else f"{path}: {e}") from None
        if "hidden" in given:
            given["hidden"] = parse_hidden(given["hidden"])
        if "opt_arg" in given:
            given["opt_args"] = {**cfg.opt_args, **parse_key_values(given.pop("opt_arg"), "--opt-arg")}
        if "sched_arg" in given:
            sched_args = parse_key_values(given.pop("sched_arg"), "--sched-arg")
            given["sched_args"] = {**cfg.sched_args, **sched_args}
        return check_config(cfg.replace(**given))
    except (ConfigError, CheckpointError, OSError) as e:
        raise UsageError(str(e), command) from None


def _read_toml(path: str) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from ..explore.config import ConfigError
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"cannot read the config file {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"the config file {path} is not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"the config file {path} is not UTF-8 text: {e}") from None
    except RecursionError:
        raise ConfigError(f"the config file {path} nests its values too deeply") from None


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import DataFileError
    from ..data.worker import WorkerDiedError
    from ..explore.config import ConfigError
    from ..explore.run import train_run
    from ..serialization import CheckpointError
    from ..train.run_folder import RunFolderError

    cfg = config_from_args(args)
    try:
        result = train_run(cfg)
    except (ConfigError, CheckpointError, DataFileError, RunFolderError) as e:
        raise UsageError(str(e), "train") from None
    except (OSError, WorkerDiedError) as e:  # a full or read-only disk, a dead worker: one line
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"gradstep train: error: {getattr(e, 'strerror', None) or e}{where}; the files written "
              f"before are intact", file=sys.stderr)
        return EXIT_FAILED
    if result.interrupted is not None:
        return _interrupted(result)
    from .. import distributed as dist
    if not dist.is_main_process():  # rank 0 reports for every process
        return EXIT_DIVERGED if result.diverged else EXIT_OK
    if result.diverged:
        if cfg.quiet:
            print(result.stop_reason, file=sys.stderr)
        print(f"wrote the history up to the divergence to {result.out_dir}", file=sys.stderr)
        return EXIT_DIVERGED
    if result.stop_reason:
        print(f"stopped: {result.stop_reason}")
    if result.test is not None:
        shown = " | ".join(f"test {k} {v:.4f}" for k, v in result.test.items())
        print(shown)
    extra = ", dynamics.json, dynamics.png" if cfg.dynamics or cfg.dynamics_every else ""
    print(f"wrote {result.out_dir}/ (history.json, history.csv, curves.png, last.safetensors, "
          f"best.safetensors{extra})")
    return EXIT_OK


def _interrupted(result) -> int:
    """Say where an interrupted run stopped and how to resume it; 128 + the signal's number."""
    import os
    import signal

    from .. import distributed as dist
    name = signal.Signals(result.interrupted).name
    last = os.path.join(result.out_dir, "last.safetensors")
    if dist.is_main_process():
        t = result.trainer
        saved = (f"saved {last} at epoch {t.epoch + 1}, step {t.global_step}; resume with: gradstep train "
                 f"--resume {last}") if os.path.exists(last) else "no checkpoint saved"
        print(f"gradstep train: interrupted by {name}: {saved}", file=sys.stderr)
    return 128 + result.interrupted
