"""cs231n's update rules (seed 001), for its ``Solver``: ``next_w, config = rule(w, dw, config)``.

Each function takes a weight array ``w``, its gradient ``dw`` and a ``config`` dict of
hyperparameters and state under cs231n's keys (missing keys get cs231n's defaults), and returns
the updated weights (a new array; ``w`` is left as it was) with the updated config. They are thin
wrappers over the same rules as ``gradstep.optim``'s classes: ``sgd`` is ``SGD``, ``rmsprop`` is
``RMSprop`` and ``adam`` is ``Adam`` step for step; ``sgd_momentum`` keeps cs231n's velocity form
(v ← μv − γ dw; w ← w + v), which equals ``SGD(momentum=μ)`` while the learning rate is constant.
"""

from __future__ import annotations

import numpy as np

from .._errors import ShapeError
from ..kernels import optim as rules


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
