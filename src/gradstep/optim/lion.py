"""Lion: evolved sign momentum (not in torch.optim; defaults from the paper and optax)."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_betas, check_lr, check_nonnegative


class Lion(Optimizer):
    r"""Lion, following the paper's algorithm with optax's ``lion`` defaults.

    ::

        input: γ (lr), β₁, β₂ (betas), λ (weight_decay), θ₀ (params), f(θ) (objective), maximize
        initialize: m₀ ← 0
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            c_t ← β₁ m_{t−1} + (1 − β₁) g_t
            θ_t ← θ_{t−1} − γ (sign(c_t) + λ θ_{t−1})
            m_t ← β₂ m_{t−1} + (1 − β₂) g_t

    Every element moves by ±γ (plus the decoupled weight decay), so Lion wants a learning rate
    3-10x smaller than AdamW's and a weight decay 3-10x larger. Chen et al., `Symbolic Discovery
    of Optimization Algorithms <https://arxiv.org/abs/2302.06675>`_ (2023).

    Args:
        lr: γ (default 1e-4; optax has no default, the paper's experiments use 1e-4 and below).
        betas: (β₁, β₂) (default (0.9, 0.99), as the paper and optax).
        weight_decay: decoupled λ (default 1e-3, as optax).  maximize, flat: see ``SGD``.

    State per parameter: ``exp_avg`` (the momentum m; optax calls it ``mu``).
    """

    def __init__(self, params, lr: float = 1e-4, betas: tuple = (0.9, 0.99), weight_decay: float = 1e-3,
                 *, maximize: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay,
                                  "maximize": maximize}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        check_betas(g)
        check_nonnegative(g, "weight_decay")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"exp_avg": np.zeros_like(param)}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        lr, (beta1, beta2) = group["lr"], group["betas"]
        # θ ← θ(1 − γλ)
        g = rules.decoupled_weight_decay(s.param, rules.signed(s.grad, group["maximize"]), lr,
                                         group["weight_decay"])
        # θ ← θ − γ sign(β₁m + (1 − β₁)g);  m ← β₂m + (1 − β₂)g
        rules.lion(s.param, g, s.state["exp_avg"], lr=lr, beta1=beta1, beta2=beta2, work=s.work)
