"""``default_collate`` and ``default_convert``: samples to a batch, as ``torch.utils.data`` does it.

Tensors and NumPy arrays are stacked into a tensor with a new first dimension, Python floats become
a float64 tensor, ints an int64 tensor, strings stay a list; tuples and lists are collated
element-wise (a tuple comes back as a list, as in PyTorch), dicts key by key.
"""

from __future__ import annotations

import collections.abc
import copy

import numpy as np

from ..autograd import Tensor
from ..autograd.tensor_math import stack

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_str_like(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "SaUO"


def _stack_arrays(arrays: list, what: str) -> np.ndarray:
    first = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != first:
            raise RuntimeError(f"default_collate: stack expects each {what} to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(a.shape)} at entry {i}")
    return np.stack(arrays)


def _collate_sequence(elem, batch: list, collate):
    """Transpose a batch of equal-length sequences and collate each position."""
    sizes = {len(e) for e in batch}
    if len(sizes) != 1:
        raise RuntimeError(f"each element in list of batch should be of equal size, got sizes "
                           f"{sorted(sizes)}")
    transposed = list(zip(*batch))
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple: keep its type
        return type(elem)(*(collate(list(s)) for s in transposed))
    if isinstance(elem, tuple):
        return [collate(list(s)) for s in transposed]
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, s in enumerate(transposed):
                clone[i] = collate(list(s))
            return clone
        return type(elem)([collate(list(s)) for s in transposed])
    except TypeError:
        return [collate(list(s)) for s in transposed]


def _collate_mapping(elem, batch: list, collate):
    values = {key: collate([d[key] for d in batch]) for key in elem}
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def default_collate(batch):
    """Put a list of samples together into a batch (tensors with a leading batch dimension)."""
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)) or not batch:
        raise TypeError(f"default_collate expects a non-empty list of samples, got {type(batch).__name__}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            return stack(batch)  # keeps the graph, as torch.stack would
        return Tensor._make(_stack_arrays([t._data for t in batch], "tensor"))
    if isinstance(elem, np.ndarray):
        if _is_str_like(elem):
            raise TypeError(_ERR.format(elem.dtype))
        return Tensor._make(_stack_arrays([np.asarray(b) for b in batch], "array"))
    if isinstance(elem, (np.bool_, np.number)):
        return Tensor._make(np.array(batch))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64))
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=bool if all(isinstance(b, bool) for b in batch)
                                     else np.int64))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _collate_mapping(elem, batch, default_collate)
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(elem, batch, default_collate)
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """Turn NumPy arrays (inside lists, tuples and dicts too) into tensors; leave the rest.

    The collate function when ``batch_size=None`` (no batching), as in PyTorch.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_str_like(data) else Tensor._make(data)
    if isinstance(data, (np.bool_, np.number)):
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _collate_mapping(data, [data], lambda values: default_convert(values[0]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
