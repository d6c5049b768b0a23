"""Derivatives of whole functions, as ``torch.autograd.functional``: ``vjp``, ``jvp``, ``vhp``,
``hvp``, ``jacobian`` and ``hessian``.

``func`` takes the ``inputs`` (a tensor or a tuple of tensors) and returns a tensor or a tuple of
tensors; results mirror that structure, as in PyTorch. Everything is built from reverse-mode
passes: a Jacobian-vector product is the vector-Jacobian product of a vector-Jacobian product (the
double-backward trick), a Hessian-vector product the gradient of ``grad . v``. Without
``create_graph`` the results are detached.
"""

from __future__ import annotations

import numpy as np

from .function import grad
from .grad_mode import enable_grad
from .tensor import Tensor
from .tensor_math import stack


def _as_tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    """(whether ``x`` was a tuple, ``x`` as a tuple), checking that it holds tensors."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {what} must be a Tensor or a tuple of Tensors, but element {i} "
                            f"is {type(t).__name__}")
    return is_tuple, xs


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that require grad: the given tensors' values, detached unless a graph is wanted
    through them (as PyTorch's functional API does)."""
    if create_graph:
        return tuple(t if t.requires_grad else t.detach().requires_grad_(True) for t in inputs)
    return tuple(t.detach().requires_grad_(True) for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, fn: str) -> tuple:
    """Gradients of outputs wrt inputs, zeros for inputs the outputs do not depend on (an error
    with ``strict``)."""
    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not outs:
        res = (None,) * len(inputs)
    else:
        res = grad(outs, inputs, gos, retain_graph=True, create_graph=create_graph, allow_unused=True)
    out = []
    for i, (g, t) in enumerate(zip(res, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the output is independent of input {i}; this is not "
                                   f"allowed in strict mode")
            g = Tensor._make(np.zeros(t.shape, dtype=t.dtype))
        out.append(g if create_graph else g.detach())
    return tuple(out)


def _vectors(v, like: tuple, name: str, fn: str) -> tuple:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{fn}: {name} may be omitted only when there is a single input or "
                               f"output with one element; pass {name}")
        return (Tensor._make(np.ones(like[0].shape, dtype=like[0].dtype)),)
    _, vs = _as_tuple(v, name, fn)
    if len(vs) != len(like):
        raise ValueError(f"{fn}: {name} has {len(vs)} tensors, expected {len(like)}")
    for i, (a, b) in enumerate(zip(vs, like)):
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"{fn}: {name}[{i}] has shape {tuple(a.shape)}, expected {tuple(b.shape)}")
    return vs


def _call(func, inputs: tuple, fn: str) -> tuple[bool, tuple]:
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "the outputs of func", fn)


def _result(x: tuple, is_tuple: bool, create_graph: bool):
    x = tuple(t if create_graph else t.detach() for t in x)
    return x if is_tuple else x[0]


def _scalar_output(outputs: tuple, fn: str) -> None:
    if len(outputs) != 1 or outputs[0].numel() != 1:
        shapes = [tuple(o.shape) for o in outputs]
        raise RuntimeError(f"{fn}: func must return a single tensor with one element (a scalar), "
                           f"got outputs of shapes {shapes}")


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product of ``func`` at ``inputs``."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "vjp")
    vs = _vectors(v, outs, "v", "vjp")
    with enable_grad():
        g = _grads(outs, xs, vs, create_graph, strict, "vjp")
    return _result(outs, out_tuple, create_graph), _result(g, in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product, as the vjp of a vjp."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
    xs = _prepare(xs, create_graph)
    vs = _vectors(v, xs, "v", "jvp")
    out_tuple, outs = _call(func, xs, "jvp")
    with enable_grad():
        us = tuple(Tensor._make(np.zeros(o.shape, dtype=o.dtype), True) for o in outs)
        gx = _grads(outs, xs, us, True, strict, "jvp")  # J^T u, linear in u
        jv = _grads(gx, us, vs, create_graph, strict, "jvp")  # d(v . J^T u)/du = J v
    return _result(outs, out_tuple, create_graph), _result(jv, out_tuple, create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a scalar ``func``. H is symmetric wherever ``func`` is twice
    differentiable, so this is ``vhp``'s product (one double-backward pass; PyTorch's ``hvp``
    takes two more passes to get H v exactly where H is not symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    in_tuple, xs = _as_tuple(inputs, "inputs", fn)
    xs = _prepare(xs, create_graph)
    vs = _vectors(v, xs, "v", fn)
    _, outs = _call(func, xs, fn)
    _scalar_output(outs, fn)
    with enable_grad():
        g = _grads(outs, xs, (None,), True, strict, fn)
        hv = _grads(g, xs, vs, create_graph, strict, fn)
    return _result(outs, False, create_graph), _result(hv, in_tuple, create_graph)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """d func / d inputs: per (output, input) a tensor of shape output.shape + input.shape, one
    backward pass per output element. ``vectorize`` and ``strategy='forward-mode'`` are accepted
    for PyTorch's signature; the rows are always computed one by one in reverse mode."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jacobian")
    blocks = []
    with enable_grad():
        for o in outs:
            rows = []
            for k in range(o.numel()):
                onehot = np.zeros(o.numel(), dtype=o.dtype)
                onehot[k] = 1
                rows.append(_grads((o,), xs, (Tensor._make(onehot.reshape(o.shape)),), create_graph,
                                   strict, "jacobian"))
            per_input = []
            for i, x in enumerate(xs):
                if rows:
                    block = stack([r[i] for r in rows]).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    block = Tensor._make(np.zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype))
                per_input.append(block if create_graph else block.detach())
            blocks.append(tuple(per_input) if in_tuple else per_input[0])
    return tuple(blocks) if out_tuple else blocks[0]


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func``: for one input a tensor of shape input.shape * 2, for a
    tuple of inputs a tuple of tuples ``H[i][j]`` (d^2 func / d input_i d input_j)."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args):
        out_tuple, outs = _call(func, args, "hessian")
        _scalar_output(outs, "hessian")
        g = _grads(outs, args, (None,), True, strict, "hessian")
        return g if in_tuple else g[0]

    return jacobian(gradient, xs if in_tuple else xs[0], create_graph, strict, vectorize,
                    outer_jacobian_strategy)
