"""``scaled_dot_product_attention``: softmax(Q K^T / sqrt(d) + mask) V, as PyTorch's, from
differentiable tensor operations."""

from __future__ import annotations

import math

import numpy as np

from ..._errors import ShapeError
from ...autograd.tensor import Tensor
from .dropout import dropout


def attention_bias(mask, dtype, shape: tuple) -> Tensor | None:
    """A boolean mask (True: may attend) or an additive float mask as a float bias to add to the scores."""
    if mask is None:
        return None
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        m = np.where(m, 0.0, -np.inf)
    try:
        np.broadcast_shapes(m.shape, shape)
    except ValueError:
        raise ShapeError(f"attention mask of shape {m.shape} does not broadcast to the scores' shape "
                         f"{shape}") from None
    if isinstance(mask, Tensor) and mask.dtype.kind == "f":
        return mask.to(dtype)  # an additive float mask keeps its graph
    return Tensor._make(m.astype(dtype))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of (..., L, E) queries over (..., S, E) keys and (..., S, Ev) values; a boolean
    ``attn_mask`` marks with True where attention is allowed, a float one is added to the scores."""
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention: query {query.shape}, key {key.shape} and value "
                         f"{value.shape} do not fit (E of query and key, S of key and value must agree)")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = Tensor._make(np.tril(np.ones((L, S), dtype=bool)))
    bias = attention_bias(attn_mask, scores.dtype, scores.shape)
    if bias is not None:
        scores = scores + bias
    weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value
