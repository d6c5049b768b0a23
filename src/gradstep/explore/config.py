"""``TrainConfig``: every option of ``gradstep train``, typed, with its default and what it means.

The command line parses into it, a TOML file (``--config run.toml``) fills it, and the Python API
takes it directly: ``gradstep.explore.train_run(TrainConfig(optimizer="sgd", lr=0.1))``.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field


class ConfigError(ValueError):
    """An option with a bad value; the message names it and what is allowed."""


@dataclass
class TrainConfig:
    # fashion-mnist-sample (shipped) | fashion-mnist | mnist | cifar10 | linreg | spirals | moons
    dataset: str = "fashion-mnist-sample"
    data_dir: str | None = None             # where the data files are (default: their usual places)
    val_fraction: float = 0.1               # share of the training split held out for validation
    subset: int | None = None               # train on only this many samples (quick trials); None: all
    model: str | None = None                # mlp | linear | cnn; None: linear for linreg, else mlp
    hidden: tuple = (200,)                  # the mlp's hidden sizes: seed 002's 784-200-10 by default
    batchnorm: bool | None = None           # BatchNorm in hidden layers; None: on for cnn, off for mlp
    dropout: float = 0.0                    # dropout probability after each hidden layer
    optimizer: str = "adam"                 # a gradstep.optim name (any case), or momentum / nesterov
    lr: float | None = None                 # None: the tutorials' learning rate for that optimizer
    momentum: float | None = None           # SGD / RMSprop momentum
    weight_decay: float | None = None       # L2 penalty (decoupled for AdamW)
    opt_args: dict = field(default_factory=dict)    # other optimizer arguments: {"betas": (0.9, 0.99)}
    scheduler: str | None = None            # any gradstep.optim.lr_scheduler name, e.g. StepLR
    sched_args: dict = field(default_factory=dict)  # its arguments, e.g. {"step_size": 2}
    scheduler_interval: str = "epoch"       # step the scheduler per "epoch" or per "step"
    batch_size: int = 64
    epochs: int = 5
    seed: int = 0                           # seeds weights, shuffling, dropout and the validation split
    workers: int = 0                        # DataLoader worker processes
    clip_grad_norm: float | None = None     # clip the gradients' global norm to this
    early_stopping: int | None = None       # stop after this many epochs without improvement
    max_steps: int | None = None            # stop after this many optimizer steps (checkpoint kept)
    out: str | None = None                  # output directory (default runs/<dataset>-<model>-<opt>-<time>)
    resume: str | None = None               # continue from this last.safetensors
    overwrite: bool = False                 # replace the run already in ``out`` (else it is refused)
    dynamics: bool = False                  # record per-layer gradient/weight/update norms and plot them
    dynamics_every: int | None = None       # ... every this many steps (None: at every epoch's end)
    quiet: bool = False                     # no progress bar

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        d = {k.replace("-", "_"): v for k, v in d.items()}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        if "hidden" in d:
            d["hidden"] = parse_hidden(d["hidden"])
        return cls(**d)


def parse_hidden(value) -> tuple:
    """``200``, ``"256,128"`` or ``[256, 128]`` -> ``(256, 128)``."""
    if isinstance(value, int):
        return (value,)
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",") if p]
    else:
        parts = list(value)
    try:
        sizes = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise ConfigError(f"--hidden takes sizes like 200 or 256,128, got {value!r}") from None
    if any(s < 1 for s in sizes):
        raise ConfigError(f"--hidden sizes must be positive, got {value!r}")
    return sizes


def parse_value(text: str):
    """A command-line value: a Python literal if it is one (0.9, (0.9, 0.99), True), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_key_values(items, option: str) -> dict:
    """``["momentum=0.9", "nesterov=True"]`` -> ``{"momentum": 0.9, "nesterov": True}``."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option} takes KEY=VALUE, got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out
