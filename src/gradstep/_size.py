"""``Size``: a tensor's shape, a tuple that prints as PyTorch's ``torch.Size([2, 3])`` under
``gradstep.torch`` and as a plain tuple ``(2, 3)`` otherwise (gradstep's messages show shapes so)."""

from __future__ import annotations

from . import _dtype


class Size(tuple):
    """The shape of a tensor: a tuple of ints (slicing gives a ``Size``, ``numel()`` the product)."""

    __slots__ = ()

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        ns = _dtype.print_namespace()
        return tuple.__repr__(self) if ns == "gradstep" else f"{ns}.Size({list(self)})"

    __str__ = __repr__
