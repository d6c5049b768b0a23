"""``gradstep train``: options into a ``TrainConfig``, then ``TrainConfig.run()`` (``train_run``)."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_DIVERGED, EXIT_OK, add_command, add_config_options

DESCRIPTION = """Train a model and write config.json, history.json, history.csv, curves.png,
last.safetensors and best.safetensors into --out; --logger tensorboard,csv,jsonl also logs as
training goes (TensorBoard's files into --out/tensorboard), --live redraws the curves meanwhile.
Options may also come from a TOML file (--config); flags given on the command line override it.
With --resume the run continues from a checkpoint with the configuration stored in it (flags given
here override that too).

Your own model and data: --model package.module:function (function() returns a gradstep.nn.Module)
and --data package.module:function (function() returns (train, val, test) data sets of (input,
target) pairs; val and test may be None; integer targets mean classification).

examples:
  gradstep train                                   # seed 002's MLP on the shipped Fashion-MNIST sample
  gradstep train --optimizer sgd --lr 0.1 --momentum 0.9 --scheduler StepLR --sched-arg step_size=2
  gradstep train --dataset linreg --optimizer sgd --lr 0.2 --batch-size 10 --epochs 3
  gradstep train --model cnn --dataset fashion-mnist --epochs 5
  gradstep train --logger tensorboard --format png,pdf    # then: tensorboard --logdir runs
  gradstep train --model mypackage.nets:resnet8 --data mypackage.data:splits
"""

GROUPS = {
    "data": ("dataset", "data", "data_dir", "val_fraction", "batch_size", "subset", "workers"),
    "model": ("model", "hidden", "batchnorm", "dropout"),
    "optimisation": ("optimizer", "lr", "momentum", "weight_decay", "opt_args", "scheduler", "sched_args",
                     "scheduler_interval", "epochs", "clip_grad_norm", "seed"),
}
RUN = ("early_stopping", "max_steps", "out", "resume", "overwrite", "dynamics", "dynamics_every",
       "sharpness_every", "quiet", "loggers", "live", "formats")
TRAINING = tuple(n for names in GROUPS.values() for n in names)


def registry_choices() -> dict:
    """What the registries hold, for the help texts: every name each option takes."""
    from ..explore.builders import MODEL_SPECS, dataset_names, optimizer_names, scheduler_names
    return {"dataset": dataset_names(), "optimizer": optimizer_names(), "scheduler": scheduler_names(),
            "model": [*MODEL_SPECS, "package.module:function"]}


def add_training_options(p: argparse.ArgumentParser, base=None, skip: tuple = ()) -> None:
    """The options of a TrainConfig (defaults shown from ``base``, a TrainConfig), grouped; those
    named in ``skip`` are left for the command to define its own way."""
    from ..explore.config import TrainConfig

    base = base if base is not None else TrainConfig()
    choices = registry_choices()
    for title, names in GROUPS.items():
        add_config_options(p.add_argument_group(title), base, [n for n in names if n not in skip], choices)


def add_parser(sub) -> None:
    from ..explore.config import TrainConfig

    p = add_command(sub, "train", "train a model", DESCRIPTION)
    add_training_options(p)
    g = p.add_argument_group("run")
    add_config_options(g, TrainConfig(), RUN)
    g.add_argument("--config", metavar="FILE.toml", default=argparse.SUPPRESS,
                   help="read options from a TOML file")


def config_from_args(args: argparse.Namespace, command: str = "train", base=None):
    """TrainConfig: ``base`` (default TrainConfig()), then --resume's stored config, then --config's
    file, then flags; ConfigError (one line) for anything wrong, before any data is loaded."""
    from ..explore.config import ConfigError, TrainConfig, parse_key_values
    from ..explore.run import config_from_checkpoint
    from ..serialization import CheckpointError

    flags = {k: v for k, v in vars(args).items() if k in TRAINING + RUN + ("config",)}
    try:
        cfg = base if base is not None else TrainConfig()
        if flags.get("resume"):
            cfg = config_from_checkpoint(flags["resume"], given=flags)
        if "config" in flags:  # the file is checked as a whole, before flags override any of it
            path = flags.pop("config")
            try:
                cfg = TrainConfig.from_dict({**cfg.to_dict(), **_read_toml(path)})
            except ConfigError as e:
                raise ConfigError(e if str(e).startswith("the config file") else f"{path}: {e}") from None
        for key, option in (("opt_args", "--opt-arg"), ("sched_args", "--sched-arg")):
            if key in flags:
                flags[key] = {**getattr(cfg, key), **parse_key_values(flags[key], option)}
        return cfg.replace(**flags)
    except (CheckpointError, OSError) as e:
        raise ConfigError(str(e)) from None


def add_experiment_parser(sub, name: str, summary: str, description: str, config, own: tuple,
                          group: str, skip: tuple) -> argparse.ArgumentParser:
    """The parser of an experiment command whose config embeds a ``TrainConfig`` as ``train``
    (lr-find, curvature): its own options ``own`` in ``group`` with --format and --overwrite, then
    the training options less ``skip``."""
    from .common import add_format_option, add_overwrite_option

    p = add_command(sub, name, summary, description)
    g = p.add_argument_group(group)
    add_config_options(g, config, own)
    add_format_option(g)
    add_overwrite_option(g)
    add_training_options(p, config.train, skip=skip)
    return p


def experiment_config_from(args: argparse.Namespace, config_class, command: str, own: tuple):
    """The ``config_class`` the options describe: its training options and its own ``own``."""
    from .common import given

    base = config_class()
    return base.replace(train=config_from_args(args, command, base=base.train), **given(args, own))


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
    from .. import distributed as dist
    from .common import report_written

    cfg = config_from_args(args)
    result = cfg.run()
    if result.interrupted is not None:
        return _interrupted(result)
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
        print(" | ".join(f"test {k} {v:.4f}" for k, v in result.test.items()))
    report_written(result.out_dir, result.files)
    return EXIT_OK


def _interrupted(result) -> int:
    """Say where an interrupted run stopped and how to resume it; 128 + the signal's number."""
    import os
    import signal

    from .. import distributed as dist
    last = os.path.join(result.out_dir, "last.safetensors")
    if dist.is_main_process():
        t = result.trainer
        saved = (f"saved {last} at epoch {t.epoch + 1}, step {t.global_step}; resume with: gradstep train "
                 f"--resume {last}") if os.path.exists(last) else "no checkpoint saved"
        print(f"gradstep train: interrupted by {signal.Signals(result.interrupted).name}: {saved}",
              file=sys.stderr)
    return 128 + result.interrupted
