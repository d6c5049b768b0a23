"""``Upsample``: ``functional.interpolate`` as a layer."""

from __future__ import annotations

from ...autograd.tensor import Tensor
from ..functional.interpolate import interpolate
from .module import Module


class Upsample(Module):
    """Resize by ``scale_factor`` or to ``size``: ``functional.interpolate`` as a layer."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={float(self.scale_factor)}, mode='{self.mode}'"
        return f"size={self.size}, mode='{self.mode}'"
