"""``interpolate``: resize (N, C, L) or (N, C, H, W) tensors, as ``torch.nn.functional.interpolate``.

Each resized axis is a product with the resampling matrix of ``kernels.resize``, so the gradient
is the transposed product.
"""

from __future__ import annotations

import math

from ..._errors import ArgumentError, ShapeError
from ...autograd.tensor import Tensor
from ...kernels.resize import resize_weights

_LINEAR = {3: "linear", 4: "bilinear"}


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the last one or two dims to ``size`` or by ``scale_factor``; modes 'nearest',
    'nearest-exact', 'linear' (3-D input) and 'bilinear' (4-D input)."""
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise ShapeError(f"interpolate expects a 3-D (N, C, L) or 4-D (N, C, H, W) tensor, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    spatial = input.ndim - 2
    if mode in ("linear", "bilinear"):
        if mode != _LINEAR[input.ndim]:
            raise ArgumentError(f"interpolate: mode {mode!r} needs a {3 if mode == 'linear' else 4}-D input, "
                                f"got {input.ndim}-D")
    elif mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear")
    else:
        raise ArgumentError(f"interpolate: unsupported mode {mode!r}; expected 'nearest', 'nearest-exact', "
                            f"'linear' or 'bilinear'")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = input.shape[2:]
    scales = [None] * spatial
    if size is not None:
        out_sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * spatial
    else:
        many = isinstance(scale_factor, (tuple, list))
        factors = tuple(scale_factor) if many else (scale_factor,) * spatial
        if len(factors) != spatial:
            raise ValueError(f"scale_factor must have {spatial} values, got {factors}")
        out_sizes = tuple(int(math.floor(n * f)) for n, f in zip(in_sizes, factors))
        if not recompute_scale_factor:
            scales = [1.0 / f for f in factors]
    if len(out_sizes) != spatial or any(int(s) <= 0 for s in out_sizes):
        raise ValueError(f"interpolate: output size {out_sizes} must have {spatial} positive values")
    out = input
    for axis, (n_in, n_out, sc) in enumerate(zip(in_sizes, out_sizes, scales)):
        w = Tensor._make(resize_weights(n_in, int(n_out), mode, bool(align_corners), antialias, sc)
                         .astype(input.dtype))
        if axis == spatial - 1:
            out = out @ w.t()  # the last axis: (..., W) @ (W, W_out)
        else:
            out = w @ out      # the height axis: (H_out, H) @ (..., H, W)
    return out
