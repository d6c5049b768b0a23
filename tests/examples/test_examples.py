"""Every script in examples/ runs at its small size and prints the results its tutorial promises.

The scripts run as the user runs them, each in its own process; they are started together (a
module fixture) so that they share the machine's cores, and each test checks one script's output.
"""

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPTS = ["seed000_softmax_sgd", "seed001_cs231n_solver", "seed002_optimizers", "seed003_gradient_descent",
           "seed004_linear_regression", "quickstart_linear_regression", "edge_of_stability"]
# this checkout's gradstep, whatever the working directory
PYTHONPATH = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
       "PYTHONPATH": PYTHONPATH}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> (stdout, output directory), every script started at once."""
    procs = {}
    for name in SCRIPTS:
        out = tmp_path_factory.mktemp(name)
        procs[name] = (subprocess.Popen([sys.executable, str(EXAMPLES / f"{name}.py"), "--out", str(out)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=ENV, cwd=tmp_path_factory.getbasetemp()), out)
    results = {}
    for name, (proc, out) in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name} failed:\n{stderr}"
        assert "Warning" not in stderr, f"{name} warned:\n{stderr}"
        results[name] = (stdout, out)
    return results


def test_every_example_is_tested():
    scripts = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert scripts == set(SCRIPTS)
    readme = (EXAMPLES / "README.md").read_text()
    assert all(f"{name}.py" in readme for name in SCRIPTS)


def _png(path, min_w=600, min_h=350):
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    w, h = struct.unpack(">II", head[16:24])
    assert min_w <= w <= 2500 and min_h <= h <= 2000, (path, w, h)


def _number(pattern, text):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in:\n{text}"
    return float(m.group(1))


def test_seed000_softmax_classifier_with_a_step_schedule(runs):
    out, d = runs["seed000_softmax_sgd"]
    epochs = re.findall(r"epoch (\d)/3: lr ([\d.e-]+), train loss ([\d.]+), test accuracy ([\d.]+)", out)
    assert [e[1] for e in epochs] == ["0.1", "0.1", "0.01"]  # StepLR(step_size=2, gamma=0.1)
    losses = [float(e[2]) for e in epochs]
    assert losses[0] > losses[1] > losses[2]
    assert _number(r"best test accuracy: ([\d.]+)", out) == max(float(e[3]) for e in epochs) > 0.75
    assert "len(train_loader) = 84 batches of 120" in out  # ceil(10000 / 120)
    _png(d / "loss.png")


def test_seed001_gradient_check_and_solver(runs):
    out, d = runs["seed001_cs231n_solver"]
    errors = re.findall(r"(\w+) relative error: ([\d.e+-]+)( \(both gradients)?", out)
    names = {e[0] for e in errors}
    assert names == {"W1", "W2", "W3", "b1", "b2", "b3", "gamma1", "gamma2", "beta1", "beta2"}
    assert len(errors) == 20  # two regularisation strengths
    for name, err, noise in errors:
        assert float(err) < 1e-5 or (noise and name in ("b1", "b2")), (name, err)
    assert "(Epoch 4 / 4)" in out and "(Iteration 1 / 80)" in out
    val = _number(r"best validation accuracy: ([\d.]+)", out)
    vals = [float(v) for v in re.findall(r"val_acc: ([\d.]+)", out)]
    assert val == pytest.approx(max(vals)) and val > 0.7
    assert _number(r"test accuracy with the best parameters: ([\d.]+)", out) > 0.7
    _png(d / "solver.png")


def test_seed002_each_optimizer_and_the_hand_written_rules(runs):
    out, d = runs["seed002_optimizers"]
    table = out[out.index("optimizer  "):]
    rows = re.findall(r"^(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", table, re.M)
    assert [r[0].strip() for r in rows] == ["sgd_update (by hand)", "sgd_adagrad (by hand)", "SGD",
                                            "SGD momentum 0.9", "Adagrad", "RMSprop", "Adam", "Adadelta"]
    first = [float(x) for x in re.findall(r"epoch 1: train loss ([\d.]+)", out)]
    assert len(first) == 8
    for name, loss, acc, seconds in rows:
        assert float(loss) < 2.0 and float(acc) > 0.5 and float(seconds) > 0, name
    acc = {r[0].strip(): float(r[2]) for r in rows}
    assert acc["Adam"] > 0.7 and acc["SGD momentum 0.9"] > acc["SGD"]  # lr 0.01 plain SGD is slow
    # the hand-written SGD is optim.SGD; the hand-written Adagrad differs only by where ε sits
    assert _number(r"sgd_update by hand vs optim.SGD: largest weight difference ([\d.e+-]+)", out) == 0
    adagrad = _number(r"sgd_adagrad by hand vs optim.Adagrad: largest weight difference ([\d.e+-]+)", out)
    assert 0 < adagrad < 0.5
    assert abs(acc["sgd_adagrad (by hand)"] - acc["Adagrad"]) < 0.02
    _png(d / "loss.png")


def test_seed003_gradients_and_w_to_2(runs):
    out, d = runs["seed003_gradient_descent"]
    assert _number(r"numerical vs autograd relative error ([\d.e+-]+)", out) < 1e-6
    assert "Predict (before training) input: 5, forward: 5" in out
    assert _number(r"gradient descent: w = ([\d.]+)", out) == pytest.approx(2, abs=1e-4)
    assert _number(r"per-sample SGD: w = ([\d.]+)", out) == pytest.approx(2, abs=1e-4)
    forwards = [float(x) for x in re.findall(r"Predict \(after training\) input: 5, forward: ([\d.]+)", out)]
    assert len(forwards) == 2 and all(abs(f - 10) < 1e-3 for f in forwards)
    assert _number(r"hand-derived gradient .*: largest difference ([\d.e+-]+)", out) < 1e-4
    assert re.search(r"per-sample SGD with lr 0.2: diverged after \d+ epochs", out)
    _png(d / "surface.png")
    _png(d / "loss.png")


def test_seed004_batch_sizes_and_learning_rates(runs):
    out, d = runs["seed004_linear_regression"]
    rows = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+(\S+)\s+\[(\S+), (\S+)\]\s+(\S+)\s+(\S.*)$", out, re.M)
    assert [(int(r[0]), float(r[1])) for r in rows] == [(1, 0.2), (1000, 0.999), (10, 0.2), (10, 5.0),
                                                        (10, 0.002)]
    for batch, lr, loss, w1, w2, b, _ in rows:
        w, b = np.array([float(w1), float(w2)]), float(b)
        if lr == "5":
            assert np.isnan(float(loss)) and np.isnan(w).all() and np.isnan(b)
        elif lr == "0.002":  # too small a step: still far from the answer after 3 epochs
            assert np.abs(w - [2, -3.4]).max() > 0.5
        else:
            assert np.abs(w - [2, -3.4]).max() < 0.05 and abs(b - 4.2) < 0.05, (batch, lr, w, b)
    assert [r[6] for r in rows] == ["converged", "converged", "converged", "diverged", "too slow"]
    # the learning rate drops tenfold after epoch 2 (Gluon's set_learning_rate)
    assert "Batch size 10, Learning rate 0.500000, Epoch 3, loss nan" in out
    assert "Batch size 1000, Learning rate 0.099900, Epoch 3" in out
    # why: lr 5 is above the stability threshold 2/lambda_max of full-batch descent, 0.999 below it
    threshold = _number(r"stable for lr < 2/lambda_max = ([\d.]+)", out)
    assert 0.999 < threshold < 5
    assert re.search(r"lr 5 +error along the top eigenvector x [\d.]+ per full-batch step: diverges", out)
    assert re.search(r"lr 0.999 +error along the top eigenvector x 0\.\d+ per full-batch step: converges",
                     out)
    _png(d / "loss.png")


def test_quickstart(runs):
    out, _ = runs["quickstart_linear_regression"]
    w = re.search(r"w: \[(\S+), (\S+)\]", out)
    assert abs(float(w.group(1)) - 2) < 0.05 and abs(float(w.group(2)) + 3.4) < 0.05
    assert _number(r"b: ([\d.]+)", out) == pytest.approx(4.2, abs=0.05)


def test_edge_of_stability(runs):
    out, d = runs["edge_of_stability"]
    rows = re.findall(r"lr ([\d.]+): loss ([\d.]+) -> ([\d.]+); sharpness ([\d.]+) at the start, "
                      r"([\d.]+) over the last third = ([\d.]+) x 2/lr", out)
    assert [r[0] for r in rows] == ["0.3", "0.4", "0.5"]
    for lr, start, end, _, late, ratio in rows:
        assert float(end) < float(start) / 4, lr  # the loss keeps falling
        assert float(late) == pytest.approx(float(ratio) * 2 / float(lr), rel=1e-2)
        assert 0.85 <= float(ratio) <= 1.15, (lr, ratio)  # the sharpness sits at 2 / lr (within 15%)
    _png(d / "edge_of_stability.png")
