"""The IDX reader and MNIST/FashionMNIST on files the tests write: valid, truncated, corrupt."""

import gzip

import numpy as np
import pytest

import gradstep.data as gd
from gradstep.data.datasets import MNIST, DataFileError, DatasetNotFoundError, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, arr)
    out = read_idx(path)
    assert out.dtype == arr.dtype and out.dtype.isnative and np.array_equal(out, arr)


def _header(code=0x08, dims=(3, 2, 2)):
    return bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


# name -> (file bytes, words the error must contain)
BAD = {
    "truncated_data": (_header() + bytes(11), ["truncated", "(3, 2, 2)", "12 bytes", "only 11"]),
    "trailing_bytes": (_header() + bytes(13), ["wrong length", "13 bytes"]),
    "wrong_magic": (b"\x08\x03\x00\x00" + bytes(20), ["wrong magic number 0x08030000"]),
    "unknown_type": (_header(code=0x07) + bytes(12), ["unknown IDX type code 0x07"]),
    "truncated_header": (_header()[:9], ["truncated header", "3 dimensions need 16 bytes"]),
    "empty": (b"", ["too short"]),
    "zero_dims": (bytes([0, 0, 8, 0]), ["0 dimensions"]),
}


@pytest.mark.parametrize("name", list(BAD))
@pytest.mark.parametrize("compress", [False, True])
def test_corrupt_files_name_the_file_and_the_fault(tmp_path, name, compress):
    raw, words = BAD[name]
    path = tmp_path / f"{name}.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(DataFileError) as e:
        read_idx(path)
    msg = str(e.value)
    assert str(path) in msg
    for w in words:
        assert w in msg


def test_corrupt_gzip_stream(tmp_path):
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(_header((0x08), (5,)) + bytes(5))[:-6])
    with pytest.raises(DataFileError, match="gzip data is corrupt or truncated"):
        read_idx(path)


def test_mmap_reads_an_uncompressed_file_lazily(tmp_path):
    arr = np.random.default_rng(0).integers(0, 255, (50, 4, 4), dtype=np.uint8)
    write_idx(tmp_path / "m-idx3-ubyte", arr)
    m = read_idx(tmp_path / "m-idx3-ubyte", mmap=True)
    assert isinstance(m, np.memmap) and np.array_equal(m, arr)
    (tmp_path / "short").write_bytes((tmp_path / "m-idx3-ubyte").read_bytes()[:-1])
    with pytest.raises(DataFileError, match="truncated"):
        read_idx(tmp_path / "short", mmap=True)


def write_mnist(folder, n_train=6, n_test=4, gz=True, dotted=False, images=None, labels=None, rows=28):
    folder.mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng(1)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        img = r.integers(0, 256, (n, rows, rows), dtype=np.uint8) if images is None else images
        lab = (np.arange(n) % 10).astype(np.uint8) if labels is None else labels
        sep = "." if dotted else "-"
        ext = ".gz" if gz else ""
        write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{ext}", img)
        write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{ext}", lab)
        out[prefix] = (img, lab)
    return out


@pytest.mark.parametrize("layout", ["root/MNIST/raw", "root/MNIST", "root"])
@pytest.mark.parametrize("gz,dotted", [(True, False), (False, False), (False, True)])
def test_mnist_reads_torchvision_layouts_and_file_names(tmp_path, layout, gz, dotted):
    folder = tmp_path / layout.replace("root", "r")
    written = write_mnist(folder, gz=gz, dotted=dotted)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = MNIST(tmp_path / "r", train=train)
        img, lab = written[prefix]
        assert ds.data.dtype == np.uint8 and np.array_equal(ds.data, img)
        assert ds.targets.dtype == np.int64 and np.array_equal(ds.targets, lab)
        x, y = ds[2]
        assert isinstance(x, np.ndarray) and x.shape == (28, 28) and y == int(lab[2]) and type(y) is int
        assert len(ds.classes) == 10


def test_mnist_in_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    write_mnist(tmp_path / "gradstep" / "MNIST")
    assert len(MNIST()) == 6 and len(MNIST(train=False)) == 4


@pytest.mark.parametrize(
    "kwargs,words",
    [
        (
            dict(images=np.zeros((6, 28), np.uint8)),
            ["expected uint8 images of shape (N, rows, cols)", "(6, 28)"],
        ),
        (dict(images=np.zeros((6, 28, 28), np.int16)), ["expected uint8 images", "int16"]),
        (dict(labels=np.zeros(5, np.uint8)), ["holds 6 images but", "holds 5 labels"]),
        (dict(labels=np.full(6, 10, np.uint8)), ["label 10 is out of range for 10 classes"]),
        (dict(labels=np.zeros((6, 1), np.uint8)), ["expected uint8 labels of shape (N,)"]),
    ],
)
def test_mnist_checks_dimensions_and_lengths(tmp_path, kwargs, words):
    write_mnist(tmp_path, n_test=6, **kwargs)
    with pytest.raises(DataFileError) as e:
        MNIST(tmp_path, train=False)
    for w in words:
        assert w in str(e.value)


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        MNIST(tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "MNIST" / "raw") in msg and "train-images-idx3-ubyte.gz" in msg
    assert "download=True" in msg


def test_transforms_and_the_loader_on_mnist(tmp_path):
    write_mnist(tmp_path, n_train=10)
    ds = MNIST(tmp_path, transform=gd.transforms.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y >= 100
    xb, yb = next(iter(gd.DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.numpy().min() >= 100
