"""``Variable``: PyTorch's pre-0.4 wrapper, kept there as an alias of ``Tensor`` that old tutorials
(and torchviz) still import. ``Variable(t)`` is a leaf sharing ``t``'s memory; every tensor is a
``Variable`` to ``isinstance``."""

from __future__ import annotations

from .tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: ``data`` as a leaf tensor."""

    def __new__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable(data): data must be a tensor, got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
