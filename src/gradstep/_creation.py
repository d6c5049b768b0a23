"""Functions that make tensors: ``tensor``, ``zeros``, ``randn``, ... with PyTorch's signatures."""

from __future__ import annotations

import builtins

import numpy as np

from . import _device, _dtype, _errors
from ._errors import ArgumentError, ShapeError
from .autograd.tensor import Tensor, data_or_sizes
from .autograd.tensor_math import _size_args, _to_array
from .random import rng


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python floats (and lists of them) become the default dtype (float32), Python ints int64,
    bools bool; a NumPy array keeps its dtype, as ``torch.tensor`` does. ``dtype`` overrides.
    """
    _check_device(device)
    dt = _dtype.as_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data.copy()
    else:
        arr = np.array(_to_array(data, _float_dtype(dt)), copy=True)
    if dt is not None:
        arr = arr.astype(dt, copy=False)
    return _finish(arr, requires_grad)


def _float_dtype(dt):
    """The dtype Python floats are read in: the requested float dtype (so float64 data never passes
    through float32), else the default."""
    return dt if dt is not None and dt.kind == "f" else _dtype.get_default_dtype()


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no conversion is needed."""
    _check_device(device)
    dt = _dtype.as_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dt is None or dt == data.dtype else data.to(dt)
    arr = _to_array(data, _float_dtype(dt))
    return Tensor._make(arr if dt is None else arr.astype(dt, copy=False))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``, keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}; expected bool, integer or float")
    return Tensor._make(array)


_check_device = _device.check


def _shape(size) -> tuple:
    shape = _size_args(size)
    if any(s < 0 for s in shape):
        raise ValueError(f"negative dimension in size {shape}")
    return shape


def _sizes(sizes: tuple, size, name: str) -> tuple:
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))`` (PyTorch accepts all three)."""
    if size is not None:
        if sizes:
            raise TypeError(f"{name}() got the sizes both positionally and as size=")
        sizes = (size,)
    return _shape(sizes)


def _float(dtype) -> np.dtype:
    dt = _dtype.as_dtype(dtype) or _dtype.get_default_dtype()
    return dt


def zeros(*sizes, size=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _finish(np.zeros(_sizes(sizes, size, "zeros"), dtype=_float(dtype)), requires_grad)


def ones(*sizes, size=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _finish(np.ones(_sizes(sizes, size, "ones"), dtype=_float(dtype)), requires_grad)


def empty(*sizes, size=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _finish(np.empty(_sizes(sizes, size, "empty"), dtype=_float(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    if dtype is None:
        if isinstance(fill_value, (builtins.bool, np.bool_)):
            dtype = _dtype.bool
        elif isinstance(fill_value, (builtins.int, np.integer)):
            dtype = _dtype.int64
    return _finish(np.full(_shape((size,)), fill_value, dtype=_float(dtype)), requires_grad)


def _like(t: Tensor, dtype, device=None):
    _check_device(device)
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t.shape, (_dtype.as_dtype(dtype) or t.dtype)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None,
               memory_format=None) -> Tensor:
    shape, dt = _like(input, dtype, device)
    return _finish(np.zeros(shape, dtype=dt), requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None,
              memory_format=None) -> Tensor:
    shape, dt = _like(input, dtype, device)
    return _finish(np.ones(shape, dtype=dt), requires_grad)


def empty_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None,
               memory_format=None) -> Tensor:
    shape, dt = _like(input, dtype, device)
    return _finish(np.empty(shape, dtype=dt), requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False, device=None,
              memory_format=None) -> Tensor:
    shape, dt = _like(input, dtype, device)
    return _finish(np.full(shape, fill_value, dtype=dt), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 unless any argument is a float."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        floats = any(isinstance(v, (builtins.float, np.floating)) for v in (start, end, step))
        dtype = _dtype.get_default_dtype() if floats else _dtype.int64
    return _finish(np.arange(start, end, step).astype(_dtype.as_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(start, end, steps).astype(_float(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    if n < 0 or (m is not None and m < 0):
        raise ValueError(f"eye: sizes must be non-negative, got n={n}, m={m}")
    return _finish(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def _random_float_dtype(dtype) -> np.dtype:
    dt = _float(dtype)
    if dt.kind != "f":
        raise TypeError(f"random floats need a floating dtype, got {dt}")
    return dt


def _into(result: Tensor, out: Tensor | None) -> Tensor:
    """``out=``: write ``result`` into ``out`` (taking its shape and keeping out's dtype) and return it."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out= must be a Tensor, got {type(out).__name__}")
    if result.requires_grad or out.requires_grad:
        raise RuntimeError("functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad")
    if out.shape != result.shape:
        out._data = np.empty(result.shape, out.dtype)
    out.copy_(result)
    return out


def _out_dtype(dtype, out: Tensor | None, name: str):
    """The dtype a random draw takes with ``out=``: out's own, unless ``dtype=`` names the same one."""
    if out is None:
        return dtype
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): out= must be a Tensor, got {type(out).__name__}")
    if dtype is not None and _float(dtype) != out.dtype:
        raise RuntimeError(f"{name}(): dtype {_float(dtype)} does not match the dtype of out= ({out.dtype})")
    return out.dtype


def _draw_into(arr: np.ndarray, dt: np.dtype, out: Tensor | None, requires_grad: bool) -> Tensor:
    if out is None:
        return _finish(arr.astype(dt, copy=False), requires_grad)
    _into(Tensor(arr.astype(dt, copy=False)), out)
    return out.requires_grad_(True) if requires_grad else out


def rand(*sizes, size=None, generator=None, out=None, dtype=None, requires_grad: bool = False,
         device=None) -> Tensor:
    """Uniform on [0, 1), from ``generator`` or the default (``manual_seed``) stream; ``out=`` is
    written in place (its dtype is the draw's)."""
    _check_device(device)
    dt = _random_float_dtype(_out_dtype(dtype, out, "rand"))
    arr = rng(generator).random(_sizes(sizes, size, "rand"), dtype=np.float64 if dt == np.float16 else dt)
    return _draw_into(arr, dt, out, requires_grad)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, requires_grad: bool = False,
          device=None) -> Tensor:
    """Standard normal, from ``generator`` or the default (``manual_seed``) stream; ``out=`` as rand."""
    _check_device(device)
    dt = _random_float_dtype(_out_dtype(dtype, out, "randn"))
    shape = _sizes(sizes, size, "randn")
    arr = rng(generator).standard_normal(shape, dtype=np.float64 if dt == np.float16 else dt)
    return _draw_into(arr, dt, out, requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, requires_grad: bool = False,
            device=None) -> Tensor:
    _check_device(device)
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    arr = rng(generator).integers(low, high, size=_shape((size,)))
    return _finish(np.asarray(arr, dtype=_dtype.as_dtype(dtype) or _dtype.int64), requires_grad)


def randperm(n: int, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    arr = rng(generator).permutation(n).astype(_dtype.as_dtype(dtype) or _dtype.int64)
    return _finish(arr, requires_grad)


def rand_like(input: Tensor, generator=None, dtype=None, requires_grad: bool = False, device=None,
              memory_format=None) -> Tensor:
    shape, dt = _like(input, dtype, device)
    return rand(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def randn_like(input: Tensor, generator=None, dtype=None, requires_grad: bool = False, device=None,
               memory_format=None) -> Tensor:
    shape, dt = _like(input, dtype, device)
    return randn(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad: bool = False,
           device=None) -> Tensor:
    """Draws from N(mean, std**2), in PyTorch's forms: ``normal(mean, std, size)`` with numbers, or
    ``normal(mean, std)`` with one or both a tensor (the result has their broadcast shape). As in
    PyTorch, a draw is not reparameterised: it is in the graph of a mean or std that requires
    grad, but their gradients through it are zero (write ``mean + std * randn(...)`` for others)."""
    _check_device(device)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal(mean, std, size): size is only allowed when mean and std are numbers")
        like = mean if isinstance(mean, Tensor) else std
        if like.dtype.kind != "f":
            raise TypeError(f"normal expects floating point mean and std, got {like.dtype}")
        shape = np.broadcast_shapes(np.shape(mean._data if isinstance(mean, Tensor) else mean),
                                    np.shape(std._data if isinstance(std, Tensor) else std))
        if isinstance(std, Tensor) and np.any(std._data < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        m, sd = (v.detach() if isinstance(v, Tensor) else v for v in (mean, std))
        out = m + sd * randn(shape, generator=generator, dtype=like.dtype)
        for v in (mean, std):
            if isinstance(v, Tensor) and v.requires_grad:
                out = out + v * 0.0  # in the graph, with a zero gradient, as PyTorch's NormalBackward
        return out
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs a size, e.g. normal(0.0, 1.0, size=(2, 3))")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = _random_float_dtype(dtype)
    arr = rng(generator).normal(mean, std, _shape((size,))).astype(dt)
    return _finish(arr, requires_grad)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors; ``indexing='ij'`` (matrix, PyTorch's default) or ``'xy'``.

    PyTorch warns when ``indexing`` is not given and uses 'ij'; so does this. The grids are
    differentiable expansions of the inputs."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings
        warnings.warn("meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument; 'ij' is used", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid expects at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid expects tensors, got {type(t).__name__} at position {i}")
        if t.ndim > 1:
            raise ShapeError(f"meshgrid expects 0-D or 1-D tensors, got shape {t.shape} at position {i}")
        if t.dtype != tensors[0].dtype:
            raise TypeError(f"meshgrid expects tensors of one dtype, got {tensors[0].dtype} and {t.dtype}")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    n = len(ts)
    grids = [t.reshape([-1 if j == i else 1 for j in range(n)]).expand(shape) for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def set_default_device(device) -> None:
    """Only the CPU can be the default device here (any other raises ``DeviceError``)."""
    _check_device(device)


def get_default_device() -> _device.device:
    return _device.CPU


class _TensorType(type):
    """The legacy tensor types (``FloatTensor``, ``LongTensor``, ...): calling one makes a tensor of
    its dtype, from data or from sizes; ``isinstance`` checks the dtype, as in PyTorch."""

    dtype: np.dtype

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None) -> Tensor:
        _check_device(device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise _errors.DTypeError(f"{cls.__name__} expects a tensor of dtype {cls.dtype}, got "
                                         f"{args[0].dtype}; use .to({cls.dtype})")
            return args[0]
        return _finish(data_or_sizes(args, cls.dtype, cls.__name__), False)


def _tensor_type(name: str, dt: np.dtype) -> type:
    return _TensorType(name, (), {"dtype": dt, "__doc__": f"Tensors of dtype {dt} (PyTorch's legacy type)."})


FloatTensor = _tensor_type("FloatTensor", _dtype.float32)
DoubleTensor = _tensor_type("DoubleTensor", _dtype.float64)
HalfTensor = _tensor_type("HalfTensor", _dtype.float16)
LongTensor = _tensor_type("LongTensor", _dtype.int64)
IntTensor = _tensor_type("IntTensor", _dtype.int32)
ShortTensor = _tensor_type("ShortTensor", _dtype.int16)
CharTensor = _tensor_type("CharTensor", _dtype.int8)
ByteTensor = _tensor_type("ByteTensor", _dtype.uint8)
BoolTensor = _tensor_type("BoolTensor", _dtype.bool)
