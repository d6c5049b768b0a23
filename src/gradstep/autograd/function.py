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

(That is gradstep's own ops. A subclass defined outside gradstep is PyTorch code and gets Tensors in
both methods, as in PyTorch: ``user_function`` adapts it when the class is made.)

``Exp.apply(tensor)`` runs ``forward`` and, when gradients are being recorded and an input
requires them, keeps the node (the ``ctx``) as the output's ``grad_fn``. ``backward`` returns one
gradient per positional input (None where there is none). A backward never writes into the
gradient it receives: arrays are shared between nodes.

**Second and higher derivatives.** ``backward(create_graph=True)`` and ``grad(...,
create_graph=True)`` run the same ``backward`` bodies on Tensors instead of arrays, with the graph
being recorded: each saved array becomes the tensor it came from (an input, or the output as a
tensor produced by this node), ``grad`` is a tensor, and NumPy's functions and operators on tensors
run gradstep's differentiable ops (``numpy_dispatch``). No derivative is written twice. The rule
for an op that is twice differentiable:

1. ``save_for_backward`` only the op's inputs and its output (and values that do not depend on the
   inputs: masks, indices, random draws -- a float one listed in ``saved_constants``). A float
   computed in forward from the inputs (an im2col matrix, exp(x - max), x_hat) must be recomputed
   from them on the tensor path, best by running the forward's own kernel on the tensors (batch
   and layer norm, cross-entropy, GELU do); used there, it raises naming the op.
2. Write the backward with operators and NumPy functions that ``numpy_dispatch`` maps (ufuncs such
   as ``np.exp``/``np.matmul``/``np.where``, ``np.sum``/``np.broadcast_to``/``np.swapaxes``/...,
   ``.reshape``, ``.T``, indexing), not with in-place writes into new arrays, ``out=`` or
   ``np.add.at``. What has no derivative (masks, signs) is computed from ``value(x)``.
3. A backward that needs a kernel that cannot run on tensors calls it through an op of its own,
   ``call(Op, ...)`` (on arrays: the op's forward alone, so the first-order path pays nothing),
   whose backward is again such a call: see ``Scatter`` (indexing), ``Conv2dInputGrad`` /
   ``Conv2dWeightGrad`` and ``MaxPool2dRoute`` / ``MaxPool2dSelect``, pairs of ops that are each
   other's adjoint. A branch on ``isinstance(grad, Tensor)`` may keep a faster first-order
   path that calls the same kernel.
4. Otherwise mark the backward ``@once_differentiable``: the first derivative still works with
   ``create_graph=True``, and differentiating it again raises naming the op.

Every differentiable op gets a row in ``tests/autograd/op_table.py`` (or the nn rows of
``tests/autograd/test_second_order.py``), which checks its second derivatives against PyTorch and
by ``gradgradcheck``.

The graph's edges are fixed when an op is recorded: ``ctx.edges`` holds, per input, the node that
produced it or, for a leaf, the leaf tensor itself. A later in-place op that rebinds a tensor to a
new node therefore cannot reroute gradients of ops recorded before it. An input whose values a
node saved for backward and that is then modified in place raises an error at backward time, as
in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .._errors import ShapeError
from . import grad_mode, user_function
from .node_names import AccumulateGrad, torch_name
from .tensor import Tensor

_grad_state = grad_mode._state
# Whoever records the ops a step runs (a captured step, ``train.compiled_step``): the last one
# is called with (ctx, args, kwargs, output tensor) after every op.
recorders: list = []
_FREED = object()
_new = object.__new__


class Function:
    """A node of the graph; instances are the ``ctx`` of ``forward``/``backward``."""

    saved_constants: tuple = ()  # positions of saved values that do not depend on the inputs

    __slots__ = ("edges", "saved_tensors", "needs_input_grad", "_hooks", "_retain", "_versions",
                 "_sources", "_leaf_grads", "__dict__")

    def __init__(self):
        self.edges = ()
        self.saved_tensors = ()
        self._hooks = None
        self._retain = None
        self._versions = None
        self._sources = None
        self._leaf_grads = None  # set by the engine while this node's backward runs

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.partition(".")[0] != "gradstep":  # a user's op: Tensors in and out, as PyTorch
            user_function.adapt(cls)

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
        arrays = []
        needs = []
        record = False
        enabled = _grad_state.enabled
        for a in args:  # one pass: the arrays, and which inputs need a gradient
            if isinstance(a, Tensor):
                arrays.append(a._data)
                need = enabled and a._requires_grad
                record = record or need
                needs.append(need)
            else:
                arrays.append(a)
                needs.append(False)
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *arrays, **kwargs)
        if not record:
            t = Tensor._make(out)
            if t._data.base is not None or (arrays and out is arrays[0]):
                _share_version(t, args)
            if recorders:
                recorders[-1](ctx, args, kwargs, t)
            return t
        ctx.edges = tuple([(a._node or a) if n else None for a, n in zip(args, needs)])
        t = Tensor._make(out, True)
        t._node = ctx
        if ctx.saved_tensors:
            _note_saved(ctx, args, arrays, out, t._data)
        if t._data.base is not None or (arrays and out is arrays[0]):
            _share_version(t, args)
        if recorders:
            recorders[-1](ctx, args, kwargs, t)
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
            if t._vc[0] != version:  # t._version without the property's call
                raise RuntimeError(
                    f"one of the tensors needed to compute the gradient of {self.name()} (shape "
                    f"{t.shape}) has been modified by an in-place operation since it was used (version "
                    f"{version}, now {t._version}); clone it before changing it, or change it after "
                    f"backward")


def _note_saved(ctx: Function, args, arrays: list, out, data: np.ndarray) -> None:
    """Remember, per saved array, which input it is (its position) or the output (-1), and the
    versions of those inputs, to catch in-place edits and to map saved values back to the graph
    when a backward runs on tensors. ``arrays`` are the inputs as the forward got them."""
    sources = []
    versions = None
    seen = None  # the tensors already in versions
    for s in ctx.saved_tensors:
        src = -1 if s is out or s is data else None  # the output (as returned, or as an array)
        for i, a in enumerate(arrays):
            if s is a and a is not args[i]:  # an input tensor's array (not a plain value)
                src = i
                t = args[i]
                if versions is None:
                    versions, seen = [(t, t._vc[0])], [t]
                elif all(u is not t for u in seen):
                    versions.append((t, t._vc[0]))
                    seen.append(t)
                break
        sources.append(src)
    ctx._sources = sources
    ctx._versions = versions


def value(x):
    """The values of ``x`` (a tensor's array), for what a backward computes that has no derivative
    (masks, signs, indices): on arrays it is ``x``; on tensors it leaves the graph on purpose."""
    return x._data if isinstance(x, Tensor) else x


def call(op: type[Function], *args, **kwargs):
    """Use ``op`` inside a backward: on arrays its forward alone (no node: the first-order path pays
    nothing), on tensors ``op.apply`` (recorded, so the gradient can be differentiated)."""
    for a in args:
        if isinstance(a, Tensor):
            return op.apply(*args, **kwargs)
    return op.forward(_new(op), *args, **kwargs)  # a bare ctx: forward only sets attributes on it


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


def seed_gradient(data: np.ndarray) -> np.ndarray:
    """The gradient a one-element output starts backward with: ones of its shape and dtype (a
    loss is 0-d, where np.array is ten times as fast as ones_like)."""
    return np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones_like(data)


def _check_grad(t: Tensor, g, create_graph: bool):
    """The gradient to start from at ``t``: an array, or, building a graph, a tensor (one that
    requires grad keeps its graph, so a gradient can depend on ``grad_outputs``)."""
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                f"{tuple(t.shape)}: pass backward(gradient=...) of that shape")
        g = seed_gradient(t._data)
    elif isinstance(g, Tensor) and create_graph and g._requires_grad:
        if g.shape != t.shape:
            raise ShapeError(f"gradient has shape {g.shape} but the tensor it belongs to has shape "
                             f"{t.shape}")
        return g if g.dtype == t.dtype else g.to(t.dtype)
    g = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t._data.dtype)
    if g.shape != t._data.shape:
        raise ShapeError(f"gradient has shape {g.shape} but the tensor it belongs to has shape "
                         f"{t._data.shape}")
    g = g.astype(t._data.dtype, copy=False)
    return Tensor._make(g) if create_graph else g


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None, allow_unused=False,
                 create_graph=False):
    """Back-propagate from ``tensors``; accumulate into leaves' ``.grad`` or, with ``inputs``,
    return the gradients of ``inputs`` without touching any ``.grad``.

    With ``create_graph`` every backward runs on tensors with the graph being recorded (see
    ``_backward_on_tensors``), so the gradients returned or accumulated can be differentiated.
    """
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    node_grads = {}
    leaf_grads = {}
    direct = leaf_grads if inputs is None and not create_graph else None  # write into grad buffers?
    captured = None  # non-leaf inputs: node -> the gradient of the tensor it produced
    if inputs is not None:
        captured = {t._node: None for t in inputs if isinstance(t, Tensor) and t._node is not None}
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward expects tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn: nothing to differentiate (did you call it under no_grad, "
                               "or forget requires_grad=True?)")
        g = _check_grad(t, g, create_graph)
        _give((t._node or t,), (g,), node_grads, leaf_grads)
        if t._node is not None:
            roots.append(t._node)

    for node in _topological_order(roots):
        g = node_grads.pop(node, None)
        if g is None:
            continue
        if node._hooks:
            for hook in node._hooks:
                r = hook(g if create_graph else Tensor._make(g))
                if r is not None:
                    g = r if create_graph else r._data
        if captured and node in captured:
            captured[node] = g
        if node._retain is not None and inputs is None:
            (_accumulate_graph if create_graph else _accumulate_leaf)(node._retain, g)
        if node.saved_tensors is _FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (through {node.name()}): its "
                f"saved values were freed by the first backward. Call backward(retain_graph=True) "
                f"the first time, or run the forward pass again.")
        if node._versions is not None:
            node._check_versions()
        if create_graph:
            in_grads = _backward_on_tensors(node, g)
        else:
            node._leaf_grads = direct
            try:
                in_grads = node.backward(node, g)
            finally:
                node._leaf_grads = None
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        _give(node.edges, in_grads, node_grads, leaf_grads)
        if not retain_graph:
            if node.saved_tensors:
                node.saved_tensors = _FREED

    if inputs is not None:
        out = []
        for i, t in enumerate(inputs):
            if t._node is not None:
                got = captured.get(t._node)
            else:
                entry = leaf_grads.get(id(t))
                got = None if entry is None else entry[1]
            if got is None:
                if not allow_unused:
                    raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not "
                                       f"have been used in the graph. Set allow_unused=True if this "
                                       f"is the desired behavior.")
                out.append(None)
            elif isinstance(got, Tensor):
                out.append(got if got.dtype == t.dtype else got.to(t.dtype))
            else:
                out.append(Tensor._make(np.array(got, dtype=t._data.dtype)))
        return tuple(out)
    for t, g in leaf_grads.values():
        (_accumulate_graph if create_graph else _accumulate_leaf)(t, g)
    return None


class _TwiceError(Function):
    """The node of a gradient computed by a backward marked ``once_differentiable``: differentiating
    it again raises, naming the op."""

    def __init__(self, op: str):
        super().__init__()
        self.op = op

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"{ctx.op} is not twice differentiable (its backward is marked "
                           f"once_differentiable): a gradient that went through it cannot be "
                           f"differentiated again")


def once_differentiable(backward):
    """Mark a backward as not differentiable (``torch.autograd.function.once_differentiable``): with
    ``create_graph=True`` it runs on arrays, and differentiating its result raises naming the op."""
    backward._once_differentiable = True
    return backward


class _Unavailable:
    """Stands in, on the tensor path, for a float value a forward computed and saved that is neither
    an input nor the output (nor listed in ``saved_constants``): using it raises, naming the op."""

    def __init__(self, node: Function, k: int, shape: tuple):
        self._msg = (f"{node.name()} is not twice differentiable: its backward uses saved value {k} "
                     f"(shape {shape}), a float its forward computed that is neither an input nor the "
                     f"output; recompute it in backward from those, or list it in saved_constants if "
                     f"it does not depend on the inputs")

    def _fail(self, *args, **kwargs):
        raise RuntimeError(self._msg)

    __array__ = __array_ufunc__ = __array_function__ = __getattr__ = __getitem__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __matmul__ = __rmatmul__ = __neg__ = __pow__ = _fail


def _tensor_saved(node: Function) -> tuple:
    """The node's saved arrays as graph tensors: an input that requires grad as that input, the
    output as a tensor produced by this node; masks, indices and ``saved_constants`` stay arrays."""
    out = []
    constants = type(node).saved_constants
    for k, (s, src) in enumerate(zip(node.saved_tensors, node._sources or ())):
        if src is None:
            float_value = isinstance(s, (np.ndarray, np.generic)) and s.dtype.kind in "fc"
            out.append(_Unavailable(node, k, np.shape(s)) if float_value and k not in constants else s)
            continue
        edge = node if src == -1 else node.edges[src]
        if edge is None:  # an input that does not require grad: a constant
            out.append(s)
        elif isinstance(edge, Tensor):  # a leaf
            out.append(edge)
        else:
            t = Tensor._make(s, True)
            t._node = edge
            out.append(t)
    return tuple(out)


def _backward_on_tensors(node: Function, g: Tensor):
    """Run the node's backward on tensors with the graph recorded: its saved arrays become the
    tensors they came from, and NumPy calls on them run gradstep's ops (``numpy_dispatch``)."""
    if getattr(node.backward, "_once_differentiable", False):
        with grad_mode.no_grad():
            in_grads = node.backward(node, g._data)
        in_grads = in_grads if type(in_grads) is tuple else (in_grads,)
        res = []
        for ig in in_grads:
            if ig is None:
                res.append(None)
                continue
            t = Tensor._make(ig, True)
            t._node = _TwiceError(node.name())
            t._node.edges = ()
            res.append(t)
        return tuple(res)
    arrays = node.saved_tensors
    prev = (_grad_state.enabled, _grad_state.graph_of_grad)
    try:
        node.saved_tensors = _tensor_saved(node) if arrays else arrays
        _grad_state.enabled = _grad_state.graph_of_grad = True
        in_grads = node.backward(node, g)
    except (TypeError, AttributeError, RuntimeError) as e:
        if "not twice differentiable" in str(e):
            raise
        raise RuntimeError(f"{node.name()} is not twice differentiable: its backward, run on "
                           f"tensors to build the graph of the gradient, failed: {e}") from e
    finally:
        node.saved_tensors = arrays
        _grad_state.enabled, _grad_state.graph_of_grad = prev
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    return tuple(ig if ig is None or isinstance(ig, Tensor) else Tensor._make(np.asarray(ig))
                 for ig in in_grads)


def _give(edges, grads, node_grads: dict, leaf_grads: dict) -> None:
    """Send each gradient along its edge (None on either side: nothing to send): into a node's
    total, or a leaf tensor's."""
    for e, g in zip(edges, grads):
        if e is None or g is None:
            continue
        if isinstance(e, Tensor):
            give_leaf(e, g, leaf_grads)
        else:
            prev = node_grads.get(e)
            node_grads[e] = g if prev is None else prev + g


def give_leaf(t: Tensor, g, leaf_grads: dict) -> None:
    """Add ``g`` to leaf ``t``'s total for this backward (``leaf_grads``: id -> [leaf, total])."""
    entry = leaf_grads.get(id(t))
    if entry is None:
        leaf_grads[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


class PostAccumulateGradHook:
    """A leaf's hook that runs after its gradient is accumulated (kept in the same list as the
    hooks that run before, so a tensor without hooks pays nothing for either)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def _accumulate_leaf(t: Tensor, g) -> None:
    """``t.grad += g`` (or ``t.grad = g`` the first time), in ``t``'s dtype and shape."""
    hooks = t._hooks
    if g is t._grad_buffer and t._grad is None and not hooks:  # a backward wrote it there (the usual)
        t._grad = Tensor._make(g)
        return
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


def _accumulate_graph(t: Tensor, g: Tensor) -> None:
    """``t.grad = t.grad + g`` out of place, keeping ``g``'s graph (create_graph=True, as PyTorch)."""
    hooks = t._hooks
    if hooks:
        for hook in hooks:
            if type(hook) is not PostAccumulateGradHook:
                r = hook(g)
                if r is not None:
                    g = r
    if g.shape != t.shape:
        g = g.expand(t.shape)
    if g.dtype != t.dtype:
        g = g.to(t.dtype)
    t._grad = g if t._grad is None else t._grad + g
    if hooks:
        for hook in hooks:
            if type(hook) is PostAccumulateGradHook:
                hook.fn(t)


def _as_list(x) -> list:
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``; no ``.grad``
    attribute is changed. ``create_graph=True`` records the gradients' graph, so they can be
    differentiated again; ``retain_graph`` defaults to ``create_graph``. ``materialize_grads``
    gives zeros instead of None for unused inputs (and implies ``allow_unused``)."""
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported; loop over the "
                                  "batch of grad_outputs")
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise ValueError(f"inputs[{i}] must be a tensor that requires grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = _as_list(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = run_backward(outputs, grad_outputs, retain_graph, inputs, allow_unused, create_graph)
    if materialize_grads:
        grads = tuple(Tensor._make(np.zeros_like(t._data)) if g is None else g
                      for g, t in zip(grads, inputs))
    return grads


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad`` (only into ``inputs``' when
    given), as ``torch.autograd.backward``."""
    tensors = _as_list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    else:
        grad_tensors = _as_list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        run_backward(tensors, grad_tensors, retain_graph, None, False, create_graph)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("backward: inputs= was given but is empty")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise ValueError(f"backward: inputs[{i}] must be a tensor that requires grad")
    grads = run_backward(tensors, grad_tensors, retain_graph, inputs, True, create_graph)
    for t, g in zip(inputs, grads):
        if g is not None:
            (_accumulate_graph if create_graph else _accumulate_leaf)(t, g if create_graph else g._data)
