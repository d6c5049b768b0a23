"""Adam and AdamW: adaptive moment estimation, with weight decay as an L2 penalty or decoupled."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import Optimizer, check_adam_like, compiled_rules, warn_without_numba


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    ::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
               ε (eps), amsgrad, maximize
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment), v₀^max ← 0
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}        (θ_{t−1} ← θ_{t−1}(1 − γλ) if decoupled)
            m_t ← β₁ m_{t−1} + (1 − β₁) g_t
            v_t ← β₂ v_{t−1} + (1 − β₂) g_t²
            m̂_t ← m_t / (1 − β₁ᵗ)
            if amsgrad:
                v_t^max ← max(v_{t−1}^max, v_t)
                v̂_t ← v_t^max / (1 − β₂ᵗ)
            else:
                v̂_t ← v_t / (1 − β₂ᵗ)
            θ_t ← θ_{t−1} − γ m̂_t / (√v̂_t + ε)

    Kingma and Ba, `Adam: A Method for Stochastic Optimization <https://arxiv.org/abs/1412.6980>`_
    (2014); AMSGrad: Reddi, Kale and Kumar, `On the Convergence of Adam and Beyond
    <https://openreview.net/forum?id=ryQu7f-RZ>`_ (2018).

    The moments are one rule (``kernels.optim.adam``); weight decay is a separate rule composed
    in front of it: an L2 penalty added to the gradient, or with ``decoupled_weight_decay=True``
    a shrinking of the weights themselves, which is ``AdamW``.

    Args:
        lr: γ (default 1e-3).  betas: (β₁, β₂) (default (0.9, 0.999)).  eps: ε (default 1e-8).
        weight_decay: λ (default 0).  amsgrad: use the running maximum of v.
        maximize, flat: see ``SGD``.  decoupled_weight_decay: decay as AdamW does.
        fused: ``None`` (default) or ``True``: the update runs as one compiled pass over memory
            (``kernels.fused``) instead of a dozen NumPy passes whenever compiled kernels are on
            (``kernels.jit``; ``fused=True`` without numba warns once); ``False``: the NumPy rule.
            The results are bitwise equal. ``foreach``, ``capturable``, ``differentiable``:
            PyTorch's keywords, see ``Optimizer``.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False, flat: bool = True):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                                  "capturable": capturable, "differentiable": differentiable,
                                  "fused": fused, "decoupled_weight_decay": decoupled_weight_decay},
                         flat=flat)

    def _validate(self, g: dict) -> None:
        check_adam_like(g)
        if g.get("fused"):
            warn_without_numba()

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        state = {"step": 0.0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        lr, (beta1, beta2) = group["lr"], group["betas"]
        st = s.state
        st["step"] += 1
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ,  or  θ ← θ(1 − γλ) when decoupled
        # m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  θ ← θ − γ m̂ / (√v̂ + ε)
        arrays = (s.param, g, st["exp_avg"], st["exp_avg_sq"])
        vmax = st["max_exp_avg_sq"] if group["amsgrad"] else None
        hyper = {"step": st["step"], "lr": lr, "beta1": beta1, "beta2": beta2, "eps": group["eps"]}
        fused = compiled_rules(group)
        if fused is not None and fused.runs_on(*arrays, *(() if vmax is None else (vmax,))):
            fused.adam(*arrays, vmax, **hyper)  # the same bits in one pass over memory
        else:
            rules.adam(*arrays, vmax, work=s.work, **hyper)

    def _repeat_update(self, group: dict, s: Slot) -> Callable[[], Callable[[], tuple | None]]:
        """``_update`` with the compiled loop called directly while the group asks for the plain
        rule (no weight decay, amsgrad or maximize; compiled kernels on): its scalars set before the
        step's forward, the pass and the new step count after its backward (the same calls with
        the same arguments, less Python between the kernels); otherwise ``_update`` itself."""
        plain = super()._repeat_update(group, s)
        st = s.state
        arrays = (s.param, s.grad, st["exp_avg"], st["exp_avg_sq"])
        fused = compiled_rules(group)
        if type(self)._update is not Adam._update or fused is None or not fused.runs_on(*arrays):
            return plain
        loop, count = fused.AdamLoop(*arrays), [0.0]

        def update() -> tuple:
            st["step"] = step = count[0]
            loop.run()
            return "step", step

        def prepare() -> Callable[[], tuple | None]:
            if (group["weight_decay"] or group["amsgrad"] or group["maximize"]
                    or compiled_rules(group) is not fused):
                return plain()
            count[0] = step = st["step"] + 1
            loop.set(step, group["lr"], *group["betas"], group["eps"])
            return update

        return prepare

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ / (√v̂ + ε) with v updated by g (its running maximum with amsgrad);  d = m̂
        beta2, t = group["betas"][1], state["step"] + 1
        v = state["exp_avg_sq"].copy()
        rules.ema_square_(v, grad, beta2)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=v)
        root_bias_correction2 = (1 - beta2 ** t) ** 0.5
        return np.divide(group["lr"] * root_bias_correction2,
                         rules.root_plus_eps(v, group["eps"] * root_bias_correction2, v))

class AdamW(Adam):
    r"""AdamW, as ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights directly,
    θ ← θ(1 − γλ), instead of entering the moments through the gradient.

    ::

        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            θ_{t−1} ← θ_{t−1} − γ λ θ_{t−1}
            ... then Adam's moments and step, exactly as in ``Adam``

    Loshchilov and Hutter, `Decoupled Weight Decay Regularization
    <https://arxiv.org/abs/1711.05101>`_ (2019). Defaults as PyTorch: lr 1e-3, betas
    (0.9, 0.999), eps 1e-8, weight_decay 1e-2. It is ``Adam`` with ``decoupled_weight_decay=True``
    (kept in each parameter group, as in PyTorch), which composes the decoupled decay rule in
    front of Adam's.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, flat: bool = True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True, flat=flat)
