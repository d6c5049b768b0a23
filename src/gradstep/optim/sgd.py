"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

import numpy as np

from ..kernels import optim as rules
from .flat import Slot
from .optimizer import (
    Optimizer,
    check_lr,
    check_nonnegative,
    compiled_rules,
    is_real,
    require,
    warn_without_numba,
)


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    ::

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight_decay), μ (momentum),
               τ (dampening), nesterov, maximize
        for t = 1, 2, ...
            g_t ← ∇f_t(θ_{t−1})                    (−∇f_t(θ_{t−1}) if maximize)
            if λ ≠ 0:  g_t ← g_t + λ θ_{t−1}
            if μ ≠ 0:
                b_t ← g_t                           if t = 1
                b_t ← μ b_{t−1} + (1 − τ) g_t       otherwise
                g_t ← g_t + μ b_t  if nesterov  else  b_t
            θ_t ← θ_{t−1} − γ g_t

    The momentum buffer holds gradients, not steps: PyTorch's form (and gradstep's) keeps γ
    outside it, unlike Sutskever et al. and cs231n's ``sgd_momentum`` (v ← μ v − γ g; θ ← θ + v);
    the two agree while γ is constant. The buffer starts at the first gradient, undamped.
    Nesterov momentum follows Sutskever et al., `On the importance of initialization and momentum
    in deep learning <http://www.cs.toronto.edu/~hinton/absps/momentum.pdf>`_ (2013).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ of the momentum (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: use Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
        maximize: maximize the objective instead of minimizing it.
        flat: run on flat buffers (default) or parameter by parameter; see ``Optimizer``.
        fused: as ``Adam``'s: ``None``/``True`` run the update as one compiled loop when compiled
            kernels are on, ``False`` the NumPy rule; the same bits.
        foreach, capturable, differentiable: PyTorch's implementation choices, taken by
            every optimizer that has them in torch.optim; one rule here, so the same numbers
            (``optimizer.check_implementation`` says which values are refused).

    State per parameter: ``momentum_buffer`` (when momentum ≠ 0).
    """

    lr_scale = "gradient"

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None,
                 flat: bool = True):
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                                  "foreach": foreach, "differentiable": differentiable,
                                  "fused": fused}, flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        check_nonnegative(g, "momentum")
        check_nonnegative(g, "weight_decay")
        require(is_real(g["dampening"]) and 0 <= g["dampening"] <= 1,
                f"Invalid dampening value: {g['dampening']}")
        require(not g["nesterov"] or (g["momentum"] > 0 and g["dampening"] == 0),
                "Nesterov momentum requires a momentum and zero dampening")
        if g.get("fused"):
            warn_without_numba()

    def _update(self, group: dict, s: Slot) -> None:
        """The rule above on one slot (a parameter, or a flat buffer of the group's parameters)."""
        lr, momentum = group["lr"], group["momentum"]
        g = self._gradient(s, group)  # g ← ±∇f(θ) + λθ
        buf, first = None, False
        if momentum != 0:
            first = "momentum_buffer" not in s.state
            if first:
                s.state["momentum_buffer"] = np.empty_like(s.param)
            buf = s.state["momentum_buffer"]
        # b ← μ b + (1 − τ) g;  θ ← θ − γ (g + μ b  or  b)
        hyper = {"lr": lr, "momentum": momentum, "dampening": group["dampening"],
                 "nesterov": group["nesterov"], "first": first}
        fused = compiled_rules(group)
        if fused is not None and fused.runs_on(s.param, g, *(() if buf is None else (buf,))):
            fused.sgd(s.param, g, buf, **hyper)  # the same bits in one pass over memory
        else:
            rules.sgd(s.param, g, buf, work=s.work, **hyper)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray:
        # P = γ on every element; d = g, or the momentum buffer (g + μ b with Nesterov)
        return np.full_like(grad, group["lr"])
