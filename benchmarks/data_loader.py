"""Loader throughput (samples/s) on the Fashion-MNIST training set, batch 64, shuffled, against PyTorch.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/data_loader.py [--rounds 5]

Both loaders read the same arrays (float32 images N x 1 x 28 x 28 in [0, 1], int64 labels) through a
TensorDataset, with num_workers 0 and 2 (default, non-persistent workers: their start-up is part of
an epoch, as in a plain training loop). The contenders alternate within each round; the figures are
medians over the rounds of one full epoch each. "gradstep per-sample" reads the same data sample by
sample and collates, the path gradstep avoids for array-backed data: it shows what one indexing call
per batch buys. Uses the full training set if Debian's dataset-fashion-mnist is installed, else the
10,000-image sample shipped with gradstep.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import gradstep as gs  # noqa: E402
import gradstep.data as gd  # noqa: E402

BATCH = 64


class PerSample(gd.Dataset):
    """The same arrays, but only sample by sample (no batch fetch)."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def load_arrays() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        ds, name = gd.datasets.FashionMNIST(train=True), "full training set"
    except FileNotFoundError:
        ds, name = gd.datasets.FashionMNIST(sample=True, train=True), "shipped sample"
    x = (ds.data.astype(np.float32) / 255)[:, None]
    return x, ds.targets, name


def epoch_seconds(loader) -> float:
    t = time.perf_counter()
    n = 0
    for xb, _ in loader:
        n += len(xb)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    x, y, name = load_arrays()
    n = len(x)
    contenders = {
        "gradstep w0": lambda: gd.DataLoader(gd.TensorDataset(x, y), batch_size=BATCH, shuffle=True),
        "gradstep w2": lambda: gd.DataLoader(gd.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                             num_workers=2),
        "gradstep per-sample w0": lambda: gd.DataLoader(PerSample(x, y), batch_size=BATCH, shuffle=True),
    }
    try:
        import torch

        tds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        contenders["torch w0"] = lambda: torch.utils.data.DataLoader(tds, batch_size=BATCH, shuffle=True)
        contenders["torch w2"] = lambda: torch.utils.data.DataLoader(tds, batch_size=BATCH, shuffle=True,
                                                                     num_workers=2)
        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    gs.manual_seed(0)
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(args.rounds):
        for k, make in contenders.items():
            times[k].append(epoch_seconds(make()))
    threads = {v: os.environ.get(v, "default") for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    print(f"Fashion-MNIST {name}: {n} samples, batch {BATCH}, shuffle; {args.rounds} rounds, medians; "
          f"{os.cpu_count()} CPUs; threads {threads}; numpy {np.__version__}, torch {torch_version}")
    print(f"{'loader':<24}{'epoch s':>10}{'samples/s':>14}")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, s in med.items():
        print(f"{k:<24}{s:>10.3f}{n / s:>14,.0f}")
    for w in ("w0", "w2"):
        if f"torch {w}" in med:
            print(f"speed-up of gradstep over torch, {w}: {med[f'torch {w}'] / med[f'gradstep {w}']:.1f}x")
    print(f"one indexing call per batch vs sample by sample (gradstep w0): "
          f"{med['gradstep per-sample w0'] / med['gradstep w0']:.1f}x")


if __name__ == "__main__":
    main()
