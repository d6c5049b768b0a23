"""Flat buffers: the parameters of a group, their gradients and their state as views into a few arrays.

For each parameter group and dtype, a ``FlatSegment`` copies the parameters' values into one
contiguous array and makes every parameter's ``_data`` a view into it; gradients land in a second
flat array (``Tensor._grad_buffer``: autograd writes a leaf's first gradient straight into that
view), and every state array (``exp_avg``, ...) is a flat array whose per-parameter views are what
``optimizer.state[p]`` holds. An update rule then runs once on the flat arrays, a handful of NumPy
calls whatever the number of parameters, and the parameters stay ordinary tensors.

Everything PyTorch allows keeps working: ``sync`` notices a parameter whose ``.data`` or ``.grad``
was replaced, or whose state array was, copies the new values into the buffer and rebinds the
tensor to its view. A parameter without a gradient is skipped, as PyTorch skips it, and when the
parameters' states differ (their ``step`` counts, say) the rule runs once per run of neighbours
that agree, on their slice of the flat arrays (in the worst case once per parameter).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from itertools import chain, repeat
from operator import attrgetter, is_, is_not, itemgetter
from typing import NamedTuple

import numpy as np

from .._errors import ShapeError
from ..autograd.tensor import Tensor


class Slot(NamedTuple):
    """What an update rule runs on once: a flat segment (or a run of its parameters, as one flat
    slice), or a single parameter; ``work`` is scratch space shaped like ``param`` for the rule's
    temporaries (None: the rule allocates them)."""

    param: np.ndarray
    grad: np.ndarray
    state: MutableMapping
    work: np.ndarray | None = None


# --------------------------------------------------------------------------- flat arrays and their views
# The one place that lays arrays out in flat buffers and points a parameter's ``_grad_buffer`` at
# one: the optimizers' segments and DistributedDataParallel's gradient averaging both use these.

def offsets(shapes: list) -> list[int]:
    """Where each of arrays of these shapes starts in one flat array (and, last, its length)."""
    return np.concatenate(([0], np.cumsum([int(np.prod(s, dtype=np.int64)) for s in shapes]))).tolist()


def views(flat: np.ndarray, shapes: list, starts: list[int] | None = None) -> list[np.ndarray]:
    """Consecutive views of ``flat`` with the given shapes (at ``starts``, default packed)."""
    o = offsets(shapes) if starts is None else starts
    return [flat[o[i]:o[i + 1]].reshape(shape) for i, shape in enumerate(shapes)]


def per_dtype_views(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(one zero flat array per dtype, in order of first appearance; a view per array into the
    flat array of its dtype, shaped like it)."""
    by_dtype: dict = {}
    for i, a in enumerate(arrays):
        by_dtype.setdefault(a.dtype, []).append(i)
    flats, out = [], [None] * len(arrays)
    for dtype, idx in by_dtype.items():
        shapes = [arrays[i].shape for i in idx]
        flat = np.zeros(offsets(shapes)[-1], dtype)
        flats.append(flat)
        for i, v in zip(idx, views(flat, shapes)):
            out[i] = v
    return flats, out


def bind_grad_buffer(param: Tensor, view: np.ndarray) -> None:
    """Make ``view`` the place autograd writes ``param``'s next gradient into."""
    param._grad_buffer = view


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def whole_flat_arrays(arrays: list[np.ndarray]) -> list[np.ndarray] | None:
    """The flat arrays that ``arrays`` exactly tile (each a contiguous view, together covering
    every element once), in order of first use; None if they do not."""
    by_base: dict[int, list] = {}
    for a in arrays:
        base = a.base
        if base is None or base.ndim != 1 or not base.flags.c_contiguous or not a.flags.c_contiguous:
            return None
        by_base.setdefault(id(base), [base]).append(a)
    out = []
    for base, *vs in by_base.values():
        pos, end = _address(base), _address(base) + base.nbytes
        for v in sorted(vs, key=_address):
            if _address(v) != pos:
                return None
            pos += v.nbytes
        if pos != end:
            return None
        out.append(base)
    return out


# --------------------------------------------------------------------------- segments

class FlatSegment:
    """The parameters of one group that share a dtype, living as views into contiguous arrays."""

    def __init__(self, params: list, state: dict, adopt_state: bool = True):
        self.params = params
        self.shapes = [p._data.shape for p in params]
        self.dtype = params[0]._data.dtype
        self.offsets = offsets(self.shapes)
        total = self.offsets[-1]
        self.data = np.empty(total, self.dtype)
        self.grad = np.zeros(total, self.dtype)
        self.data_views = self._views(self.data)
        self.grad_views = self._views(self.grad)
        self.arrays: dict[str, np.ndarray] = {}       # state name -> flat array
        self.views: dict[str, list[np.ndarray]] = {}  # state name -> its per-parameter views
        self.adopt_state = adopt_state
        self._work: np.ndarray | None = None
        for i, p in enumerate(params):
            np.copyto(self.data_views[i], p._data)
            p._data = self.data_views[i]
            bind_grad_buffer(p, self.grad_views[i])
            if p._grad is not None:
                self._restore_grad(i, p, p._grad)
            st = state.get(p)
            if st and adopt_state:
                self._restore_state(i, p, st)

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        return views(flat, self.shapes, self.offsets)

    def __len__(self) -> int:
        return len(self.params)

    def work(self) -> np.ndarray:
        """Scratch space (made once) for the update rules' temporaries."""
        if self._work is None:
            self._work = np.empty(self.data.size, self.dtype)
        return self._work

    # ------------------------------------------------------------------ state arrays

    def ensure(self, name: str) -> None:
        """Give state ``name`` a flat array (zeros) if it has none yet."""
        if name not in self.arrays:
            self.arrays[name] = np.zeros(self.data.size, self.dtype)
            self.views[name] = self._views(self.arrays[name])

    def store(self, i: int, name: str, value: np.ndarray, st: dict) -> None:
        """Copy parameter ``i``'s state array ``value`` into its view and make the state hold the view."""
        if value.shape != self.shapes[i]:
            raise ShapeError(f"state {name!r} of a parameter of shape {self.shapes[i]} has shape "
                             f"{value.shape}")
        self.ensure(name)
        view = self.views[name][i]
        np.copyto(view, value, casting="unsafe")
        st[name] = view

    def bounds(self, lo: int, hi: int) -> slice:
        """The elements of parameters lo..hi-1 in the flat arrays."""
        return slice(self.offsets[lo], self.offsets[hi])

    def store_flat(self, name: str, value: np.ndarray, state: dict, lo: int = 0,
                   hi: int | None = None) -> None:
        """Make ``value`` (one entry per element of parameters lo..hi-1, by default all) their state
        ``name``: copied into the flat array, or adopted as it when it is fresh and covers all."""
        hi = len(self.params) if hi is None else hi
        part = self.bounds(lo, hi)
        if value.shape != (part.stop - part.start,):
            raise ShapeError(f"flat state {name!r} has shape {value.shape}, expected "
                             f"({part.stop - part.start},)")
        whole = lo == 0 and hi == len(self.params)
        if whole and value.dtype == self.dtype and value.base is None and value.flags.c_contiguous:
            self.arrays[name] = value  # a fresh array: adopt it without copying
            self.views[name] = self._views(value)
        else:
            self.ensure(name)
            np.copyto(self.arrays[name][part], value, casting="unsafe")
        views = self.views[name]
        for i in range(lo, hi):
            state[self.params[i]][name] = views[i]

    # ------------------------------------------------------------------ keeping the views in place

    def _restore_data(self, i: int, p: Tensor) -> None:
        new = p._data
        if new.shape != self.shapes[i]:
            raise ShapeError(f"a parameter of shape {self.shapes[i]} held in an optimizer's flat buffer "
                             f"was given data of shape {new.shape}; create the optimizer again after "
                             f"changing a parameter's shape (or use flat=False)")
        if new.dtype != self.dtype:
            raise TypeError(f"a {self.dtype} parameter held in an optimizer's flat buffer was given "
                            f"{new.dtype} data; create the optimizer again after changing a "
                            f"parameter's dtype (or use flat=False)")
        np.copyto(self.data_views[i], new)
        p._data = self.data_views[i]

    def _restore_grad(self, i: int, p: Tensor, g: Tensor) -> None:
        view = self.grad_views[i]
        np.copyto(view, g._data, casting="same_kind")
        p._grad = Tensor._make(view)

    def _restore_state(self, i: int, p: Tensor, st: dict) -> None:
        for name, value in list(st.items()):
            if type(value) is not np.ndarray:
                continue
            views = self.views.get(name)
            if views is not None and value is views[i]:
                continue
            if value.shape == self.shapes[i] and value.dtype.kind == "f":
                self.store(i, name, value, st)

    def _views_in_place(self) -> bool:
        """Every parameter's data and gradient are its views (C-level loops: the common case)."""
        return self._data_in_place() and self._grads_in_place()

    def _data_in_place(self) -> bool:
        """Every parameter's data is its view."""
        return all(map(is_, map(_DATA, self.params), self.data_views))

    def _grads_in_place(self) -> bool:
        """Every parameter has a gradient, and it is its view."""
        grads = list(map(_GRAD, self.params))
        return all(map(is_not, grads, repeat(None))) and all(map(is_, map(_DATA, grads), self.grad_views))

    def in_place(self, state: dict) -> bool:
        """True when nothing needs putting back and one flat step is right (the common case):
        every parameter's data and gradient are its views, and all parameters have the same state
        (same keys, the views as arrays, equal scalars)."""
        if not self._views_in_place():
            return False
        states = list(map(state.get, self.params))
        first = states[0]
        if not first:
            return not any(states)
        try:
            sizes = list(map(len, states))
            if sizes.count(len(first)) != len(sizes):
                return False
            for name, value in first.items():
                values = list(map(itemgetter(name), states))
                views = self.views.get(name)
                if views is not None:
                    if not all(map(is_, values, views)):
                        return False
                elif type(value) is np.ndarray or values.count(value) != len(values):
                    return False
        except (KeyError, TypeError):
            return False
        return True

    def repair(self, state: dict) -> None:
        """Put back into the buffers any data, gradient or state array the user replaced."""
        if not self.adopt_state and self._views_in_place():
            return
        for i, p in enumerate(self.params):
            if p._data is not self.data_views[i]:
                self._restore_data(i, p)
            g = p._grad
            if g is not None and g._data is not self.grad_views[i]:
                self._restore_grad(i, p, g)
            st = state.get(p)
            if st and self.adopt_state:
                self._restore_state(i, p, st)

    def sync(self, state: dict) -> list[tuple[int, int]]:
        """Repair the buffers, then split the parameters that have a gradient into runs (lo, hi)
        of neighbours with the same state (keys and scalars such as ``step``): each run takes one
        step of the rule on its slice of the flat arrays. Usually a single run: all of them."""
        if self.in_place(state):
            return [(0, len(self.params))]
        self.repair(state)
        runs: list[tuple[int, int]] = []
        previous = _MISSING
        for i, p in enumerate(self.params):
            if p._grad is None:  # skipped, as PyTorch skips it: no step, no state change
                previous = _MISSING
                continue
            signature = self._signature(i, state.get(p) or {})
            if runs and runs[-1][1] == i and signature == previous:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
            previous = signature
        return runs

    def _signature(self, i: int, st: dict) -> tuple:
        """What parameter i's state must share with its neighbours' to step together with them."""
        parts = []
        for name, value in st.items():
            views = self.views.get(name)
            if views is not None and value is views[i]:
                parts.append((name, None))  # its view of the flat array
            elif type(value) is np.ndarray:
                return (object(),)  # an array outside the buffers: a run of its own
            else:
                parts.append((name, value))
        return tuple(parts)


_MISSING = object()
_DATA = attrgetter("_data")
_GRAD = attrgetter("_grad")


class FlatState(MutableMapping):
    """The state of parameters lo..hi-1 of a segment (usually all of them) seen as the state of one
    flat parameter: arrays are slices of the flat buffers, scalars (``step``, ...) are shared, and
    assigning fans out to every parameter's own state."""

    __slots__ = ("_seg", "_state", "_lo", "_hi", "_part", "_first_state")

    def __init__(self, seg: FlatSegment, state: dict, lo: int = 0, hi: int | None = None):
        self._seg, self._state = seg, state
        self._lo, self._hi = lo, len(seg.params) if hi is None else hi
        whole = lo == 0 and self._hi == len(seg.params)
        self._part = None if whole else seg.bounds(lo, self._hi)
        self._first_state = None

    def _first(self) -> dict:
        """The first parameter's state dict (looked up once: a step does not replace it)."""
        st = self._first_state
        if st is None:
            st = self._first_state = self._state[self._seg.params[self._lo]]
        return st

    def __getitem__(self, name: str):
        value = (self._first_state or self._first())[name]
        arr = self._seg.arrays.get(name)
        if arr is None:
            return value
        return arr if self._part is None else arr[self._part]

    def __setitem__(self, name: str, value) -> None:
        if type(value) is np.ndarray:
            self._seg.store_flat(name, value, self._state, self._lo, self._hi)
        else:
            for st in map(self._state.__getitem__, self._seg.params[self._lo:self._hi]):
                st[name] = value

    def __delitem__(self, name: str) -> None:
        for p in self._seg.params[self._lo:self._hi]:
            del self._state[p][name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first())

    def __len__(self) -> int:
        return len(self._first())


def build_segments(params: list, state: dict, adopt_state: bool = True) -> list[FlatSegment]:
    """One ``FlatSegment`` per dtype among ``params`` (in order of first appearance)."""
    by_dtype: dict = {}
    for p in params:
        by_dtype.setdefault(p._data.dtype, []).append(p)
    return [FlatSegment(ps, state, adopt_state) for ps in by_dtype.values()]


class Unchanged:
    """Whether a segment is still exactly as the last ``note()`` left it: every parameter's data and
    gradient are its views, and its state is the same dict holding the same keys and the same objects
    (by identity: a step count or array put in its place, even an equal one, counts as a change).
    A cheap test, for a loop that repeats a step, that ``in_place`` would still hold
    (``settled()``, then ``seg._grads_in_place()``)."""

    __slots__ = ("seg", "state", "states", "keys", "values", "_at")

    def __init__(self, seg: FlatSegment, state: dict):
        self.seg, self.state = seg, state
        self.states = list(map(state.get, seg.params))
        self.note()

    def note(self) -> None:
        """Remember the state's keys and values as they are now (after a step)."""
        self.keys = list(chain.from_iterable(self.states))
        self.values = list(chain.from_iterable(map(dict.values, self.states)))
        self._at: dict = {}  # key -> its positions in keys and values

    def renote(self, key: str, value) -> None:
        """``note()`` after a step that put ``value`` under ``key`` in every state and changed
        nothing else there (arrays in place): only those entries are remembered afresh."""
        at = self._at.get(key)
        if at is None:
            at = self._at[key] = [i for i, k in enumerate(self.keys) if k == key]
        values = self.values
        for i in at:
            values[i] = value

    def settled(self) -> bool:
        """The test but for the gradients (``seg._grads_in_place()``): every parameter's data is its
        view and its state as the last ``note()`` left it. A captured step checks this before its
        forward and the gradients after its backward."""
        try:
            if not (self.seg._data_in_place()
                    and all(map(is_, map(self.state.get, self.seg.params), self.states))):
                return False
            values = list(chain.from_iterable(map(dict.values, self.states)))
        except (AttributeError, TypeError):  # a state that is not a dict
            return False
        return (len(values) == len(self.values) and all(map(is_, values, self.values))
                and list(chain.from_iterable(self.states)) == self.keys)
