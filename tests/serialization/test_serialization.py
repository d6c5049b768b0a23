"""gradstep.save / gradstep.load: round trips, hostile files, atomic writes under SIGKILL."""

import json
import os
import pickle  # only to WRITE a hostile file: gradstep itself never unpickles
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import gradstep as gs
from gradstep.serialization import CheckpointError, load_metadata


def test_state_dict_round_trip(tmp_path):
    sd = {"0.weight": gs.randn(3, 4), "0.bias": gs.zeros(3), "1.num_batches_tracked": gs.tensor(5),
          "mask": gs.tensor([True, False]), "w64": gs.randn(2, dtype=gs.float64)}
    gs.save(sd, tmp_path / "m.safetensors", metadata={"note": "hi"})
    out = gs.load(tmp_path / "m.safetensors")
    assert set(out) == set(sd)
    for k in sd:
        assert out[k].dtype == sd[k].dtype and out[k].shape == sd[k].shape
        np.testing.assert_array_equal(out[k].numpy(), sd[k].numpy())
    assert load_metadata(tmp_path / "m.safetensors") == {"note": "hi"}


def test_nested_checkpoint_round_trip(tmp_path):
    ck = {"model": {"w": gs.ones(2, 2)}, "optimizer": {"state": {0: {"step": 3, "exp_avg": np.zeros(4)}},
                                                        "param_groups": [{"lr": 0.1, "params": [0]}]},
          "rng": gs.get_rng_state(), "history": [1.5, float("nan"), float("inf")], "t": (1, "a", None)}
    gs.save(ck, tmp_path / "c.safetensors")
    out = gs.load(tmp_path / "c.safetensors")
    assert out["optimizer"]["state"][0]["step"] == 3
    assert out["optimizer"]["param_groups"] == [{"lr": 0.1, "params": [0]}]
    assert out["rng"] == json.loads(json.dumps(ck["rng"]))
    assert out["history"][0] == 1.5 and np.isnan(out["history"][1]) and out["history"][2] == np.inf
    assert out["t"] == (1, "a", None)
    np.testing.assert_array_equal(out["model"]["w"].numpy(), np.ones((2, 2), np.float32))


def test_require_finite_refuses_nan_and_writes_nothing(tmp_path):
    p = tmp_path / "x.safetensors"
    with pytest.raises(ValueError, match="'w'"):
        gs.save({"w": gs.tensor([1.0, float("nan")])}, p, require_finite=True)
    assert not p.exists() and os.listdir(tmp_path) == []


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="set"):
        gs.save({"a": {1, 2}}, tmp_path / "x.safetensors")


def _valid_file(tmp_path):
    p = tmp_path / "ok.safetensors"
    gs.save({"a": gs.ones(4), "b": gs.zeros(2, 2)}, p)
    return p, p.read_bytes()


def _with_header(header: dict, payload: bytes) -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + payload


@pytest.mark.parametrize("name,make,pattern", [
    ("oversized_header", lambda blob: struct.pack("<Q", 10 ** 12) + blob[8:], "header claims"),
    ("truncated", lambda blob: blob[:-5], "truncated"),
    ("tiny", lambda blob: blob[:3], "only 3 bytes"),
    ("not_json", lambda blob: struct.pack("<Q", 4) + b"\xff\xfe{{" + blob[12:], "not JSON"),
    ("overlapping", lambda blob: _with_header(
        {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
         "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, bytes(24)), "overlap"),
    ("out_of_range", lambda blob: _with_header(
        {"a": {"dtype": "F32", "shape": [4], "data_offsets": [100, 116]}}, bytes(16)), "ends at byte"),
    ("wrong_span", lambda blob: _with_header(
        {"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}}, bytes(16)), "needs 20 bytes"),
    ("bad_dtype", lambda blob: _with_header(
        {"a": {"dtype": "OBJ", "shape": [1], "data_offsets": [0, 8]}}, bytes(8)), "unsupported dtype"),
    ("negative_shape", lambda blob: _with_header(
        {"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4)), "invalid shape"),
])
def test_hostile_files_raise_clear_errors(tmp_path, name, make, pattern):
    _, blob = _valid_file(tmp_path)
    p = tmp_path / f"{name}.safetensors"
    p.write_bytes(make(blob))
    with pytest.raises(CheckpointError, match=pattern) as e:
        gs.load(p)
    assert str(p) in str(e.value)


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch " + os.environ.get("BOOM_FILE", "/tmp/gradstep-boom"),))


def test_pickle_renamed_to_safetensors_executes_nothing(tmp_path, monkeypatch):
    boom = tmp_path / "boom"
    monkeypatch.setenv("BOOM_FILE", str(boom))
    p = tmp_path / "evil.safetensors"
    p.write_bytes(pickle.dumps({"w": _Boom()}))
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        gs.load(p)
    assert not boom.exists()


_WRITER = r"""
import sys
import numpy as np
import gradstep as gs
path = sys.argv[1]
big = {k: np.full((256, 1024), v, np.float32) for k, v in (("a", 0.0), ("b", 1.0))}
i = 0
print("ready", flush=True)
while True:
    gs.save({"w": big["a" if i % 2 == 0 else "b"], "i": gs.tensor(i)}, path)
    i += 1
"""


def test_atomic_writes_survive_sigkill(tmp_path):
    path = tmp_path / "ck.safetensors"
    gs.save({"w": np.full((256, 1024), 0.0, np.float32), "i": gs.tensor(-1)}, path)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(25):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        out = gs.load(path)  # always loads: either the old or the new file, never a mix
        w = np.asarray(out["w"])  # saved as a NumPy array, loaded as one (as torch.load does)
        assert w.shape == (256, 1024)
        assert np.all(w == w.flat[0]) and w.flat[0] in (0.0, 1.0)
        seen.add(int(out["i"].item()))
    assert len(seen) > 1  # the kills did land between different writes


def test_awkward_objects(tmp_path):
    p = tmp_path / "x.safetensors"
    gs.save({"v": np.float32("nan"), "i": np.int64(3)}, p)
    out = gs.load(p)
    assert np.isnan(out["v"]) and out["i"] == 3
    with pytest.raises(TypeError, match="under the name '1'"):
        gs.save({1: np.zeros(2), "1": np.ones(2)}, p)
    with pytest.raises(TypeError, match="True"):
        gs.save({True: np.zeros(2), "x": 1}, p)


def test_malformed_structure_is_a_checkpoint_error(tmp_path):
    from safetensors.numpy import save as st_save

    p = tmp_path / "bad.safetensors"
    for structure in ('{"__dict__": {"x:1": 2}}', '{"__dict__": {"s:a": {"__tensor__": "missing"}}}',
                      '{"__list__": 5}', '{"__weird__": 1}'):
        p.write_bytes(st_save({"a": np.zeros(1)}, metadata={"gradstep.structure": structure}))
        with pytest.raises(CheckpointError):
            gs.load(p)


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".tmp-m.safetensors.{dead}.abc"
    live = tmp_path / f".tmp-m.safetensors.{os.getppid()}.xyz"
    stale.write_bytes(b"junk")
    live.write_bytes(b"in flight")
    gs.save({"a": gs.ones(1)}, tmp_path / "m.safetensors")
    assert not stale.exists() and live.exists()
