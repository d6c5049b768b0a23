"""default_collate and default_convert against PyTorch's on the same samples."""

import collections

import numpy as np
import pytest

import gradstep as gs
from gradstep.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])

# name -> a function making the batch (a list of samples) from a "tensor" maker and a module flag
SAMPLES = {
    "ints": lambda T: [0, 1, 2],
    "floats": lambda T: [0.5, 1.5],
    "bools": lambda T: [True, False],
    "strings": lambda T: ["a", "b"],
    "numpy_float32": lambda T: [np.float32(1.5), np.float32(2.5)],
    "numpy_int16": lambda T: [np.int16(3), np.int16(4)],
    "arrays_uint8": lambda T: [np.full((2, 3), i, np.uint8) for i in range(4)],
    "arrays_float64": lambda T: [np.ones(3) * i for i in range(2)],
    "tensors": lambda T: [T(np.arange(3, dtype=np.float32) + i) for i in range(3)],
    "tuples": lambda T: [(np.ones(2, np.float32) * i, i) for i in range(3)],
    "lists": lambda T: [[i, float(i)] for i in range(3)],
    "dicts": lambda T: [{"x": np.ones(2, np.float32) * i, "label": i, "name": f"s{i}"} for i in range(2)],
    "nested": lambda T: [{"pair": (T(np.ones(1, np.float32)), [i, i + 1])} for i in range(2)],
    "namedtuples": lambda T: [Point(i, float(i)) for i in range(3)],
}


def _plain(x):
    """A batch as comparable plain data: (kind, dtype, values) for tensors, recursively otherwise."""
    if hasattr(x, "detach") or isinstance(x, gs.Tensor):
        arr = np.asarray(x.detach().numpy() if hasattr(x, "detach") else x.numpy())
        return ("tensor", str(arr.dtype), arr.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [_plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    return x


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_pytorch(name, torch):
    from torch.utils.data import default_collate as torch_collate

    g = default_collate(SAMPLES[name](gs.from_numpy))
    t = torch_collate(SAMPLES[name](torch.from_numpy))
    assert _plain(g) == _plain(t)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_convert_matches_pytorch(name, torch):
    from torch.utils.data import default_convert as torch_convert

    for g_sample, t_sample in zip(SAMPLES[name](gs.from_numpy), SAMPLES[name](torch.from_numpy)):
        assert _plain(default_convert(g_sample)) == _plain(torch_convert(t_sample))


def test_collate_errors_say_what_is_wrong():
    with pytest.raises(RuntimeError, match=r"equal size.*\[3\] at entry 0 and \[4\] at entry 1"):
        default_collate([np.zeros(3), np.zeros(4)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="non-empty list"):
        default_collate([])


def test_collating_tensors_that_require_grad_keeps_the_graph():
    a = gs.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a * 2])
    batch.sum().backward()
    assert a.grad.numpy().tolist() == [3.0, 3.0]
