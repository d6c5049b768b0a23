"""Worker processes: same batches as in-process loading, seeds, errors, timeouts, clean-up."""

import gc
import multiprocessing
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import gradstep as gs
import gradstep.data as gd

from ._datasets import Augmented, FailsAt, Indexed, SlowAt, Unsendable, indices, values


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(batch_size=3),
        dict(batch_size=4, drop_last=True),
        dict(batch_size=5, shuffle=True),
        dict(batch_size=None),
        dict(batch_size=2, prefetch_factor=1),
        dict(batch_size=1, prefetch_factor=4),
    ],
)
@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_give_the_same_batches_in_the_same_order(kwargs, num_workers):
    def run(nw):
        gs.manual_seed(7)
        extra = {} if nw else {k: v for k, v in kwargs.items() if k != "prefetch_factor"}
        loader = gd.DataLoader(Indexed(17), num_workers=nw, **(kwargs if nw else extra))
        return [np.atleast_1d(np.asarray(b[0])).tolist() for b in loader]

    assert run(num_workers) == run(0)


def test_workers_really_are_other_processes_and_tensor_dataset_takes_the_fast_path():
    pids = {int(p) for b in gd.DataLoader(Indexed(12), batch_size=2, num_workers=2) for p in b[1].numpy()}
    assert len(pids) == 2 and os.getpid() not in pids
    X = np.random.rand(50, 3).astype(np.float32)
    got = [
        b[0].numpy() for b in gd.DataLoader(gd.TensorDataset(X, np.arange(50)), batch_size=8, num_workers=2)
    ]
    assert np.array_equal(np.concatenate(got), X)


def test_each_worker_has_its_own_seed_and_augmentations_repeat_run_to_run():
    def run(seed):
        gs.manual_seed(seed)
        loader = gd.DataLoader(Augmented(8), batch_size=1, num_workers=2)
        return values(loader)

    a, b, c = run(1), run(1), run(2)
    assert a == b  # repeat exactly
    assert a != c  # the seed matters
    # Batch 0 and batch 1 are the first draws of worker 0 and worker 1: different streams.
    assert a[0][1] != a[1][1]
    # Within one worker, successive samples differ too.
    assert a[0][1] != a[2][1]


def test_workers_are_reseeded_each_epoch_and_persistent_workers_are_too():
    for persistent in (False, True):
        gs.manual_seed(3)
        loader = gd.DataLoader(Augmented(4), batch_size=2, num_workers=2, persistent_workers=persistent)
        e1, e2 = values(loader), values(loader)
        assert e1 != e2


def test_get_worker_info_and_worker_init_fn():
    seen = []

    class Info(gd.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = gd.get_worker_info()
            return info.id, info.num_workers, info.seed, int(np.random.randint(1 << 30)), seen[-1]

    def init(worker_id):
        seen.append(worker_id * 100)

    assert gd.get_worker_info() is None
    batches = list(gd.DataLoader(Info(), batch_size=1, num_workers=2, worker_init_fn=init))
    rows = [[int(x.numpy()[0]) for x in b] for b in batches]
    assert [r[0] for r in rows] == [0, 1, 0, 1]
    assert all(r[1] == 2 for r in rows)
    assert rows[1][2] == rows[0][2] + 1  # seeds are base_seed + worker id
    assert rows[0][3] != rows[1][3]  # NumPy's global generator is seeded per worker too
    assert [r[4] for r in rows] == [0, 100, 0, 100]  # worker_init_fn ran in each worker
    assert seen == []  # ... and not in the main process


def test_iterable_dataset_with_workers_matches_pytorch(torch):
    def make(base):
        class Stream(base):
            def __iter__(self):
                info = (
                    gd.get_worker_info if base is gd.IterableDataset else torch.utils.data.get_worker_info
                )()
                lo, hi = (0, 11) if info is None else (info.id * 5, min(11, info.id * 5 + 5 + info.id))
                return iter(range(lo, hi))

        return Stream()

    for bs in (None, 2, 3):
        g = list(gd.DataLoader(make(gd.IterableDataset), batch_size=bs, num_workers=2))
        t = list(
            torch.utils.data.DataLoader(make(torch.utils.data.IterableDataset), batch_size=bs, num_workers=2)
        )
        assert [np.atleast_1d(np.asarray(b)).tolist() for b in g] == [
            np.atleast_1d(np.asarray(b)).tolist() for b in t
        ]


def test_a_killed_worker_raises_a_clear_error():
    loader = gd.DataLoader(Indexed(40, delay=0.01), batch_size=2, num_workers=2)
    it = iter(loader)
    first = next(it)
    victim = int(first[1].numpy()[0])
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"DataLoader worker 0 \(pid \d+\) was killed by SIGKILL"):
        for _ in it:
            pass


def test_a_worker_that_exits_names_its_exit_code():
    class Exits(Indexed):
        def __getitem__(self, i):
            if i == 3:
                os._exit(7)
            return super().__getitem__(i)

    with pytest.raises(RuntimeError, match=r"worker 1 \(pid \d+\) exited with exit code 7"):
        list(gd.DataLoader(Exits(8), batch_size=1, num_workers=2))


def test_timeout_raises_instead_of_hanging():
    loader = gd.DataLoader(SlowAt(6, index=2, seconds=3.0), batch_size=1, num_workers=2, timeout=0.3)
    with pytest.raises(RuntimeError, match=r"timed out after 0.3 seconds waiting for batch 2 from worker 0"):
        list(loader)


_BIG_TRAFFIC = """
import sys
import numpy as np
import gradstep as gs
import gradstep.data as gd

n, features, batch_size, prefetch_factor = map(int, sys.argv[1:])
data = gd.TensorDataset(gs.tensor(np.arange(n * features, dtype=np.float32).reshape(n, features)))
gs.manual_seed(0)
batches = [b[0].numpy() for b in gd.DataLoader(data, batch_size=batch_size, shuffle=True, num_workers=1,
                                               prefetch_factor=prefetch_factor)]
gs.manual_seed(0)
expected = [b[0].numpy() for b in gd.DataLoader(data, batch_size=batch_size, shuffle=True)]
assert len(batches) == len(expected) and all(np.array_equal(a, b) for a, b in zip(batches, expected))
print("ok")
"""


@pytest.mark.parametrize(
    "n, features, batch_size, prefetch_factor",
    [(200_000, 4, 40_000, 2),  # tasks and batches larger than the pipe's buffer
     (2_000, 1, 1, 1_000)],  # many small tasks and batches in flight at once
)
def test_heavy_traffic_through_the_pipes_does_not_deadlock(n, features, batch_size, prefetch_factor):
    # In a separate process, so that a deadlock fails the test instead of hanging the suite.
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(gs.__file__)))
    args = [sys.executable, "-c", _BIG_TRAFFIC, str(n), str(features), str(batch_size), str(prefetch_factor)]
    try:
        run = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the loader deadlocked: {n} samples of {features} features, batch_size={batch_size}, "
                    f"prefetch_factor={prefetch_factor}")
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_an_exception_in_a_worker_is_raised_with_its_type_and_traceback():
    with pytest.raises(
        ValueError, match=r"Caught ValueError in DataLoader worker process 1(.|\n)*bad sample 3"
    ):
        list(gd.DataLoader(FailsAt(8, 3), batch_size=1, num_workers=2))


def test_a_failing_worker_init_fn_is_reported():
    def init(worker_id):
        raise OSError("no such device")

    with pytest.raises(RuntimeError, match="worker_init_fn failed in worker 0"):
        list(gd.DataLoader(Indexed(4), batch_size=1, num_workers=2, worker_init_fn=init))


def test_data_that_cannot_travel_without_pickling_is_a_clear_error():
    with pytest.raises(TypeError, match="nothing is pickled"):
        list(gd.DataLoader(Unsendable(4), batch_size=1, num_workers=1, collate_fn=lambda b: b[0]))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    multiprocessing.active_children()  # reap
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return False


def test_workers_are_cleaned_up_after_an_epoch_a_break_and_an_exception():
    loader = gd.DataLoader(Indexed(12), batch_size=2, num_workers=2)
    pids = {int(p) for b in loader for p in b[1].numpy()}
    assert pids and not any(_alive(p) for p in pids)

    it = iter(loader)
    pids = {int(p) for p in next(it)[1].numpy()} | {int(p) for p in next(it)[1].numpy()}
    del it
    gc.collect()
    assert not any(_alive(p) for p in pids)

    with pytest.raises(ValueError):
        for _ in gd.DataLoader(FailsAt(12, 5), batch_size=1, num_workers=2):
            pass
    gc.collect()
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("gradstep-dataloader")]


def test_persistent_workers_survive_epochs_and_an_abandoned_epoch():
    loader = gd.DataLoader(Indexed(12), batch_size=3, num_workers=2, persistent_workers=True, shuffle=True)
    pids1 = {int(p) for b in loader for p in b[1].numpy()}
    it = iter(loader)
    next(it)  # abandon this epoch with batches in flight
    epoch3 = list(loader)
    pids3 = {int(p) for b in epoch3 for p in b[1].numpy()}
    assert pids1 == pids3 and all(_alive(p) for p in pids1)
    assert sorted(i for b in indices(epoch3) for i in b) == list(range(12))
    with pytest.raises(RuntimeError, match="newer pass"):
        next(it)
    del loader, it
    gc.collect()
    assert not any(_alive(p) for p in pids1)


def test_workers_compute_on_one_thread_as_in_pytorch():
    class Threads(gd.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return gs.get_num_threads()

    before = gs.get_num_threads()
    gs.set_num_threads(2)
    try:
        assert [int(b.numpy()[0]) for b in gd.DataLoader(Threads(), batch_size=1, num_workers=2)] == [1, 1]
        assert gs.get_num_threads() == 2  # the main process keeps its count
    finally:
        gs.set_num_threads(before)
