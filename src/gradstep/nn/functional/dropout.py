"""``dropout``: inverted dropout drawing its mask from gradstep's seeded generator."""

from __future__ import annotations

import numbers
import warnings

from ...autograd import Function, Tensor
from ...kernels.dropout import dropout_mask
from ...random import rng


class DropoutFunction(Function):
    """y = x * mask; the mask (zeros and 1 / (1 - p)) is drawn in forward and reused in backward."""

    saved_constants = (0,)  # the mask is drawn, not computed from x

    @staticmethod
    def forward(ctx, x, p, generator):
        mask = dropout_mask(x.shape, p, rng(generator), x.dtype)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask


def check_p(p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) when
    ``training``; the identity otherwise. As ``torch.nn.functional.dropout``; ``generator``
    (a gradstep extension) draws the mask from a given ``gradstep.Generator``."""
    p = check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0.0:
        return input
    if inplace:
        mask = dropout_mask(tuple(input.shape), p, rng(generator), input.dtype)
        return input.mul_(Tensor._make(mask))
    return DropoutFunction.apply(input, p=p, generator=generator)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature_dims: int,
                     name: str) -> Tensor:
    """Zero whole channels: one draw per (sample, channel), shared over the ``feature_dims`` last dims."""
    p = check_p(p)
    if not isinstance(input, Tensor) or input.ndim not in (feature_dims + 1, feature_dims + 2):
        raise ValueError(f"{name}: expected a {feature_dims + 1}-D (unbatched) or {feature_dims + 2}-D "
                         f"input, got {getattr(input, 'shape', type(input).__name__)}")
    return _drop_with_mask(input, p, training, inplace, input.shape[:-feature_dims] + (1,) * feature_dims)


def _drop_with_mask(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple) -> Tensor:
    """Multiply by one mask draw of ``shape``, broadcast over the input."""
    if not training or p == 0.0:
        return input
    mask = Tensor._make(dropout_mask(shape, p, rng(), input.dtype))
    return input.mul_(mask) if inplace else input * mask


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``, scaling the rest."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs with probability ``p``, scaling the rest.

    As PyTorch: any other rank warns and drops per (dim 0, dim 1) pair, so a 3-D input is read as
    (N, C, L) and a 2-D (N, C) input is dropped element-wise; fewer than 2 dims is an error."""
    p = check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout2d: input must be a Tensor, got {type(input).__name__}")
    if input.ndim == 3:
        warnings.warn("dropout2d: received a 3-D input and, as PyTorch, reads it as (N, C, L) with "
                      "channel-wise 1-D dropout; use dropout1d for that, or add a batch dim to a "
                      "(C, H, W) image", UserWarning, stacklevel=2)
    elif input.ndim != 4:
        warnings.warn(f"dropout2d: received a {input.ndim}-D input, which PyTorch deprecates; it drops "
                      "each (dim 0, dim 1) entry as a whole; use dropout for element-wise dropout",
                      UserWarning, stacklevel=2)
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: feature dropout needs at least 2 dims, got shape {input.shape}")
    return _drop_with_mask(input, p, training, inplace, input.shape[:2] + (1,) * (input.ndim - 2))
