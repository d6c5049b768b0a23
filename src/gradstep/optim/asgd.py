"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_lr, check_nonnegative


class ASGD(Optimizer):
    r"""Averaged SGD, as ``torch.optim.ASGD``.

    ::

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (lambd), α (alpha), t₀ (t0),
               λ_w (weight_decay), maximize
        initialize: η₀ ← γ, μ₀ ← 1, ā₀ ← 0
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ_w ≠ 0:  g_t ← g_t + λ_w θ_{t−1}
            θ_t ← θ_{t−1} (1 − λ η_{t−1}) − η_{t−1} g_t
            ā_t ← θ_t                               if μ_{t−1} = 1
            ā_t ← ā_{t−1} + μ_{t−1} (θ_t − ā_{t−1})  otherwise
            η_t ← γ / (1 + λ γ t)^α
            μ_t ← 1 / max(1, t − t₀)

    ``ax`` is the running average ā of the iterates (read it to use the averaged parameters).
    Polyak and Juditsky, `Acceleration of Stochastic Approximation by Averaging
    <https://doi.org/10.1137/0330046>`_ (1992).

    Args:
        lr: γ (default 1e-2).  lambd: decay term λ (default 1e-4).  alpha: power α for the η
        update (default 0.75).  t0: the step at which averaging starts (default 1e6).
        weight_decay: λ_w (default 0).  maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``eta``, ``mu``, ``ax``.
    """

    lr_scale = "gradient"

    _scalar_state = frozenset({"step", "eta", "mu"})

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                                  "weight_decay": weight_decay, "maximize": maximize, "foreach": foreach,
                                  "capturable": capturable, "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        check_nonnegative(g, "weight_decay")
        check_nonnegative(g, "lambd")
        check_nonnegative(g, "alpha")
        check_nonnegative(g, "t0")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        return {"step": 0.0, "eta": group["lr"], "mu": 1.0, "ax": np.zeros_like(param)}

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        st = s.state
        st["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λ_w θ
        # θ ← θ(1 − λη) − ηg;  ā ← ā + μ(θ − ā);  η, μ ← their schedules at t
        st["eta"], st["mu"] = rules.asgd(s.param, g, st["ax"], step=st["step"], eta=st["eta"],
                                         mu=st["mu"], lr=group["lr"], lambd=group["lambd"],
                                         alpha=group["alpha"], t0=group["t0"], work=s.work)
