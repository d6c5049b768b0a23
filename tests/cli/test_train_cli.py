"""``gradstep train`` and ``gradstep evaluate`` end to end, through the command line and the API."""

import json
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import gradstep as gs
from gradstep.explore import TrainConfig, train_run

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def gradstep(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gradstep", *map(str, args)], capture_output=True,
                          text=True, env=ENV, cwd=cwd, timeout=600)


def _png_size(path):
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _weights(path):
    state = gs.load(path)
    return {k: v.numpy() for k, v in state.get("model", state).items()}


def test_default_train_command(tmp_path):
    r = gradstep("train", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("test ")][0]
    acc = float(line.split("test accuracy ")[1])
    assert acc >= 0.80, line
    out = tmp_path / "run"
    hist = json.loads((out / "history.json").read_text())
    assert len(hist["epochs"]) == 5 and len(hist["iteration_loss"]) == 5 * 141
    assert (out / "history.csv").read_text().startswith("epoch,train_loss,train_accuracy,val_loss")
    w, h = _png_size(out / "curves.png")
    assert w > 800 and h > 300
    assert set(_weights(out / "best.safetensors")) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert gs.load(out / "last.safetensors")["trainer"]["epoch"] == 5
    # evaluate the saved model: the same test accuracy the run printed
    r = gradstep("evaluate", out / "last.safetensors")
    assert r.returncode == 0 and f"accuracy {acc:.4f}" in r.stdout


def test_python_api_writes_the_same_files(tmp_path):
    res = train_run(TrainConfig(epochs=2, out=str(tmp_path), quiet=True, hidden=(64,)))
    assert not res.diverged and res.test["accuracy"] > 0.75
    assert {p.name for p in tmp_path.iterdir()} >= {"history.json", "history.csv", "curves.png",
                                                    "last.safetensors", "best.safetensors"}


def test_divergence_exits_3_and_keeps_finite_weights(tmp_path):
    r = gradstep("train", "--dataset", "linreg", "--optimizer", "sgd", "--lr", "5", "--batch-size", "10",
                 "--out", tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "the loss (inf) became non-finite" in r.stderr or "the loss (nan) became non-finite" in r.stderr
    assert "learning rate (lr=5) is the likely cause" in r.stderr
    # and why, in words: the sharpness on the last batch against 2/lr (tests/explore/test_sharpness.py)
    m = re.search(r"; sharpness (\S+) > 2/lr = 0\.4: the step size is above the stability threshold\. "
                  r"The weights and buffers are those of the last finite step", r.stderr)
    assert m and float(m.group(1)) > 0.4, r.stderr
    assert (tmp_path / "history.json").exists()
    for v in _weights(tmp_path / "last.safetensors").values():
        assert np.isfinite(v).all()


def test_seed_004_converging_run(tmp_path):
    r = gradstep("train", "--dataset", "linreg", "--optimizer", "sgd", "--lr", "0.2", "--batch-size", "10",
                 "--epochs", "3", "--out", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    w = _weights(tmp_path / "last.safetensors")
    np.testing.assert_allclose(w["0.weight"][0], [2.0, -3.4], atol=0.05)
    np.testing.assert_allclose(w["0.bias"], [4.2], atol=0.05)


@pytest.mark.parametrize("args,pattern", [
    (["--optimizer", "adamz"], "--optimizer 'adamz': allowed is one of adadelta, adagrad, adam"),
    (["--model", "rnn"], "--model 'rnn': allowed is one of mlp, linear, cnn, or package.module:function"),
    (["--batch-size", "0"], "--batch-size 0: allowed is an integer >= 1"),
    (["--opt-arg", "betas"], "--opt-arg 'betas': allowed is KEY=VALUE"),
    (["--optimizer", "sgd", "--opt-arg", "foo=1"], "SGD has no argument foo"),
    (["--scheduler", "Nope"], "--scheduler 'Nope': allowed is one of"),
    (["--lr", "-1"], "--lr -1.0: allowed is a finite number >= 0"),
    (["--resume", "/nonexistent.safetensors"], "/nonexistent.safetensors"),
    (["--dataset", "imagenet"], "--dataset 'imagenet': allowed is one of mnist"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, pattern):
    r = gradstep("train", "--epochs", "1", "--out", tmp_path, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0], r.stderr


@pytest.mark.parametrize("argv,line", [
    (["landscape", "--bogus"], "gradstep landscape: error: unrecognized arguments: --bogus"),
    (["train", "--epochs", "x"], "gradstep train: error: argument --epochs: invalid int value: 'x'"),
    (["--bogus"], "gradstep: error: unrecognized arguments: --bogus"),
])
def test_usage_errors_name_the_command(capsys, argv, line):
    from gradstep.cli import main
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == line


def test_config_file_and_flag_override(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('optimizer = "sgd"\nlr = 0.05\nhidden = [32]\nepochs = 1\nsched_args = {}\n')
    r = gradstep("train", "--config", cfg, "--lr", "0.07", "--out", tmp_path / "r", "--quiet")
    assert r.returncode == 0, r.stderr
    meta = gs.serialization.load_metadata(tmp_path / "r" / "last.safetensors")
    stored = json.loads(meta["gradstep.config"])
    assert stored["optimizer"] == "sgd" and stored["lr"] == 0.07 and stored["hidden"] == [32]


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_in_a_new_process_is_bitwise_equal(tmp_path, workers):
    common = ["--epochs", "3", "--batch-size", "128", "--dropout", "0.2", "--hidden", "64",
              "--workers", workers, "--quiet"]
    assert gradstep("train", *common, "--out", tmp_path / "straight").returncode == 0
    # 1.5 epochs: 9,000 training samples / 128 = 71 steps per epoch
    r = gradstep("train", *common, "--max-steps", 106, "--out", tmp_path / "split")
    assert r.returncode == 0 and "reached max_steps=106" in r.stdout, r.stderr
    assert gs.load(tmp_path / "split" / "last.safetensors")["trainer"]["batch_in_epoch"] == 35
    r = gradstep("train", "--resume", tmp_path / "split" / "last.safetensors", "--quiet")
    assert r.returncode == 0, r.stderr
    a = _weights(tmp_path / "straight" / "last.safetensors")
    b = _weights(tmp_path / "split" / "last.safetensors")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    ha = json.loads((tmp_path / "straight" / "history.json").read_text())
    hb = json.loads((tmp_path / "split" / "history.json").read_text())
    assert ha["iteration_loss"] == hb["iteration_loss"]


def test_saved_weights_load_into_pytorch(tmp_path, torch):
    from safetensors.torch import load_file

    gs.manual_seed(0)
    net = gs.nn.Sequential(gs.nn.Linear(784, 200), gs.nn.ReLU(), gs.nn.Linear(200, 10))
    gs.save(net.state_dict(), tmp_path / "m.safetensors")
    tnet = torch.nn.Sequential(torch.nn.Linear(784, 200), torch.nn.ReLU(), torch.nn.Linear(200, 10))
    tnet.load_state_dict(load_file(tmp_path / "m.safetensors"))
    x = np.random.default_rng(0).standard_normal((5, 784)).astype(np.float32)
    with torch.no_grad():
        expect = tnet(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net(gs.tensor(x)).detach().numpy(), expect, atol=1e-5, rtol=1e-4)
