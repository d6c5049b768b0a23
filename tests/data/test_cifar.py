"""CIFAR-10 binary reader on files the tests write; the pickled version is refused; safe extraction."""

import gzip
import hashlib
import io
import tarfile

import numpy as np
import pytest

import gradstep.data as gd
from gradstep.data.datasets import CIFAR10, DataFileError, DatasetNotFoundError, read_cifar_batch
from gradstep.data.datasets.download import DownloadError, extract_tar


def _records(n, seed=0, labels=None):
    r = np.random.default_rng(seed)
    lab = (np.arange(n) % 10).astype(np.uint8) if labels is None else np.asarray(labels, np.uint8)
    pix = r.integers(0, 256, (n, 3072), dtype=np.uint8)
    return np.concatenate([lab[:, None], pix], axis=1).tobytes(), lab, pix


def _write_cifar(folder, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for i, name in enumerate(CIFAR10.train_list + CIFAR10.test_list):
        raw, lab, pix = _records(n, seed=i)
        (folder / name).write_bytes(raw)
        written[name] = (lab, pix)
    return written


@pytest.fixture
def small_cifar(monkeypatch):
    monkeypatch.setattr(CIFAR10, "records_per_file", 3)


def test_reads_the_binary_layout(tmp_path, small_cifar):
    written = _write_cifar(tmp_path / "cifar-10-batches-bin")
    train = CIFAR10(tmp_path)
    test = CIFAR10(tmp_path, train=False)
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    assert test.data.shape == (3, 32, 32, 3) and isinstance(test.data, np.ndarray)
    assert isinstance(test.targets, list) and all(type(t) is int for t in test.targets)
    lab, pix = written["data_batch_2.bin"]
    img = train.data[3]  # the first record of data_batch_2
    assert np.array_equal(img[..., 0].reshape(-1), pix[0, :1024])  # red plane, row by row
    assert np.array_equal(img[..., 2].reshape(-1), pix[0, 2048:])  # blue plane
    assert train.targets[3] == lab[0] and train[3][1] == int(lab[0])
    assert train.classes[0] == "airplane" and len(train.classes) == 10
    train.data, train.targets = train.data[:4], [9, 8, 7, 6]  # torchvision's types, assignable
    (xb, yb), = gd.DataLoader(train, batch_size=4)
    assert np.array_equal(xb.numpy(), train.data) and yb.tolist() == [9, 8, 7, 6] and train[1][1] == 8


def test_files_directly_in_root_and_gzip(tmp_path, small_cifar):
    written = _write_cifar(tmp_path)
    raw = (tmp_path / "test_batch.bin").read_bytes()
    (tmp_path / "test_batch.bin").write_bytes(gzip.compress(raw))
    assert np.array_equal(CIFAR10(tmp_path, train=False).targets, written["test_batch.bin"][0])


@pytest.mark.parametrize(
    "mutate,words",
    [
        (lambda raw: raw[:-1], ["wrong length", "3072 pixel bytes"]),
        (lambda raw: raw + b"\0", ["wrong length"]),
        (lambda raw: raw[:-3073], ["holds 2 records, expected 3"]),
        (lambda raw: b"\x0c" + raw[1:], ["record 0 has label byte 12"]),
        (lambda raw: b"", ["wrong length"]),
    ],
)
def test_corrupt_batches_name_the_file_and_the_fault(tmp_path, small_cifar, mutate, words):
    _write_cifar(tmp_path)
    path = tmp_path / "test_batch.bin"
    path.write_bytes(mutate(path.read_bytes()))
    with pytest.raises(DataFileError) as e:
        CIFAR10(tmp_path, train=False)
    assert str(path) in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_the_pickled_python_version_is_refused(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DataFileError, match="pickled.*never unpickles"):
        CIFAR10(tmp_path)
    pickle_like = tmp_path / "fake.bin"
    pickle_like.write_bytes(b"\x80\x02}q\x00" + bytes(3068))
    with pytest.raises(DataFileError, match="is a Python pickle"):
        read_cifar_batch(pickle_like)


def test_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="cifar-10-binary.tar.gz.*download=True"):
        CIFAR10(tmp_path, train=False)


def _tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tar.addfile(info)
    return buf.getvalue()


def test_download_verifies_the_md5_and_extracts(tmp_path, small_cifar, monkeypatch):
    members = [
        (f"cifar-10-batches-bin/{n}", _records(3, seed=i)[0], "file")
        for i, n in enumerate(CIFAR10.train_list + CIFAR10.test_list)
    ]
    archive = _tar_bytes(members + [("cifar-10-batches-bin/readme.html", b"hi", "file")])
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return io.BytesIO(archive)

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    monkeypatch.setattr(CIFAR10, "md5", hashlib.md5(archive).hexdigest())
    ds = CIFAR10(tmp_path, train=False, download=True)
    assert len(ds) == 3 and calls == ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]
    assert not (tmp_path / "cifar-10-batches-bin" / "readme.html").exists()  # only what is needed

    monkeypatch.setattr(CIFAR10, "md5", "0" * 32)
    with pytest.raises(DownloadError, match="MD5 of the download is"):
        CIFAR10(tmp_path / "other", download=True)
    assert not list((tmp_path / "other").glob("*.tar.gz*"))


@pytest.mark.parametrize(
    "member",
    [
        ("../evil.bin", b"x", "file"),
        ("/tmp/evil.bin", b"x", "file"),
        ("cifar-10-batches-bin/../../evil.bin", b"x", "file"),
        ("cifar-10-batches-bin/link", "/etc/passwd", "symlink"),
    ],
)
def test_tar_extraction_refuses_path_traversal_and_links(tmp_path, member):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar_bytes([member]))
    with pytest.raises(DownloadError, match="unsafe member"):
        extract_tar(archive, tmp_path / "out")
    assert not (tmp_path / "evil.bin").exists()
