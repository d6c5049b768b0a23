"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_adam_like, check_nonnegative


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``.

    ::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
               ψ (momentum_decay), ε (eps), decoupled_weight_decay, maximize
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment)
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}        (θ_{t−1} ← θ_{t−1}(1 − γλ) if decoupled)
            μ_t ← β₁ (1 − ½ · 0.96^(t ψ))
            μ_{t+1} ← β₁ (1 − ½ · 0.96^((t+1) ψ))
            m_t ← β₁ m_{t−1} + (1 − β₁) g_t
            v_t ← β₂ v_{t−1} + (1 − β₂) g_t²
            m̂_t ← μ_{t+1} m_t / (1 − Π_{i≤t+1} μ_i) + (1 − μ_t) g_t / (1 − Π_{i≤t} μ_i)
            v̂_t ← v_t / (1 − β₂ᵗ)
            θ_t ← θ_{t−1} − γ m̂_t / (√v̂_t + ε)

    Dozat, `Incorporating Nesterov Momentum into Adam
    <https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ>`_ (2016); decoupled weight decay as in
    Loshchilov and Hutter (https://arxiv.org/abs/1711.05101).

    Args:
        lr: γ (default 2e-3).  betas: (β₁, β₂) (default (0.9, 0.999)).  eps: ε (default 1e-8).
        weight_decay: λ (default 0).  momentum_decay: ψ (default 4e-3).
        decoupled_weight_decay: decay the weights as AdamW does.  maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``mu_product`` (Π μ_i), ``exp_avg``, ``exp_avg_sq``.
    """

    _scalar_state = frozenset({"step", "mu_product"})

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False,
                 *, foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                                  "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_adam_like(g)
        check_nonnegative(g, "momentum_decay")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "mu_product": 1.0, "exp_avg": np.zeros_like(param),
                "exp_avg_sq": np.zeros_like(param)}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        lr, (beta1, beta2) = group["lr"], group["betas"]
        st = s.state
        st["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ,  or  θ ← θ(1 − γλ) when decoupled
        # m, v ← moments of g;  θ ← θ − γ m̂ / (√v̂ + ε) with Nesterov's look-ahead m̂
        st["mu_product"] = rules.nadam(
            s.param, g, st["exp_avg"], st["exp_avg_sq"], step=st["step"],
            mu_product=st["mu_product"], lr=lr, beta1=beta1, beta2=beta2, eps=group["eps"],
            momentum_decay=group["momentum_decay"], work=s.work)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ / (√v̂ + ε) with v updated by g;  d = the Nesterov average m̂ of the docstring
        beta2 = group["betas"][1]
        v = state["exp_avg_sq"].copy()
        rules.ema_square_(v, grad, beta2)
        return np.divide(group["lr"], rules.nadam_denominator(v, state["step"] + 1, beta2, group["eps"], v))
