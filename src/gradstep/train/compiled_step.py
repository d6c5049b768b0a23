"""A captured training step: ``step = compile_step(model, criterion, optimizer)``, then
``loss = step(x, y)`` does what the eager loop does (``optimizer.zero_grad()``, ``criterion(model(x),
y)``, ``loss.backward()``, ``optimizer.step()``) with the same results, bit for bit.

The eager step spends much of a small network's time in Python around its kernels: module calls,
argument checks, building the graph, sorting it, routing gradients. ``jax.jit`` and
``torch.compile`` remove that by tracing the step once; this does the same at the level of
gradstep's ops. The first call for a given input shape and dtype (and training mode, grad mode
and set of parameters that require grad) runs the eager step while recording every op it runs:
the op, where each input comes from (the call's ``x`` or ``y``, a parameter or buffer of the model
or criterion, read afresh at every call, or an earlier op's output) and its constant arguments.
Later calls replay that tape: each op's own ``forward`` on the arrays, then each node's own
``backward`` in the order the engine ran them, the gradients routed and accumulated by the
engine's own functions into the same buffers, then ``optimizer.step()`` as usual (or its repeated
step, ``Optimizer.repeater``). A tape is replayed by one Python function written out from it, the
ops in a row with no loop over the tape (``_Tape.program``; its text is ``tape.source``). The same kernels
run in the same order on the same values, so parameters, gradients and optimizer state equal the
eager step's. A new shape (an epoch's last, shorter batch) records a tape of its own, as
``jax.jit`` traces again, and so does a model whose parameter, buffer or layer has been replaced
or added, or whose layer's setting has changed (``bn.momentum = 0.5``: what its ops took as
constants). The step looks at its layers again only when ``gradstep._changes`` counts a change
(an attribute set, a mode switched, a hook added), not at every call. One fusion is made: a
Linear whose output only a ReLU takes runs as one node (``_LinearRelu``), the same kernels' bits
with one pass over the output and one node fewer.

Batch norm in training mode is replayed with its running statistics: its op updates them in
place (their arrays read afresh at each call, as parameters are), and a replay adds one to its
``num_batches_tracked`` per call, as its module does; recording checks that nothing else changed
them (their version counts).

What a tape cannot replay is refused in one line when it is recorded, before the optimizer steps
and with the model's buffers and the random stream put back as they were: ops that draw random
numbers (dropout in training mode), batch norm with ``momentum=None`` in training mode (its factor
changes at every step), modules whose buffers change outside the recorded ops, in-place changes of
op outputs, inputs that require grad, hooks on modules or parameters, and tensors or arrays that
enter an op from elsewhere than the inputs, the model's and criterion's parameters and buffers, or
earlier ops; a hook added after recording is refused at the next call. Python control flow
that depends on values (``if x.sum() > 0``) is fixed at recording, as under ``jax.jit``: such a
model must not be captured. The eager step stays the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from operator import attrgetter

import numpy as np

from .. import _changes
from .. import random as _random
from ..autograd import function as _engine
from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.ops import Relu
from ..autograd.tensor import Tensor
from ..kernels import activation as _kact
from ..kernels import linear as _klinear
from ..nn.functional.linear import LinearFunction
from ..nn.functional.normalization import BatchNormFunction
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.lazy import LazyModuleMixin
from ..nn.modules.module import Module

_OP, _HELD, _ARG, _CONST = range(4)  # where an op's input comes from
_TRAINING, _REQUIRES_GRAD = attrgetter("training"), attrgetter("_requires_grad")
_LATER = object()  # CompiledStep._updates: the repeated step is prepared in ``_update``
_CODE: dict = {}  # a replay's text -> its compiled code (``_Tape.program``), the 64 latest


class CaptureError(RuntimeError):
    """What a captured step cannot replay, found while recording it."""


class _Buffers(tuple):
    """A keyword argument of an op that holds buffers' arrays (batch norm's ``running``): the
    buffers themselves, whose arrays a replay reads afresh at every call."""


class _LinearRelu(Function):
    """``relu(linear(x, w, b))`` as one node: what a tape runs for a Linear whose output only a ReLU
    takes (``_fuse``). The same kernels and the same bits as the two ops, with the copy of the
    product, the bias and ReLU in one pass (``kernels.linear.linear_relu_forward``) and one node
    fewer to run and route."""

    @staticmethod
    def forward(ctx, x, w, b):
        y, mask = _klinear.linear_relu_forward(x, w, b)
        ctx.save_for_backward(x, w, mask)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w, mask = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        return _klinear.linear_backward(_kact.relu_backward(grad, mask), x, w, nx, nw, nb,
                                        dw_out=ctx.grad_buffer(1) if nw else None,
                                        db_out=ctx.grad_buffer(2) if nb else None)


def _fuse(ops: list, loss_index: int, order: list[int],
          out_index: int | None = None) -> tuple[list, int, list[int], int | None]:
    """The recorded ops with each Linear whose output only the next op, a ReLU, takes, and whose
    backward the engine ran right after that ReLU's, replaced by one ``_LinearRelu`` op (the
    ReLU's op dropped); op numbers in sources, edges, the loss and the backward order renumbered.
    The fused node's backward runs where the ReLU's ran, so every gradient is summed in the
    same order as in the eager step. ``out_index``, the model's output (or None), is renumbered too."""
    uses = [0] * len(ops)
    for _, sources, _, _, edges in ops:
        for kind, v in sources:
            if kind == _OP:
                uses[v] += 1
        for e in edges or ():
            if type(e) is int:
                uses[e] += 1
    position = {k: i for i, k in enumerate(order)}
    fused = set()
    for k in range(len(ops) - 1):
        cls, _, _, _, edges = ops[k]
        nxt = ops[k + 1]
        if (cls is LinearFunction and nxt[0] is Relu and nxt[1] == ((_OP, k),) and not nxt[2]
                and edges is not None and nxt[4] == (k,) and uses[k] == 2 and k != loss_index
                and position.get(k) == position.get(k + 1, -2) + 1):
            fused.add(k)
    if not fused:
        return ops, loss_index, order, out_index
    new: list[int] = []  # old op number -> new
    kept = []
    for j, op in enumerate(ops):
        if j - 1 in fused:  # the ReLU: its output is the fused op's
            new.append(len(kept) - 1)
            continue
        new.append(len(kept))
        kept.append((_LinearRelu, *op[1:]) if j in fused else op)
    renumbered = [(cls, tuple((kind, new[v]) if kind == _OP else (kind, v) for kind, v in sources), kwargs,
                   needs, None if edges is None else tuple(new[e] if type(e) is int else e for e in edges))
                  for cls, sources, kwargs, needs, edges in kept]
    return (renumbered, new[loss_index], [new[k] for k in order if k not in fused],
            None if out_index is None else new[out_index])


class _Tape:
    """One recorded step, laid out for a quick replay (``program``). Its values are numbered slots:
    ``x``, ``y``, the held tensors' arrays (read afresh), the constants, then each op's output; an
    op's inputs are slot numbers. Its edges are numbered references: None, the leaves, then each
    op's node. ``order``: the ops whose backward the engine ran, in its order (``backward`` holds
    their node numbers and where each sends its input gradients). ``out_index``: the op whose output
    is the model's, which a replay returns too (None: it returns None in its place)."""

    def __init__(self, ops: list, loss_index: int, order: list[int], out_index: int | None = None):
        held: dict = {}
        leaves: dict = {}
        consts: list = []
        for _, sources, _, _, edges in ops:
            for kind, v in sources:
                if kind == _HELD:
                    held.setdefault(id(v), v)
            for e in edges or ():
                if isinstance(e, Tensor):
                    leaves.setdefault(id(e), e)
        held_slot = {key: 2 + i for i, key in enumerate(held)}
        leaf_ref = {key: 1 + i for i, key in enumerate(leaves)}
        n_consts = sum(kind == _CONST for _, sources, *_ in ops for kind, _ in sources)
        first_output = 2 + len(held) + n_consts
        first_node = 1 + len(leaves)
        self.ops = []
        for cls, sources, kwargs, needs, edges in ops:
            slots = []
            for kind, v in sources:
                if kind == _CONST:
                    slots.append(2 + len(held) + len(consts))
                    consts.append(v)
                else:
                    slots.append(first_output + v if kind == _OP else
                                 held_slot[id(v)] if kind == _HELD else v)  # _ARG: x is 0, y is 1
            refs = None if edges is None else tuple(
                0 if e is None else leaf_ref[id(e)] if isinstance(e, Tensor) else first_node + e
                for e in edges)
            self.ops.append((cls, tuple(slots), kwargs, needs, refs))
        # a keyword argument that holds buffers gets their arrays afresh at each replay (``fresh``)
        self.fresh = []
        for n, (cls, at, kwargs, needs, refs) in enumerate(self.ops):
            if any(type(v) is _Buffers for v in kwargs.values()):
                kwargs = dict(kwargs)
                self.fresh += [(kwargs, name, v) for name, v in kwargs.items() if type(v) is _Buffers]
                self.ops[n] = (cls, at, kwargs, needs, refs)
        self.owned: list[tuple[dict, dict]] = []  # (a layer's parameters, buffers or layers, a copy)
        self.settings: list[tuple[Module, int, dict]] = []  # (a layer, how many attributes, ``_settings``)
        self.arrays: list[tuple[Tensor, np.dtype, tuple]] = []  # (held tensor, its dtype and shape)
        self.mutable: list[tuple[dict, str, object]] = []  # settings that change in place: (layer's
        # attributes, name, a copy), compared at every call (usually there are none)
        self.counts: list[tuple[Tensor, int]] = []  # (batch norm's step count, its calls per step)
        self.versions: list[tuple[Tensor, int]] = []  # (buffer, in-place changes per step)
        self.held, self.consts, self.leaves = list(held.values()), consts, list(leaves.values())
        self.loss_slot, self.loss_node = first_output + loss_index, first_node + loss_index
        self.out_slot = None if out_index is None else first_output + out_index
        # the outputs no later op takes, dropped from the slots after the op that takes them last,
        # as the eager step lets them go (the ops that need them for backward keep them)
        last: dict = {}
        for i, (_, at, *_) in enumerate(self.ops):
            for j in at:
                if j >= first_output:
                    last[j] = i
        drops: list = [[] for _ in self.ops]
        for j, i in last.items():
            if j != self.loss_slot and j != self.out_slot:
                drops[i].append(j)
        self.drops = [tuple(d) for d in drops]
        # backward: per node the engine ran, in its order, where its input gradients go: (input
        # position, reference, whether that is a leaf), the engine's ``_give`` laid out in advance
        self.backward = [(first_node + k, tuple((i, r, r < first_node) for i, r in enumerate(self.ops[k][4])
                                                if r))
                         for k in order]
        self.first_output, self.first_node = first_output, first_node
        self._program: Callable | None = None
        self.source = ""

    def program(self) -> Callable[[np.ndarray, np.ndarray], tuple]:
        """The replay of this tape as one Python function of the arrays x and y, written out from
        it on the first call (its text is ``source``): each op's ``forward`` on its inputs, then
        each node's ``backward`` in the engine's order with its gradients routed as the engine
        routes them (summed into the next node's, or given to a leaf by ``give_leaf``), so that a
        replay runs no loop over the tape. Returns the loss's array, the model's output array (None
        without ``out_index``) and the leaves' gradients (``give_leaf``'s dict). The text holds only
        variable names and numbers: the classes,
        keyword arguments, constants and tensors it uses are objects it is given."""
        if self._program is None:
            self.source, names = self._write()
            code = _CODE.get(self.source)
            if code is None:  # the same text (a new step on the same network) compiles once
                if len(_CODE) >= 64:
                    del _CODE[next(iter(_CODE))]
                code = _CODE[self.source] = compile(self.source, "<compile_step tape>", "exec")
            exec(code, names)  # noqa: S102 - text written above from numbers only
            self._program = names["replay"]
        return self._program

    def _write(self) -> tuple[str, dict]:
        names: dict = {"ndarray": np.ndarray, "asarray": np.asarray, "seed": _engine.seed_gradient,
                       "give_leaf": _engine.give_leaf, "FREED": _engine._FREED, "counted": self._counted}
        names.update({f"H{i}": t for i, t in enumerate(self.held)})
        names.update({f"Q{i}": v for i, v in enumerate(self.consts)})
        names.update({f"L{i}": t for i, t in enumerate(self.leaves)})
        first_const, fo, fn = 2 + len(self.held), self.first_output, self.first_node

        def slot(j: int) -> str:
            if j < 2:
                return "xy"[j]
            return f"Q{j - first_const}" if first_const <= j < fo else f"s{j}"

        def ref(r: int) -> str:
            return "None" if r == 0 else f"L{r - 1}" if r < fn else f"n{r - fn}"

        lines = ["def replay(x, y):"]
        lines += [f"    s{2 + i} = H{i}._data" for i in range(len(self.held))]
        for k, ((cls, at, kwargs, needs, refs), drop) in enumerate(zip(self.ops, self.drops)):
            names[f"C{k}"], names[f"N{k}"], names[f"K{k}"] = cls, list(needs), kwargs
            args = ", ".join([f"n{k}", *map(slot, at)] + ([f"**K{k}"] if kwargs else []))
            lines += [f"    n{k} = C{k}()", f"    n{k}.needs_input_grad = N{k}",
                      f"    o = C{k}.forward({args})",
                      f"    s{fo + k} = o if type(o) is ndarray else asarray(o)"]
            lines += [f"    s{j} = None" for j in drop]
            if refs is not None:
                lines.append(f"    n{k}.edges = ({', '.join(map(ref, refs))},)")
        if self.counts or self.versions:
            lines.append("    counted()")
        loss = self.loss_node - fn
        lines += ["    LG = {}"] + [f"    g{r - fn} = None" for r, _ in self.backward if r - fn != loss]
        lines.append(f"    g{loss} = seed(s{self.loss_slot})")
        for r, routes in self.backward:
            k = r - fn
            pad = "    " if k == loss else "        "
            if k != loss:
                lines.append(f"    if g{k} is not None:")
            lines += [f"{pad}n{k}._leaf_grads = LG", f"{pad}r = C{k}.backward(n{k}, g{k})",
                      f"{pad}n{k}._leaf_grads = None", f"{pad}n{k}.saved_tensors = FREED",
                      f"{pad}g{k} = None", f"{pad}if type(r) is not tuple:", f"{pad}    r = (r,)"]
            for i, to, leaf in routes:
                lines.append(f"{pad}gi = r[{i}] if len(r) > {i} else None")
                if leaf:
                    lines.append(f"{pad}if gi is not None: give_leaf(L{to - 1}, gi, LG)")
                else:
                    t = to - fn
                    lines.append(f"{pad}if gi is not None: g{t} = gi if g{t} is None else g{t} + gi")
        out = "None" if self.out_slot is None else f"s{self.out_slot}"
        lines.append(f"    return s{self.loss_slot}, {out}, LG")
        return "\n".join(lines) + "\n", names

    def _counted(self) -> None:
        """What a replay's forward adds to batch norm's step counts and to its buffers' versions,
        as its modules and ops do."""
        for t, k in self.counts:
            t._data += k
        for t, k in self.versions:
            t._vc[0] += k

    def unmutated(self) -> bool:
        """Whether the settings that can change in place (a pool's ``kernel_size=[2, 2]``) are
        still those of the recording."""
        return all(_same(d.get(k, _same), v) for d, k, v in self.mutable)

    def current(self, watched: list, params: list) -> bool:
        """Whether the layers are still as this tape was recorded: the same parameters, buffers and
        layers in each (one replaced or added, ``bn.running_var = ...`` or ``model[2] =
        nn.Linear(...)`` say), the same settings (``bn.momentum = 0.5``: what the ops took as
        constants) and no hook on a layer or parameter. ``CompiledStep`` asks when
        ``gradstep._changes`` has moved; a tape that is not current is dropped."""
        for d, copy in self.owned:
            if len(d) != len(copy) or not all(d.get(k) is v for k, v in copy.items()):
                return False
        for m, n, settings in self.settings:
            d = m.__dict__
            if len(d) != n or not all(_same(d.get(k, _same), v) for k, v in settings.items()):
                return False
        if not all(t._data.dtype == dtype and t._data.shape == shape for t, dtype, shape in self.arrays):
            return False  # ``net.double()``, ``p.data = ...`` of another shape
        return _hook_on(watched, params) is None


class _Recorder:
    """Called by ``Function._run`` after every op while a step is recorded."""

    def __init__(self, inputs: tuple, held: dict):
        self.inputs = inputs          # x, y
        self.held = held              # id(tensor) -> tensor: the model's and criterion's
        self.held_arrays = {id(t._data): t for t in held.values()}
        self.index: dict[int, int] = {}  # id(output tensor) -> op index
        self.node_index: dict[int, int] = {}  # id(recorded node) -> op index
        self.outputs: list[tuple[Tensor, int]] = []  # (tensor, its version when made)
        self.updated: dict[int, int] = {}  # id(buffer) -> batch norm ops (training) that update it
        self.ops: list = []
        self.problem: str | None = None

    def __call__(self, ctx, args, kwargs, out: Tensor) -> None:
        sources = []
        for a in args:
            sources.append(self._source(a, type(ctx).__name__))
        recorded = dict(kwargs)
        for name, v in kwargs.items():
            if isinstance(v, (Tensor, np.ndarray)):
                self._refuse(f"{type(ctx).__name__} takes a tensor or array as a keyword argument")
            elif isinstance(v, tuple) and v and all(isinstance(a, np.ndarray) for a in v):
                held = [self.held_arrays.get(id(a)) for a in v]
                if not all(t is not None and t._data is a for t, a in zip(held, v)):
                    self._refuse(f"{type(ctx).__name__} takes arrays that are not the values of buffers")
                    continue
                recorded[name] = _Buffers(held)
                if type(ctx) is BatchNormFunction and kwargs.get("training"):  # it updates them
                    for t in held:
                        self.updated[id(t)] = self.updated.get(id(t), 0) + 1
            elif _holds_arrays(v):  # kept as a constant, it would not follow the tensor it came from
                self._refuse(f"{type(ctx).__name__} takes tensors or arrays inside a keyword argument")
        edges = None
        if out._node is ctx:
            edges = tuple(None if e is None else e if isinstance(e, Tensor) else self._node_index(e)
                          for e in ctx.edges)
            self.node_index[id(ctx)] = len(self.ops)
        self.index[id(out)] = len(self.ops)
        self.outputs.append((out, out._vc[0]))
        self.ops.append((type(ctx), tuple(sources), recorded, tuple(ctx.needs_input_grad), edges))

    def _node_index(self, node) -> int | None:
        k = self.node_index.get(id(node))
        if k is None:
            self._refuse(f"a gradient flows into {node.name()}, an op run before the step")
        return k

    def _source(self, a, op: str) -> tuple:
        if isinstance(a, Tensor):
            k = self.index.get(id(a))
            if k is not None:
                return (_OP, k)
            for i, t in enumerate(self.inputs):
                if a is t:
                    return (_ARG, i)
            if id(a) in self.held:
                return (_HELD, a)
            self._refuse(f"{op} takes a tensor that is neither an input, a parameter or buffer of the "
                         f"model or criterion, nor the output of an earlier op (a tensor made in "
                         f"forward by other means, or changed in place)")
        elif isinstance(a, np.ndarray):
            t = self.held_arrays.get(id(a))
            if t is not None and t._data is a:
                return (_HELD, t)
            self._refuse(f"{op} takes an array that is not the values of a parameter or buffer")
        elif isinstance(a, (list, tuple)) and any(isinstance(v, (Tensor, np.ndarray)) for v in a):
            self._refuse(f"{op} takes a sequence of tensors or arrays")
        return (_CONST, a)

    def _refuse(self, why: str) -> None:
        if self.problem is None:
            self.problem = why


_REGISTRIES = frozenset(k for k in Module().__dict__ if k != "training")  # what Module.__init__ makes


def _settings(m: Module) -> dict:
    """A layer's attributes as a tape saw them, but its mode (the key holds it): its registries as
    they are (``owned`` looks into them), lists, dicts and sets copied (a pool's ``kernel_size=[2,
    2]`` changed in place is a change)."""
    return {k: v if k in _REGISTRIES or type(v) not in (list, dict, set) else deepcopy(v)
            for k, v in m.__dict__.items() if k != "training"}


def _same(a, b) -> bool:
    """Whether a layer's attribute is still what the tape saw: the same object, or an equal value
    of the same type (``1.0`` and ``np.float64(1.0)`` differ: the eager ops would compute in
    float64)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - a value that does not compare (an array): a change
        return False


def _holds_arrays(v) -> bool:
    """Whether a list, tuple or dict holds a tensor or array, at any depth."""
    if isinstance(v, (Tensor, np.ndarray)):
        return True
    if isinstance(v, dict):
        v = v.values()
    elif not isinstance(v, (list, tuple)):
        return False
    return any(map(_holds_arrays, v))


def _held_tensors(*owners) -> dict:
    held = {}
    for m in owners:
        if isinstance(m, Module):
            for t in (*m.parameters(), *m.buffers()):
                held[id(t)] = t
    return held


def _step_counts(rec: _Recorder, *owners) -> dict:
    """id(count) -> (count, calls): the ``num_batches_tracked`` of each batch norm module that ran
    in training mode, and how many times (the recorded ops that updated its running mean)."""
    counts = {}
    for owner in owners:
        if isinstance(owner, Module):
            for m in owner.modules():
                if isinstance(m, _BatchNorm) and m.training and m.track_running_stats:
                    k = rec.updated.get(id(m.running_mean), 0)
                    if k:
                        counts[id(m.num_batches_tracked)] = (m.num_batches_tracked, k)
    return counts


def _hook_on(modules, params) -> str | None:
    """What holds a hook a captured step cannot replay (a layer's forward hook, a parameter's
    gradient hook), or None."""
    for m in modules:
        if m._forward_hooks or m._forward_pre_hooks:
            return f"{type(m).__name__} has a forward hook"
    return "a parameter has one" if any(p._hooks for p in params) else None


def _check_before(model, criterion, x, y, layers=None, losses=None) -> None:
    if x.requires_grad or y.requires_grad:
        raise CaptureError(f"a captured step cannot take {'an input' if x.requires_grad else 'a target'} "
                           f"that requires grad (its gradient would not be replayed); run the eager step")
    for kind, allowed, owner in (("layer", layers, model), ("loss", losses, criterion)):
        if allowed is None:
            continue
        for m in owner.modules() if isinstance(owner, Module) else (owner,):
            if type(m) not in allowed:
                raise CaptureError(f"{getattr(type(m), '__name__', type(m))} is not one of gradstep's own "
                                   f"{kind}s that are captured without being asked (its forward may run "
                                   f"Python that depends on the values); compile_step=True captures it")
    for owner in (model, criterion):
        if not isinstance(owner, Module):
            continue
        for m in owner.modules():
            if isinstance(m, LazyModuleMixin) and m.has_uninitialized_params():
                raise CaptureError(f"a captured step cannot record {type(m).__name__} before it has seen an "
                                   f"input (making its parameters draws random numbers); run one eager "
                                   f"step first")
        hooked = _hook_on(owner.modules(), owner.parameters())
        if hooked:
            raise CaptureError(f"a captured step cannot replay hooks, and {hooked}; remove it or run the "
                               f"eager step")
        for m in owner.modules():
            if isinstance(m, _BatchNorm) and m.training and m.track_running_stats and m.momentum is None:
                raise CaptureError(f"a captured step cannot replay {type(m).__name__}(momentum=None) in "
                                   f"training mode, whose factor (a cumulative average) changes at every "
                                   f"step; give it a momentum or run the eager step")


class CompiledStep:
    """``step(x, y)``: one training step from a recorded tape (see the module's docstring).

    ``Trainer`` runs it in two halves, with its callbacks between them: ``_forward_backward(x, y)``
    (the gradients in ``.grad``; the loss's and the model's output arrays returned), then
    ``_update()`` (the optimizer's step). Built with ``outputs=True``, a step refuses a model whose
    output is not an op's (the half returns it)."""

    def __init__(self, model: Module, criterion: Callable, optimizer, outputs: bool = False,
                 layers: tuple | None = None, losses: tuple | None = None):
        self.model, self.criterion, self.optimizer = model, criterion, optimizer
        self._allowed = (layers, losses)  # the only layer and loss classes recorded (None: any)
        self._seen = None  # the count of ``gradstep._changes`` when the layers were last looked at
        self._tapes: dict = {}
        self._again = None  # the optimizer's repeated step (``Optimizer.repeater``); False: it has none
        self._outputs = outputs
        self._updates = None  # what ``_forward_backward`` prepared for ``_update``; None: step()

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        loss, _ = self._forward_backward(x, y, early=True)
        self._update()
        return Tensor._make(loss)

    def _forward_backward(self, x: Tensor, y: Tensor, early: bool = False) -> tuple:
        """Zero the gradients, run the forward and backward (recording on a new key, replaying
        otherwise); the loss's array and the model's output array (None unless ``outputs``). With
        ``early``, the optimizer's repeated step is prepared before the forward (nothing else runs
        before ``_update``); without, ``_update`` prepares it (callbacks may change the
        hyperparameters in between)."""
        if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
            raise TypeError(f"a captured step takes tensors x and y, got {type(x).__name__} and "
                            f"{type(y).__name__}")
        if _changes.count[0] != self._seen:  # a layer, setting, mode or hook changed somewhere
            self._look()
        key = (x._data.shape, x._data.dtype, y._data.shape, y._data.dtype, _grad_state.enabled,
               self._modes, tuple(map(_REQUIRES_GRAD, self._params)))
        tape = self._tapes.get(key)
        self._updates = None
        if tape is not None and tape.mutable and not tape.unmutated():  # a list changed in place
            tape = None
        if tape is None or x._requires_grad or y._requires_grad:
            loss, out, tape = self._record(x, y)
            self._tapes[key] = tape
            self._again = None
            return loss, out
        if self._again:  # the optimizer's checks and hyperparameters, now or in ``_update``
            self._updates = self._again.ready() if early else _LATER
        self.optimizer.zero_grad()
        for kwargs, name, buffers in tape.fresh:  # batch norm's running statistics, as they are now
            kwargs[name] = tuple([t._data for t in buffers])
        loss, out, leaf_grads = tape.program()(x._data, y._data)  # forward and backward, as eager
        for t, g in leaf_grads.values():
            _engine._accumulate_leaf(t, g)
        return loss, out

    def _look(self) -> None:
        """The model's parameters and layers afresh (their modes and flags choose a tape), and the
        tapes that are still current (``_Tape.current``); run when ``gradstep._changes`` moved."""
        self._seen = _changes.count[0]
        self._params = list(self.model.parameters())
        self._modules = list(self.model.modules())
        self._modes = tuple(map(_TRAINING, self._modules))
        self._watched = self._modules + (list(self.criterion.modules()) if isinstance(self.criterion, Module)
                                         else [])
        self._tapes = {k: t for k, t in self._tapes.items() if t.current(self._watched, self._params)}

    def _update(self) -> None:
        """The optimizer's step after ``_forward_backward``: its repeated step where one is ready."""
        updates, self._updates = self._updates, None
        if updates is _LATER:
            updates = self._again.ready()
        if updates is None or not self._again.take(updates):
            self._step()

    # ------------------------------------------------------------------ recording

    def _record(self, x, y) -> tuple[np.ndarray, np.ndarray | None, _Tape]:
        model, criterion, optimizer = self.model, self.criterion, self.optimizer
        _check_before(model, criterion, x, y, *self._allowed)
        held = _held_tensors(model, criterion)
        buffers = [(t, t._data, t._data.copy(), t._vc[0], name) for o in (model, criterion)
                   if isinstance(o, Module) for name, t in o.named_buffers()]
        rng = _random.get_rng_state()
        rec = _Recorder((x, y), held)
        optimizer.zero_grad()
        _engine.recorders.append(rec)
        try:
            out = model(x)
            loss = criterion(out, y)
        finally:
            _engine.recorders.pop()
        counts = _step_counts(rec, model, criterion)
        problem = rec.problem or self._problem_after(rec, loss, buffers, counts, rng)
        out_index = rec.index.get(id(out)) if isinstance(out, Tensor) else None
        if problem is None and self._outputs and out_index is None:
            problem = "the model's output is not the output of an op of the step"
        if problem is not None:
            for t, data, copy, *_ in buffers:  # as they were: the step did not happen
                t._data = data
                np.copyto(data, copy)
            _random.set_rng_state(rng)
            raise CaptureError(f"cannot capture this step: {problem}; run the eager step")
        nodes = _engine._topological_order([loss._node])
        tape = _Tape(*_fuse(rec.ops, rec.index[id(loss)], [rec.node_index[id(n)] for n in nodes],
                            out_index if self._outputs else None))
        self._look()  # the layers as they are after the forward (a lazy layer made its parameters)
        tape.owned = [(d, dict(d)) for m in self._watched for d in (m._parameters, m._buffers, m._modules)]
        tape.settings = [(m, len(m.__dict__), _settings(m)) for m in self._watched]
        tape.arrays = [(t, t._data.dtype, t._data.shape) for t in tape.held]
        tape.mutable = [(m.__dict__, k, v) for m, _, settings in tape.settings for k, v in settings.items()
                        if type(v) in (list, dict, set) and k not in _REGISTRIES]  # ``owned`` sees those
        tape.counts = list(counts.values())
        tape.versions = [(t, rec.updated.get(id(t)) or counts[id(t)][1]) for t, *_ in buffers
                         if id(t) in rec.updated or id(t) in counts]
        loss.backward()
        return loss._data, out._data if self._outputs else None, tape

    @staticmethod
    def _problem_after(rec: _Recorder, loss, buffers, counts: dict, rng) -> str | None:
        if not isinstance(loss, Tensor) or id(loss) not in rec.index:
            return "the criterion's result is not the output of an op of the step"
        if loss._node is None or loss._data.size != 1:
            return "the loss must be one number that requires grad"
        if _random.get_rng_state() != rng:
            return ("the step draws random numbers (dropout in training mode, say), which a replay "
                    "would not draw again")
        for t, data, copy, version, name in buffers:
            # batch norm's running statistics, changed in place by its recorded ops, and its step
            # count, by one per call: as expected, and by nothing else (their versions say)
            outside = f"batch norm's buffer {name} changed outside its batch norm"
            k = rec.updated.get(id(t))
            if k is None and id(t) in counts:
                k = counts[id(t)][1]
                if t._data is not data or not np.array_equal(data, copy + k):
                    return outside
            if k is not None:
                if t._data is not data or t._vc[0] - version != k:
                    return outside
            elif t._data is not data or not np.array_equal(data, copy, equal_nan=True):
                return ("a buffer changed outside the recorded ops (a module that writes its buffers in "
                        "forward, say)")
        for t, version in rec.outputs:
            if t._vc[0] != version:
                return "an op's output was changed in place"
        for node in _engine._topological_order([loss._node]):
            if node._hooks or node._retain is not None:
                return ("a tensor made in the step has a hook or keeps its gradient (register_hook, "
                        "retain_grad), which a replay would not run")
        return None

    # ------------------------------------------------------------------ replaying

    def _step(self) -> None:
        """``optimizer.step()``, then a look for its repeated step (``Optimizer.repeater``), which the
        next replays take on the same slots while nothing that chose them changes (the same bits,
        less Python: its checks and hyperparameters before the forward, the update after the
        backward)."""
        again = self._again
        self.optimizer.step()
        if again is not False:
            repeater = getattr(self.optimizer, "repeater", None)
            self._again = (repeater() if repeater is not None else None) or False


def compile_step(model: Module, criterion: Callable, optimizer) -> CompiledStep:
    """A training step of ``model`` under ``criterion`` and ``optimizer`` that records its ops on
    its first call for each input shape and replays them afterwards: ``loss = step(x, y)`` equals,
    bit for bit, ``optimizer.zero_grad(); loss = criterion(model(x), y); loss.backward();
    optimizer.step()`` with less Python per step (see ``gradstep.train.compiled_step``)."""
    if not isinstance(model, Module):
        raise TypeError(f"compile_step takes a gradstep Module as model, got {type(model).__name__}")
    if not callable(criterion):
        raise TypeError(f"compile_step takes a callable criterion, got {type(criterion).__name__}")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"compile_step takes an optimizer, got {type(optimizer).__name__}")
    if getattr(optimizer, "requires_closure", False):
        raise CaptureError(f"{type(optimizer).__name__} re-evaluates the loss through a closure inside "
                           f"its step, which a captured step does not replay; run the eager step")
    return CompiledStep(model, criterion, optimizer)
