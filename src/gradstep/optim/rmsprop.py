"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_lr, check_nonnegative, is_real, require


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    ::

        input: γ (lr), θ₀ (params), f(θ) (objective), α (alpha), ε (eps), λ (weight_decay),
               μ (momentum), centered, maximize
        initialize: v₀ ← 0 (square average), b₀ ← 0 (buffer), ḡ₀ ← 0 (gradient average)
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}
            v_t ← α v_{t−1} + (1 − α) g_t²
            ṽ_t ← v_t
            if centered:
                ḡ_t ← α ḡ_{t−1} + (1 − α) g_t
                ṽ_t ← v_t − ḡ_t²
            if μ > 0:
                b_t ← μ b_{t−1} + g_t / (√ṽ_t + ε)
                θ_t ← θ_{t−1} − γ b_t
            else:
                θ_t ← θ_{t−1} − γ g_t / (√ṽ_t + ε)

    Hinton, `Neural Networks for Machine Learning, lecture 6
    <https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf>`_ (2012); the
    centered version is Graves, `Generating Sequences With Recurrent Neural Networks
    <https://arxiv.org/abs/1308.0850>`_ (2013).

    Args:
        lr: γ (default 1e-2).  alpha: α (default 0.99).  eps: ε (default 1e-8).
        weight_decay: λ (default 0).  momentum: μ (default 0).  centered: normalise by the
        variance estimate ṽ instead of the second moment.  maximize, flat: see ``SGD``.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (μ > 0), ``grad_avg``
    (centered).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay, "maximize": maximize,
                                  "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        check_nonnegative(g, "eps", "epsilon")
        check_nonnegative(g, "momentum")
        check_nonnegative(g, "weight_decay")
        require(is_real(g["alpha"]) and 0 <= g["alpha"] <= 1, f"Invalid alpha value: {g['alpha']}")

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        state = {"step": 0.0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        momentum = group["momentum"]
        st = s.state
        st["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ
        # v ← α v + (1 − α) g²;  θ ← θ − γ g / (√ṽ + ε)  (through b when μ > 0)
        rules.rmsprop(s.param, g, st["square_avg"], st["grad_avg"] if group["centered"] else None,
                      st["momentum_buffer"] if momentum > 0 else None, lr=group["lr"],
                      alpha=group["alpha"], eps=group["eps"], momentum=momentum, work=s.work)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ / (√ṽ + ε) with v (and ḡ) updated by g;  d = g (into the buffer b when μ > 0)
        v = state["square_avg"].copy()
        rules.ema_square_(v, grad, group["alpha"])
        g_avg = None
        if group["centered"]:
            g_avg = state["grad_avg"].copy()
            rules.lerp_(g_avg, grad, 1 - group["alpha"])
        return np.divide(group["lr"], rules.rmsprop_denominator(v, g_avg, group["eps"], np.empty_like(v)))
