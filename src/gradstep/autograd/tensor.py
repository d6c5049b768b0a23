"""``Tensor``: a NumPy array with a gradient and a place in the graph.

A tensor holds its values in ``_data`` (a NumPy array), its accumulated gradient in ``grad``, and,
when it was produced by a recorded operation, that operation's node in ``grad_fn``. Methods follow
``torch.Tensor``'s names and semantics; the differentiable ones are built on ``ops``.
"""

from __future__ import annotations

import builtins
import sys

import numpy as np

from .. import _changes, _device, _dtype
from .._errors import DTypeError, ShapeError
from .._printing import tensor_repr
from .._size import Size
from . import grad_mode, numpy_dispatch
from .more_index import MoreIndex
from .more_math import MoreMath
from .tensor_math import TensorMath, _as_tensor_like, _dim, _normalize_index, _to_array

_grad_state = grad_mode._state
_new = object.__new__


def _refs_of_a_local() -> int:
    """What ``sys.getrefcount`` says of an object held by one local variable only (2 on CPython
    3.10-3.13; measured rather than assumed, as the interpreter may count differently)."""
    x = object()
    return sys.getrefcount(x)


_LOCAL_REFS = _refs_of_a_local()


class _HookHandle:
    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def data_or_sizes(args: tuple, dt: np.dtype, name: str) -> np.ndarray:
    """What ``torch.Tensor(*args)`` (and ``FloatTensor``...) holds: ``(data,)`` copies data;
    ``(2, 3)`` or ``(torch.Size([2, 3]),)`` is a shape (uninitialised in PyTorch, zeros here)."""
    sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
    if sizes and all(isinstance(n, (builtins.int, np.integer)) and not isinstance(n, builtins.bool)
                     for n in sizes):
        return np.zeros(tuple(builtins.int(n) for n in sizes), dt)
    if len(args) > 1:
        raise TypeError(f"{name}(...): give one sequence of data or sizes as ints, got "
                        f"{', '.join(type(a).__name__ for a in args)}")
    data = args[0] if args else ()
    if isinstance(data, (builtins.float, builtins.bool, builtins.complex)):
        raise TypeError(f"{name}(data): data must be a sequence (got {type(data).__name__}); "
                        f"use torch.tensor({data!r}) for a 0-d tensor")
    return (data._data if isinstance(data, Tensor) else _to_array(data, dt)).astype(dt)


class Tensor(TensorMath, MoreMath, MoreIndex):
    """An n-dimensional array that can record the operations applied to it and differentiate them.

    This class holds the state, conversions, autograd and in-place methods; the differentiable
    math (arithmetic, reductions, shape) comes from ``TensorMath``, the wider torch API
    (``cumsum``, ``split``, ``dot``, ...) from ``MoreMath``.
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "_node", "_vc", "_grad_buffer", "_hooks",
                 "__weakref__")
    # NumPy's functions on tensors run gradstep's differentiable ops (see numpy_dispatch): what
    # lets a backward written on arrays build the graph of its gradient
    __array_ufunc__ = numpy_dispatch.array_ufunc
    __array_function__ = numpy_dispatch.array_function
    __hash__ = object.__hash__  # identity, so tensors can key dicts (optimizer state) as in PyTorch

    def __init__(self, *args, dtype=None, requires_grad: builtins.bool = False):
        dt = _dtype.as_dtype(dtype) or _dtype.get_default_dtype()
        self._data = data_or_sizes(args, dt, "Tensor")
        self._grad = None
        self._node = None
        self._vc = [0]
        self._grad_buffer = None
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(arr, requires_grad: builtins.bool = False) -> Tensor:
        """Wrap a NumPy array without copying or checking (the hot path of every op)."""
        t = _new(Tensor)
        if type(arr) is not np.ndarray:
            arr = np.asarray(arr)
        t._data = arr
        t._grad = None
        t._requires_grad = requires_grad
        t._node = None
        t._vc = [0]
        t._grad_buffer = None
        t._hooks = None
        return t

    @property
    def _version(self) -> builtins.int:
        """How many times the values were changed in place. Shared, as in PyTorch, by the tensors
        that view the same memory through ``detach()`` or a view op (reshape, slicing, transpose,
        ...): a node that saved one of them for backward sees a change made through any other."""
        return self._vc[0]

    @_version.setter
    def _version(self, value: builtins.int) -> None:
        self._vc[0] = value

    # ------------------------------------------------------------------ attributes

    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph, sharing memory (assignable, as in PyTorch)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        _changes.count[0] += 1  # a captured step looks at its parameters' dtypes and shapes again
        if isinstance(value, Tensor):
            self._data = value._data
        elif isinstance(value, np.ndarray):
            self._data = value
        else:
            raise TypeError(f"data must be a Tensor or a numpy array, got {type(value).__name__}")

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise ShapeError(f"assigned grad has shape {value.shape} but the tensor has shape "
                                 f"{self.shape}")
            if value.dtype != self.dtype:
                raise TypeError(f"assigned grad has dtype {value.dtype} but the tensor has dtype "
                                f"{self.dtype}")
        if value is not self._grad:
            self._drop_grad()
        self._grad = value

    def _drop_grad(self) -> None:
        """Set ``.grad`` to None (what ``zero_grad()`` does). A gradient that lives in
        ``_grad_buffer`` (an optimizer's flat buffer, which the next backward refills) and that
        someone still holds first gets its own copy of its values, so the tensor they kept keeps
        them, as in PyTorch; when nobody kept it, as usual, nothing is copied. (A NumPy array taken
        from it with ``.numpy()`` or a ``.detach()`` tensor still shares the buffer: copy those.)"""
        g = self._grad
        self._grad = None
        if g is None or self._grad_buffer is None or sys.getrefcount(g) <= _LOCAL_REFS:
            return
        if np.may_share_memory(g._data, self._grad_buffer):
            g._data = g._data.copy()

    @property
    def requires_grad(self) -> builtins.bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: builtins.bool) -> None:
        value = builtins.bool(value)
        if self._node is not None:
            if value:
                return
            raise RuntimeError("you can only change requires_grad flags of leaf tensors; use "
                               ".detach() to get a tensor outside the graph")
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(f"only tensors of floating point dtype can require gradients, this "
                               f"one is {self._data.dtype}")
        self._requires_grad = value

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> builtins.bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> builtins.int:
        return self._data.ndim

    @property
    def device(self) -> _device.device:
        return _device.CPU

    @property
    def is_cuda(self) -> builtins.bool:
        return False

    # every tensor lives in CPU memory, dense and unquantized (code checks these before moving data)
    is_xpu = is_mps = is_meta = is_sparse = is_quantized = is_cuda

    @property
    def is_cpu(self) -> builtins.bool:
        return True

    def get_device(self) -> builtins.int:
        """-1, PyTorch's answer for a tensor on the CPU."""
        return -1

    def is_floating_point(self) -> builtins.bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> builtins.bool:
        return self._data.dtype.kind == "c"

    @property
    def real(self) -> Tensor:
        """The real parts of a complex tensor (without gradient: complex tensors are results only);
        a real tensor itself, as in PyTorch."""
        return Tensor._make(self._data.real.copy()) if self.is_complex() else self

    @property
    def imag(self) -> Tensor:
        if not self.is_complex():
            raise DTypeError("imag is not implemented for tensors with non-complex dtypes.")
        return Tensor._make(self._data.imag.copy())

    def dim(self) -> builtins.int:
        return self._data.ndim

    ndimension = dim

    def size(self, dim: builtins.int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self._data.ndim)]

    def numel(self) -> builtins.int:
        return self._data.size

    nelement = numel

    def element_size(self) -> builtins.int:
        return self._data.itemsize

    @property
    def nbytes(self) -> builtins.int:
        return self._data.nbytes

    def __len__(self) -> builtins.int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ------------------------------------------------------------------ conversion

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array sharing memory (only for tensors outside the graph)."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad; use "
                               "tensor.detach().numpy() instead")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a tensor with {self._data.size} elements (shape "
                               f"{self._data.shape}) cannot be converted to a Python number")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements is "
                               f"ambiguous; use .any() or .all()")
        return builtins.bool(self._data.item())

    def __format__(self, spec):
        # as in PyTorch, a 0-d tensor formats as its number (f"{loss}" prints 0.7944855690002441)
        if (self._data.ndim == 0 and type(self) is Tensor) or (self._data.size == 1 and spec):
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        node = self._node
        return tensor_repr(self._data, self._requires_grad, node.name() if node is not None else None)

    __str__ = __repr__

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)`` (other's dtype); a
        device must be the CPU. Returns self when nothing changes, unless ``copy=True``."""
        dtype = kwargs.pop("dtype", None)
        _device.check(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif _device.is_device(a):
                _device.check(a)
            elif isinstance(a, builtins.bool):
                continue  # to(dtype, non_blocking, copy) given positionally
            else:
                dtype = a
        dt = _dtype.as_dtype(dtype) if dtype is not None else self._data.dtype
        if dt == self._data.dtype:
            return self.clone() if copy else self
        if dt.kind != "f":
            return Tensor._make(self._data.astype(dt))
        from .ops import Cast
        return Cast.apply(self, dt)

    def type(self, dtype=None, non_blocking: builtins.bool = False):
        """``type()``: PyTorch's type name (``'torch.FloatTensor'``); ``type(dtype)``: ``to(dtype)``
        (a dtype or one of those names)."""
        if dtype is None:
            return _dtype.tensor_type_name(self._data.dtype)
        return self.to(_dtype.from_tensor_type_name(dtype) if isinstance(dtype, str) else dtype)

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def cpu(self, memory_format=None) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking: builtins.bool = False, memory_format=None) -> Tensor:
        _device.check("cuda" if device is None else device)
        return self

    def detach(self) -> Tensor:
        """The same values, sharing memory and the in-place version counter, outside the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self._node = None
        self._requires_grad = False
        return self

    def clone(self) -> Tensor:
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self if self._data.flags.c_contiguous else self.clone()

    def is_contiguous(self) -> builtins.bool:
        return self._data.flags.c_contiguous

    # ------------------------------------------------------------------ autograd

    def backward(self, gradient=None, retain_graph: builtins.bool | None = None,
                 create_graph: builtins.bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (only into ``inputs``' if given).

        ``gradient`` is required unless the tensor has one element. ``create_graph=True`` records
        the gradients' graph, so ``.grad`` can be differentiated again. The graph is freed
        afterwards unless ``retain_graph=True`` (the default is ``create_graph``).
        """
        if inputs is None and not create_graph:  # the common case, straight to the engine
            function.run_backward([self], [gradient], bool(retain_graph))
        else:
            function.backward(self, None if gradient is None else [gradient], retain_graph, create_graph,
                              inputs)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._node is not None:
            self._node._retain = self
        elif not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")

    @property
    def retains_grad(self) -> builtins.bool:
        return self._node is not None and self._node._retain is self

    def register_hook(self, hook) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        _changes.count[0] += 1  # a captured step's parameters' hooks (gradstep._changes)
        if self._node is not None:
            if self._node._hooks is None:
                self._node._hooks = []
            hooks = self._node._hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook) -> _HookHandle:
        """Call ``hook(tensor)`` after a backward pass has accumulated this leaf's ``.grad`` (what
        ``DistributedDataParallel`` uses to average gradients once they are all in)."""
        if self._node is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        _changes.count[0] += 1
        if self._hooks is None:
            self._hooks = []
        entry = function.PostAccumulateGradHook(hook)
        self._hooks.append(entry)
        return _HookHandle(self._hooks, entry)

    # ------------------------------------------------------------------ in place

    def _records_inplace(self, *others) -> builtins.bool:
        """Whether an in-place op on self must be recorded in the graph (and so is done out of place)."""
        if not _grad_state.enabled:
            return False
        if self._requires_grad:
            if self._node is None:
                raise RuntimeError(
                    f"a leaf tensor that requires grad (shape {self.shape}) is being used in an "
                    f"in-place operation; do the update inside `with gradstep.no_grad():` or on "
                    f"`.data`")
            return True
        return any(isinstance(o, Tensor) and o._requires_grad for o in others)

    def _rebase(self, result: Tensor) -> Tensor:
        """Make self the output of ``result``'s node (an in-place op recorded out of place)."""
        if result.dtype != self.dtype:
            result = result.to(self.dtype)
        # the old array is left as it was (nodes that saved it stay correct), so no version bump
        self._data = result._data
        self._node = result._node
        self._requires_grad = result._requires_grad
        return self

    def _shadow(self) -> Tensor:
        """A stand-in for self's current value and node, to be an input of an in-place op."""
        s = Tensor._make(self._data, self._requires_grad)
        s._node = self._node
        return s

    def _inplace(self, name: str, ufunc, other) -> Tensor:
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(o, np.generic):
            o = o.item()
        try:
            ufunc(self._data, o, out=self._data, casting="same_kind")
        except (ValueError, TypeError) as e:
            raise _inplace_error(name, self, other, e) from None
        self._version += 1
        return self

    def add_(self, other, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        if self._records_inplace(other):
            return self._rebase(self._shadow() + other)
        return self._inplace("add_", np.add, other)

    def sub_(self, other, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        if self._records_inplace(other):
            return self._rebase(self._shadow() - other)
        return self._inplace("sub_", np.subtract, other)

    def mul_(self, other) -> Tensor:
        if self._records_inplace(other):
            return self._rebase(self._shadow() * other)
        return self._inplace("mul_", np.multiply, other)

    def div_(self, other) -> Tensor:
        if self._records_inplace(other):
            return self._rebase(self._shadow() / other)
        return self._inplace("div_", np.true_divide, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast and cast to self's shape and dtype) into self."""
        if self._records_inplace(src):
            return self._rebase(ops.IndexPut.apply(self._shadow(), _as_tensor_like(src, self).to(self.dtype),
                                                   Ellipsis))
        s = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self._data, s, casting="unsafe")
        except ValueError as e:
            raise _inplace_error("copy_", self, src, e) from None
        self._version += 1
        return self

    def fill_(self, value) -> Tensor:
        if self._records_inplace(value):
            v = value.to(self.dtype) if isinstance(value, Tensor) else value
            return self._rebase(ops.IndexPut.apply(self._shadow(), v, Ellipsis))
        try:
            self._data.fill(value.item() if isinstance(value, Tensor) else value)
        except (ValueError, TypeError) as e:
            raise _inplace_error("fill_", self, value, e) from None
        self._version += 1
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def clamp_(self, min=None, max=None) -> Tensor:
        if self._records_inplace():
            return self._rebase(self._shadow().clamp(min, max))
        np.clip(self._data, min, max, out=self._data)
        self._version += 1
        return self

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0, generator=None) -> Tensor:
        from ..random import rng
        return self._fill_random(rng(generator).uniform(a, b, self.shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0, generator=None) -> Tensor:
        from ..random import rng
        return self._fill_random(rng(generator).normal(mean, std, self.shape))

    def _fill_random(self, values: np.ndarray) -> Tensor:
        self._records_inplace()
        self._data[...] = values
        self._version += 1
        return self

    def __setitem__(self, index, value) -> None:
        index, _ = _normalize_index(index)
        if self._records_inplace(value):
            v = value.to(self.dtype) if isinstance(value, Tensor) else value
            self._rebase(ops.IndexPut.apply(self._shadow(), v, index))
            return
        v = value._data if isinstance(value, Tensor) else value
        try:
            self._data[index] = v
        except (ValueError, TypeError) as e:
            raise _inplace_error("item assignment", self, value, e) from None
        except IndexError as e:
            raise IndexError(f"{e} (assigning into a tensor of shape {self.shape})") from None
        self._version += 1


def _inplace_error(name, t: Tensor, other, e: Exception) -> Exception:
    oshape = other.shape if isinstance(other, Tensor) else np.shape(other)
    odtype = other.dtype if isinstance(other, Tensor) else type(other).__name__
    msg = (f"{name} on a tensor of shape {t.shape} and dtype {t.dtype} with a value of shape "
           f"{oshape} ({odtype}) failed: {e}")
    if "broadcast" in str(e) or "shape" in str(e):
        return ShapeError(msg)
    if "read-only" in str(e):
        return ValueError(msg)
    return TypeError(msg)


from . import function, ops  # noqa: E402  (both need the Tensor class defined above)

numpy_dispatch.Tensor = Tensor
