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
