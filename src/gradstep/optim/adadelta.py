"""Adadelta: steps scaled by the ratio of the RMS of past steps to the RMS of past gradients."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_lr, check_nonnegative, is_real, require


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    ::

        input: γ (lr), θ₀ (params), f(θ) (objective), ρ (rho), ε (eps), λ (weight_decay), maximize
        initialize: v₀ ← 0 (square average), u₀ ← 0 (accumulated updates)
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}
            v_t ← ρ v_{t−1} + (1 − ρ) g_t²
            Δx_t ← √(u_{t−1} + ε) / √(v_t + ε) · g_t
            u_t ← ρ u_{t−1} + (1 − ρ) Δx_t²
            θ_t ← θ_{t−1} − γ Δx_t

    Zeiler, `ADADELTA: An Adaptive Learning Rate Method <https://arxiv.org/abs/1212.5701>`_ (2012).

    Args:
        lr: γ, a factor on the step (default 1.0).  rho: ρ (default 0.9).  eps: ε (default 1e-6).
        weight_decay: λ (default 0).  maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.
    """

    lr_scale = "own"

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 *, foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        require(is_real(g["rho"]) and 0.0 <= g["rho"] <= 1.0, f"Invalid rho value: {g['rho']}")
        check_nonnegative(g, "eps", "epsilon")
        check_nonnegative(g, "weight_decay")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        s.state["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ
        # v ← ρv + (1 − ρ)g²;  Δx ← √(u + ε)/√(v + ε)·g;  u ← ρu + (1 − ρ)Δx²;  θ ← θ − γΔx
        rules.adadelta(s.param, g, s.state["square_avg"], s.state["acc_delta"], lr=group["lr"],
                       rho=group["rho"], eps=group["eps"], work=s.work)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ √(u + ε) / √(v + ε) with v updated by g (u as before the step);  d = g
        v = state["square_avg"].copy()
        rules.ema_square_(v, grad, group["rho"])
        ratio = rules.adadelta_ratio(v, state["acc_delta"], group["eps"], np.empty_like(v))
        ratio *= group["lr"]
        return ratio
