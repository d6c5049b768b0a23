"""Programs in the style of the PyTorch tutorials (written for these tests, in programs/), run
unmodified through ``python -m gradstep.torch`` and, where the same program runs on PyTorch, with
PyTorch: float64 from the same initial weights agrees within 1e-10."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradstep.data.datasets.idx import SAMPLE_DIR

PROGRAMS = Path(__file__).resolve().parent / "programs"


def _run(cmd, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
    return p.stdout


def run_gradstep(program, tmp_path, *args):
    out = _run([sys.executable, "-m", "gradstep.torch", str(PROGRAMS / program), *args], tmp_path)
    return out, json.loads(out.strip().splitlines()[-1])


def run_torch(program, tmp_path, *args):
    d = tmp_path / "torch"
    d.mkdir()
    out = _run([sys.executable, str(PROGRAMS / program), *args], d)
    return json.loads(out.strip().splitlines()[-1])


def assert_close(ours, theirs, path="result"):
    """Same structure; every number within 1e-10 (absolute, or relative for large values)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), path
        for k in theirs:
            assert_close(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10, err_msg=path)
    else:
        assert ours == theirs, path


@pytest.mark.parametrize("program", ["fit_sine.py", "autograd_tour.py", "spiral_classifier.py"])
def test_float64_program_matches_pytorch(torch, tmp_path, program):
    _, ours = run_gradstep(program, tmp_path)
    theirs = run_torch(program, tmp_path)
    assert_close(ours, theirs)


def test_every_optimizer_of_the_sine_fit_makes_progress(tmp_path):
    _, out = run_gradstep("fit_sine.py", tmp_path)
    assert len(out) == 9
    for name, r in out.items():
        assert r["losses"][-1] < 0.5 * r["losses"][0], name


def test_spiral_classifier_learns_and_reloads(tmp_path):
    _, out = run_gradstep("spiral_classifier.py", tmp_path)
    assert out["accuracy"] > 0.9 and out["same_after_reload"]
    assert out["keys"] == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias", "head.weight",
                           "head.bias"]
    assert (tmp_path / "spiral.pth").read_bytes()[8:9] == b"{"  # a safetensors file, not a pickle


def test_fashion_quickstart_trains_with_torchvisions_names(tmp_path):
    """torchvision's data sets and transforms (gradstep's, under the doorway) on the Fashion-MNIST
    sample shipped with gradstep: both models learn well above chance (10%) in two short epochs."""
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in SAMPLE_DIR.glob("*.gz"):
        shutil.copy(f, raw)
    out, res = run_gradstep("fashion_quickstart.py", tmp_path, str(tmp_path / "data"))
    assert "Shape of X [N, C, H, W]: torch.Size([256, 1, 28, 28])" in out
    for name in ("mlp", "cnn"):
        loss, accuracy = res[name]
        assert accuracy > 0.7 and loss < 0.9, (name, res[name])
        assert res[name + "_reloaded"] == res[name]
