"""TensorDataset, Subset, ConcatDataset, random_split (lengths as PyTorch computes them)."""

import warnings

import numpy as np
import pytest

import gradstep as gs
import gradstep.data as gd


def test_tensor_dataset_of_arrays_and_tensors():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = gd.TensorDataset(gs.from_numpy(X), np.arange(6))
    x, y = ds[4]
    assert isinstance(x, gs.Tensor) and x.numpy().tolist() == [8.0, 9.0] and y == 4
    assert len(ds) == 6
    assert gd.ArrayDataset is gd.TensorDataset


def test_tensor_dataset_batch_fetch_equals_collated_samples():
    X = np.random.rand(20, 3, 4).astype(np.float32)
    y = np.arange(20)
    ds = gd.TensorDataset(X, y)
    idx = np.array([5, 1, 19, 5])
    fast = ds.__getbatch__(idx)
    slow = gd.default_collate([ds[i] for i in idx.tolist()])
    for f, s in zip(fast, slow):
        assert f.dtype == s.dtype and np.array_equal(f.numpy(), s.numpy())


@pytest.mark.parametrize(
    "args,match",
    [
        ((np.zeros((5, 2)), np.zeros(4)), r"same first dimension.*\[5, 4\]"),
        ((np.zeros(3), 5.0), "argument 1 is a scalar"),
        ((), "at least one"),
        ((np.array(["a", "b"]),), "dtype"),
    ],
)
def test_tensor_dataset_errors(args, match):
    with pytest.raises((ValueError, TypeError), match=match):
        gd.TensorDataset(*args)


def test_subset_and_concat():
    a = gd.TensorDataset(np.arange(5))
    b = gd.TensorDataset(np.arange(5, 8))
    c = a + b
    assert isinstance(c, gd.ConcatDataset) and len(c) == 8
    assert [int(c[i][0]) for i in range(8)] == list(range(8))
    assert int(c[-1][0]) == 7
    with pytest.raises(IndexError, match="out of range"):
        c[8]
    s = gd.Subset(c, [7, 0, 3])
    assert [int(s[i][0]) for i in range(3)] == [7, 0, 3]
    sa = gd.Subset(a, [4, 2])
    assert sa.__getbatch__(np.array([1, 0]))[0].numpy().tolist() == [2, 4]
    with pytest.raises(TypeError, match="IterableDataset"):
        gd.ConcatDataset([a, gd.IterableDataset()])
    with pytest.raises(ValueError, match="at least one"):
        gd.ConcatDataset([])


def test_subset_sees_new_indices_of_the_same_length():
    s = gd.Subset(gd.TensorDataset(np.arange(10)), [4, 2, 7])
    first = [b[0].numpy().tolist() for b in gd.DataLoader(s, batch_size=3)]
    s.indices = [1, 8, 5]
    again = [b[0].numpy().tolist() for b in gd.DataLoader(s, batch_size=3)]
    assert first == [[4, 2, 7]] and again == [[1, 8, 5]]


@pytest.mark.parametrize(
    "n,lengths", [(10, [3, 7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (5, [1.0])]
)
def test_random_split_lengths_match_pytorch(n, lengths, torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = gd.random_split(range(n), lengths, generator=gs.Generator(0))
        t = torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in g] == [len(s) for s in t]
    assert sorted(i for s in g for i in s) == list(range(n))


def test_random_split_is_seeded_and_checks_lengths():
    a = [list(s) for s in gd.random_split(range(10), [4, 6], generator=gs.Generator(1))]
    b = [list(s) for s in gd.random_split(range(10), [4, 6], generator=gs.Generator(1))]
    assert a == b
    with pytest.raises(ValueError, match="sum to 9"):
        gd.random_split(range(10), [4, 5])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        gd.random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="length of split at index 1 is 0"):
        gd.random_split(range(1), [0.5, 0.5])


def test_utils_data_is_the_same_api():
    import gradstep.utils.data as ud

    assert ud.DataLoader is gd.DataLoader and ud.TensorDataset is gd.TensorDataset
    assert gs.utils.data.random_split is gd.random_split
