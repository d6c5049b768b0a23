"""cs231n's update rules (seed 001), for its ``Solver``: ``next_w, config = rule(w, dw, config)``.

Each function takes a weight array ``w``, its gradient ``dw`` and a ``config`` dict of
hyperparameters and state under cs231n's keys (missing keys get cs231n's defaults), and returns
the updated weights (a new array; ``w`` is left as it was) with the updated config. They are thin
wrappers over the same rules as ``gradstep.optim``'s classes: ``sgd`` is ``SGD``, ``rmsprop`` is
``RMSprop`` and ``adam`` is ``Adam`` step for step; ``sgd_momentum`` keeps cs231n's velocity form
(v ← μv − γ dw; w ← w + v), which equals ``SGD(momentum=μ)`` while the learning rate is constant.

``RuleOptimizer(params, rule, config)`` runs any such rule as a ``gradstep.optim`` optimizer (what
``gradstep.train.Solver`` trains with): schedulers and the Trainer drive it like any other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from .._errors import ShapeError
from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer


def _setup(w: np.ndarray, dw: np.ndarray, config: dict | None, **defaults) -> tuple[np.ndarray, dict]:
    """Check the arrays, fill in the defaults, and return a copy of ``w`` to update in place."""
    w, dw = np.asarray(w), np.asarray(dw)
    if w.shape != dw.shape:
        raise ShapeError(f"dw has shape {dw.shape} but w has shape {w.shape}")
    if w.dtype.kind != "f":
        raise TypeError(f"w must be a floating-point array, got dtype {w.dtype}")
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return w.copy(), config


def _state(config: dict, key: str, w: np.ndarray) -> np.ndarray:
    """``config[key]``, created as zeros like ``w`` the first time."""
    if config.get(key) is None:
        config[key] = np.zeros_like(w)
    return config[key]


def sgd(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Vanilla SGD: w ← w − learning_rate · dw.

    config: ``learning_rate`` (default 1e-2).
    """
    next_w, config = _setup(w, dw, config, learning_rate=1e-2)
    rules.sgd(next_w, dw, None, lr=float(config["learning_rate"]), momentum=0, dampening=0,
              nesterov=False, first=False)
    return next_w, config


def sgd_momentum(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """SGD with momentum: v ← momentum · v − learning_rate · dw;  w ← w + v.

    config: ``learning_rate`` (1e-2), ``momentum`` (0.9), ``velocity`` (zeros like w).
    """
    next_w, config = _setup(w, dw, config, learning_rate=1e-2, momentum=0.9)
    rules.sgd_velocity(next_w, dw, _state(config, "velocity", next_w), lr=float(config["learning_rate"]),
                       momentum=float(config["momentum"]))
    return next_w, config


def rmsprop(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """RMSProp: cache ← decay_rate · cache + (1 − decay_rate) dw²;
    w ← w − learning_rate · dw / (√cache + epsilon).

    config: ``learning_rate`` (1e-2), ``decay_rate`` (0.99), ``epsilon`` (1e-8), ``cache`` (zeros).
    """
    next_w, config = _setup(w, dw, config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rules.rmsprop(next_w, dw, _state(config, "cache", next_w), None, None,
                  lr=float(config["learning_rate"]), alpha=float(config["decay_rate"]),
                  eps=float(config["epsilon"]), momentum=0)
    return next_w, config


def adam(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Adam: t ← t + 1; m, v ← moving averages of dw and dw²;
    w ← w − learning_rate · m̂ / (√v̂ + epsilon) with the bias-corrected m̂, v̂.

    config: ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon`` (1e-8),
    ``m`` and ``v`` (zeros), ``t`` (0).
    """
    next_w, config = _setup(w, dw, config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    config["t"] += 1
    rules.adam(next_w, dw, _state(config, "m", next_w), _state(config, "v", next_w), None,
               step=float(config["t"]), lr=float(config["learning_rate"]), beta1=float(config["beta1"]),
               beta2=float(config["beta2"]), eps=float(config["epsilon"]))
    return next_w, config


class _RuleOptimizer(Optimizer):
    """A cs231n rule ``next_w, config = rule(w, dw, config)`` as an optimizer.

    Every parameter's state is its own deep copy of ``config``, in which the rule keeps its
    velocity, moments and step count, as cs231n's ``Solver`` keeps ``optim_configs``. The group's
    ``lr`` is the rule's ``learning_rate`` (``config``'s, else the rule's default), written into the
    state before each step, so a scheduler on the optimizer sets the rule's learning rate. Runs
    parameter by parameter (the rule returns new weights, copied into the parameter). Not in the
    ``OPTIMIZERS`` registry: it is built from a rule, not from hyperparameters.
    """

    lr_scale = "own"

    def __init__(self, params, rule: Callable, config: dict | None = None):
        config = {} if config is None else config
        if not callable(rule):
            raise TypeError(f"rule must be a callable next_w, config = rule(w, dw, config), got {rule!r}")
        if not isinstance(config, dict):
            raise TypeError(f"config must be a dict, got {type(config).__name__}")
        lr = config.get("learning_rate")
        if lr is None:  # the rule's default, from a step on a scratch copy
            lr = rule(np.zeros(1), np.zeros(1), copy.deepcopy(config))[1].get("learning_rate")
            if lr is None:
                raise ValueError(f"{getattr(rule, '__name__', rule)} sets no default learning_rate: give "
                                 f"one in its config")
        self.rule, self.config = rule, config
        super().__init__(params, {"lr": lr}, flat=False)
        self._init_all_states()

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return copy.deepcopy(self.config)

    def _update(self, group: dict, slot: Slot) -> None:
        config = slot.state
        config["learning_rate"] = group["lr"]
        next_w, next_config = self.rule(slot.param, slot.grad, config)
        np.copyto(slot.param, next_w)
        if next_config is not config:
            config.clear()
            config.update(next_config)


RuleOptimizer = _RuleOptimizer  # the public name; the class's own name keeps it out of the registry
