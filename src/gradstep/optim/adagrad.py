"""Adagrad: a per-element learning rate that shrinks with the sum of past squared gradients."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_lr, check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    ::

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight_decay), η (lr_decay),
               τ (initial_accumulator_value), ε (eps), maximize
        initialize: s₀ ← τ
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            γ̃ ← γ / (1 + (t − 1) η)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}
            s_t ← s_{t−1} + g_t²
            θ_t ← θ_{t−1} − γ̃ g_t / (√s_t + ε)

    Duchi, Hazan and Singer, `Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization <https://jmlr.org/papers/v12/duchi11a.html>`_ (2011). Seed 002's hand-written
    ``sgd_adagrad`` puts ε inside the root, ``lr / sqrt(s + eps)``; PyTorch and gradstep add it
    outside, ``lr / (sqrt(s) + eps)``, so the two differ slightly while s is small.

    The state (``step``, ``sum``) is created in the constructor, as in PyTorch. A group's own
    ``initial_accumulator_value`` is used for its parameters (PyTorch uses the constructor's value
    for every group).

    Args:
        lr: learning rate γ (default 1e-2).  lr_decay: η (default 0).  weight_decay: λ (default 0).
        initial_accumulator_value: τ (default 0).  eps: ε (default 1e-10).
        maximize: maximize the objective.  flat: see ``Optimizer``.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None,
                 flat: bool = True):
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                                  "fused": fused}, flat=flat)
        self._init_all_states()

    def _validate(self, g: dict) -> None:
        check_lr(g)
        check_nonnegative(g, "lr_decay")
        check_nonnegative(g, "weight_decay")
        check_nonnegative(g, "initial_accumulator_value")
        check_nonnegative(g, "eps", "epsilon")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        s.state["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ
        # s ← s + g²;  θ ← θ − γ̃ g / (√s + ε)
        rules.adagrad(s.param, g, s.state["sum"], step=s.state["step"], lr=group["lr"],
                      lr_decay=group["lr_decay"], eps=group["eps"], work=s.work)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ_t / (√s + ε) with s ← s + g²;  d = g
        s = state["sum"] + grad * grad
        return np.divide(rules.adagrad_lr(group["lr"], state["step"] + 1, group["lr_decay"]),
                         rules.root_plus_eps(s, group["eps"], s))
