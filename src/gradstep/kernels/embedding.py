"""Embedding lookup: rows of a (num_embeddings, dim) table picked by integer indices.

    y[..., :] = weight[index[...], :]
    dL/dweight[r] = sum of dL/dy over every position whose index is r

The backward is a scatter-add: rows repeated in the batch must accumulate, so it sorts the
indices once and sums each run of equal indices with one ``np.add.reduceat``.
"""

from __future__ import annotations

import numpy as np


def embedding_backward(grad: np.ndarray, indices: np.ndarray, num_embeddings: int,
                       padding_idx: int | None = None, scale_grad_by_freq: bool = False) -> np.ndarray:
    """dL/dweight for ``y = weight[indices]``; the ``padding_idx`` row gets no gradient and,
    with ``scale_grad_by_freq``, each row's gradient is divided by its count in ``indices``."""
    dim = grad.shape[-1]
    flat = indices.reshape(-1)
    rows = grad.reshape(-1, dim)
    dweight = np.zeros((num_embeddings, dim), dtype=grad.dtype)
    if flat.size == 0:
        return dweight
    order = np.argsort(flat, kind="stable")
    sorted_idx = flat[order]
    starts = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]])
    uniq = sorted_idx[starts]
    sums = np.add.reduceat(rows[order], starts, axis=0)
    if scale_grad_by_freq:
        counts = np.diff(np.r_[starts, flat.size])
        sums /= counts.astype(grad.dtype)[:, None]
    dweight[uniq] = sums
    if padding_idx is not None:
        dweight[padding_idx] = 0
    return dweight


def renorm_rows_(weight: np.ndarray, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``max_norm``: rescale, in place, the referenced rows whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (scale ``max_norm / (norm + 1e-7)``)."""
    rows = np.unique(indices)
    norms = np.linalg.norm(weight[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)
    weight[rows[big]] *= scale[:, None]
