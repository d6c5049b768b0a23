"""The graph and the engine: ``Function`` (one node per operation) and reverse-mode ``backward``.

An operation is a ``Function`` subclass with two static methods that work on NumPy arrays::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            out = np.exp(x)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out           # d exp(x) / dx = exp(x)

``Exp.apply(tensor)`` runs ``forward`` and, when gradients are being recorded and an input
requires them, keeps the node (the ``ctx``) as the output's ``grad_fn``. ``backward`` returns one
gradient per positional input (None where there is none). A backward never writes into the
gradient it receives: arrays are shared between nodes.

The graph's edges are fixed when an op is recorded: ``ctx.edges`` holds, per input, the node that
produced it or, for a leaf, the leaf tensor itself. A later in-place op that rebinds a tensor to a
new node therefore cannot reroute gradients of ops recorded before it. An input whose values a
node saved for backward and that is then modified in place raises an error at backward time, as
in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .._errors import ShapeError
from . import grad_mode
from .node_names import AccumulateGrad, torch_name
from .tensor import Tensor

_grad_state = grad_mode._state
_FREED = object()


class Function:
    """A node of the graph; instances are the ``ctx`` of ``forward``/``backward``."""

    __slots__ = ("edges", "saved_tensors", "needs_input_grad", "_hooks", "_retain", "_versions",
                 "_leaf_grads", "__dict__")

    def __init__(self):
        self.edges = ()
        self.saved_tensors = ()
        self._hooks = None
        self._retain = None
        self._versions = None
        self._leaf_grads = None  # set by the engine while this node's backward runs

    def save_for_backward(self, *arrays) -> None:
        self.saved_tensors = arrays

    def grad_buffer(self, i: int) -> np.ndarray | None:
        """An array the backward may fill with input ``i``'s gradient and return, or None.

        It is the leaf's preallocated gradient buffer (``Tensor._grad_buffer``: a view into an
        optimizer's flat gradient array) when this is the first gradient the leaf gets, from a
        ``backward`` that accumulates into ``.grad``, with no hook to see it first; the gradient then
        lands in the flat array without a copy. Otherwise None: return a new array as usual.
        """
        pending = self._leaf_grads
        if pending is None:
            return None
        t = self.edges[i]  # a leaf's edge is the leaf tensor itself
        if not isinstance(t, Tensor) or t._grad is not None or t._hooks or id(t) in pending:
            return None
        buf = t._grad_buffer
        if buf is None or buf.shape != t._data.shape or buf.dtype != t._data.dtype:
            return None
        return buf

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs) -> Tensor:
        """Run the op on tensors (and plain values) and record it when an input requires grad."""
        return cls._run(cls(), args, kwargs)

    @classmethod
    def _run(cls, ctx, args, kwargs) -> Tensor:
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        if _grad_state.enabled:
            needs = [isinstance(a, Tensor) and a._requires_grad for a in args]
            record = True in needs
        else:
            needs, record = [False] * len(args), False
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *arrays, **kwargs)
        if not record:
            t = Tensor._make(out)
            if t._data.base is not None or (arrays and out is arrays[0]):
                _share_version(t, args)
            return t
        ctx.edges = tuple([(a._node or a) if n else None for a, n in zip(args, needs)])
        saved = ctx.saved_tensors
        if saved:  # remember the versions of inputs whose arrays were saved, to catch in-place edits
            ctx._versions = [(a, a._version) for a in args
                             if isinstance(a, Tensor) and any(s is a._data for s in saved)] or None
        t = Tensor._make(out, True)
        t._node = ctx
        if t._data.base is not None or (arrays and out is arrays[0]):
            _share_version(t, args)
        return t

    def name(self) -> str:
        """PyTorch's name for gradstep's own ops (``AddBackward0``); ``<Class>Backward`` for a user's."""
        return torch_name(self) or type(self).__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @property
    def next_functions(self):
        """``(node, output index)`` per input, as in PyTorch: the node that produced it, an
        ``AccumulateGrad`` for a leaf that requires grad, ``(None, 0)`` for an input without grad."""
        return tuple((e, 0) if isinstance(e, Function) else
                     (AccumulateGrad.of(e), 0) if isinstance(e, Tensor) else (None, 0)
                     for e in self.edges)

    def _check_versions(self) -> None:
        for t, version in self._versions:
            if t._version != version:
                raise RuntimeError(
                    f"one of the tensors needed to compute the gradient of {self.name()} (shape "
                    f"{t.shape}) has been modified by an in-place operation since it was used (version "
                    f"{version}, now {t._version}); clone it before changing it, or change it after "
                    f"backward")


def _share_version(t: Tensor, args) -> None:
    """Give ``t`` the version counter of the input whose memory its array views (or is), so an
    in-place change through either is seen by the nodes that saved the other."""
    base = t._data.base
    for a in args:
        if isinstance(a, Tensor):
            d = a._data
            if t._data is d or (base is not None and (base is d or base is d.base)):
                t._vc = a._vc
                return


def _topological_order(roots):
    """Nodes reachable from ``roots``, every node after all nodes that consume its output.

    Iterative depth-first search (no recursion limit), inputs visited in their positional order.
    """
    visited = set()
    post = []
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            post.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for e in reversed(node.edges):
            if e is not None and not isinstance(e, Tensor) and e not in visited:
                stack.append((e, False))
    post.reverse()
    return post


def _check_grad(t: Tensor, g) -> np.ndarray:
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                f"{tuple(t.shape)}: pass backward(gradient=...) of that shape")
        return np.ones_like(t._data)
    g = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t._data.dtype)
    if g.shape != t._data.shape:
        raise ShapeError(f"gradient has shape {g.shape} but the tensor it belongs to has shape "
                         f"{t._data.shape}")
    return g.astype(t._data.dtype, copy=False)


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None, allow_unused=False):
    """Back-propagate from ``tensors``; accumulate into leaves' ``.grad`` or, with ``inputs``,
    return the gradients of ``inputs`` without touching any ``.grad``."""
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    node_grads = {}
    leaf_grads = {}
    direct = leaf_grads if inputs is None else None  # may backwards write into leaves' grad buffers?
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward expects tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn: nothing to differentiate (did you call it under no_grad, "
                               "or forget requires_grad=True?)")
        g = _check_grad(t, g)
        _give(t._node or t, g, node_grads, leaf_grads)
        if t._node is not None:
            roots.append(t._node)

    for node in _topological_order(roots):
        g = node_grads.pop(node, None)
        if g is None:
            continue
        if node._hooks:
            for hook in node._hooks:
                r = hook(Tensor._make(g))
                if r is not None:
                    g = r._data
        if node._retain is not None and inputs is None:
            _accumulate_leaf(node._retain, g)
        if node.saved_tensors is _FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (through {node.name()}): its "
                f"saved values were freed by the first backward. Call backward(retain_graph=True) "
                f"the first time, or run the forward pass again.")
        if node._versions is not None:
            node._check_versions()
        node._leaf_grads = direct
        try:
            in_grads = node.backward(node, g)
        finally:
            node._leaf_grads = None
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        for e, ig in zip(node.edges, in_grads):
            if e is not None and ig is not None:
                _give(e, ig, node_grads, leaf_grads)
        if not retain_graph:
            if node.saved_tensors:
                node.saved_tensors = _FREED

    if inputs is not None:
        out = []
        for i, t in enumerate(inputs):
            entry = leaf_grads.get(id(t))
            if entry is None:
                if not allow_unused:
                    raise RuntimeError(f"input {i} was not used in the graph; pass allow_unused=True "
                                       f"to get None for it")
                out.append(None)
            else:
                out.append(Tensor._make(np.array(entry[1], dtype=t._data.dtype)))
        return tuple(out)
    for t, g in leaf_grads.values():
        _accumulate_leaf(t, g)
    return None


def _give(edge, g, node_grads: dict, leaf_grads: dict) -> None:
    """Send gradient ``g`` along an edge: into a node's total, or a leaf tensor's."""
    if type(edge) is Tensor or isinstance(edge, Tensor):
        entry = leaf_grads.get(id(edge))
        if entry is None:
            leaf_grads[id(edge)] = [edge, g]
        else:
            entry[1] = entry[1] + g
    else:
        prev = node_grads.get(edge)
        node_grads[edge] = g if prev is None else prev + g


class PostAccumulateGradHook:
    """A leaf's hook that runs after its gradient is accumulated (kept in the same list as the
    hooks that run before, so a tensor without hooks pays nothing for either)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def _accumulate_leaf(t: Tensor, g) -> None:
    """``t.grad += g`` (or ``t.grad = g`` the first time), in ``t``'s dtype and shape."""
    hooks = t._hooks
    if hooks:
        for hook in hooks:
            if type(hook) is not PostAccumulateGradHook:
                r = hook(Tensor._make(g))
                if r is not None:
                    g = r._data
    data = t._data
    if g.shape != data.shape:
        g = np.broadcast_to(g, data.shape) if g.size == 1 else g
        if g.shape != data.shape:
            raise ShapeError(f"gradient of shape {g.shape} computed for a tensor of shape {data.shape}")
    cur = t._grad
    if cur is None:
        buf = t._grad_buffer
        if buf is not None and buf.shape == data.shape and buf.dtype == data.dtype:
            if g is not buf:  # else a backward already wrote it there (Function.grad_buffer)
                np.copyto(buf, g)
            t._grad = Tensor._make(buf)
        else:
            t._grad = Tensor._make(np.array(g, dtype=data.dtype))
    else:
        np.add(cur._data, g, out=cur._data, casting="unsafe")
    if hooks:
        for hook in hooks:
            if type(hook) is PostAccumulateGradHook:
                hook.fn(t)


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs`` (leaves), as in ``torch.autograd.grad``;
    no ``.grad`` attribute is changed."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or t._node is not None or not t._requires_grad:
            raise ValueError(f"inputs[{i}] must be a leaf tensor that requires grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    return run_backward(outputs, list(grad_outputs), retain_graph, inputs, allow_unused)


def backward(tensors, grad_tensors=None, retain_graph=False) -> None:
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    run_backward(tensors, list(grad_tensors), retain_graph)
