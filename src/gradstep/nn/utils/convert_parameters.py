"""Flatten parameters into one vector and back (``parameters_to_vector``, ``vector_to_parameters``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..._errors import ShapeError
from ...autograd.tensor import Tensor
from ...autograd.tensor_math import cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and concatenated into one 1-D tensor (differentiable)."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: got no parameters")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data a slice of ``vec`` (sharing memory with it), in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected gradstep.Tensor, but got: {type(vec).__name__}")
    if vec.dim() != 1:
        raise ShapeError(f"vector_to_parameters expects a 1-D vector, got shape {tuple(vec.shape)}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = sum(p.numel() for p in parameters)
    if total != vec.numel():
        raise ShapeError(f"vector_to_parameters: the vector has {vec.numel()} elements but the "
                         f"parameters have {total}")
    data = vec._data
    pointer = 0
    for p in parameters:
        n = p.numel()
        p._data = data[pointer:pointer + n].reshape(p.shape).astype(p.dtype, copy=False)
        pointer += n
