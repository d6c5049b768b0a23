"""Gradient checking: numerical gradients by central differences, compared with backward's.

``numerical_gradient`` is seed 003's finite difference, grown to arrays; ``rel_error`` is exactly
cs231n's (seed 001); ``gradcheck`` checks every input of a function in float64, ``gradgradcheck``
its second derivatives.
"""

from __future__ import annotations

import warnings

import numpy as np

from .function import grad, run_backward
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


def rel_error(x, y) -> float:
    """max |x - y| / max(1e-8, |x| + |y|), as in cs231n."""
    x = np.asarray(x._data if isinstance(x, Tensor) else x)
    y = np.asarray(y._data if isinstance(y, Tensor) else y)
    return float(np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y)))))


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d f(x) / d x by central differences, ``(f(x + h) - f(x - h)) / 2h`` per element.

    ``f`` maps the array ``x`` (modified in place and restored) to a scalar.
    """
    x = x._data if isinstance(x, Tensor) else x
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError("numerical_gradient needs a floating point numpy array (or tensor)")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


class GradcheckError(AssertionError):
    """An analytic gradient that disagrees with the numerical one."""


def _directional_derivative(f, x: np.ndarray, u: np.ndarray, h: float) -> float:
    """d f(x + t u) / dt at t = 0 by central differences; ``x`` is changed in place and restored."""
    saved = x.copy()
    x += h * u
    fp = float(f(x))
    x[...] = saved - h * u
    fm = float(f(x))
    x[...] = saved
    return (fp - fm) / (2 * h)


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True, *, fast_mode: bool = False) -> bool:
    """Check the gradients of ``fn(*inputs)`` with respect to every input that requires grad.

    The output is reduced to a scalar by a fixed random projection, ``L = sum(out * v)``, so that
    one backward pass checks the vector-Jacobian product; each input's gradient of ``L`` must
    match central differences: ``|analytic - numerical| <= atol + rtol * |numerical|``. Raises
    ``GradcheckError`` naming the input, the element and both values on the first mismatch.

    ``fast_mode=True`` is PyTorch's fast mode: instead of one pair of function evaluations per
    input element, it compares the single number v^T J u for a random unit vector u per input:
    the backward's gradient dotted with u against the central difference of L along u.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; finite "
                          f"differences will be inaccurate", stacklevel=2)

    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    keep = [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    outs = [outs[k] for k in keep]
    if not outs:
        raise ValueError("gradcheck: the function's output does not require grad")
    r = np.random.default_rng(seed)
    projections = [r.standard_normal(o.shape).astype(o.dtype) for o in outs]

    def scalar(*args):
        res = fn(*args)
        res = res if isinstance(res, (tuple, list)) else (res,)
        return sum(float(np.sum(res[k]._data.astype(np.float64) * p)) for k, p in zip(keep, projections))

    leaves = [inputs[i] for i in checked]
    grads = run_backward(outs, [Tensor._make(p) for p in projections], False, leaves, True)
    for i, g in zip(checked, grads):
        t = inputs[i]
        analytic = np.zeros(t.shape) if g is None else g._data.astype(np.float64)
        if fast_mode:
            u = r.random(t.shape)
            u /= max(float(np.linalg.norm(u)), np.finfo(np.float64).tiny)
            with no_grad():
                numeric = _directional_derivative(lambda _x: scalar(*inputs), t._data, u.astype(t.dtype), eps)
            vju = float(np.sum(analytic * u))
            if abs(vju - numeric) > atol + rtol * abs(numeric):
                if raise_exception:
                    raise GradcheckError(
                        f"gradient of input {i} (shape {t.shape}) does not match in fast mode: v^T J u "
                        f"analytic {vju!r}, numerical {numeric!r} (atol={atol}, rtol={rtol}); run with "
                        f"fast_mode=False to find the element")
                return False
            continue
        with no_grad():
            numeric = numerical_gradient(lambda _x: scalar(*inputs), t._data, eps)
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            idx = tuple(int(k) for k in np.argwhere(bad)[0])
            if raise_exception:
                raise GradcheckError(
                    f"gradient of input {i} (shape {t.shape}) does not match at index {idx}: "
                    f"analytic {analytic[idx]!r}, numerical {numeric[idx]!r} "
                    f"(atol={atol}, rtol={rtol}; max abs difference "
                    f"{np.max(np.abs(analytic - numeric)):.3g})")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True,
                  fast_mode: bool = False) -> bool:
    """Check second derivatives, as ``torch.autograd.gradgradcheck``: ``gradcheck`` of the map
    (inputs, v) -> vector-Jacobian products v^T d func / d inputs, built with ``create_graph=True``.
    ``v`` (``grad_outputs``) is random unless given, and is checked as an input too."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no input requires grad")
    with enable_grad():
        out = func(*inputs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
            if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        r = np.random.default_rng(seed + 1)
        grad_outputs = [Tensor._make(r.standard_normal(o.shape).astype(o.dtype)) for o in outs]
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    grad_outputs = [v.detach().requires_grad_(True) for v in grad_outputs]
    n = len(inputs)

    def first_derivatives(*args):
        with enable_grad():
            res = func(*args[:n])
            res = [o for o in (res if isinstance(res, (tuple, list)) else (res,))
                   if isinstance(o, Tensor) and o.requires_grad]
            gs = grad(res, [args[i] for i in diff], list(args[n:]), create_graph=True,
                      allow_unused=True)
        return tuple(Tensor._make(np.zeros(args[i].shape, args[i].dtype)) if g is None else g
                     for i, g in zip(diff, gs))

    return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     seed=seed, raise_exception=raise_exception, fast_mode=fast_mode)
