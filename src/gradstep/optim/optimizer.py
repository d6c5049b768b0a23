"""``Optimizer``: parameter groups, per-parameter state, and the two ways to run an update rule.

The contract is torch.optim's: ``param_groups`` is a list of dicts (each group's hyperparameters
default to the constructor's), ``state[p]`` holds a parameter's state under PyTorch's names,
``zero_grad``, ``step(closure)`` returning the closure's loss, and ``state_dict`` /
``load_state_dict`` with parameters referred to by their index across groups. A subclass writes
its update rule once, in ``gradstep.kernels.optim``, and its ``step`` runs the rule on each
``Slot`` that ``_slots(group)`` yields: one per dtype of the group on flat buffers (the default,
see ``gradstep.optim.flat``), or one per parameter (``flat=False``).
"""

from __future__ import annotations

import copy
import numbers
import operator
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain
from typing import NamedTuple

import numpy as np

from .._errors import ArgumentError
from ..autograd.grad_mode import enable_grad
from ..autograd.tensor import Tensor
from ..kernels import fused as fused_rules
from ..kernels import jit
from ..kernels import optim as rules
from ..nn.parameter import materialized_count
from .flat import FlatSegment, FlatState, Slot, Unchanged, build_segments


def require(ok: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``ok``: the hyperparameter checks of every optimizer."""
    if not ok:
        raise ValueError(message)


def is_real(x) -> bool:
    """A real number (bools excluded), so that range checks on it mean something."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_lr(group: dict) -> None:
    require(is_real(group["lr"]) and group["lr"] >= 0, f"Invalid learning rate: {group['lr']}")


def check_nonnegative(group: dict, key: str, label: str | None = None) -> None:
    """``group[key] >= 0``, else ``Invalid <label> value: <value>`` (PyTorch's wording)."""
    v = group[key]
    require(is_real(v) and v >= 0, f"Invalid {label or key} value: {v}")


def check_betas(group: dict) -> None:
    """Two coefficients in [0, 1), else ``Invalid beta parameter at index i: <value>``."""
    betas = group["betas"]
    require(isinstance(betas, (tuple, list)) and len(betas) == 2,
            f"Invalid betas: {betas!r}, expected a pair (beta1, beta2)")
    for i, b in enumerate(betas):
        require(is_real(b) and 0.0 <= b < 1.0, f"Invalid beta parameter at index {i}: {b}")


def check_adam_like(group: dict) -> None:
    """The checks shared by Adam and its variants: lr, eps, betas and weight_decay."""
    check_lr(group)
    check_nonnegative(group, "eps", "epsilon")
    check_betas(group)
    check_nonnegative(group, "weight_decay")


def check_implementation(group: dict) -> None:
    """PyTorch's implementation keywords (foreach, fused, capturable, differentiable) choose among its
    copies of one rule (a for-loop, foreach and fused kernels, CUDA-graph-safe and differentiable
    variants); gradstep has one copy, so the first two change nothing in the numbers. They are kept
    in the defaults, param groups and state dicts as torch.optim keeps them; the values gradstep
    cannot honour are refused here in one line each (docs/differences.md)."""
    if group.get("fused") and group.get("foreach"):
        raise ArgumentError("`fused` and `foreach` cannot be `True` together.")
    if group.get("differentiable"):
        raise ArgumentError("differentiable=True is not supported: gradstep's optimizers update the "
                            "parameters' arrays outside autograd, so a step has no graph to differentiate "
                            "(use differentiable=False)")
    if group.get("capturable"):
        raise ArgumentError("capturable=True needs an accelerator (CUDA graph capture); gradstep runs on "
                            "the CPU, where PyTorch refuses it too (use capturable=False)")


_warned_no_numba: list[bool] = []


def compiled_rules(group: dict):
    """``kernels.fused`` when ``group``'s update runs as one compiled loop, else None (the NumPy
    rule, which gives the same bits). It runs whenever compiled kernels are on (``kernels.jit``)
    unless the group says ``fused=False``: in PyTorch ``fused`` chooses among implementations of
    one rule, ``None`` letting the library pick and ``False`` asking for an unfused one (here the
    NumPy rule)."""
    fused = group.get("fused")
    if fused is False:
        return None
    if jit.enabled():
        return fused_rules
    if fused:
        warn_without_numba()
    return None


def warn_without_numba() -> None:
    """``fused=True`` asks for the compiled loop: without numba, say once that the NumPy rule runs."""
    if not _warned_no_numba and not jit.available():
        _warned_no_numba.append(True)
        warnings.warn("fused=True needs numba (pip install numba), which is not installed; running the "
                      "NumPy update (the same numbers, a few times slower)", stacklevel=4)


def _plain(value):
    """Hyperparameters as Python numbers: a NumPy float64 scalar would promote float32 arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"a tensor hyperparameter must have one element, got shape {value.shape}")
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def _export(value):
    """A state or group value for ``state_dict``: arrays copied, containers rebuilt."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_export(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_export(v) for v in value)
    return _plain(value)


# Every optimizer class, by its name in lower case, registered as the class is defined (a user's
# subclass in their own module included): the CLI's choices and help, compare, sweep, landscape and
# the dynamics tools all read it, so a new optimizer needs no list updated anywhere.
OPTIMIZERS: dict[str, type] = {}


def optimizer_class(name: str) -> type:
    """The registered optimizer class called ``name`` (any case); ValueError naming the known ones."""
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(sorted(OPTIMIZERS))}")
    return cls


_UNORDERED = ("optimizer parameters need to be organized in ordered collections, but the ordering of "
              "tensors in sets will change between runs. Please use a list instead.")


class Repeat(NamedTuple):
    """An optimizer's repeated step (``Optimizer.repeater``), in two halves around a training step's
    forward and backward: ``updates = ready()`` checks that nothing changed but the gradients (None:
    something did) and prepares each slot's update (Adam's compiled loop reads the hyperparameters
    there; the default update reads them when it runs); ``take(updates)`` checks the gradients and
    takes the step (False: it took none, and changed nothing)."""

    ready: Callable[[], list | None]
    take: Callable[[list], bool]


class _GroupLayout:
    """The flat segments of one parameter group, with what they were built from."""

    def __init__(self, group: dict, segments: list[FlatSegment]):
        self.group = group
        self.params = list(group["params"])
        self.segments = segments
        self.materialized = materialized_count()

    def matches(self, group: dict) -> bool:
        ps = group["params"]
        return (self.group is group and len(ps) == len(self.params)
                and all(map(operator.is_, ps, self.params))
                and self.materialized == materialized_count())  # a lazy module's first forward


class Optimizer:
    """Base class of all optimizers, with torch.optim's interface.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts defining
            parameter groups (each with ``"params"`` and any hyperparameters to override).
        defaults: the hyperparameters of every group that does not set its own.
        flat: keep each group's parameters, gradients and state in flat buffers (one per dtype)
            so that a step is a few vectorised NumPy calls whatever the number of tensors
            (default). ``flat=False`` runs the same update rule parameter by parameter; both give
            bitwise-equal results. With flat buffers, a parameter's ``.data`` is a view into the
            buffer: assigning ``p.data = ...`` or ``p.grad = ...`` still works (the values are
            copied into the buffer at the next step) but no longer shares memory with the
            assigned tensor.
    """

    # State arrays have their parameter's shape (LBFGS keeps flat vectors instead).
    _per_param_state = True
    # State entries that are numbers; load_state_dict turns 0-d arrays under these names into numbers.
    _scalar_state: frozenset = frozenset({"step"})

    # whether ``step`` must be given a closure that re-evaluates the loss (L-BFGS)
    requires_closure = False
    # What the learning rate scales, for tools that pick one per problem (``gradstep landscape``):
    # "gradient" (the step is lr times a gradient, so lr must respect the curvature: SGD, ASGD),
    # "adaptive" (the step is about lr per coordinate whatever the gradient's size: Adam, ...) or
    # "own" (lr is a unitless factor or a line-search start: keep the optimizer's default).
    lr_scale = "adaptive"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            OPTIMIZERS.setdefault(cls.__name__.lower(), cls)

    def __init__(self, params, defaults: dict, *, flat: bool = True):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got a Tensor")
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        self.defaults = {k: _plain(v) for k, v in defaults.items()}
        check_implementation(self.defaults)
        self._validate(self.defaults)
        self._stepped = False  # whether step() ran: a scheduler stepped before it warns, as PyTorch's
        self.flat = bool(flat)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._layouts: dict[int, _GroupLayout] = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ what a subclass provides

    def _validate(self, group: dict) -> None:
        """Raise ValueError naming any invalid hyperparameter of ``group`` (or of the defaults)."""

    def _init_state(self, group: dict, param: np.ndarray) -> dict:
        """The state of a parameter (or of a flat segment) before its first step."""
        return {}

    def step(self, closure: Callable | None = None):
        """Perform one optimization step: the subclass's rule (``_update``) on every slot of every
        group (see ``_slots``); return the loss ``closure()`` computed (None without one). A subclass
        that overrides ``step`` starts it with ``self._evaluate(closure)``, which also records that a
        step ran (the scheduler's order warning reads it)."""
        loss = self._evaluate(closure)
        for group, slot in self._each_slot():
            self._update(group, slot)
        return loss

    def repeater(self) -> Repeat | None:
        """For a loop that steps again and again on the same parameters (``compile_step``), right
        after a ``step()``: the next step on that step's slots without looking for them again, in two
        halves (``Repeat``): ``ready()`` before the loop's forward returns the prepared updates,
        ``take(updates)`` after its backward takes the step and returns True. They do nothing and
        return None / False when anything that chose the slots changed since (the groups, a
        parameter's data, gradient or state replaced, even by an equal value: then call
        ``step()``). Hyperparameters read by ``ready()`` are the step's, as nothing runs between
        the halves but the step's own ops. None when the optimizer has no such step
        (``flat=False``, its own ``step``, a parameter without gradient or state, parameters whose
        states differ)."""
        if not self.flat or type(self).step is not Optimizer.step:
            return None
        groups = list(self.param_groups)
        layouts, entries = [], []
        for group in groups:
            lay = self._layouts.get(id(group))
            if lay is None or not lay.matches(group):
                return None
            layouts.append(lay)
            for seg in lay.segments:
                if not (seg.in_place(self.state) and all(map(self.state.get, seg.params))):
                    return None
                slot = Slot(seg.data, seg.grad, FlatState(seg, self.state), seg.work())
                entries.append((self._repeat_update(group, slot), Unchanged(seg, self.state)))

        def ready() -> list | None:
            if len(self.param_groups) != len(groups) or not all(map(operator.is_, self.param_groups, groups)):
                return None
            for lay, group in zip(layouts, groups):
                if not lay.matches(group):
                    return None
            for _, unchanged in entries:
                if not unchanged.settled():
                    return None
            return [prepare() for prepare, _ in entries]

        def take(updates: list) -> bool:
            for _, unchanged in entries:
                if not unchanged.seg._grads_in_place():
                    return False
            self._stepped = True
            for update, (_, unchanged) in zip(updates, entries):
                replaced = update()
                if replaced is None:
                    unchanged.note()
                else:  # only one key's value, the same in every state (Adam's step count)
                    unchanged.renote(*replaced)
            return True

        return Repeat(ready, take)

    def _repeat_update(self, group: dict, slot: Slot) -> Callable[[], Callable[[], tuple | None]]:
        """For ``repeater``: a function that reads the group's hyperparameters before a step's
        forward and returns the update to run after its backward; by default ``_update(group,
        slot)`` itself. A subclass may prepare a quicker one with the same effect; an update that
        puts a new value under one key of the state and changes nothing else there (but arrays in
        place) may return ``(key, value)``."""
        update = partial(self._update, group, slot)
        return lambda: update

    def _update(self, group: dict, slot: Slot) -> None:
        """Run the update rule on one slot: its parameter, gradient, state and scratch arrays."""
        raise NotImplementedError(f"{type(self).__name__} defines neither step() nor _update()")

    def step_size(self, param: Tensor) -> np.ndarray | None:
        """The per-element effective step size the next ``step()`` applies to ``param`` with its
        current gradient: the factor P in θ ← θ − P ⊙ d, d the direction the optimizer's docstring
        names (the gradient, or a bias-corrected average of it), computed by the same kernel
        functions as the update, on copies (nothing changes). None for a parameter without a
        gradient, or an optimizer that defines no such factor (``_step_size`` returns None)."""
        group = next((g for g in self.param_groups if any(p is param for p in g["params"])), None)
        if group is None or param._grad is None:
            return None
        state = self.state.get(param) or self._init_state(group, param._data)
        g = rules.signed(param._grad._data, group.get("maximize", False))
        if not group.get("decoupled_weight_decay") and group.get("weight_decay"):
            g = rules.l2_weight_decay(param._data, g, group["lr"], group["weight_decay"])
        return self._step_size(group, state, g)

    def _step_size(self, group: dict, state: dict, grad: np.ndarray) -> np.ndarray | None:
        """``step_size`` for one parameter: its state before the step and the gradient it descends."""
        return None

    def _weight_decay_rule(self, group: dict):
        """How weight decay enters the step: an L2 penalty added to the gradient, or, when the group
        asks for ``decoupled_weight_decay`` (NAdam, RAdam; always for AdamW), θ ← θ(1 − γλ)."""
        if group.get("decoupled_weight_decay"):
            return rules.decoupled_weight_decay
        return rules.l2_weight_decay

    def _gradient(self, slot: Slot, group: dict) -> np.ndarray:
        """The gradient the rule descends: ±∇f(θ) (− when maximizing) with the group's weight decay
        applied; a new array whenever it differs from ``.grad``, which is never written."""
        g = rules.signed(slot.grad, group["maximize"])
        return self._weight_decay_rule(group)(slot.param, g, group["lr"], group["weight_decay"])

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with hyperparameters overriding the defaults (as in PyTorch,
        e.g. to train layers unfrozen during fine-tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"a parameter group needs a 'params' entry; got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names "
                                 "are missing")
            params = [p[1] for p in params]
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter twice")
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in param_group):
                raise ValueError("all optimizer param groups should be with/without names")
            if not {id(p) for p in g["params"]}.isdisjoint(id(p) for p in params):
                raise ValueError("some parameters appear in more than one parameter group")
        param_group["params"] = params
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        for name, value in param_group.items():
            if name != "params":
                param_group[name] = _plain(value)
        check_implementation(param_group)
        self._validate(param_group)
        self.param_groups.append(param_group)
        if self.flat:
            self._layout(param_group)

    def _layout(self, group: dict) -> list[FlatSegment]:
        """The flat segments of ``group``, rebuilt if the group's parameters changed."""
        lay = self._layouts.get(id(group))
        if lay is None or not lay.matches(group):
            segments = build_segments(group["params"], self.state, self._per_param_state)
            lay = self._layouts[id(group)] = _GroupLayout(group, segments)
        return lay.segments

    # ------------------------------------------------------------------ running a rule

    def _slots(self, group: dict) -> Iterator[Slot]:
        """Where to run the update rule for ``group``: its parameters that have a gradient (PyTorch
        skips a parameter whose grad is None, leaving its state untouched), one slot per flat
        segment, or per run of a segment's parameters whose states agree (see ``FlatSegment.sync``),
        or per parameter with ``flat=False``. State is created lazily."""
        if not self.flat:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                st = self.state[p]
                if not st:
                    st.update(self._init_state(group, p._data))
                yield Slot(p._data, g._data, st, None)
            return
        for seg in self._layout(group):
            for lo, hi in seg.sync(self.state):
                st = FlatState(seg, self.state, lo, hi)
                if lo == 0 and hi == len(seg):
                    param, grad, work = seg.data, seg.grad, seg.work()
                else:
                    part = seg.bounds(lo, hi)
                    param, grad, work = seg.data[part], seg.grad[part], seg.work()[part]
                if not st:
                    for name, value in self._init_state(group, param).items():
                        st[name] = value
                yield Slot(param, grad, st, work)

    def _each_slot(self) -> Iterator[tuple[dict, Slot]]:
        """``(group, slot)`` for every slot of every group, in order: what ``step`` loops over."""
        for group in self.param_groups:
            for slot in self._slots(group):
                yield group, slot

    def _init_all_states(self) -> None:
        """Create every parameter's state now (Adagrad does so in its constructor, as in PyTorch)."""
        for group in self.param_groups:
            if not self.flat:
                for p in group["params"]:
                    self.state[p].update(self._init_state(group, p._data))
                continue
            for seg in self._layout(group):
                st = FlatState(seg, self.state)
                for name, value in self._init_state(group, seg.data).items():
                    st[name] = value

    def _evaluate(self, closure):
        """Run the closure with gradients enabled and return its loss (None without a closure)."""
        self._stepped = True
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (default; the optimizer then skips those parameters until
        they get a gradient again; a ``.grad`` someone kept keeps its values) or, with
        ``set_to_none=False``, to zeros in place (a kept ``.grad`` sees the zeros, as in PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._drop_grad()
                else:
                    p._grad._data.fill(0)

    # ------------------------------------------------------------------ learning rate

    @property
    def learning_rate(self) -> float:
        """The learning rate of every group (MXNet Gluon's ``Trainer.learning_rate``); assignable."""
        lrs = [g["lr"] for g in self.param_groups]
        if any(lr != lrs[0] for lr in lrs):
            raise ValueError(f"the parameter groups have different learning rates {lrs}; read "
                             f"optimizer.param_groups[i]['lr'] instead")
        return lrs[0]

    @learning_rate.setter
    def learning_rate(self, lr: float) -> None:
        self.set_learning_rate(lr)

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate of every group (MXNet Gluon's ``Trainer.set_learning_rate``)."""
        lr = _plain(lr)
        require(is_real(lr) and lr >= 0, f"Invalid learning rate: {lr}")
        for g in self.param_groups:
            g["lr"] = lr

    # ------------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict:
        """The optimizer's state as ``{"state": {index: {name: value}}, "param_groups": [...]}``.

        Parameters are numbered across groups in order; each group lists its parameters'
        numbers under ``"params"``. State arrays are NumPy copies, scalars Python numbers, and
        everything else is JSON-serialisable (keys of ``"state"`` may come back as strings).
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: _export(v) for k, v in g.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in g["params"]]
            groups.append(packed)
        state = {}
        for key, st in self.state.items():
            i = index.get(id(key))
            if i is not None and st:
                state[i] = {k: _export(v) for k, v in st.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state saved by ``state_dict`` (or read back from JSON and arrays) into this
        optimizer, whose groups must have the same numbers of parameters of the same shapes."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("load_state_dict expects a dict with 'state' and 'param_groups', as "
                             "returned by state_dict()")
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups but the "
                             f"optimizer has {len(groups)}")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if not isinstance(s, dict) or "params" not in s:
                raise ValueError(f"loaded parameter group {i} is not a dict with 'params'")
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the "
                                 f"size of optimizer's group: group {i} has {len(s['params'])} "
                                 f"parameters in the state dict and {len(g['params'])} here")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, entry in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.lstrip("-").isdigit() else key
            if k not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {key!r}, which none of "
                                 f"its parameter groups lists")
            if not isinstance(entry, dict):
                raise ValueError(f"loaded state of parameter {key!r} is a {type(entry).__name__}, "
                                 f"expected a dict")
            p = id_map[k]
            state[p] = {name: self._import_state(name, value, p, k) for name, value in entry.items()}
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            for name, default in self.defaults.items():
                value = _plain(s.setdefault(name, default))
                s[name] = tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
            self._validate(s)
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups
        self._layouts = {}
        if self.flat:
            for g in new_groups:
                self._layout(g)

    def _import_state(self, name: str, value, p: Tensor, index):
        """One loaded state entry, checked against its parameter and cast to its dtype."""
        if isinstance(value, Tensor):
            value = value._data
        if isinstance(value, np.ndarray):
            if name in self._scalar_state and value.ndim == 0:
                return value.item()
            if self._per_param_state and value.shape != p.shape:
                raise ValueError(f"loaded state {name!r} of parameter {index} has shape {value.shape} "
                                 f"but the parameter has shape {p.shape}")
            return np.array(value, dtype=p.dtype if value.dtype.kind == "f" else value.dtype)
        if isinstance(value, (list, tuple)):
            return [self._import_state(name, v, p, index) for v in value]
        return _plain(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"

