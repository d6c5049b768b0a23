"""A memmap-backed dataset larger than any batch streams: peak memory does not grow with the batches."""

import tracemalloc

import numpy as np

import gradstep as gs
import gradstep.data as gd


def _train(loader, w, max_batches):
    """Plain SGD on a least-squares problem, through gradstep's autograd."""
    for i, (x, y) in enumerate(loader):
        if i == max_batches:
            break
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with gs.no_grad():
            w -= 0.01 * w.grad
        w.grad = None
    return float(loss.item())


def test_training_on_a_memmap_keeps_peak_memory_flat(tmp_path):
    n, d, batch = 40000, 128, 256  # 20 MB of features: 80 times one batch
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(n, d))
    r = np.random.default_rng(0)
    for start in range(0, n, 5000):
        X[start : start + 5000] = r.standard_normal((5000, d), dtype=np.float32)
    X.flush()
    del X
    X = np.load(tmp_path / "X.npy", mmap_mode="r", allow_pickle=False)
    y = np.lib.format.open_memmap(tmp_path / "y.npy", mode="w+", dtype=np.float32, shape=(n, 1))
    ds = gd.TensorDataset(X, y)
    w = gs.zeros(d, 1, requires_grad=True)
    loader = gd.DataLoader(ds, batch_size=batch, shuffle=True)

    peaks = []
    for max_batches in (10, len(loader)):
        tracemalloc.start()
        _train(loader, w, max_batches)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    batch_bytes = batch * d * 4
    assert peaks[1] < peaks[0] + 2 * batch_bytes  # 16 times more batches, no more memory
    assert peaks[1] < X.nbytes / 10  # the data set is never read whole
