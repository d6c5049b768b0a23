"""Faults during a run: SIGINT and SIGTERM (a resumable checkpoint of the exact step, exit 130/143,
resuming is bitwise equal to a run never interrupted), kill -9 during epochs and during writes
(every file whole, the run resumes exactly), a killed DataLoader worker, a full or read-only disk
(a small tmpfs), divergence (exit 3 and a true message)."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gradstep as gs
from gradstep.train.run_folder import LOCK_NAME

from ._helpers import ENV, TINY, cli, hashes, listing, one_line, run

# 2,700 training images in steps of 10 over 3 epochs: long enough to be interrupted mid-epoch
LONG = ("--subset", "3000", "--hidden", "16", "--batch-size", "10", "--epochs", "3", "--seed", "3")


def _start(out, *extra):
    return subprocess.Popen([sys.executable, "-m", "gradstep", "train", *LONG, "--quiet", "--out", str(out),
                             *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV)


def _wait_for(path: Path, proc, timeout=120.0):
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} did not appear"
        time.sleep(0.005)


def _model(path):
    state = gs.load(path)
    return {k: v.numpy() for k, v in state["model"].items()}, state["trainer"]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The run never interrupted."""
    out = tmp_path_factory.mktemp("straight") / "r"
    r = run("train", *LONG, "--quiet", "--out", out)
    assert r.code == 0, r.err
    return _model(out / "last.safetensors")


def _assert_same_as(straight, path):
    weights, trainer = _model(path)
    assert trainer["global_step"] == straight[1]["global_step"]
    for k, v in straight[0].items():
        np.testing.assert_array_equal(weights[k], v, err_msg=k)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_saves_the_exact_step_and_resumes_bitwise(tmp_path, straight, sig, code):
    out = tmp_path / "r"
    proc = _start(out)
    _wait_for(out / "best.safetensors", proc)  # the first epoch ended: now in the second
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    line = one_line(type("R", (), {"code": proc.returncode, "out": stdout, "err": stderr})(), code,
                    f"interrupted by {signal.Signals(sig).name}", "resume with: gradstep train --resume",
                    str(out / "last.safetensors"))
    _, trainer = _model(out / "last.safetensors")
    assert f"step {trainer['global_step']}" in line
    assert 0 < trainer["global_step"] < straight[1]["global_step"]
    assert ".gradstep.lock" not in listing(out)
    r = run("train", "--resume", out / "last.safetensors", "--quiet")
    assert r.code == 0, r.err
    _assert_same_as(straight, out / "last.safetensors")


def test_interrupt_through_the_api_returns_from_fit(tmp_path):
    """Trainer.fit stops at the next step on SIGINT (no KeyboardInterrupt), records the signal, and
    puts the previous handlers back."""
    from gradstep import nn, optim
    from gradstep.data import DataLoader, TensorDataset
    from gradstep.train import Callback, Trainer

    class Interrupt(Callback):
        def on_batch_end(self, trainer, logs):
            if trainer.global_step == 3:
                os.kill(os.getpid(), signal.SIGINT)

    previous = signal.getsignal(signal.SIGINT)
    model = nn.Linear(2, 1)
    data = DataLoader(TensorDataset(gs.randn(40, 2), gs.randn(40, 1)), batch_size=4)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(), verbose=0,
                      callbacks=[Interrupt()])
    trainer.fit(data, epochs=2)
    assert trainer.interrupted == signal.SIGINT and trainer.global_step == 3
    assert "interrupted by SIGINT" in trainer.stop_reason
    assert signal.getsignal(signal.SIGINT) is previous


def test_a_signal_during_the_ranks_reduction_is_kept_for_the_next_step(monkeypatch):
    """Under an MPI launcher the ranks agree on a signal by a reduction at each step; Ctrl-C reaching
    this rank while the reduction runs (its handler runs as the call returns) is not overwritten by
    the reduction's "none": every rank goes on this step and stops at the next."""
    from gradstep import nn, optim
    from gradstep.train import Trainer
    from gradstep.train import trainer as trainer_module

    model = nn.Linear(2, 1)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), verbose=0)
    trainer._world = 2
    reduced = []

    def all_reduce(flag, op):  # the other rank had none; this rank's signal lands meanwhile
        reduced.append(int(flag[0]))
        if len(reduced) == 1:
            trainer._signal = signal.SIGINT

    monkeypatch.setattr(trainer_module.dist, "all_reduce", all_reduce)
    trainer._signal = None
    assert trainer._signal_received() is False and trainer._signal == signal.SIGINT
    assert trainer._signal_received() is True and trainer._signal == signal.SIGINT
    assert reduced == [0, int(signal.SIGINT)]


@pytest.mark.parametrize("other_rank", [0, int(signal.SIGINT)])
def test_a_signal_after_the_last_steps_reduction_reaches_every_rank(monkeypatch, other_rank):
    """A signal kept for a next step that never comes (it reached one rank after the last step's
    reduction) is reduced once more as the fit ends, so every rank says the same: all
    interrupted, or none (they evaluate together next, and one rank skipping it would hang the
    others)."""
    from gradstep import nn, optim
    from gradstep.train import Trainer
    from gradstep.train import trainer as trainer_module

    model = nn.Linear(2, 1)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), verbose=0)
    trainer._world = 2

    def all_reduce(flag, op):  # the other rank's flag
        flag[0] = max(int(flag[0]), other_rank)

    monkeypatch.setattr(trainer_module.dist, "all_reduce", all_reduce)
    for mine in (None, signal.SIGINT):
        trainer.interrupted = None
        with trainer_module._StopOnSignals(trainer):
            trainer._signal = mine
        agreed = mine or other_rank or None
        assert trainer.interrupted == agreed and trainer._signal is None
    calls = []
    monkeypatch.setattr(trainer_module.dist, "all_reduce", lambda flag, op: calls.append(1))
    with pytest.raises(RuntimeError), trainer_module._StopOnSignals(trainer):  # no collective on an error
        raise RuntimeError("a step failed")
    assert calls == []


@pytest.mark.parametrize("seed", range(3))
def test_kill_9_during_epochs_then_resume_is_bitwise(tmp_path, straight, seed):
    out = tmp_path / "r"
    proc = _start(out)
    _wait_for(out / "best.safetensors", proc)
    time.sleep(random.Random(seed).uniform(0.0, 0.4))
    proc.kill()
    proc.communicate()
    for name in listing(out):  # every file there is whole
        if name.endswith(".safetensors"):
            gs.load(out / name)
        elif name.endswith(".json"):
            json.loads((out / name).read_text())
    r = run("train", "--resume", out / "last.safetensors", "--quiet")
    assert r.code == 0, r.err
    _assert_same_as(straight, out / "last.safetensors")
    assert not any(n.startswith(".tmp-") or n.startswith(".gradstep") for n in listing(out))


_WRITER = """
import sys, numpy as np, gradstep as gs
i = 0
while True:
    gs.save({"w": np.full(2_000_000, i, np.float32), "i": i}, sys.argv[1])
    print(i, flush=True)
    i += 1
"""


@pytest.mark.parametrize("seed", range(4))
def test_kill_9_during_writes_leaves_a_whole_file(tmp_path, seed):
    path = tmp_path / "c.safetensors"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            env=ENV)
    proc.stdout.readline()
    time.sleep(random.Random(seed).uniform(0.0, 0.3))
    proc.kill()
    proc.communicate()
    state = gs.load(path)
    assert (np.asarray(state["w"]) == state["i"]).all()  # saved as an array, loaded as one


def _children(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def test_a_killed_dataloader_worker_ends_in_one_line(tmp_path):
    out = tmp_path / "r"
    proc = _start(out, "--workers", 2)
    end = time.monotonic() + 60
    while len(_children(proc.pid)) < 2:
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.01)
    victim = _children(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    r = type("R", (), {"code": proc.returncode, "out": stdout, "err": stderr})()
    one_line(r, 1, f"pid {victim}", "was killed by SIGKILL", "DataLoader worker")
    assert not any(n.startswith(".tmp-") or n == ".gradstep.lock" for n in listing(out))


# ------------------------------------------------------------------ full and read-only disks

@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (root only); skip where mounting is impossible."""
    mounted = []

    def mount(size: str, readonly: bool = False):
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        opts = f"size={size}" + (",ro" if readonly else "")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(point)], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_full_disk_found_at_the_start(tmpfs):
    disk = tmpfs("256k")
    (disk / "r").mkdir()
    (disk / "r" / "notes.txt").write_text("mine")
    with open(disk / "filler", "wb") as f:
        try:
            f.write(bytes(1 << 20))
        except OSError:
            pass
    before = hashes(disk / "r")
    one_line(cli("train", *TINY, "--out", disk / "r"), 2, "cannot write to the output folder",
             "No space left")
    assert hashes(disk / "r") == before and listing(disk / "r") == ["notes.txt"]


def test_disk_that_fills_during_the_run(tmpfs):
    """Room for the start but not for the checkpoint: one line, exit 1, earlier files intact, no
    half-written file."""
    disk = tmpfs("1m")
    (disk / "r").mkdir()
    (disk / "r" / "notes.txt").write_text("mine")
    before = hashes(disk / "r")
    r = cli("train", "--subset", "300", "--hidden", "512", "--epochs", "1", "--quiet", "--out", disk / "r")
    one_line(r, 1, "No space left", "intact")
    after = hashes(disk / "r")
    assert {k: after.get(k) for k in before} == before
    assert not any(n.startswith((".tmp", ".gradstep")) for n in listing(disk / "r")), listing(disk / "r")


def test_read_only_disk(tmpfs):
    disk = tmpfs("1m", readonly=True)
    one_line(cli("train", *TINY, "--out", disk), 2, "Read-only file system", str(disk))
    one_line(cli("train", *TINY, "--out", disk / "r"), 2, "cannot create the output folder", "Read-only")


# ------------------------------------------------------------------ divergence

def test_an_update_that_overflows_the_weights_exits_3_with_a_true_message(tmp_path):
    """lr=1e38: the first update makes the weights infinite while the loss was finite; the message
    must not claim the weights of the last finite step were kept."""
    r = cli("train", *TINY, "--optimizer", "sgd", "--lr", "1e38", "--out", tmp_path / "r")
    assert r.code == 3, r.err
    assert "Traceback" not in r.err and "last finite step" not in r.err, r.err
    assert "no longer finite" in r.err
    if (tmp_path / "r" / "last.safetensors").exists():
        for v in gs.load(tmp_path / "r" / "last.safetensors")["model"].values():
            assert np.isfinite(v.numpy()).all()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_lr_inf_diverges_at_the_first_step_and_says_nothing_was_kept(tmp_path, optimizer):
    """PyTorch's optimizers take lr=inf; the run diverges at once: exit 3, a message that blames the
    learning rate and says no finite step was taken, and no checkpoint of non-finite weights."""
    r = cli("train", *TINY, "--optimizer", optimizer, "--lr", "inf", "--out", tmp_path / "r")
    assert r.code == 3, r.err
    assert "Traceback" not in r.err and "last finite step" not in r.err, r.err
    assert "lr=inf" in r.err and "no finite step was taken" in r.err, r.err
    assert not (tmp_path / "r" / "last.safetensors").exists()
    assert "config.json" in listing(tmp_path / "r") and LOCK_NAME not in listing(tmp_path / "r")


def test_lr_inf_in_the_api_and_nan_refused():
    from gradstep.explore.config import ConfigError, TrainConfig

    assert TrainConfig(lr=float("inf")).lr == float("inf")
    for bad in (float("nan"), -float("inf"), -1.0):
        with pytest.raises(ConfigError, match="allowed is a finite number >= 0 or inf or none"):
            TrainConfig(lr=bad)


def test_divergence_keeps_the_last_finite_weights(tmp_path):
    r = cli("train", *TINY, "--optimizer", "sgd", "--lr", "5", "--batch-size", "10", "--epochs", "3",
            "--out", tmp_path / "r")
    assert r.code == 3, r.err
    assert "Traceback" not in r.err and "last finite step" in r.err
    for v in gs.load(tmp_path / "r" / "last.safetensors")["model"].values():
        assert np.isfinite(v.numpy()).all()


def _descendants(pid):
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _rank_pid(launcher_pid, rank):
    for pid in _descendants(launcher_pid):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in env and b"gradstep" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    return None


def test_sigint_to_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    """Under mpiexec, Ctrl-C reaching one process stops all of them at the same step (none is left
    waiting in a collective), with a checkpoint that resumes. (SIGTERM there keeps ending the whole
    job at once, naming the rank: tests/distributed/test_mpi_failures.py.)"""
    from tests.distributed.launch import popen

    out = tmp_path / "r"
    proc = popen(2, "-m", "gradstep", "train", *LONG, "--quiet", "--out", out)
    _wait_for(out / "best.safetensors", proc)
    victim = _rank_pid(proc.pid, 1)
    assert victim is not None, "rank 1 not found"
    os.kill(victim, signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:  # ranks left waiting for each other: end them, and the test fails
        if proc.poll() is None:
            for pid in _descendants(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "interrupted by SIGINT" in stderr and "Traceback" not in stderr, stderr
    trainer = gs.load(out / "last.safetensors")["trainer"]
    assert 0 < trainer["global_step"] and trainer["world_size"] == 2
