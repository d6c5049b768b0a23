"""Adamax: Adam with the infinity norm of past gradients in place of their second moment."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_adam_like


class Adamax(Optimizer):
    r"""Adamax, as ``torch.optim.Adamax``.

    ::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
               ε (eps), maximize
        initialize: m₀ ← 0 (first moment), u₀ ← 0 (infinity norm)
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}
            m_t ← β₁ m_{t−1} + (1 − β₁) g_t
            u_t ← max(β₂ u_{t−1}, |g_t| + ε)
            θ_t ← θ_{t−1} − γ m_t / ((1 − β₁ᵗ) u_t)

    Kingma and Ba, `Adam: A Method for Stochastic Optimization <https://arxiv.org/abs/1412.6980>`_
    (2014), section 7.

    Args:
        lr: γ (default 2e-3).  betas: (β₁, β₂) (default (0.9, 0.999)).  eps: ε (default 1e-8).
        weight_decay: λ (default 0).  maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_adam_like(g)

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        beta1, beta2 = group["betas"]
        s.state["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ
        # m ← β₁m + (1 − β₁)g;  u ← max(β₂u, |g| + ε);  θ ← θ − γ m / ((1 − β₁ᵗ) u)
        rules.adamax(s.param, g, s.state["exp_avg"], s.state["exp_inf"], step=s.state["step"],
                     lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"], work=s.work)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ / u with u ← max(β₂u, |g| + ε);  d = m̂
        u = state["exp_inf"].copy()
        rules.adamax_norm_(u, grad, group["betas"][1], group["eps"])
        return np.divide(group["lr"], u)
