"""Downloads: without network the error comes at once and says where to put the files."""

import io
import urllib.error

import pytest

from gradstep.data.datasets import MNIST, DownloadError, FashionMNIST
from gradstep.data.datasets.download import TIMEOUT, md5sum


def test_no_network_fails_at_once_with_instructions(tmp_path, monkeypatch):
    calls = []

    def offline(url, timeout):
        calls.append((url, timeout))
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(DownloadError) as e:
        FashionMNIST(tmp_path, download=True)
    msg = str(e.value)
    assert "Temporary failure in name resolution" in msg
    assert str(tmp_path / "FashionMNIST" / "raw") in msg
    for f in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert f in msg
    assert "dataset-fashion-mnist" in msg and "sample=True" in msg
    # One attempt per mirror for the first file, then stop: no retries, no waiting on every file.
    assert [u for u, _ in calls] == [m + "train-images-idx3-ubyte.gz" for m in FashionMNIST.mirrors]
    assert all(t == TIMEOUT <= 30 for _, t in calls)
    assert not list(tmp_path.rglob("*.part"))


def test_every_mirror_is_tried_and_a_checksum_mismatch_is_reported(tmp_path, monkeypatch):
    def wrong_bytes(url, timeout):
        return io.BytesIO(b"not the file")

    monkeypatch.setattr("urllib.request.urlopen", wrong_bytes)
    with pytest.raises(DownloadError) as e:
        MNIST(tmp_path, download=True)
    msg = str(e.value)
    assert msg.count("MD5 of the download is") == len(MNIST.mirrors) == 2
    assert not list(tmp_path.rglob("*.gz*"))


def test_md5sum(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    assert md5sum(tmp_path / "f") == "900150983cd24fb0d6963f7d28e17f72"
