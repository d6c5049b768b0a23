"""``check_config``: every ``TrainConfig`` value checked for type and range before anything runs.

The command line, a TOML file and the configuration stored in a checkpoint all pass through it,
so a value read from a file is held to the same rules as a flag. Each failure is one line naming
the option, the value and what is allowed. Sizes are checked against limits here, before any
array is allocated (``hidden=[10**9]`` would ask for terabytes).
"""

from __future__ import annotations

import math

from .config import ConfigError, TrainConfig

__all__ = ["check_config", "MAX_HIDDEN", "MAX_PARAMETERS"]

MAX_HIDDEN = 1 << 16           # units in one hidden layer
MAX_PARAMETERS = 200_000_000   # weights in the mlp's hidden layers (800 MB of float32)
_INT, _FLOAT, _STR, _BOOL = "an integer", "a number", "a string", "true or false"

# option -> (kind, allows None, check of the value, what is allowed)
_RULES = {
    "dataset": (_STR, False, None, None),
    "data_dir": (_STR, True, None, None),
    "val_fraction": (_FLOAT, False, lambda v: 0 <= v < 1, "0 <= value < 1"),
    "subset": (_INT, True, lambda v: v >= 1, "a positive integer"),
    "model": (_STR, True, None, None),
    "batchnorm": (_BOOL, True, None, None),
    "dropout": (_FLOAT, False, lambda v: 0 <= v < 1, "0 <= value < 1"),
    "optimizer": (_STR, False, None, None),
    "lr": (_FLOAT, True, None, None),  # its range is the optimizer's to check, in PyTorch's words
    "momentum": (_FLOAT, True, lambda v: math.isfinite(v) and v >= 0, "a finite non-negative number"),
    "weight_decay": (_FLOAT, True, lambda v: math.isfinite(v) and v >= 0, "a finite non-negative number"),
    "scheduler": (_STR, True, None, None),
    "scheduler_interval": (_STR, False, lambda v: v in ("epoch", "step"), "'epoch' or 'step'"),
    "batch_size": (_INT, False, lambda v: 1 <= v <= 1 << 20, "at least 1 and at most 1048576"),
    "epochs": (_INT, False, lambda v: 1 <= v <= 1 << 20, "at least 1 and at most 1048576"),
    "seed": (_INT, False, lambda v: 0 <= v < 1 << 63, "at least 0 and below 2**63"),
    "workers": (_INT, False, lambda v: 0 <= v <= 64, "at least 0 and at most 64"),
    "clip_grad_norm": (_FLOAT, True, lambda v: math.isfinite(v) and v > 0, "a finite positive number"),
    "early_stopping": (_INT, True, lambda v: v >= 0, "a non-negative integer"),
    "max_steps": (_INT, True, lambda v: v >= 1, "a positive integer"),
    "out": (_STR, True, None, None),
    "resume": (_STR, True, None, None),
    "overwrite": (_BOOL, False, None, None),
    "dynamics": (_BOOL, False, None, None),
    "dynamics_every": (_INT, True, None, None),  # its range: TrainingDynamics says it
    "quiet": (_BOOL, False, None, None),
}


def _is(kind: str, v) -> bool:
    if kind == _BOOL:
        return isinstance(v, bool)
    if kind == _INT:
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == _FLOAT:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, str)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_config(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` if every value has its type and range; else ``ConfigError`` naming the first bad one."""
    for name, (kind, optional, ok, allowed) in _RULES.items():
        if not hasattr(cfg, name):
            continue
        v = getattr(cfg, name)
        if v is None and optional:
            continue
        if not _is(kind, v):
            raise ConfigError(f"{_flag(name)} must be {kind}{', or unset' if optional else ''}, got {v!r}")
        if ok is not None and not ok(v):
            raise ConfigError(f"{_flag(name)} must be {allowed}, got {v!r}")
        if kind == _FLOAT and math.isnan(v):
            raise ConfigError(f"{_flag(name)} must be a number, got nan")
    for key in ("opt_args", "sched_args"):
        if not isinstance(getattr(cfg, key), dict):
            raise ConfigError(f"{key} must be a table of KEY = VALUE, got {getattr(cfg, key)!r}")
    hidden = cfg.hidden
    if not isinstance(hidden, tuple) or not all(type(h) is int for h in hidden):
        raise ConfigError(f"--hidden must be sizes like 200 or 256,128, got {hidden!r}")
    if any(not 1 <= h <= MAX_HIDDEN for h in hidden):
        raise ConfigError(f"--hidden sizes must be from 1 to {MAX_HIDDEN}, got {list(hidden)}")
    weights = sum(a * b for a, b in zip(hidden, hidden[1:]))
    if weights > MAX_PARAMETERS:
        raise ConfigError(f"--hidden {list(hidden)} would need {weights} weights between hidden layers, "
                          f"more than the {MAX_PARAMETERS} allowed")
    return cfg
