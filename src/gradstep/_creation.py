"""Functions that make tensors: ``tensor``, ``zeros``, ``randn``, ... with PyTorch's signatures."""

from __future__ import annotations

import builtins

import numpy as np

from . import _dtype
from .autograd.tensor import Tensor
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
        arr = np.array(_to_array(data, _dtype.get_default_dtype()), copy=True)
    if dt is not None:
        arr = arr.astype(dt, copy=False)
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no conversion is needed."""
    _check_device(device)
    dt = _dtype.as_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dt is None or dt == data.dtype else data.to(dt)
    arr = _to_array(data, _dtype.get_default_dtype())
    return Tensor._make(arr if dt is None else arr.astype(dt, copy=False))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``, keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}; expected bool, integer or float")
    return Tensor._make(array)


def _check_device(device) -> None:
    if device is not None and not str(device).startswith("cpu"):
        raise ValueError(f"gradstep runs on the CPU only; device {device!r} is not available")


def _shape(size) -> tuple:
    shape = _size_args(size)
    if any(s < 0 for s in shape):
        raise ValueError(f"negative dimension in size {shape}")
    return shape


def _float(dtype) -> np.dtype:
    dt = _dtype.as_dtype(dtype) or _dtype.get_default_dtype()
    return dt


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _finish(np.zeros(_shape(size), dtype=_float(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _finish(np.ones(_shape(size), dtype=_float(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _finish(np.empty(_shape(size), dtype=_float(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    if dtype is None:
        if isinstance(fill_value, (builtins.bool, np.bool_)):
            dtype = _dtype.bool
        elif isinstance(fill_value, (builtins.int, np.integer)):
            dtype = _dtype.int64
    return _finish(np.full(_shape((size,)), fill_value, dtype=_float(dtype)), requires_grad)


def _like(t: Tensor, dtype):
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t.shape, (_dtype.as_dtype(dtype) or t.dtype)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dtype=dt), requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dtype=dt), requires_grad)


def empty_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.empty(shape, dtype=dt), requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dtype=dt), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 unless any argument is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        floats = any(isinstance(v, (builtins.float, np.floating)) for v in (start, end, step))
        dtype = _dtype.get_default_dtype() if floats else _dtype.int64
    return _finish(np.arange(start, end, step).astype(_dtype.as_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(start, end, steps).astype(_float(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    if n < 0 or (m is not None and m < 0):
        raise ValueError(f"eye: sizes must be non-negative, got n={n}, m={m}")
    return _finish(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def _random_float_dtype(dtype) -> np.dtype:
    dt = _float(dtype)
    if dt.kind != "f":
        raise TypeError(f"random floats need a floating dtype, got {dt}")
    return dt


def rand(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), from ``generator`` or the default (``manual_seed``) stream."""
    dt = _random_float_dtype(dtype)
    arr = rng(generator).random(_shape(size), dtype=np.float64 if dt == np.float16 else dt)
    return _finish(arr.astype(dt, copy=False), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal, from ``generator`` or the default (``manual_seed``) stream."""
    dt = _random_float_dtype(dtype)
    arr = rng(generator).standard_normal(_shape(size), dtype=np.float64 if dt == np.float16 else dt)
    return _finish(arr.astype(dt, copy=False), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None) -> Tensor:
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    arr = rng(generator).integers(low, high, size=_shape((size,)))
    return Tensor._make(np.asarray(arr, dtype=_dtype.as_dtype(dtype) or _dtype.int64))


def randperm(n: int, generator=None, dtype=None) -> Tensor:
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    return Tensor._make(rng(generator).permutation(n).astype(_dtype.as_dtype(dtype) or _dtype.int64))


def rand_like(input: Tensor, generator=None, dtype=None) -> Tensor:
    shape, dt = _like(input, dtype)
    return rand(shape, generator=generator, dtype=dt)


def randn_like(input: Tensor, generator=None, dtype=None) -> Tensor:
    shape, dt = _like(input, dtype)
    return randn(shape, generator=generator, dtype=dt)


def normal(mean: float, std: float, size, generator=None, dtype=None) -> Tensor:
    dt = _random_float_dtype(dtype)
    return Tensor._make(rng(generator).normal(mean, std, _shape((size,))).astype(dt))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()
