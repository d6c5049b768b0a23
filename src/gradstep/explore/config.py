"""The configs of the experiments: every option, typed, with its default and what it means, checked.

A command's config is one dataclass (``TrainConfig`` here; ``CompareConfig``, ``SweepConfig``,
``LRFindConfig`` and ``LandscapeConfig`` beside their experiments), and each embeds the training
config it needs. The command line parses into it, a TOML file (``--config run.toml``) fills it,
and the Python API takes it directly, so the defaults live here once:

    gradstep.explore.train_run(TrainConfig(optimizer="sgd", lr=0.1))

A config checks itself completely when it is made (types, ranges, names, finite numbers) and
raises one ``ConfigError`` whose single line names the option, the value and what is allowed,
before any data is loaded.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar


class ConfigError(ValueError):
    """An option with a bad value; the message names it, the value and what is allowed."""


# --------------------------------------------------------------------------- checks of one value

@dataclass(frozen=True)
class Number:
    """A finite int (``integer=True``) or real number in a range; ``None`` too if ``optional``,
    ``+inf`` too if ``inf`` (a learning rate: PyTorch's optimizers take ``lr=inf``)."""
    integer: bool = False
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    optional: bool = False
    inf: bool = False

    def allowed(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        if self.lo is not None and self.hi is not None:
            left, right = "(" if self.lo_open else "[", ")" if self.hi_open else "]"
            kind += f" in {left}{self.lo:g}, {self.hi:g}{right}"
        elif self.lo is not None:
            kind += f" {'>' if self.lo_open else '>='} {self.lo:g}"
        return kind + (" or inf" if self.inf else "") + (" or none" if self.optional else "")

    def ok(self, v) -> bool:
        if v is None:
            return self.optional
        if isinstance(v, bool) or not isinstance(v, numbers.Integral if self.integer else numbers.Real):
            return False
        if not math.isfinite(v):
            return self.inf and v == math.inf
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))


@dataclass(frozen=True)
class Kind:
    """A value of one of ``types`` (bool is never an int here), or None if ``optional``."""
    types: tuple
    text: str
    optional: bool = False

    def allowed(self) -> str:
        return self.text + (" or none" if self.optional else "")

    def ok(self, v) -> bool:
        if v is None:
            return self.optional
        if isinstance(v, bool) and bool not in self.types:
            return False
        return isinstance(v, self.types)


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of strings."""
    choices: tuple

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def ok(self, v) -> bool:
        return isinstance(v, str) and v in self.choices


BOOL = Kind((bool,), "true or false")
TEXT = Kind((str,), "a string", optional=True)
OPTIONS = Kind((dict,), "a table of argument names to values")
LR = Number(lo=0, optional=True, inf=True)  # a learning rate: +inf is taken (the run diverges at once)


def option(default, check, help: str = "", **kwargs):
    """A config field with its check (and a one-line help, read by the CLI)."""
    factory = kwargs.pop("default_factory", None)
    meta = {"check": check, "help": help}
    if factory is not None:
        return field(default_factory=factory, metadata=meta, **kwargs)
    return field(default=default, metadata=meta, **kwargs)


FLAGS = {"loggers": "--logger", "formats": "--format"}  # options whose flag is not their field's name


def flag(name: str) -> str:
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def bad(name: str, value, allowed: str) -> ConfigError:
    """``--dropout 1.5: allowed is a finite number in [0, 1)``: one line naming all three."""
    return ConfigError(f"{flag(name)} {value!r}: allowed is {allowed}")


def check_fields(cfg) -> None:
    """Check every field of the dataclass ``cfg`` that declares a check (see ``option``), and that
    its nested configs are configs of their kind."""
    for name, kind in cfg._nested.items():
        if not isinstance(getattr(cfg, name), kind):
            raise bad(name, getattr(cfg, name), f"a {kind.__name__}")
    for f in dataclasses.fields(cfg):
        check = f.metadata.get("check")
        value = getattr(cfg, f.name)
        if check is not None and not check.ok(value):
            raise bad(f.name, value, check.allowed())
        if check is OPTIONS and any(not isinstance(k, str) for k in value):
            raise bad(f.name, value, "argument names as strings")


def factory_name(value) -> str | None:
    """A model or data factory for files and reports: a ``module:function`` string as given, a
    callable as ``module:qualified name``."""
    if value is None or isinstance(value, str):
        return value
    return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', repr(value))}"


class Config:
    """What every command's config shares: checked when made, copied with changes, plain dicts;
    ``run()`` runs the experiment and returns its ``Result``."""

    _nested: ClassVar[dict] = {}   # field name -> the Config class a dict under it is read as

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        check_fields(self)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Config):
                v = v.to_dict()
            elif isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, dict):
                v = dict(v)
            elif callable(v):
                v = factory_name(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, d: dict):
        """The config with the options of ``d`` (keys may use ``-``); unknown keys are an error."""
        if not isinstance(d, dict):
            raise ConfigError(f"a {cls.__name__} is read from a table of options, got {type(d).__name__}")
        names = {f.name: f for f in dataclasses.fields(cls)}
        d = {k.replace("-", "_"): v for k, v in d.items()}
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        for key, value in d.items():
            sub = cls._nested.get(key)
            if isinstance(value, dict) and sub is not None:
                d[key] = sub.from_dict(value)
        return cls(**d)


# --------------------------------------------------------------------------- training

SCHEDULER_INTERVALS = ("epoch", "step")
MAX_HIDDEN = 1 << 16           # units in one hidden layer: sizes are checked before anything is allocated
MAX_HIDDEN_WEIGHTS = 200_000_000  # weights between the mlp's hidden layers (800 MB of float32)
_POSITIVE_INT = Number(integer=True, lo=1)
_OPTIONAL_POSITIVE_INT = Number(integer=True, lo=1, optional=True)


@dataclass
class TrainConfig(Config):
    """Every option of ``gradstep train``; compare, sweep and lr-find embed one."""
    # a name of gradstep.data.datasets (fashion-mnist-sample, the shipped sample, by default)
    dataset: str = option("fashion-mnist-sample", Kind((str,), "a data set name"), "the data set")
    # your own data instead: "package.module:function" (or the function) returning (train, val, test)
    data: str | Callable | None = option(None, Kind((str, Callable), "package.module:function", True),
                                         "your own data: package.module:function")
    data_dir: str | None = option(None, TEXT, "directory holding the data set's files")
    val_fraction: float = option(0.1, Number(lo=0, hi=1, hi_open=True),
                                 "share of the training split held out for validation")
    subset: int | None = option(None, _OPTIONAL_POSITIVE_INT, "train on only the first N training samples")
    # a name of the model registry, or your own: "package.module:function" (or the function)
    model: str | Callable | None = option(
        None, Kind((str, Callable), "a model name or package.module:function", True), "the model")
    hidden: tuple = option((200,), None, "hidden sizes of the mlp: 200 or 256,128")
    batchnorm: bool | None = option(None, Kind((bool,), "true or false", True),
                                    "batch normalisation in hidden layers (default: on for cnn, off for mlp)")
    dropout: float = option(0.0, Number(lo=0, hi=1, hi_open=True), "dropout probability in hidden layers")
    optimizer: str = option("adam", Kind((str,), "an optimizer name"), "the optimizer")
    lr: float | None = option(None, LR,
                              "learning rate (default: the tutorials' one for the optimizer)")
    momentum: float | None = option(None, Number(lo=0, optional=True), "SGD / RMSprop momentum")
    weight_decay: float | None = option(None, Number(lo=0, optional=True), "L2 penalty (decoupled for AdamW)")
    opt_args: dict = option(None, OPTIONS, "other optimizer arguments", default_factory=dict)
    scheduler: str | None = option(None, TEXT, "a learning-rate scheduler, e.g. StepLR")
    sched_args: dict = option(None, OPTIONS, "scheduler arguments", default_factory=dict)
    scheduler_interval: str = option("epoch", OneOf(SCHEDULER_INTERVALS),
                                     "step the scheduler per epoch or per optimizer step")
    batch_size: int = option(64, _POSITIVE_INT, "mini-batch size")
    epochs: int = option(5, _POSITIVE_INT, "epochs to train")
    seed: int = option(0, Number(integer=True, lo=0, hi=2**63 - 1),
                       "seeds weights, shuffling, dropout and the split")
    workers: int = option(0, Number(integer=True, lo=0, hi=64), "DataLoader worker processes")
    clip_grad_norm: float | None = option(None, Number(lo=0, lo_open=True, optional=True),
                                          "clip the gradients' global norm to this")
    early_stopping: int | None = option(None, _OPTIONAL_POSITIVE_INT,
                                        "stop after this many epochs without a better validation loss")
    max_steps: int | None = option(None, _OPTIONAL_POSITIVE_INT, "stop after this many optimizer steps")
    out: str | None = option(None, TEXT,
                             "output directory (default runs/<dataset>-<model>-<optimizer>-<time>)")
    resume: str | None = option(None, TEXT, "continue from this last.safetensors")
    overwrite: bool = option(False, BOOL, "replace the run already in --out (else a folder holding one "
                                          "is refused)")
    dynamics: bool = option(False, BOOL, "record and plot per-layer training dynamics")
    dynamics_every: int | None = option(None, _OPTIONAL_POSITIVE_INT,
                                        "record the dynamics every N steps (default: every epoch's end)")
    sharpness_every: int | None = option(None, _OPTIONAL_POSITIVE_INT,
                                         "with the dynamics, the (preconditioned) sharpness every N steps")
    quiet: bool = option(False, BOOL, "no progress bar")
    # also log as training goes: tensorboard (gradstep[tensorboard]), csv, jsonl (into the run folder)
    loggers: tuple = option((), None, "log as training goes: tensorboard, csv, jsonl (comma-separated)")
    live: bool = option(False, BOOL, "redraw the curves as training goes (in a notebook, else live.png)")
    formats: tuple = option(("png",), None, "figure formats: png, svg, pdf (comma-separated)")

    def run(self):
        """Train as this config says and write the run's files (``train_run``)."""
        from .run import train_run
        return train_run(self)

    def validate(self) -> None:
        """Check types, ranges and names of every option, and that the model, optimizer and
        scheduler it names can be built; ConfigError naming the first bad one."""
        self.hidden = parse_hidden(self.hidden)
        self.loggers = parse_names("loggers", self.loggers, LOGGER_NAMES)
        self.formats = parse_names("formats", self.formats, FIGURE_FORMATS) or ("png",)
        check_fields(self)
        if "tensorboard" in self.loggers:
            from ..utils.tensorboard import TensorBoardMissing, require_tensorboard
            try:
                require_tensorboard()
            except TensorBoardMissing as e:
                raise ConfigError(f"--logger tensorboard: {e}") from None
        from .builders import check_buildable
        check_buildable(self)


LOGGER_NAMES = ("tensorboard", "csv", "jsonl")   # gradstep.train.loggers.LOGGERS
FIGURE_FORMATS = ("png", "svg", "pdf")


def parse_names(name: str, value, allowed: tuple) -> tuple:
    """``"tensorboard,csv"`` or a list -> ``("tensorboard", "csv")``, each one of ``allowed``."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, (list, tuple)) or not all(isinstance(p, str) for p in parts):
        raise bad(name, value, f"names among {', '.join(allowed)}, comma-separated")
    names = tuple(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise bad(name, unknown[0], f"one of {', '.join(allowed)} (comma-separated)")
    return names


def parse_hidden(value) -> tuple:
    """``200``, ``"256,128"`` or ``[256, 128]`` -> ``(256, 128)``."""
    if isinstance(value, bool):
        raise bad("hidden", value, "sizes like 200 or 256,128")
    if isinstance(value, int):
        value = (value,)
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",") if p]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise bad("hidden", value, "sizes like 200 or 256,128")
    if not all(isinstance(p, str) or (isinstance(p, numbers.Integral) and not isinstance(p, bool))
               for p in parts):
        raise bad("hidden", value, "sizes like 200 or 256,128")
    try:
        sizes = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise bad("hidden", value, "sizes like 200 or 256,128") from None
    if any(s < 1 for s in sizes):
        raise bad("hidden", value, "positive sizes")
    if any(s > MAX_HIDDEN for s in sizes):
        raise bad("hidden", value, f"sizes up to {MAX_HIDDEN}")
    if sum(a * b for a, b in zip(sizes, sizes[1:])) > MAX_HIDDEN_WEIGHTS:
        raise bad("hidden", value, f"sizes needing at most {MAX_HIDDEN_WEIGHTS} weights between "
                                   f"hidden layers")
    return sizes


def parse_value(text: str):
    """A command-line value: a Python literal if it is one (0.9, (0.9, 0.99), True), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def parse_key_values(items, option: str) -> dict:
    """``["momentum=0.9", "nesterov=True"]`` -> ``{"momentum": 0.9, "nesterov": True}``."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option} {item!r}: allowed is KEY=VALUE")
        out[key.strip()] = parse_value(value.strip())
    return out
