"""``Parameter``: a tensor that a ``Module`` registers as trainable when assigned as an attribute."""

from __future__ import annotations

import numpy as np

from .. import _dtype
from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that ``Module`` collects in ``parameters()``.

    ``Parameter(t)`` shares memory with the tensor ``t`` (as ``torch.nn.Parameter`` does); a NumPy
    array is wrapped without copying, other data is copied into a tensor of the default dtype.
    Operations on a parameter return plain tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty(0, dtype=_dtype.get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data._data
        elif isinstance(data, np.ndarray):
            arr = data
        else:
            arr = Tensor(data)._data
        self._data = arr
        self._grad = None
        self._node = None
        self._vc = [0]
        self._grad_buffer = None
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            p._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = p
        return p


# How many lazy parameters have been materialized: an optimizer built before a lazy module's first
# forward compares it to rebuild its flat buffers around the parameters' new arrays.
_materialized = [0]


def materialized_count() -> int:
    return _materialized[0]


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward).

    ``materialize(shape)`` gives it an array of that shape and turns it into a plain ``Parameter``,
    the same object, so an optimizer given it earlier trains it, as in PyTorch.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(np.empty(0, dtype=_dtype.as_dtype(dtype) or _dtype.get_default_dtype()),
                         requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        from .. import _device
        _device.check(device)
        self._data = np.empty(tuple(shape), dtype=_dtype.as_dtype(dtype) or self._data.dtype)
        self.__class__ = self.cls_to_become
        _materialized[0] += 1

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__


def is_lazy(p) -> bool:
    return isinstance(p, UninitializedParameter)
