"""Every sampler and loader argument against torch.utils.data.DataLoader on the same dataset.

Each row of CASES builds a loader (or sampler) the same way with gradstep and with PyTorch; the
generic tests compare the number and sizes of batches, and the indices: exactly equal where no
randomness is involved, and as a multiset (every index exactly once per epoch, or within range for
draws with replacement) where there is.
"""

import collections

import numpy as np
import pytest

import gradstep as gs
import gradstep.data as gd

N = 10
WEIGHTS = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0.0, 1.0, 2.0, 0.5]
SUBSET = [7, 2, 9, 4]


def _arrays():
    return np.arange(N, dtype=np.float32).reshape(N, 1) * 10, np.arange(N, dtype=np.int64)


# name -> (loader kwargs factory taking the data module and the dataset, how to compare indices)
# "exact": same indices in the same order; "perm": each index once; "subset": each of SUBSET once;
# "draws": indices in range (with replacement); "weighted": in range and never a zero-weight index.
CASES = {
    "default": (lambda M, ds: {}, "exact"),
    "batch_3": (lambda M, ds: dict(batch_size=3), "exact"),
    "batch_3_drop_last": (lambda M, ds: dict(batch_size=3, drop_last=True), "exact"),
    "batch_5_drop_last": (lambda M, ds: dict(batch_size=5, drop_last=True), "exact"),
    "batch_n": (lambda M, ds: dict(batch_size=N), "exact"),
    "batch_over_n": (lambda M, ds: dict(batch_size=N + 1), "exact"),
    "batch_over_n_drop_last": (lambda M, ds: dict(batch_size=N + 1, drop_last=True), "exact"),
    "no_batching": (lambda M, ds: dict(batch_size=None), "exact"),
    "shuffle": (lambda M, ds: dict(batch_size=3, shuffle=True), "perm"),
    "shuffle_drop_last": (lambda M, ds: dict(batch_size=4, shuffle=True, drop_last=True), "perm"),
    "shuffle_false": (lambda M, ds: dict(batch_size=4, shuffle=False), "exact"),
    "shuffle_no_batching": (lambda M, ds: dict(batch_size=None, shuffle=True), "perm"),
    "sequential_sampler": (lambda M, ds: dict(batch_size=4, sampler=M.SequentialSampler(ds)), "exact"),
    "list_sampler": (lambda M, ds: dict(batch_size=3, sampler=[9, 0, 4, 4, 1]), "exact"),
    "random_sampler": (lambda M, ds: dict(batch_size=3, sampler=M.RandomSampler(ds)), "perm"),
    "random_sampler_replacement": (
        lambda M, ds: dict(batch_size=4, sampler=M.RandomSampler(ds, replacement=True, num_samples=25)),
        "draws",
    ),
    "random_sampler_more_samples": (
        lambda M, ds: dict(batch_size=4, sampler=M.RandomSampler(ds, num_samples=2 * N)),
        "perm",
    ),
    "random_sampler_fewer_samples": (
        lambda M, ds: dict(batch_size=4, sampler=M.RandomSampler(ds, num_samples=7)),
        "draws",
    ),
    "subset_random": (lambda M, ds: dict(batch_size=3, sampler=M.SubsetRandomSampler(SUBSET)), "subset"),
    "weighted": (lambda M, ds: dict(batch_size=3, sampler=M.WeightedRandomSampler(WEIGHTS, 13)), "weighted"),
    "weighted_no_replacement": (
        lambda M, ds: dict(batch_size=3, sampler=M.WeightedRandomSampler(WEIGHTS, 9, replacement=False)),
        "weighted",
    ),
    "batch_sampler": (
        lambda M, ds: dict(batch_sampler=M.BatchSampler(M.SequentialSampler(ds), 4, drop_last=False)),
        "exact",
    ),
    "batch_sampler_drop_last": (
        lambda M, ds: dict(batch_sampler=M.BatchSampler(M.SequentialSampler(ds), 4, drop_last=True)),
        "exact",
    ),
    "batch_sampler_lists": (lambda M, ds: dict(batch_sampler=[[3, 1], [0], [9, 8, 7]]), "exact"),
    "batch_sampler_random": (
        lambda M, ds: dict(batch_sampler=M.BatchSampler(M.RandomSampler(ds), 3, drop_last=False)),
        "perm",
    ),
    "collate_fn": (lambda M, ds: dict(batch_size=4, collate_fn=lambda b: [int(s[1]) for s in b]), "exact"),
}
for _r in range(3):
    for _drop in (False, True):
        CASES[f"distributed_rank{_r}_drop{_drop}"] = (
            lambda M, ds, r=_r, d=_drop: dict(batch_size=2, sampler=_distributed(M, ds, r, d, False)),
            "exact",
        )
    CASES[f"distributed_shuffle_rank{_r}"] = (
        lambda M, ds, r=_r: dict(batch_size=2, sampler=_distributed(M, ds, r, False, True)),
        "draws",
    )


def _distributed(M, ds, rank, drop_last, shuffle):
    cls = M.DistributedSampler if hasattr(M, "DistributedSampler") else M.distributed.DistributedSampler
    return cls(ds, num_replicas=3, rank=rank, shuffle=shuffle, drop_last=drop_last)


def _indices(batch):
    """The sample indices in a batch (the second field of TensorDataset(X, arange))."""
    if isinstance(batch, list) and batch and isinstance(batch[0], int):
        return list(batch)  # the custom collate_fn
    y = batch[1]
    arr = y.numpy() if hasattr(y, "numpy") else np.asarray(y)
    return np.atleast_1d(arr).astype(int).tolist()


def _run(M, TD, torch_x, torch_y, case):
    ds = TD(torch_x, torch_y)
    kwargs, _ = CASES[case][0](M, ds), None
    loader = M.DataLoader(ds, **kwargs)
    return len(loader), [_indices(b) for b in loader]


@pytest.mark.parametrize("case", list(CASES))
def test_batches_match_pytorch(case, torch):
    X, y = _arrays()
    glen, gbatches = _run(gd, gd.TensorDataset, X, y, case)
    tlen, tbatches = _run(
        torch.utils.data, torch.utils.data.TensorDataset, torch.from_numpy(X), torch.from_numpy(y), case
    )
    assert glen == tlen
    assert [len(b) for b in gbatches] == [len(b) for b in tbatches]
    flat_g = [i for b in gbatches for i in b]
    flat_t = [i for b in tbatches for i in b]
    kind = CASES[case][1]
    if kind == "exact":
        assert gbatches == tbatches
    elif kind == "perm":  # whole permutations: every index the same number of times (up to a cut tail)
        counts = [collections.Counter(flat_g)[i] for i in range(N)]
        assert max(counts) - min(counts) <= (0 if len(flat_g) % N == 0 else 1)
        assert max(counts) == -(-len(flat_g) // N)
    elif kind == "subset":
        assert sorted(flat_g) == sorted(SUBSET) == sorted(flat_t)
    else:
        assert all(0 <= i < N for i in flat_g)
        if kind == "weighted":
            assert 6 not in flat_g  # weight 0
            if "no_replacement" in case:
                assert len(set(flat_g)) == len(flat_g)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n", [9, 10, 11])
def test_distributed_sampler_covers_the_dataset_like_pytorch(n, drop_last, shuffle, torch):
    """Across ranks: PyTorch's padding (repeat the start) or cut, same shares and lengths."""
    ranks_g = [
        list(gd.DistributedSampler(range(n), 4, r, shuffle=shuffle, drop_last=drop_last)) for r in range(4)
    ]
    ranks_t = [
        list(torch.utils.data.DistributedSampler(range(n), 4, r, shuffle=shuffle, drop_last=drop_last))
        for r in range(4)
    ]
    assert [len(r) for r in ranks_g] == [len(r) for r in ranks_t]
    if not shuffle:
        assert ranks_g == ranks_t
    counts = collections.Counter(i for r in ranks_g for i in r)
    counts_t = collections.Counter(i for r in ranks_t for i in r)
    assert sorted(counts.values()) == sorted(counts_t.values())


def test_distributed_sampler_set_epoch_changes_the_order_on_every_rank_alike():
    s0 = [gd.DistributedSampler(range(20), 2, r, seed=3) for r in range(2)]
    first = [list(s) for s in s0]
    for s in s0:
        s.set_epoch(1)
    second = [list(s) for s in s0]
    assert first != second
    assert sorted(first[0] + first[1]) == sorted(second[0] + second[1]) == list(range(20))
    assert [list(gd.DistributedSampler(range(20), 2, r, seed=3)) for r in range(2)] == first


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"PMI_RANK": "2", "PMI_SIZE": "4"}, (2, 4)),
        ({"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "3"}, (1, 3)),
        ({}, (0, 1)),
    ],
)
def test_distributed_sampler_reads_the_mpi_launchers_environment(env, expected, monkeypatch):
    for var in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = gd.DistributedSampler(range(12))
    assert (s.rank, s.num_replicas) == expected
    assert len(s) == 12 // expected[1]


def test_samplers_are_deterministic_given_the_seed():
    ds = range(50)
    for make in (
        lambda g: gd.RandomSampler(ds, generator=g),
        lambda g: gd.RandomSampler(ds, replacement=True, num_samples=30, generator=g),
        lambda g: gd.SubsetRandomSampler(list(range(0, 50, 3)), generator=g),
        lambda g: gd.WeightedRandomSampler(np.arange(50) + 1.0, 20, generator=g),
    ):
        a = list(make(gs.Generator(5)))
        b = list(make(gs.Generator(5)))
        c = list(make(gs.Generator(6)))
        assert a == b and a != c


# Invalid argument combinations: (kwargs, a word the message must contain). PyTorch raises ValueError
# for each; so must gradstep, with a message that names what is wrong.
ERRORS = {
    "sampler_and_shuffle": (lambda M, ds: dict(sampler=M.SequentialSampler(ds), shuffle=True), "shuffle"),
    "batch_sampler_and_batch_size": (
        lambda M, ds: dict(batch_sampler=[[0, 1]], batch_size=2),
        "batch_sampler",
    ),
    "batch_sampler_and_shuffle": (lambda M, ds: dict(batch_sampler=[[0, 1]], shuffle=True), "batch_sampler"),
    "batch_sampler_and_sampler": (
        lambda M, ds: dict(batch_sampler=[[0, 1]], sampler=M.SequentialSampler(ds)),
        "batch_sampler",
    ),
    "batch_sampler_and_drop_last": (
        lambda M, ds: dict(batch_sampler=[[0, 1]], drop_last=True),
        "batch_sampler",
    ),
    "batch_size_0": (lambda M, ds: dict(batch_size=0), "batch_size"),
    "batch_size_negative": (lambda M, ds: dict(batch_size=-3), "batch_size"),
    "no_batching_drop_last": (lambda M, ds: dict(batch_size=None, drop_last=True), "drop_last"),
    "num_workers_negative": (lambda M, ds: dict(num_workers=-1), "num_workers"),
    "timeout_negative": (lambda M, ds: dict(timeout=-1), "timeout"),
    "prefetch_without_workers": (lambda M, ds: dict(prefetch_factor=2), "prefetch_factor"),
    "persistent_without_workers": (lambda M, ds: dict(persistent_workers=True), "persistent_workers"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_invalid_arguments_raise_like_pytorch(case, torch):
    X, y = _arrays()
    make, word = ERRORS[case]
    tds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(tds, **make(torch.utils.data, tds))
    gds = gd.TensorDataset(X, y)
    with pytest.raises(ValueError, match=word):
        gd.DataLoader(gds, **make(gd, gds))


class _Stream(gd.IterableDataset):
    def __iter__(self):
        return iter(range(5))


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0, 1]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_refuses_samplers_and_shuffle_like_pytorch(kwargs, torch):
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    with pytest.raises(ValueError, match="IterableDataset"):
        torch.utils.data.DataLoader(TorchStream(), **kwargs)
    with pytest.raises(ValueError, match="IterableDataset"):
        gd.DataLoader(_Stream(), **kwargs)


@pytest.mark.parametrize(
    "batch_size,drop_last", [(None, False), (1, False), (2, False), (2, True), (5, True)]
)
def test_iterable_dataset_batches_like_pytorch(batch_size, drop_last, torch):
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    t = list(torch.utils.data.DataLoader(TorchStream(), batch_size=batch_size, drop_last=drop_last))
    g = list(gd.DataLoader(_Stream(), batch_size=batch_size, drop_last=drop_last))
    assert [type(b) is int for b in g] == [type(b) is int for b in t]  # no batching: samples as they are
    assert [np.atleast_1d(np.asarray(b)).tolist() for b in g] == [
        np.atleast_1d(np.asarray(b)).tolist() for b in t
    ]


def test_sampler_constructors_reject_what_pytorch_rejects(torch):
    for M in (gd, torch.utils.data):
        with pytest.raises(ValueError, match="num_samples"):
            M.RandomSampler(range(5), replacement=True, num_samples=0)
        with pytest.raises(TypeError, match="replacement"):
            M.RandomSampler(range(5), replacement=1)
        with pytest.raises(ValueError, match="num_samples"):
            M.WeightedRandomSampler([1.0, 2.0], num_samples=0)
        with pytest.raises(ValueError, match="weights"):
            M.WeightedRandomSampler([[1.0, 2.0]], num_samples=1)
        with pytest.raises(ValueError, match="batch_size"):
            M.BatchSampler(range(5), 0, False)
        with pytest.raises(ValueError, match="drop_last"):
            M.BatchSampler(range(5), 2, drop_last=1)
        with pytest.raises(ValueError, match="rank"):
            M.DistributedSampler(range(5), num_replicas=2, rank=2)


def test_loader_arguments_are_frozen_after_construction():
    loader = gd.DataLoader(gd.TensorDataset(*_arrays()), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen in PyTorch either


def test_loader_rejects_a_dataset_without_len():
    with pytest.raises(TypeError, match="map-style"):
        gd.DataLoader(object())
