"""Padding layers over ``functional.pad``: ``ZeroPad2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d``,
``ReplicationPad1d/2d``."""

from __future__ import annotations

from ...autograd.tensor import Tensor
from ..functional.padding import pad
from .module import Module


class _PadNd(Module):
    _mode = "constant"
    _dims = 2

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        n = 2 * self._dims
        self.padding = (padding,) * n if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {n} ints, got {padding!r}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self._mode, self.value if self._mode == "constant" else None)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_PadNd):
    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    _dims = 1


class ConstantPad2d(_ConstantPad):
    _dims = 2


class ZeroPad2d(_PadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    _mode, _dims = "reflect", 1

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    _dims = 2


class ReplicationPad1d(_PadNd):
    _mode, _dims = "replicate", 1

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    _dims = 2
