"""Build the Fashion-MNIST sample shipped with gradstep from the full data set.

    python scripts/make_fashion_mnist_sample.py [SOURCE_DIR]

SOURCE_DIR (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist) holds the
four IDX files. The sample takes 1,000 training and 200 test images of each of the ten classes,
chosen uniformly at random with a fixed seed and kept in their original order, and writes them as
gzip-compressed IDX files to src/gradstep/data/datasets/_sample/fashion-mnist/. Running it again
gives the same files byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gradstep.data.datasets.idx import SAMPLE_DIR, read_idx, write_idx  # noqa: E402

SEED = 20240611
PER_CLASS = {"train": 1000, "t10k": 200}


def stratified(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` indices of each label, drawn without replacement, returned sorted."""
    chosen = [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False)
              for c in range(int(labels.max()) + 1)]
    return np.sort(np.concatenate(chosen))


def main(source: Path) -> None:
    rng = np.random.Generator(np.random.PCG64(SEED))
    SAMPLE_DIR.mkdir(parents=True, exist_ok=True)
    for split, per_class in PER_CLASS.items():
        images = read_idx(source / f"{split}-images-idx3-ubyte.gz")
        labels = read_idx(source / f"{split}-labels-idx1-ubyte.gz")
        keep = stratified(labels, per_class, rng)
        write_idx(SAMPLE_DIR / f"{split}-images-idx3-ubyte.gz", images[keep])
        write_idx(SAMPLE_DIR / f"{split}-labels-idx1-ubyte.gz", labels[keep])
        print(f"{split}: {len(keep)} of {len(labels)} images, {per_class} per class")
    for f in sorted(SAMPLE_DIR.iterdir()):
        print(f"  {f.name}: {f.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/usr/share/datasets/fashion-mnist"))
