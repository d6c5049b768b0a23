"""A loader is deterministic given gradstep.manual_seed or its generator, and resumes mid-epoch exactly."""

import json

import numpy as np
import pytest

import gradstep as gs
import gradstep.data as gd

from ._datasets import Augmented, values


def _tensor_data():
    return gd.TensorDataset(np.arange(40, dtype=np.float32).reshape(20, 2), np.arange(20))


MAKERS = {  # name -> loader factory taking num_workers
    "augmented": lambda nw: gd.DataLoader(Augmented(24), batch_size=3, shuffle=True, num_workers=nw),
    "augmented_persistent": lambda nw: gd.DataLoader(
        Augmented(24), batch_size=3, shuffle=True, num_workers=nw, persistent_workers=nw > 0
    ),
    "tensor_drop_last": lambda nw: gd.DataLoader(
        _tensor_data(), batch_size=6, shuffle=True, drop_last=True, num_workers=nw
    ),
    "own_generator": lambda nw: gd.DataLoader(
        _tensor_data(), batch_size=4, shuffle=True, num_workers=nw, generator=gs.Generator(11)
    ),
    "replacement_sampler": lambda nw: gd.DataLoader(
        Augmented(10),
        batch_size=4,
        num_workers=nw,
        sampler=gd.RandomSampler(range(10), replacement=True, num_samples=17),
    ),
}


def _through_a_checkpoint(state: dict) -> dict:
    """What a checkpoint keeps: arrays as arrays, everything else through JSON."""
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    rest = json.loads(json.dumps({k: v for k, v in state.items() if k not in arrays}))
    return {**rest, **arrays}


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("name", list(MAKERS))
def test_same_seed_same_batches(name, num_workers):
    def run(seed):
        gs.manual_seed(seed)
        loader = MAKERS[name](num_workers)
        return [values(loader) for _ in range(2)]

    a, b = run(0), run(0)
    assert a == b
    assert a[0] != a[1]  # epochs differ
    if name != "own_generator":
        assert run(1) != a


def test_own_generator_makes_the_order_independent_of_the_global_seed():
    orders = []
    for seed in (0, 1):
        gs.manual_seed(seed)
        orders.append(values(MAKERS["own_generator"](0)))
    assert orders[0] == orders[1]


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("stop_at", [0, 2, 5])
def test_resume_mid_epoch_gives_exactly_the_remaining_batches(name, num_workers, stop_at):
    epochs = 3

    gs.manual_seed(0)
    loader = MAKERS[name](num_workers)
    uninterrupted = [values(loader) for _ in range(epochs)]

    gs.manual_seed(0)
    loader = MAKERS[name](num_workers)
    values(loader)  # epoch 0
    it = iter(loader)
    head = [values([next(it)])[0] for _ in range(min(stop_at, len(loader)))]
    state = _through_a_checkpoint(loader.state_dict())
    del it, loader

    gs.manual_seed(12345)  # a new process would start from anywhere
    resumed = MAKERS[name](num_workers)
    resumed.load_state_dict(state)
    rest = [values(resumed) for _ in range(epochs - 1)]
    assert head + rest[0] == uninterrupted[1]
    assert rest[1:] == uninterrupted[2:]


def test_resume_at_an_epoch_boundary_starts_the_next_epoch():
    gs.manual_seed(0)
    loader = MAKERS["augmented"](0)
    values(loader)
    state = loader.state_dict()
    expected = [values(loader), values(loader)]
    assert state["epoch"] == 1 and state["position"] == 0 and state["indices"] is None
    resumed = MAKERS["augmented"](0)
    resumed.load_state_dict(state)
    assert [values(resumed), values(resumed)] == expected


def _one_batch_in(name: str, num_workers: int):
    """A loader seeded with 0 that has handed out one batch: (loader, its iterator, its state dict)."""
    gs.manual_seed(0)
    loader = MAKERS[name](num_workers)
    it = iter(loader)
    next(it)
    return loader, it, loader.state_dict()


def test_resume_with_a_different_number_of_workers_keeps_the_batches():
    _, it, state = _one_batch_in("tensor_drop_last", 2)
    expected = values(it)
    resumed = MAKERS["tensor_drop_last"](0)
    with pytest.warns(UserWarning, match="taken with 2 workers"):
        resumed.load_state_dict(state)
    assert values(resumed) == expected


def test_state_dict_holds_plain_values_and_arrays():
    _, _, state = _one_batch_in("augmented", 2)
    assert state["epoch"] == 0 and state["position"] == 1
    assert isinstance(state["indices"], np.ndarray) and state["indices"].dtype == np.int64
    assert sorted(state["indices"].tolist()) == list(range(24))
    assert state["offsets"].tolist() == list(range(0, 25, 3))
    json.dumps({k: v for k, v in state.items() if not isinstance(v, np.ndarray)})


def test_iterable_dataset_resumes_by_replaying():
    class Stream(gd.IterableDataset):
        def __iter__(self):
            return iter(range(10))

    loader = gd.DataLoader(Stream(), batch_size=3)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    resumed = gd.DataLoader(Stream(), batch_size=3)
    resumed.load_state_dict(state)
    assert [b.numpy().tolist() for b in resumed] == [[6, 7, 8], [9]]


def test_load_state_dict_rejects_a_state_that_does_not_fit():
    loader, _, state = _one_batch_in("tensor_drop_last", 0)
    small = gd.DataLoader(gd.TensorDataset(np.arange(5)), batch_size=2)
    with pytest.raises(ValueError, match="dataset has 5 samples"):
        small.load_state_dict(state)
    with pytest.raises(ValueError, match="missing"):
        loader.load_state_dict({"epoch": 0})
    with pytest.raises(ValueError, match="position 9"):
        loader.load_state_dict({**state, "position": 9})
