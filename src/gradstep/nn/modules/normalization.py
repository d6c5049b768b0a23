"""``LayerNorm`` over ``functional.layer_norm``."""

from __future__ import annotations

from ... import _creation
from ...autograd.tensor import Tensor
from .. import init
from ..functional.normalization import layer_norm, normalized_shape_tuple
from ..parameter import Parameter
from .module import Module


class LayerNorm(Module):
    """Normalise each sample over its last ``len(normalized_shape)`` axes, then scale and shift
    elementwise (``weight`` ones and ``bias`` zeros of ``normalized_shape`` when
    ``elementwise_affine``), as ``torch.nn.LayerNorm``."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_tuple(normalized_shape)
        if not eps >= 0:
            raise ValueError(f"LayerNorm: eps must be non-negative, got {eps!r}")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.empty(*self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(_creation.empty(*self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
