"""gradstep's thread policy: the count (PyTorch's meaning), its sources, and that the threaded paths
(matrix products above the crossover, split elementwise passes) give one thread's results."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import gradstep as gs
from gradstep import _threads
from gradstep.kernels import parallel
from gradstep.kernels.linear import linear_backward, linear_forward

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def restore_threads():
    before = gs.get_num_threads()
    yield
    gs.set_num_threads(before)


@pytest.fixture
def splits(monkeypatch):
    """(threads, blocks) of each split gradstep makes, in order."""
    calls = []
    real = parallel._split
    monkeypatch.setattr(parallel, "_split", lambda fn, bounds, t, work=0: (
        calls.append((t, len(bounds) - 1)), real(fn, bounds, t, work))[1])
    return calls


@pytest.fixture
def two_threads_everywhere(monkeypatch, restore_threads):
    """Two threads, with crossovers low enough that small, fast test sizes take the threaded paths."""
    gs.set_num_threads(2)
    monkeypatch.setattr(_threads, "MATMUL_MIN_MACS", 1)
    monkeypatch.setattr(_threads, "SPLIT_MIN_ELEMENTS", 1)
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)  # as on an idle machine
    monkeypatch.setattr(parallel, "feedback", False)  # split whenever allowed, however splits fare


def _threads_in_fresh_process(code="print(gradstep.get_num_threads())", **env_vars) -> str:
    env = {k: v for k, v in os.environ.items() if k not in _threads.USER_VARS + (_threads.ENV,)}
    env.update(env_vars, PYTHONPATH=SRC)
    out = subprocess.run([sys.executable, "-c", "import gradstep, threadpoolctl; " + code],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_count_and_where_it_comes_from_in_a_fresh_process():
    both = "print(gradstep.get_num_threads(), threadpoolctl.threadpool_info()[0]['num_threads'])"
    cores = _threads.physical_cores()
    assert _threads_in_fresh_process(both) == f"{cores} 1"  # PyTorch's default; the BLAS on one thread
    assert _threads_in_fresh_process(both, GRADSTEP_NUM_THREADS="3") == "3 1"
    # the user's choice of BLAS threads stands, and is the count
    assert _threads_in_fresh_process(both, OPENBLAS_NUM_THREADS="2") == "2 2"
    assert _threads_in_fresh_process(both, OMP_NUM_THREADS="1", GRADSTEP_NUM_THREADS="2") == "2 1"
    # 'default': gradstep leaves NumPy's BLAS alone and reports its count
    assert _threads_in_fresh_process(both, GRADSTEP_NUM_THREADS="default", OPENBLAS_NUM_THREADS="2") == "2 2"


def test_physical_cores_is_within_the_cpus_this_process_may_use():
    assert 1 <= _threads.physical_cores() <= len(os.sched_getaffinity(0))


def test_set_num_threads_changes_and_restores(restore_threads):
    gs.set_num_threads(2)
    assert gs.get_num_threads() == 2
    gs.set_num_threads(1)
    assert gs.get_num_threads() == 1
    assert _threads.blas_threads() == 1


def test_set_num_threads_keeps_a_blas_loaded_later_on_one_thread(restore_threads):
    # SciPy (a dependency of JAX) brings its own OpenBLAS, which starts with every core
    pytest.importorskip("scipy.linalg")
    gs.set_num_threads(1)
    assert _threads.blas_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_what_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="positive int"):
        gs.set_num_threads(bad)


def test_a_busy_machine_gets_no_split(restore_threads, monkeypatch):
    gs.set_num_threads(4)
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)
    assert _threads.threads_for(10 ** 12, 1) == 4
    monkeypatch.setattr(_threads, "free_cpus", lambda: 2)
    assert _threads.threads_for(10 ** 12, 1) == 2
    monkeypatch.setattr(_threads, "free_cpus", lambda: 1)
    assert _threads.threads_for(10 ** 12, 1) == 1


def test_free_cpus_reads_the_machine(monkeypatch):
    monkeypatch.setattr(_threads, "_free", (0.0, 0))
    assert 1 <= _threads.free_cpus() <= os.cpu_count()


def test_environment_policy(restore_threads, monkeypatch):
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)
    _threads.apply_default({"OMP_NUM_THREADS": "3"})  # the user chose: that is the count, nothing split
    assert gs.get_num_threads() == 3
    assert _threads.threads_for(10 ** 12, 1) == 1
    _threads.apply_default({"GRADSTEP_NUM_THREADS": "2", "OMP_NUM_THREADS": "3"})
    assert gs.get_num_threads() == 2
    assert _threads.threads_for(10 ** 12, 1) == 2
    _threads.apply_default({})
    assert gs.get_num_threads() == _threads.physical_cores()
    with pytest.raises(ValueError, match="GRADSTEP_NUM_THREADS"):
        _threads.apply_default({"GRADSTEP_NUM_THREADS": "many"})


def test_the_mlp_products_stay_on_one_thread_and_large_ones_do_not(restore_threads, monkeypatch):
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)
    gs.set_num_threads(2)
    for m, k, n in [(64, 784, 200), (200, 64, 784), (64, 200, 10)]:  # batch-64 MLP forward, dW1, layer 2
        assert _threads.threads_for(m * k * n, _threads.MATMUL_MIN_MACS) == 1
    assert _threads.threads_for(1024 ** 3, _threads.MATMUL_MIN_MACS) == 2
    gs.set_num_threads(1)
    assert _threads.threads_for(1024 ** 3, _threads.MATMUL_MIN_MACS) == 1


def test_one_thread_runs_everything_in_the_calling_thread(restore_threads, splits, monkeypatch):
    gs.set_num_threads(1)
    monkeypatch.setattr(_threads, "MATMUL_MIN_MACS", 1)
    monkeypatch.setattr(_threads, "SPLIT_MIN_ELEMENTS", 1)
    a = np.ones((256, 256), np.float32)
    parallel.matmul(a, a)
    parallel.elementwise(np.add, a, a)
    assert parallel.parallel_for(lambda i, j: (i, j), 10, 10 ** 9) == [(0, 10)]
    assert all(t == 1 for t, _ in splits)
    assert _threads.blas_threads() == 1
    gs.set_num_threads(None)  # small work stays plain NumPy at any count
    monkeypatch.undo()
    splits.clear()
    parallel.matmul(a[:64], a)
    parallel.elementwise(np.add, a, a)
    assert splits == []


def _linear_case(rng, batch, n_in, n_out):
    x = rng.standard_normal((batch, n_in), dtype=np.float32)
    w = rng.standard_normal((n_out, n_in), dtype=np.float32) / np.float32(np.sqrt(n_in))
    b = rng.standard_normal(n_out, dtype=np.float32)
    g = rng.standard_normal((batch, n_out), dtype=np.float32)
    return x, w, b, g


def _close_in_float32(got, want, terms):
    """Equal up to the float32 rounding of sums of ``terms`` products added in another order."""
    tol = terms * np.finfo(np.float32).eps
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * float(np.abs(want).max()))


def _under_every_thread_setting(monkeypatch, compute) -> list:
    """``compute()`` with one thread, with two on free CPUs, and with two on a busy machine."""
    results = []
    for threads, free in [(1, 64), (2, 64), (2, 1)]:
        gs.set_num_threads(threads)
        monkeypatch.setattr(_threads, "free_cpus", lambda free=free: free)
        results.append(compute())
    return results


def test_linear_and_matmul_give_the_same_bits_on_any_number_of_threads(two_threads_everywhere, splits,
                                                                       monkeypatch):
    rng = np.random.default_rng(0)
    x, w, b, g = _linear_case(rng, 192, 256, 320)    # row and column blocks
    tall = [rng.standard_normal(s, dtype=np.float32) for s in [(32, 4096), (4096, 16)]]  # summed blocks
    stack = [rng.standard_normal(s, dtype=np.float32) for s in [(4, 64, 96), (4, 96, 80)]]  # batch blocks

    def everything():
        y = linear_forward(x, w, b)
        grads = linear_backward(g, x, w)
        xt, wt = gs.tensor(x, requires_grad=True), gs.tensor(w, requires_grad=True)
        (xt @ wt.T).backward(gs.tensor(g))
        return [y, *grads, xt.grad.numpy(), wt.grad.numpy(), parallel.matmul(*tall), parallel.matmul(*stack),
                parallel.matmul(stack[0], stack[1][0])]

    one, two, busy = _under_every_thread_setting(monkeypatch, everything)
    assert (2, 4) in splits and (1, 4) in splits  # two threads ran the same four blocks as one
    for a, b_, c in zip(one, two, busy, strict=True):
        np.testing.assert_array_equal(a, b_)
        np.testing.assert_array_equal(a, c)
    plain = [x @ w.T + b, g @ w, g.T @ x, None, g @ w, g.T @ x, np.matmul(*tall), np.matmul(*stack),
             np.matmul(stack[0], stack[1][0])]
    for got, want, terms in zip(one, plain, [256, 320, 192, 0, 320, 192, 4096, 96, 96], strict=True):
        if want is not None:  # the blocks against one plain product: float32 rounding of the sums
            _close_in_float32(got, want, terms)


def test_split_elementwise_passes_match_one_thread_exactly(two_threads_everywhere, splits):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 1001), dtype=np.float32)
    y = rng.standard_normal((7, 1001), dtype=np.float32)
    for fn, args in [(np.add, (x, y)), (np.maximum, (x, 0.0)), (np.exp, (x,)), (np.multiply, (x, y))]:
        got = parallel.elementwise(fn, *args)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, fn(*args))
    assert splits == [(2, 2)] * 4
    out = np.empty_like(x)
    assert parallel.elementwise(np.add, x, y, out=out) is out
    np.testing.assert_array_equal(out, x + y)
    np.testing.assert_array_equal(parallel.elementwise(np.add, x, y[0]), x + y[0])  # broadcasting: unsplit


def test_parallel_for_covers_the_range_in_order_and_raises_a_chunks_error(two_threads_everywhere):
    assert parallel.parallel_for(lambda i, j: (i, j), 11, 10 ** 9) == [(0, 5), (5, 11)]
    assert parallel.parallel_for(lambda i, j: (i, j), 1, 10 ** 9) == [(0, 1)]

    def fails_in_the_second(i, j):
        if i > 0:
            raise KeyError("chunk")
        return i

    with pytest.raises(KeyError, match="chunk"):
        parallel.parallel_for(fails_in_the_second, 10, 10 ** 9)


def test_chunks_run_side_by_side(two_threads_everywhere):
    """The chunk that waits can only finish if another thread runs the other chunk meanwhile."""
    import threading
    second_ran = threading.Event()

    def chunk(i, j):
        if i == 0:
            return second_ran.wait(timeout=60)
        second_ran.set()
        return True

    assert parallel.parallel_for(chunk, 2, 10 ** 9) == [True, True]


def test_work_inside_a_chunk_runs_in_that_chunk_s_thread(two_threads_everywhere):
    import threading
    def outer(i, j):
        return parallel.parallel_for(lambda p, q: threading.get_ident(), 4, 10 ** 9)

    inner = parallel.parallel_for(outer, 2, 10 ** 9)
    assert [len(set(idents)) for idents in inner] == [1, 1]
    a = np.ones((256, 256), np.float32)
    products = parallel.parallel_for(lambda i, j: parallel.matmul(a, a), 4, 10 ** 9)
    np.testing.assert_array_equal(products[1], np.full((256, 256), 256, np.float32))


def test_a_cnn_training_step_gives_the_same_bits_on_any_number_of_threads(two_threads_everywhere, splits,
                                                                         monkeypatch):
    """Loss and every gradient of the small CNN, batch 16, split wherever the kernels can; and
    against plain NumPy (no blocks) within float32 rounding, each gradient at the scale of its
    layer's (a conv bias before batch norm has a zero gradient up to rounding)."""
    from gradstep.models import cnn
    rng = np.random.default_rng(2)
    images = rng.standard_normal((16, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 16)

    def step():
        gs.manual_seed(0)
        net = cnn(1, 10)
        loss = gs.nn.functional.cross_entropy(net(gs.tensor(images)), gs.tensor(labels))
        loss.backward()
        return [[loss.detach().numpy()]] + [[p.grad.numpy() for p in m.parameters(recurse=False)]
                                             for m in net if list(m.parameters(recurse=False))]

    one, two, busy = _under_every_thread_setting(monkeypatch, step)
    assert any(t == 2 and blocks > 1 for t, blocks in splits)
    for a, b, c in zip(one, two, busy, strict=True):
        for x, y, z in zip(a, b, c, strict=True):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(x, z)
    monkeypatch.undo()  # the real crossovers: nothing of this size is cut
    gs.set_num_threads(2)
    tol = 16 * 28 * 28 * np.finfo(np.float32).eps  # the longest sums: a weight gradient over the batch
    for got_layer, want_layer in zip(one, step(), strict=True):
        scale = max(float(np.abs(w).max()) for w in want_layer)
        for got, want in zip(got_layer, want_layer, strict=True):
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


def test_three_threads_share_blocks_fixed_by_the_shape(two_threads_everywhere, splits):
    gs.set_num_threads(3)
    assert parallel.parallel_for(lambda i, j: (i, j), 10, 10 ** 9) == [(0, 3), (3, 6), (6, 10)]
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((256, 64), dtype=np.float32), rng.standard_normal((64, 96), dtype=np.float32)
    np.testing.assert_array_equal(parallel.matmul(a, b), np.matmul(a, b))
    assert splits[-1] == (3, 4)  # blocks of at least 64 rows: four, on three threads
    np.testing.assert_array_equal(parallel.matmul(a[:150], b), np.matmul(a[:150], b))
    assert splits[-1] == (3, 2)


def test_parallel_for_takes_the_crossover_of_its_work(restore_threads, monkeypatch):
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)
    gs.set_num_threads(2)
    macs = 3 * _threads.MATMUL_MIN_MACS // 2  # too little for two threads as products
    assert len(parallel.parallel_for(lambda i, j: i, 8, macs, _threads.MATMUL_MIN_MACS)) == 1
    assert len(parallel.parallel_for(lambda i, j: i, 8, macs)) == 2  # enough as elements
    assert len(parallel.parallel_for(lambda i, j: i, 8, 2 * macs, _threads.MATMUL_MIN_MACS)) == 2


@pytest.mark.parametrize("var, value", [("GRADSTEP_NUM_THREADS", "many"), ("GRADSTEP_MALLOC", "big")])
def test_a_bad_environment_value_warns_in_one_line_and_the_default_applies(var, value):
    env = {k: v for k, v in os.environ.items() if k not in _threads.USER_VARS + (_threads.ENV,)}
    env.update({var: value}, PYTHONPATH=SRC)
    proc = subprocess.run([sys.executable, "-c", "import gradstep; print(gradstep.get_num_threads())"],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(_threads.physical_cores())
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and var in lines[0] and repr(value) in lines[0] and "default" in lines[0], lines


def _side_by_side(i, j):
    """A chunk pair that finishes only when two threads run it (so the helper surely takes one)."""
    _side_by_side.ran[i > 0].set()
    return _side_by_side.ran[i == 0].wait(timeout=60)


def _split_in_two():
    """One split whose two chunks run on two threads; the pool that ran it."""
    _side_by_side.ran = (threading.Event(), threading.Event())
    assert parallel.parallel_for(_side_by_side, 2, 10 ** 9) == [True, True]
    return parallel._pool


def _needs_spinning_helpers():
    from gradstep.kernels import jit
    if not jit.enabled():
        pytest.skip("helpers spin only with compiled kernels")


def test_a_helper_waits_awake_for_a_bounded_time_then_sleeps(two_threads_everywhere, monkeypatch):
    _needs_spinning_helpers()
    monkeypatch.setattr(_threads, "SPIN_SECONDS", 0.3)
    pool = _split_in_two()
    deadline = time.monotonic() + 0.25  # the helper counts itself as polling once its chunk is done
    while pool.spinning != 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    seen_awake = pool.spinning == 1 and _threads.own_running() == 1  # polling, counted as ours
    deadline = time.monotonic() + 30
    while (pool.spinning or pool.sleeping < len(pool.threads)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen_awake
    assert pool.spinning == 0 and pool.sleeping == len(pool.threads)  # then asleep on the queue
    assert _threads.own_running() == 0


def test_without_compiled_kernels_helpers_sleep_at_once(two_threads_everywhere):
    from gradstep.kernels import jit
    jit.use(False)
    try:
        pool = _split_in_two()
        deadline = time.monotonic() + 30
        while pool.sleeping < len(pool.threads) and time.monotonic() < deadline:
            assert pool.spinning == 0
            time.sleep(0.001)
        assert pool.sleeping == len(pool.threads)
    finally:
        jit.use(None)


def test_spinning_helpers_do_not_count_as_load(monkeypatch):
    monkeypatch.setattr(_threads, "running_threads", lambda: 2)
    monkeypatch.setattr(_threads, "_free", (0.0, 0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert _threads.free_cpus() == 1  # this thread and another process's
    monkeypatch.setattr(_threads, "_free", (0.0, 0))
    monkeypatch.setattr(_threads, "own_running", lambda: 1)
    assert _threads.free_cpus() == 2  # this thread and one of its pool's helpers, polling


def test_a_forked_child_gets_its_own_helpers(two_threads_everywhere):
    _split_in_two()  # the parent's pool runs
    pid = os.fork()
    if pid == 0:  # the child: the parent's helpers do not exist here; a split must start new ones
        ok = False
        try:
            _side_by_side.ran = (threading.Event(), threading.Event())
            ok = (parallel.parallel_for(_side_by_side, 2, 10 ** 9) == [True, True]
                  and parallel._pool is not None and len(parallel._pool.threads) == 1)
        finally:  # never back into the test session, whatever happened
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_split_soon_after_another_goes_to_the_awake_helper(two_threads_everywhere, monkeypatch):
    """The helper is still polling when the next split comes: it is handed the work without the
    GIL (``publish``), not woken from the queue, and both splits' chunks run side by side."""
    _needs_spinning_helpers()
    monkeypatch.setattr(_threads, "SPIN_SECONDS", 5.0)
    pool = _split_in_two()
    published = []
    real = pool.publish
    monkeypatch.setattr(pool, "publish", lambda *args: (published.append(pool.spinning), real(*args))[1])
    deadline = time.monotonic() + 30
    while pool.spinning == 0 and time.monotonic() < deadline:  # the helper finishes its chunk
        time.sleep(0.001)
    _split_in_two()
    assert published == [1]
    monkeypatch.setattr(_threads, "SPIN_SECONDS", 0.0)  # the next split's helper goes to sleep
    _split_in_two()


@pytest.fixture
def timed_splits(monkeypatch, restore_threads):
    """Two threads on an idle machine, every split timed afresh (``parallel._Timing``)."""
    gs.set_num_threads(2)
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)
    monkeypatch.setattr(parallel, "feedback", True)
    monkeypatch.setattr(parallel, "_timings", {})


def test_timing_runs_work_alone_after_two_losing_splits_and_probes_again():
    timing = parallel._Timing()
    assert timing.splits()
    timing.fared(0.3, None)  # the caller ran no chunk: nothing learnt
    timing.fared(2.0, 1.0)
    assert timing.splits()  # one loss is not enough
    timing.fared(2.0, 1.0)
    runs = [timing.splits() for _ in range(2 * parallel.PROBE_EVERY)]
    assert runs.count(True) == 2 and runs[parallel.PROBE_EVERY - 1]  # a probe once in PROBE_EVERY calls
    timing.fared(1.5, 1.0)  # the probe lost: still alone
    assert not timing.splits()
    timing.fared(0.6, 1.0)  # a probe won: split again, every call
    assert all(timing.splits() for _ in range(2 * parallel.PROBE_EVERY))


def test_work_whose_helper_is_slow_runs_in_the_calling_thread_with_the_same_results(timed_splits):
    """A helper thread that takes far longer than the caller (a CPU busy with another machine's work)
    makes splits lose: the work then runs in the calling thread, except for a probe now and then."""
    caller, idents = threading.get_ident(), []

    def chunk(i, j):
        idents.append(threading.get_ident())
        time.sleep(0.05 if idents[-1] != caller else 0.001)
        return i, j

    threads_used = []
    for _ in range(parallel.PROBE_EVERY + 4):
        idents.clear()
        assert parallel.parallel_for(chunk, 8, 10 ** 9, chunks=8) == [(k, k + 1) for k in range(8)]
        threads_used.append(len(set(idents)))
    assert [t.splitting for t in parallel._timings.values()] == [False]
    assert threads_used[2:].count(2) <= 2  # after two losing splits the calling thread, but for a probe


def test_work_that_gains_from_a_second_thread_stays_split(timed_splits):
    def chunk(i, j):
        time.sleep(0.1)  # sleeping releases the GIL, as NumPy's kernels do; long beside a hand-off
        return threading.get_ident()

    used = [len(set(parallel.parallel_for(chunk, 2, 10 ** 9, chunks=2))) for _ in range(6)]
    assert used == [2] * 6
    assert [t.splitting for t in parallel._timings.values()] == [True]
