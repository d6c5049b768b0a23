"""Adam's and SGD's updates in one pass over memory, compiled (``kernels.jit``): what ``optim.Adam``,
``AdamW`` and ``SGD`` run by default when compiled kernels are on (PyTorch's ``fused`` kernels).

``kernels.optim.adam`` and ``kernels.optim.sgd`` are the reference and stay the readable rules:
NumPy calls, each a pass over the parameters (Adam's twelve take a quarter of a training step of
the 784-200-10 MLP). The loops below do, element by element, exactly those float operations in
the same order and precision (compiled without fast-math, nothing is contracted into fused
multiply-adds), so both give the same bits: ``tests/optim/test_fused.py`` checks it for every
option, against ``jit.use(False)``.
"""

from __future__ import annotations

import numpy as np

from .jit import compiled
from .optim import adam_scalars


@compiled
def _adam_loop(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, amsgrad, lerp_from_end, w, beta2,
               one_minus_beta2, eps, step_size):  # pragma: no cover - compiled, so coverage cannot see it
    # each scalar in the arrays' precision, rounded as NumPy casts a Python float
    f = param.dtype.type
    w, beta2, one_minus_beta2, eps, step_size = f(w), f(beta2), f(one_minus_beta2), f(eps), f(step_size)
    for i in range(param.shape[0]):
        g = grad[i]
        m = exp_avg[i]
        # m ← β1 m + (1 − β1) g, as lerp_: m + w (g − m), or g − (1 − w)(g − m) when w ≥ ½
        m = g - (g - m) * w if lerp_from_end else m + (g - m) * w
        exp_avg[i] = m
        # v ← β2 v + (1 − β2) g²  (ema_square_: the product g·g scaled first)
        v = exp_avg_sq[i] * beta2 + (g * g) * one_minus_beta2
        exp_avg_sq[i] = v
        if amsgrad:  # v_max ← max(v_max, v), NaN propagating as np.maximum
            vm = max_exp_avg_sq[i]
            if v > vm or v != v:
                vm = v
            max_exp_avg_sq[i] = vm
            v = vm
        # θ ← θ − k · m / (√v + ε'), the reference's root_plus_eps, divide and descend_
        param[i] = param[i] - (m / (np.sqrt(v) + eps)) * step_size


@compiled
def _sgd_loop(param, grad, momentum_buffer, with_momentum, first, dampened, nesterov, lr, momentum,
              one_minus_dampening):  # pragma: no cover - compiled, so coverage cannot see it
    for i in range(param.shape[0]):
        g = grad[i]
        if with_momentum:
            if first:  # b ← g
                b = g
            else:  # b ← μ b + (1 − τ) g  (μ b first, as the reference's in-place calls)
                b = momentum_buffer[i] * momentum
                b = b + (g * one_minus_dampening if dampened else g)
            momentum_buffer[i] = b
            # g ← g + μ b  (Nesterov)  or  b
            g = b * momentum + g if nesterov else b
        # θ ← θ − γ g
        param[i] = param[i] - g * lr


def runs_on(*arrays) -> bool:
    """Whether the loops can take these arrays (C-contiguous, of one shape and float dtype); the
    optimizers run the NumPy rule otherwise, which gives the same bits."""
    dtype, shape = arrays[0].dtype, arrays[0].shape
    if dtype.kind != "f":
        return False
    for a in arrays:
        if not (a.flags.c_contiguous and a.dtype == dtype and a.shape == shape):
            return False
    return True


class AdamLoop:
    """``adam`` on the same arrays again and again: ``set(step, lr, beta1, beta2, eps)`` works out
    the loop's scalars, ``run()`` makes the pass (a repeated step sets them before a training step's forward
    and runs the pass after its backward: ``optim.Adam``)."""

    __slots__ = ("arrays", "args")

    def __init__(self, param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
                 max_exp_avg_sq: np.ndarray | None = None):
        flat = [a.reshape(-1) for a in (param, grad, exp_avg, exp_avg_sq)]  # views: C-contiguous
        vmax = flat[3] if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1)
        self.arrays = (*flat, vmax, max_exp_avg_sq is not None)
        self.args = ()

    def set(self, step: float, lr: float, beta1: float, beta2: float, eps: float) -> AdamLoop:
        weight = 1 - beta1
        from_end = weight >= 0.5
        eps_hat, step_size = adam_scalars(step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.args = (*self.arrays, from_end, 1 - weight if from_end else weight, beta2, 1 - beta2, eps_hat,
                     step_size)
        return self

    def run(self) -> None:
        _adam_loop(*self.args)


def adam(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
         max_exp_avg_sq: np.ndarray | None, *, step: float, lr: float, beta1: float, beta2: float,
         eps: float) -> None:
    """``kernels.optim.adam`` in one pass (the same arguments but ``work``; arrays as ``runs_on``
    accepts)."""
    AdamLoop(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq).set(step, lr, beta1, beta2, eps).run()


def sgd(param: np.ndarray, grad: np.ndarray, momentum_buffer: np.ndarray | None, *, lr: float,
        momentum: float, dampening: float, nesterov: bool, first: bool) -> None:
    """``kernels.optim.sgd`` in one pass (the same arguments but ``work``; arrays as ``runs_on``
    accepts)."""
    f = param.dtype.type
    p, g = param.reshape(-1), grad.reshape(-1)
    buf = p if momentum_buffer is None else momentum_buffer.reshape(-1)  # untouched without momentum
    _sgd_loop(p, g, buf, momentum != 0, first, dampening != 0, nesterov, f(lr), f(momentum),
              f(1 - dampening))
