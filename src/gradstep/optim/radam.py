"""RAdam: Adam whose adaptive learning rate is rectified while its variance is large."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_adam_like


class RAdam(Optimizer):
    r"""RAdam, as ``torch.optim.RAdam``.

    ::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
               ε (eps), decoupled_weight_decay, maximize
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment), ρ∞ ← 2/(1 − β₂) − 1
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}        (θ_{t−1} ← θ_{t−1}(1 − γλ) if decoupled)
            m_t ← β₁ m_{t−1} + (1 − β₁) g_t
            v_t ← β₂ v_{t−1} + (1 − β₂) g_t²
            m̂_t ← m_t / (1 − β₁ᵗ)
            ρ_t ← ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
            if ρ_t > 5:
                l_t ← √(1 − β₂ᵗ) / (√v_t + ε)
                r_t ← √((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t))
                θ_t ← θ_{t−1} − γ m̂_t r_t l_t
            else:
                θ_t ← θ_{t−1} − γ m̂_t

    Liu et al., `On the Variance of the Adaptive Learning Rate and Beyond
    <https://arxiv.org/abs/1908.03265>`_ (2020).

    Args:
        lr: γ (default 1e-3).  betas: (β₁, β₂) (default (0.9, 0.999)).  eps: ε (default 1e-8).
        weight_decay: λ (default 0).  decoupled_weight_decay: decay the weights as AdamW does.
        maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                                  "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_adam_like(g)

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        lr, (beta1, beta2) = group["lr"], group["betas"]
        st = s.state
        st["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ,  or  θ ← θ(1 − γλ) when decoupled
        # m, v ← moments of g;  θ ← θ − γ m̂ (r_t l_t once ρ_t > 5)
        rules.radam(s.param, g, st["exp_avg"], st["exp_avg_sq"], step=st["step"], lr=lr,
                    beta1=beta1, beta2=beta2, eps=group["eps"], work=s.work)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ r_t √(1 − β₂ᵗ) / (√v + ε) once rectified, else γ;  d = m̂
        beta2, t = group["betas"][1], state["step"] + 1
        rect = rules.radam_rectification(t, beta2)
        if rect is None:
            return np.full_like(grad, group["lr"])
        v = state["exp_avg_sq"].copy()
        rules.ema_square_(v, grad, beta2)
        scale = group["lr"] * rect * (1 - beta2 ** t) ** 0.5
        return np.divide(scale, rules.root_plus_eps(v, group["eps"], v))
