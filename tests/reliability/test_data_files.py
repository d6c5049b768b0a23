"""Data files that are corrupt, truncated, lying about their size or built to exhaust memory: one
``DataFileError`` (exit 2 through the command line) naming the file, and never more read or
inflated than the header declares (memory caps prove it)."""

import gzip
import zlib

import numpy as np
import pytest

from gradstep.data.datasets import CIFAR10, DataFileError, read_idx, write_idx
from gradstep.data.datasets.cifar import RECORD_BYTES, read_cifar_batch

from ._helpers import cli, hashes, listing, one_line, python

CAP = 600 << 20
N = 120  # images in the fake MNIST


def _idx_header(code, dims):
    return bytes([0, 0, code, len(dims)]) + b"".join(int(d).to_bytes(4, "big") for d in dims)


def _bomb(path, header: bytes, gib: float = 1.0):
    """A gzip file of about 1 MB that inflates to ``header`` and ``gib`` GiB of zeros: gzip members
    of 1 MiB of zeros each, one after the other (a valid multi-member gzip file)."""
    member = gzip.compress(bytes(1 << 20), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(header, mtime=0))
        for _ in range(int(gib * 1024)):
            f.write(member)


@pytest.fixture
def mnist_dir(tmp_path):
    """A tiny MNIST (N images of 28 x 28 in each split) in the IDX layout."""
    rng = np.random.default_rng(0)
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "t10k"):
        write_idx(raw / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (N, 28, 28), dtype=np.uint8))
        write_idx(raw / f"{split}-labels-idx1-ubyte.gz", (np.arange(N) % 10).astype(np.uint8))
    return tmp_path / "data"


def _raw(mnist_dir, name="train-images-idx3-ubyte.gz"):
    return mnist_dir / "MNIST" / "raw" / name


def _inflated(path):
    return gzip.decompress(path.read_bytes())


SPOILED = [
    ("truncated-data", lambda b: b[:-100], ["truncated"]),
    ("appended-bytes", lambda b: b + b"\x00" * 7, ["wrong length"]),
    ("bad-magic", lambda b: b"\x01" + b[1:], ["wrong magic number"]),
    ("unknown-type", lambda b: b[:2] + b"\x42" + b[3:], ["unknown IDX type code 0x42"]),
    ("zero-dims", lambda b: b[:3] + b"\x00" + b[4:], ["0 dimensions"]),
    ("header-cut", lambda b: b[:9], ["truncated header"]),
    ("empty", lambda b: b"", ["too short"]),
    ("dims-claim-terabytes", lambda b: _idx_header(0x08, (60000, 100000, 100000)) + b[16:], ["truncated"]),
    ("float-images", lambda b: _idx_header(0x0D, (N, 28, 7)) + b[16:], ["expected uint8 images"]),
]


@pytest.mark.parametrize("name,spoil,words", SPOILED[:-1], ids=[s[0] for s in SPOILED[:-1]])
def test_spoiled_idx_file_read_directly(mnist_dir, tmp_path, name, spoil, words):
    """(A float IDX file is a valid IDX file: only the data set refuses it, in the next test.)"""
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(spoil(_inflated(_raw(mnist_dir))))
    with pytest.raises(DataFileError) as e:
        read_idx(path)
    assert str(path) in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


@pytest.mark.parametrize("name,spoil,words", SPOILED, ids=[s[0] for s in SPOILED])
def test_spoiled_idx_file_given_to_train(mnist_dir, tmp_path, name, spoil, words):
    path = _raw(mnist_dir)
    path.write_bytes(gzip.compress(spoil(_inflated(path)), mtime=0))
    before = hashes(mnist_dir)
    out = tmp_path / "r"
    one_line(cli("train", "--dataset", "mnist", "--data-dir", mnist_dir, "--epochs", 1, "--quiet",
                 "--out", out), 2, "train-images-idx3-ubyte.gz", *words)
    assert hashes(mnist_dir) == before and listing(out) == []


@pytest.mark.parametrize("name,blob,words", [
    ("corrupt-gzip", lambda b: b[:10] + bytes(64) + b[74:], ["gzip data is corrupt"]),
    ("truncated-gzip", lambda b: b[:len(b) // 2], ["gzip data is corrupt or truncated"]),
    ("gzip-header-only", lambda b: b[:10], ["gzip"]),
])
def test_broken_gzip(mnist_dir, name, blob, words):
    path = _raw(mnist_dir)
    path.write_bytes(blob(path.read_bytes()))
    with pytest.raises(DataFileError, match="|".join(words)):
        read_idx(path)


def test_labels_out_of_range_and_counts_that_differ(mnist_dir):
    from gradstep.data.datasets import MNIST
    write_idx(_raw(mnist_dir, "train-labels-idx1-ubyte.gz"), np.full(N, 10, np.uint8))
    with pytest.raises(DataFileError, match="label 10 is out of range"):
        MNIST(mnist_dir)
    write_idx(_raw(mnist_dir, "train-labels-idx1-ubyte.gz"), np.zeros(N - 1, np.uint8))
    with pytest.raises(DataFileError, match=f"holds {N} images but .* holds {N - 1} labels"):
        MNIST(mnist_dir)


_CAPPED_READ = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from gradstep.data.datasets import DataFileError, read_idx
from gradstep.data.datasets.cifar import read_cifar_batch
try:
    read_idx(sys.argv[3]) if sys.argv[2] == "idx" else read_cifar_batch(sys.argv[3], records=2)
except DataFileError as e:
    print(e, file=sys.stderr)
    sys.exit(2)
"""


def test_idx_gzip_bomb_is_refused_under_a_memory_cap(tmp_path):
    """1 MB of gzip that inflates to 1 GiB behind a header declaring 10 x 10 bytes: inflation stops
    just past the declared size; the process never holds more than a few MB of it."""
    bomb = tmp_path / "bomb-idx3-ubyte.gz"
    _bomb(bomb, _idx_header(0x08, (1, 10, 10)))
    assert bomb.stat().st_size < 2 << 20
    one_line(python(_CAPPED_READ, CAP, "idx", bomb), 2, str(bomb), "decompression bomb")


def test_idx_gzip_bomb_through_the_command_line(mnist_dir, tmp_path):
    bomb = _raw(mnist_dir, "train-labels-idx1-ubyte.gz")
    _bomb(bomb, _idx_header(0x08, (N,)), gib=0.25)
    code = ("import resource, sys\nresource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2)\n"
            "from gradstep.cli import main\nsys.exit(main(sys.argv[2:]))")
    r = python(code, CAP, "train", "--dataset", "mnist", "--data-dir", mnist_dir, "--quiet",
               "--out", tmp_path / "r")
    one_line(r, 2, "train-labels-idx1-ubyte.gz", "decompression bomb")


def test_uncompressed_idx_longer_than_declared_is_refused_unread(tmp_path):
    """A plain IDX file with 3 GB (sparse) behind a 10-byte body: refused from its size alone."""
    path = tmp_path / "big-idx1-ubyte"
    path.write_bytes(_idx_header(0x08, (10,)) + bytes(10))
    with open(path, "r+b") as f:
        f.truncate(3 << 30)
    one_line(python(_CAPPED_READ, CAP, "idx", path), 2, str(path), "refused")


def test_cifar_gzip_bomb_is_refused_under_a_memory_cap(tmp_path):
    bomb = tmp_path / "data_batch_1.bin"
    _bomb(bomb, b"", gib=1.0)
    one_line(python(_CAPPED_READ, CAP, "cifar", bomb), 2, str(bomb), "decompression bomb")


@pytest.mark.parametrize("name,blob,words", [
    ("pickle", b"\x80\x04\x95" + bytes(100), ["pickle", "never unpickles"]),
    ("wrong-length", bytes(RECORD_BYTES + 5), ["not a whole number"]),
    ("bad-label", bytes([11]) + bytes(RECORD_BYTES - 1) + bytes(RECORD_BYTES), ["label byte 11"]),
    ("too-few-records", bytes(RECORD_BYTES), ["holds 1 records, expected 2"]),
    ("empty", b"", ["wrong length"]),
    ("gzip-garbage", b"\x1f\x8b" + bytes(30), ["gzip"]),
])
def test_hostile_cifar_batches(tmp_path, name, blob, words):
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(blob)
    with pytest.raises(DataFileError) as e:
        read_cifar_batch(path, records=2)
    assert str(path) in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_cifar_python_version_is_refused(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DataFileError, match="pickled"):
        CIFAR10(tmp_path)


def test_zlib_stream_that_is_not_gzip(tmp_path):
    path = tmp_path / "z-idx1-ubyte"
    path.write_bytes(b"\x1f\x8b" + zlib.compress(bytes(100))[2:])
    with pytest.raises(DataFileError, match="gzip"):
        read_idx(path)


@pytest.mark.parametrize("where", ["cache", "data-dir"])
def test_a_missing_data_set_is_one_line(tmp_path, monkeypatch, where):
    """``--dataset mnist`` with no files (an empty cache, or a --data-dir that does not exist): one
    line saying which file is missing, where it was looked for and where to put the files."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = ["--data-dir", tmp_path / "nowhere"] if where == "data-dir" else []
    missing = tmp_path / ("nowhere" if where == "data-dir" else "cache")
    r = cli("train", "--dataset", "mnist", "--epochs", "1", "--quiet", *args, "--out", tmp_path / "r")
    line = one_line(r, 2, "MNIST: train-images-idx3-ubyte.gz not found in", str(missing), "Put the files")
    assert "download=True" not in line  # an argument of the Python API, not an option
    assert listing(tmp_path / "r") == []
