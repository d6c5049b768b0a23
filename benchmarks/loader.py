"""DataLoader throughput on the same arrays: gradstep's and PyTorch's, with 0 and 2 workers.

Both read the Fashion-MNIST training images (float32, N x 1 x 28 x 28 in [0, 1]) and int64 labels
through a TensorDataset, batch 64, shuffled, default (non-persistent) workers: their start-up is
part of the epoch, as in a plain training loop. One child process times one full epoch.
"""

from __future__ import annotations

import time

import numpy as np

from . import fashion

CONTENDERS = ("gradstep w0", "gradstep w2", "torch w0", "torch w2")


def run(contender: str, batch: int = 64, train=None, smoke: bool = False) -> dict:
    xtr, ytr, _, _ = fashion.load(train, 1, smoke)
    x = (xtr.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    lib_name, workers = contender.split()
    workers = int(workers[1:])
    if lib_name == "torch":
        import torch
        ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(ytr))
        loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers)
    else:
        import gradstep.data as gd
        loader = gd.DataLoader(gd.TensorDataset(x, ytr), batch_size=batch, shuffle=True, num_workers=workers)
    n = 0
    t0 = time.perf_counter()
    for xb, _ in loader:
        n += len(xb)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "samples": n, "samples_per_s": n / seconds}
