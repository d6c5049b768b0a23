"""Adam's update in one pass over memory, compiled with numba: the ``fused=True`` path of
``optim.Adam`` / ``optim.AdamW`` (PyTorch's name for its single-kernel optimizers).

``kernels.optim.adam`` is the reference and stays the readable rule: twelve NumPy calls, each a
pass over the parameters (on the 784-200-10 MLP they take a quarter of a training step). The loop
below does, element by element, exactly those float operations in the same order and precision
(numba without fast-math contracts nothing into fused multiply-adds), so both give the same bits;
``tests/optim/test_fused.py`` checks it for every option. numba is optional (``pip install
gradstep[fused]``); importing this module without it raises an ImportError that says so.
"""

from __future__ import annotations

import numpy as np

from .optim import adam_scalars

try:
    import numba
except ImportError as e:  # pragma: no cover - the test extra installs numba
    raise ImportError("fused=True needs numba: pip install 'gradstep[fused]' (or pip install numba), "
                      "or leave fused unset for the NumPy update") from e


def _compiled(fn):
    """``fn`` compiled without fast-math (numpy's error model: 1/0 is inf, not an exception), its
    machine code cached on disk where numba finds a writable place, else compiled per process."""
    try:
        return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location
        return numba.njit(nogil=True, error_model="numpy")(fn)


@_compiled
def _adam_loop(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, amsgrad, lerp_from_end, w, beta2,
               one_minus_beta2, eps, step_size):  # pragma: no cover - compiled, so coverage cannot see it
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


def runs_on(*arrays) -> bool:
    """Whether the fused loop can take these arrays (C-contiguous, of one shape and float dtype);
    the optimizers use the NumPy rule otherwise, which gives the same bits."""
    first = arrays[0]
    return first.dtype.kind == "f" and all(
        a.flags.c_contiguous and a.dtype == first.dtype and a.shape == first.shape for a in arrays)


def adam(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
         max_exp_avg_sq: np.ndarray | None, *, step: float, lr: float, beta1: float, beta2: float,
         eps: float) -> None:
    """``kernels.optim.adam`` in one pass (the same arguments but ``work``; arrays as ``runs_on``
    accepts)."""
    f = param.dtype.type  # each scalar in the arrays' precision, as NumPy casts a Python float
    weight = 1 - beta1
    from_end = weight >= 0.5
    eps_hat, step_size = adam_scalars(step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    flat = [a.reshape(-1) for a in (param, grad, exp_avg, exp_avg_sq)]  # views: C-contiguous
    vmax = flat[3] if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1)
    _adam_loop(*flat, vmax, max_exp_avg_sq is not None,
               from_end, f(1 - weight if from_end else weight), f(beta2), f(1 - beta2),
               f(eps_hat), f(step_size))
