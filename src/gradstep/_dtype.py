"""dtypes, the default floating dtype, and PyTorch's type-promotion rules on NumPy arrays.

gradstep's dtypes are NumPy dtypes (``gradstep.float32 == numpy.float32``), so any NumPy dtype or
type is accepted wherever a dtype is expected.
"""

from __future__ import annotations

import builtins

import numpy as np

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")
float64 = double = np.dtype("float64")
uint8 = np.dtype("uint8")
int8 = np.dtype("int8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")
int64 = long = np.dtype("int64")
bool = np.dtype("bool")
# complex results (linalg.eig's); gradstep does no arithmetic or autograd on them
complex64 = cfloat = np.dtype("complex64")
complex128 = cdouble = np.dtype("complex128")

_default_float = [float32]
_print_namespace = ["gradstep"]


def print_namespace() -> str:
    """The module name printed before dtypes and ``Size`` (``torch`` under gradstep.torch)."""
    return _print_namespace[0]


def set_print_namespace(name: str) -> None:
    _print_namespace[0] = name


def get_default_dtype() -> np.dtype:
    """The floating dtype given to Python floats and lists (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype; only float32 and float64 are allowed, as in PyTorch."""
    dt = as_dtype(dtype)
    if dt not in (float32, float64):
        raise TypeError(f"only float32 and float64 can be the default dtype, got {dt}")
    _default_float[0] = dt


_KINDS = {"b": 0, "u": 1, "i": 1, "f": 2}


def as_dtype(dtype) -> np.dtype | None:
    """Turn ``dtype`` (None, a NumPy dtype or type, or a name) into a NumPy dtype."""
    if dtype is None or isinstance(dtype, np.dtype):
        return dtype
    if dtype is builtins.float:
        return get_default_dtype()
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; expected e.g. gradstep.float32") from None
    if dt.kind not in _KINDS:
        raise TypeError(f"unsupported dtype {dt}; gradstep supports bool, integer and float dtypes")
    return dt


def category(dt: np.dtype) -> builtins.int:
    """0 for bool, 1 for integers, 2 for floating point."""
    try:
        return _KINDS[dt.kind]
    except KeyError:
        raise TypeError(f"unsupported dtype {dt}; gradstep supports bool, integer and float dtypes") from None


def promote(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """Result dtype of a binary op between two tensors' arrays, by PyTorch's rules.

    Dimensioned operands take priority over zero-dimensional ones of the same category, so
    ``float32 tensor + float64 0-d tensor`` stays float32; a higher category always wins.
    """
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    ca, cb = category(da), category(db)
    if (a.ndim == 0) == (b.ndim == 0) or ca != cb:
        if ca == cb:
            return np.promote_types(da, db)
        return da if ca > cb else db
    return db if a.ndim == 0 else da


def scalar_result(dt: np.dtype, value) -> np.dtype:
    """Result dtype of ``tensor <op> python_scalar`` by PyTorch's rules."""
    if isinstance(value, builtins.bool):
        return dt
    if isinstance(value, builtins.int):
        return int64 if dt.kind == "b" else dt
    if dt.kind in "biu":
        return get_default_dtype()
    return dt


_TYPE_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor", uint8: "ByteTensor",
               int8: "CharTensor", int16: "ShortTensor", int32: "IntTensor", int64: "LongTensor",
               bool: "BoolTensor"}


def tensor_type_name(dt: np.dtype) -> str:
    """PyTorch's name of a CPU tensor type (``'torch.FloatTensor'``), what ``Tensor.type()`` returns."""
    return "torch." + _TYPE_NAMES[dt]


def from_tensor_type_name(name: str) -> np.dtype:
    """The dtype of a tensor type name such as ``'torch.FloatTensor'`` (or ``'FloatTensor'``)."""
    short = name.rpartition(".")[2]
    for dt, n in _TYPE_NAMES.items():
        if n == short:
            return dt
    raise ValueError(f"unknown tensor type {name!r}; expected e.g. 'torch.FloatTensor' or a dtype")


def is_floating_point(dt: np.dtype) -> builtins.bool:
    return dt.kind == "f"
