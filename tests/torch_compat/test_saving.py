"""``torch.save``/``torch.load`` as tutorials call them: safetensors, dict order kept, PyTorch's
own files recognised and refused in one line, nothing unpickled."""

import io
import os

import numpy as np
import pytest

import gradstep as gs
from gradstep.serialization import CheckpointError


def _model():
    return gs.nn.Sequential(gs.nn.Linear(3, 4), gs.nn.BatchNorm1d(4), gs.nn.ReLU(), gs.nn.Linear(4, 2))


def _same(a, b):
    if isinstance(a, dict):  # an OrderedDict state dict comes back as a dict, in the same order
        assert isinstance(b, dict)
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, (gs.Tensor, np.ndarray)):  # a tensor comes back a tensor, an array an array
        assert type(b) is type(a) and a.dtype == b.dtype and a.shape == b.shape
        expected = a.detach().numpy() if isinstance(a, gs.Tensor) else a
        np.testing.assert_array_equal(np.asarray(b), expected)
    else:
        assert type(a) is type(b) and a == b


def test_state_dict_round_trip_keeps_order(tmp_path):
    model = _model()
    sd = model.state_dict()
    gs.save(sd, tmp_path / "model.pth")
    out = gs.load(tmp_path / "model.pth", weights_only=True)
    _same(dict(sd), out)
    assert list(out) == list(sd)  # module order, not the file's sorted order
    fresh = _model()
    fresh.load_state_dict(gs.load(tmp_path / "model.pth", map_location="cpu"))
    x = gs.randn(5, 3)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())


def test_order_is_the_same_in_every_process(tmp_path):
    import subprocess
    import sys
    keys = [f"k{i}" for i in (5, 1, 9, 3, 7, 0, 8)]
    gs.save({k: gs.zeros(1) for k in keys}, tmp_path / "d.pth")
    code = f"import gradstep as gs; print(list(gs.load({str(tmp_path / 'd.pth')!r})))"
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONHASHSEED=str(s))).stdout for s in (1, 2, 3)}
    assert seen == {f"{keys}\n"}


def test_optimizer_state_and_nested_checkpoints_round_trip(tmp_path):
    model = _model()
    opt = gs.optim.Adam(model.parameters(), lr=1e-3)
    model(gs.randn(8, 3)).sum().backward()
    opt.step()
    ckpt = {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
            "loss": 0.25, "history": [1.5, 0.75, gs.tensor([0.5, 0.25])], "name": "mlp", "best": None}
    gs.save(ckpt, tmp_path / "ckpt.tar")
    out = gs.load(tmp_path / "ckpt.tar", weights_only=False)
    _same(ckpt, out)
    opt2 = gs.optim.Adam(_model().parameters(), lr=1e-3)
    opt2.load_state_dict(out["optimizer_state_dict"])
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_files_written_by_pytorchs_safetensors_load(torch, tmp_path):
    from safetensors.torch import save_file
    sd = torch.nn.Linear(3, 2).state_dict()
    save_file(sd, tmp_path / "m.safetensors")
    out = gs.load(tmp_path / "m.safetensors")
    assert sorted(out) == sorted(sd)
    np.testing.assert_array_equal(out["weight"].numpy(), sd["weight"].numpy())


def test_a_buffer_works_like_a_path():
    buf = io.BytesIO()
    sd = {"w": gs.randn(2, 2), "b": gs.zeros(2)}
    gs.save(sd, buf)
    buf.seek(0)
    _same(sd, gs.load(buf))


@pytest.mark.parametrize("legacy", [False, True])
def test_a_pytorch_checkpoint_is_refused_in_one_line(torch, tmp_path, legacy):
    path = tmp_path / "model.pth"
    torch.save(torch.nn.Linear(2, 1).state_dict(), path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(CheckpointError) as e:
        gs.load(path)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg
    assert ("zip archive" if not legacy else "pickle") in msg
    assert "safetensors" in msg and "save_file" in msg


def test_saving_a_whole_module_says_what_to_save_instead(tmp_path):
    with pytest.raises(TypeError, match=r"save model.state_dict\(\)"):
        gs.save(_model(), tmp_path / "m.pth")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("where", ["cuda", "cuda:0", "mps"])
def test_map_location_to_an_accelerator_is_one_clear_line(tmp_path, where):
    gs.save({"w": gs.zeros(1)}, tmp_path / "m.pth")
    with pytest.raises(ValueError, match=f"CPU only; map_location='{where}'"):
        gs.load(tmp_path / "m.pth", map_location=where)


@pytest.mark.parametrize("where", ["cpu", None, {"cuda:0": "cpu"}, lambda storage, loc: storage])
def test_map_location_to_the_cpu_is_accepted(tmp_path, where):
    gs.save({"w": gs.ones(2)}, tmp_path / "m.pth")
    assert gs.load(tmp_path / "m.pth", map_location=where)["w"].tolist() == [1.0, 1.0]


def test_torch_save_and_load_under_the_runner(doorway):
    p = doorway("""
        import torch
        from torch import nn
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
        torch.save(model.state_dict(), "model.pth")
        again = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
        again.load_state_dict(torch.load("model.pth", weights_only=True))
        x = torch.randn(2, 4)
        print(torch.equal(model(x), again(x)), list(torch.load("model.pth")))
        """)
    assert p.stdout.strip() == "True ['0.weight', '0.bias', '2.weight', '2.bias']"


def test_numpy_arrays_come_back_as_numpy_arrays(tmp_path):
    """torch.save pickles a NumPy array and torch.load gives it back as one; so here too."""
    data = np.arange(6.0).reshape(2, 3)
    gs.save(data, tmp_path / "a.pt")
    back = gs.load(tmp_path / "a.pt")
    assert isinstance(back, np.ndarray) and back.dtype == data.dtype
    np.testing.assert_array_equal(back, data)
    mixed = {"x": data, "t": gs.ones(2), "pair": (np.zeros(2, dtype=np.int32), 3), "list": [np.ones(1)]}
    with open(tmp_path / "m.pt", "wb") as f:
        gs.save(mixed, f)
    back = gs.load(tmp_path / "m.pt")
    assert isinstance(back["x"], np.ndarray) and isinstance(back["t"], gs.Tensor)
    assert isinstance(back["pair"], tuple) and isinstance(back["pair"][0], np.ndarray)
    assert back["pair"][0].dtype == np.int32 and back["pair"][1] == 3
    assert isinstance(back["list"][0], np.ndarray)
