"""``embedding``: a lookup into a weight table whose backward scatter-adds into the rows used."""

from __future__ import annotations

import numpy as np

from ..._errors import ArgumentError, DTypeError, ShapeError
from ...autograd import Function, Tensor
from ...autograd.function import call
from ...kernels.embedding import embedding_backward, renorm_rows_


class EmbeddingFunction(Function):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(indices)
        ctx.args = (weight.shape[0], padding_idx, scale_grad_by_freq)
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        return call(EmbeddingGrad, grad, indices, ctx.args), None


class EmbeddingGrad(Function):
    """The weight's gradient as an op: rows of grad added up per index (see ``embedding_backward``).
    Linear in grad; its adjoint picks rows again, scaled as the gradient was."""

    @staticmethod
    def forward(ctx, grad, indices, args):
        ctx.save_for_backward(indices)
        ctx.args = args
        return embedding_backward(grad, indices, *args)

    @staticmethod
    def backward(ctx, v):
        (indices,) = ctx.saved_tensors
        num, padding_idx, scale_grad_by_freq = ctx.args
        scale = np.ones(indices.shape + (1,), dtype=v.dtype)
        if scale_grad_by_freq:
            scale /= np.bincount(indices.reshape(-1), minlength=num)[indices][..., None]
        if padding_idx is not None:
            scale[indices == padding_idx] = 0
        return call(EmbeddingFunction, v, indices, padding_idx, scale_grad_by_freq) * scale, None, None


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``, as
    ``torch.nn.functional.embedding``; the ``padding_idx`` row receives no gradient."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be a 2-D Tensor (num_embeddings, embedding_dim), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use sparse=False")
    indices = input._data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers (e.g. gradstep.int64), got {indices.dtype}")
    num = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = int(indices.min()) if indices.min() < 0 else int(indices.max())
        raise IndexError(f"embedding: index {bad} is out of range for a table of {num} rows "
                         f"(valid: 0 to {num - 1})")
    padding_idx = check_padding_idx(padding_idx, num)
    if max_norm is not None:
        renorm_rows_(weight._data, indices, float(max_norm), float(norm_type))
        weight._version += 1
    return EmbeddingFunction.apply(weight, indices, padding_idx=padding_idx,
                                   scale_grad_by_freq=bool(scale_grad_by_freq))


def check_padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    """PyTorch's rule: -num_embeddings <= padding_idx < num_embeddings; negative counts from the end."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be within [-{num_embeddings}, {num_embeddings}), "
                         f"got {padding_idx}")
    return padding_idx % num_embeddings


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot vectors along a new last dim; ``num_classes=-1`` takes the largest value + 1."""
    idx = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"one_hot is only applicable to an integer (int64) index tensor, got {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ArgumentError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
    if num_classes == -1:
        if not idx.size:
            raise ArgumentError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise ArgumentError(f"one_hot: class values must be smaller than num_classes ({num_classes}), "
                            f"got {int(idx.max())}")
    return Tensor._make(np.eye(num_classes, dtype=np.int64)[idx])
