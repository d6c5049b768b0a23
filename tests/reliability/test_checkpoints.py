"""Hostile and careless checkpoints given to ``--resume`` and ``evaluate``: exit 2 with one line naming
the file, nothing read beyond what the header declares (memory caps prove it), nothing written
where the file says, no earlier file changed."""

import json
import os
import shutil
import struct

import numpy as np
import pytest

import gradstep as gs
from gradstep.serialization import load_metadata

from ._helpers import TINY, cli, hashes, listing, one_line, python

CAP = 600 << 20  # bytes of address space: a tiny run needs about 230 MB, reading 3 GB would not fit


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One finished tiny run (linreg, 1 epoch): last.safetensors, best.safetensors, history..."""
    out = tmp_path_factory.mktemp("run") / "r"
    r = cli("train", *TINY, "--out", out)
    assert r.code == 0, r.err
    return out


@pytest.fixture
def ckpt(run_dir, tmp_path):
    """A copy of the run's folder (so that each case may spoil it) and its last.safetensors."""
    shutil.copytree(run_dir, tmp_path / "run")
    return tmp_path / "run" / "last.safetensors"


def _with_config(src, dst, edit):
    """Rewrite the checkpoint ``src`` to ``dst`` with its stored configuration changed by ``edit``
    (a function of the config dict, or a string to store as is)."""
    meta = load_metadata(src)
    cfg = json.loads(meta["gradstep.config"])
    meta["gradstep.config"] = edit if isinstance(edit, str) else json.dumps(edit(cfg))
    gs.save(gs.load(src), dst, metadata=meta)


def _set(**changes):
    return lambda cfg: {**cfg, **changes}


STORED = [
    ("epochs-as-word", _set(epochs="one"), ["--epochs", "'one'"]),
    ("quiet-as-word", _set(quiet="no"), ["--quiet", "'no'"]),
    ("huge-hidden", _set(hidden=[10**9]), ["--hidden", "65536"]),
    ("hidden-layers-too-many-weights", _set(model="mlp", hidden=[60000, 60000]), ["--hidden", "weights"]),
    ("negative-batch", _set(batch_size=-1), ["--batch-size", "-1"]),
    ("dropout-out-of-range", _set(dropout=7), ["--dropout", "7"]),
    ("unknown-key", _set(rm_rf="/"), ["unknown option(s) rm_rf"]),
    ("unknown-dataset", _set(dataset="imagenet"), ["--dataset 'imagenet'"]),
    ("not-json", "{not json", ["stored configuration is invalid"]),
    ("a-list", "[1, 2]", ["stored configuration is invalid"]),
    ("deeply-nested", "[" * 100_000 + "]" * 100_000, ["stored configuration is invalid"]),
    ("workers-huge", _set(workers=10**6), ["--workers"]),
    ("model-names-code", _set(model="os:getpid"), ["--model os:getpid", "does not import"]),
    ("data-names-code", _set(data="os:getpid"), ["--data os:getpid", "does not import"]),
    ("optimizer-not-a-string", _set(optimizer=["adam"]), ["--optimizer ['adam']", "an optimizer name"]),
]


@pytest.mark.parametrize("name,edit,words", STORED, ids=[s[0] for s in STORED])
def test_stored_settings_are_validated_like_flags(ckpt, name, edit, words):
    bad = ckpt.with_name("crafted.safetensors")
    _with_config(ckpt, bad, edit)
    before = hashes(ckpt.parent)
    line = one_line(cli("train", "--resume", bad), 2, *words)
    assert "crafted.safetensors" in line
    assert hashes(ckpt.parent) == before


def test_a_stored_output_folder_is_never_used(ckpt, tmp_path):
    """A checkpoint naming an output folder (or a resume path) in its configuration: the run goes on
    next to the checkpoint, and nothing is written where the file says."""
    target = tmp_path / "hijacked"
    bad = ckpt.parent / "last.safetensors"
    _with_config(ckpt, bad, _set(out=str(target), resume=str(target / "x.safetensors"), epochs=2))
    r = cli("train", "--resume", bad, "--quiet")
    assert r.code == 0, r.err
    assert not target.exists()
    assert gs.load(ckpt.parent / "last.safetensors")["trainer"]["epoch"] == 2


def test_huge_stored_hidden_is_refused_under_a_memory_cap(ckpt):
    """hidden=[10**9] stored in a checkpoint is refused before any allocation: even with 600 MB of
    address space the process ends with exit 2, not a MemoryError."""
    bad = ckpt.with_name("crafted.safetensors")
    _with_config(ckpt, bad, _set(hidden=[10**9]))
    r = python(_CAPPED_MAIN, CAP, "train", "--resume", bad)
    one_line(r, 2, "--hidden")


_CAPPED_MAIN = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from gradstep.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _header(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), 8 + n


def _rebuild(header, body):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def _spoil_header(change):
    def make(blob):
        header, start = _header(blob)
        change(header)
        return _rebuild(header, blob[start:])
    return make


def _first_tensor(header):
    return next(k for k in header if k != "__metadata__")


HOSTILE = [
    ("empty", lambda b: b"", ["only 0 bytes"]),
    ("seven-bytes", lambda b: b[:7], ["only 7 bytes"]),
    ("random", lambda b: bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), ["header"]),
    ("truncated-half", lambda b: b[:len(b) // 2], ["truncated"]),
    ("truncated-last-byte", lambda b: b[:-1], ["truncated"]),
    ("appended-garbage", lambda b: b + b"\x00" * 100, ["appended"]),
    ("header-length-huge", lambda b: struct.pack("<Q", 2**63) + b[8:], ["header claims"]),
    ("header-not-json", lambda b: struct.pack("<Q", 4) + b"\xff\xfe{]" + b[12:], ["not JSON"]),
    ("header-a-list", lambda b: _rebuild([1], b""), ["JSON object"]),
    ("header-nested-deep", lambda b: struct.pack("<Q", 200_002) + b"[" * 100_001 + b"]" * 100_001,
     ["nested", "levels deep"]),
    ("pickle", lambda b: b"\x80\x04\x95" + b"\x00" * 64, ["header"]),
    ("unknown-dtype", _spoil_header(lambda h: h[_first_tensor(h)].update(dtype="F128")),
     ["unsupported dtype"]),
    ("negative-shape", _spoil_header(lambda h: h[_first_tensor(h)].update(shape=[-1])), ["invalid shape"]),
    ("wrong-span", _spoil_header(lambda h: h[_first_tensor(h)].update(shape=[10**6])), ["needs"]),
    ("offsets-past-end", _spoil_header(lambda h: h[_first_tensor(h)].update(
        data_offsets=[10**9, 10**9 + h[_first_tensor(h)]["data_offsets"][1]
                      - h[_first_tensor(h)]["data_offsets"][0]])), ["ends at byte"]),
    ("metadata-not-strings", _spoil_header(lambda h: h.update(__metadata__={"a": 1})), ["__metadata__"]),
    ("structure-not-json", _spoil_header(lambda h: h["__metadata__"].update(
        {"gradstep.structure": "{oops"})), ["structure", "not JSON"]),
    ("structure-names-missing-tensor", _spoil_header(lambda h: h["__metadata__"].update(
        {"gradstep.structure": json.dumps({"__dict__": {"s:format": {"__tensor__": "nope"}}})})),
     ["names tensor 'nope'"]),
]


@pytest.mark.parametrize("name,make,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_checkpoint_given_to_resume(ckpt, name, make, words):
    bad = ckpt.with_name("bad.safetensors")
    bad.write_bytes(make(ckpt.read_bytes()))
    before = hashes(ckpt.parent)
    one_line(cli("train", "--resume", bad, "--quiet"), 2, "bad.safetensors", *words)
    assert hashes(ckpt.parent) == before


@pytest.mark.parametrize("name,make,words", HOSTILE[:8], ids=[h[0] for h in HOSTILE[:8]])
def test_hostile_checkpoint_given_to_evaluate(ckpt, name, make, words):
    bad = ckpt.with_name("bad.safetensors")
    bad.write_bytes(make(ckpt.read_bytes()))
    before = hashes(ckpt.parent)
    one_line(cli("evaluate", bad), 2, "bad.safetensors")
    assert hashes(ckpt.parent) == before


def test_weights_only_file_given_to_resume(ckpt):
    one_line(cli("train", "--resume", ckpt.with_name("best.safetensors")), 2, "best.safetensors",
             "not a gradstep training checkpoint", "weights-only")


def test_checkpoint_of_another_architecture(ckpt):
    """The stored configuration says one architecture, the tensors hold another."""
    bad = ckpt.with_name("crafted.safetensors")
    _with_config(ckpt, bad, _set(model="mlp", hidden=[7]))
    before = hashes(ckpt.parent)
    one_line(cli("train", "--resume", bad, "--quiet"), 2, "crafted.safetensors", "does not fit")
    assert hashes(ckpt.parent) == before


def test_gigabytes_appended_to_a_checkpoint_are_not_read(ckpt):
    """3 GB appended (a sparse file): refused from the header alone, under a 600 MB cap."""
    bad = ckpt.with_name("bad.safetensors")
    shutil.copy(ckpt, bad)
    with open(bad, "r+b") as f:
        f.truncate(os.path.getsize(bad) + 3 * 2**30)
    for argv in (["train", "--resume", bad], ["evaluate", bad]):
        one_line(python(_CAPPED_MAIN, CAP, *argv), 2, "bad.safetensors", "appended")


def test_the_memory_cap_leaves_room_for_a_normal_resume(ckpt):
    """The control of the capped cases: the same cap lets a real resume run."""
    r = python(_CAPPED_MAIN, CAP, "train", "--resume", ckpt, "--epochs", 2, "--quiet")
    assert r.code == 0, r.err


def test_resume_into_another_runs_folder_is_refused(ckpt, run_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    before = hashes(other, ckpt.parent)
    one_line(cli("train", "--resume", ckpt, "--out", other, "--quiet"), 2, str(other), "--overwrite")
    assert hashes(other, ckpt.parent) == before


def test_resume_to_a_new_out_leaves_the_checkpoints_folder_alone(ckpt, tmp_path):
    before = hashes(ckpt.parent)
    r = cli("train", "--resume", ckpt, "--epochs", 2, "--out", tmp_path / "next", "--quiet")
    assert r.code == 0, r.err
    assert hashes(ckpt.parent) == before
    assert "last.safetensors" in listing(tmp_path / "next")
