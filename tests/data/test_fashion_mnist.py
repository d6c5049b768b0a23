"""Fashion-MNIST: the real files where Debian's dataset-fashion-mnist is installed, the shipped sample
everywhere."""

from pathlib import Path

import numpy as np
import pytest

import gradstep as gs
import gradstep.data as gd
from gradstep.data.datasets import FashionMNIST, get_dataset

SYSTEM = Path("/usr/share/datasets/fashion-mnist")
needs_real = pytest.mark.skipif(
    not (SYSTEM / "train-images-idx3-ubyte.gz").is_file(),
    reason="the full Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; .ci/run does it)",
)


@pytest.fixture(autouse=True)
def _empty_cache(tmp_path, monkeypatch):
    """Make sure nothing in the user's cache directory shadows the files under test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


@needs_real
@pytest.mark.parametrize("train,n", [(True, 60000), (False, 10000)])
def test_the_real_data_set(train, n):
    ds = FashionMNIST(train=train)
    assert ds.data.shape == (n, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.shape == (n,) and ds.targets.dtype == np.int64
    assert len(ds.classes) == 10
    assert np.bincount(ds.targets).tolist() == [n // 10] * 10


@pytest.mark.parametrize("train,n", [(True, 10000), (False, 2000)])
def test_the_shipped_sample(train, n):
    ds = FashionMNIST(sample=True, train=train)
    assert ds.data.shape == (n, 28, 28) and ds.data.dtype == np.uint8
    assert np.bincount(ds.targets).tolist() == [n // 10] * 10  # stratified
    assert ds.classes[9] == "Ankle boot"
    assert len(get_dataset("fashion-mnist-sample", train=train)) == n


@needs_real
def test_the_sample_is_drawn_from_the_real_set():
    full = FashionMNIST(train=False)
    sample = FashionMNIST(sample=True, train=False)
    lookup = {img.tobytes(): int(lab) for img, lab in zip(full.data.numpy(), full.targets.numpy())}
    hits = [lookup.get(img.tobytes()) for img in sample.data.numpy()]
    assert hits == sample.targets.tolist()


def test_sample_takes_no_root_or_download():
    with pytest.raises(ValueError, match="sample=True"):
        FashionMNIST("/somewhere", sample=True)


def test_an_epoch_of_the_sample_through_the_loader():
    ds = FashionMNIST(
        sample=True,
        transform=gd.transforms.Compose([gd.transforms.ToTensor(), gd.transforms.Normalize((0.5,), (0.5,))]),
    )
    seen = 0
    for x, y in gd.DataLoader(ds, batch_size=64, shuffle=True, drop_last=True):
        assert x.shape == (64, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
        seen += len(y)
    assert seen == 10000 // 64 * 64


def test_registry():
    names = gd.datasets.dataset_names()
    assert {
        "mnist",
        "fashion-mnist",
        "fashion-mnist-sample",
        "cifar10",
        "linear-regression",
        "spirals",
        "moons",
    } <= set(names)
    with pytest.raises(ValueError, match="unknown data set 'imagenet'"):
        get_dataset("imagenet")
    with pytest.raises(ValueError, match="no train/test split"):
        get_dataset("moons", train=False)
    assert len(get_dataset("moons", n_samples=30)) == 30


def test_data_and_targets_are_tensors_as_torchvisions(torch):
    # torchvision's MNIST family holds .data uint8 and .targets int64 Tensors
    ds = FashionMNIST(sample=True, train=False)
    assert isinstance(ds.data, gs.Tensor) and isinstance(ds.targets, gs.Tensor)
    assert str(ds.data.dtype) == str(torch.uint8).removeprefix("torch.")
    assert str(ds.targets.dtype) == str(torch.int64).removeprefix("torch.")
    x = ds.data.unsqueeze(1).clone()
    assert x.shape == (2000, 1, 28, 28) and np.array_equal(x.numpy()[:, 0], ds.data.numpy())
    keep = (ds.targets == 3).numpy()
    ds.data, ds.targets = ds.data[keep], ds.targets[keep]  # subsetting as tutorials do
    assert len(ds) == 200 and isinstance(ds.data, gs.Tensor) and ds[5][1] == 3
    xb, yb = next(iter(gd.DataLoader(ds, batch_size=200)))
    assert np.array_equal(xb.numpy(), ds.data.numpy()) and set(yb.tolist()) == {3}
