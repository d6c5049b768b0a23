"""Argument checks shared by the functional layers: PyTorch's ``int or (int, int)`` arguments and
the input/parameter dtype rules, with errors that name the argument and what was expected."""

from __future__ import annotations

import numbers

from ...autograd import Tensor


def pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 2)`` stays; anything else, or a value below ``minimum``, raises."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value), int(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    value = (int(value[0]), int(value[1]))
    if min(value) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_input(fn: str, input, ndims: tuple) -> None:
    """``input`` must be a floating point Tensor with one of ``ndims`` dimensions."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{fn}: expected a {want} input, got shape {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating point input, got {input.dtype}")


def check_same_dtype(fn: str, input: Tensor, **params) -> None:
    """Parameters (Tensors or None) must have the input's dtype: nothing is converted silently."""
    for name, p in params.items():
        if p is None:
            continue
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor or None, got {type(p).__name__}")
        if p.dtype != input.dtype:
            raise TypeError(f"{fn}: input is {input.dtype} but {name} is {p.dtype}; convert one of "
                            f"them (e.g. model.to({input.dtype}) or input.to({p.dtype}))")

