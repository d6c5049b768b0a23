"""Rprop: resilient backpropagation, per-element step sizes driven by the gradient's sign."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_lr, is_real, require


class Rprop(Optimizer):
    r"""Rprop, as ``torch.optim.Rprop``.

    ::

        input: θ₀ (params), f(θ) (objective), η₀ (lr), η+, η− (etas),
               Γ_max, Γ_min (step_sizes), maximize
        initialize: g⁰_prev ← 0, η_0 ← lr (step size, per element)
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            for each element i:
                if g_prev^i g_t^i > 0:   η_t^i ← min(η_{t−1}^i η+, Γ_max)
                elif g_prev^i g_t^i < 0: η_t^i ← max(η_{t−1}^i η−, Γ_min);  g_t^i ← 0
                else:                    η_t^i ← η_{t−1}^i
            θ_t ← θ_{t−1} − η_t sign(g_t)
            g_prev ← g_t

    Riedmiller and Braun, `A Direct Adaptive Method for Faster Backpropagation Learning: The RPROP
    Algorithm <https://ieeexplore.ieee.org/document/298623>`_ (1993).

    Args:
        lr: initial step size η₀ (default 1e-2).  etas: (η−, η+) with 0 < η− < 1 < η+ (default
        (0.5, 1.2)).  step_sizes: (Γ_min, Γ_max) (default (1e-6, 50)).  maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``prev``, ``step_size``.
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple = (0.5, 1.2), step_sizes: tuple = (1e-6, 50), *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "etas": etas, "step_sizes": step_sizes, "maximize": maximize,
                                  "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        etas, sizes = g["etas"], g["step_sizes"]
        require(isinstance(etas, (tuple, list)) and len(etas) == 2 and all(map(is_real, etas))
                and 0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {_pair(etas)}")
        require(isinstance(sizes, (tuple, list)) and len(sizes) == 2 and all(map(is_real, sizes))
                and 0.0 <= sizes[0] <= sizes[1], f"Invalid step_sizes values: {_pair(sizes)}")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "prev": np.zeros_like(param), "step_size": np.full_like(param, group["lr"])}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        s.state["step"] += 1
        # η ← clamp(η · η±, Γ);  θ ← θ − η sign(g);  g_prev ← g
        rules.rprop(s.param, rules.signed(s.grad, group["maximize"]), s.state["prev"],
                    s.state["step_size"], etaminus=etaminus, etaplus=etaplus,
                    step_size_min=step_size_min, step_size_max=step_size_max, work=s.work)


def _pair(values) -> str:
    return ", ".join(map(str, values)) if isinstance(values, (tuple, list)) else repr(values)
