"""Data-parallel training on 2 processes under mpiexec: the same weights as one process with the
global batch, identical weights on every rank, the collectives and DistributedDataParallel's
behaviours, and ``gradstep train`` resuming with the same number of processes."""

import json
import sys

import numpy as np
import pytest

import gradstep as gs

from . import launch
from .workers import parity


def _worker_results(tmp_path_factory, script: str) -> dict:
    """Run ``workers/<script>`` on 2 processes; the JSON that rank 0 wrote."""
    path = tmp_path_factory.mktemp(script[:-3]) / "out.json"
    r = launch.run(2, script, path)
    assert r.returncode == 0, r.stderr
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def parity_run(tmp_path_factory):
    return _worker_results(tmp_path_factory, "parity.py")


@pytest.mark.parametrize("dtype, opt, kwargs, tol", parity.CONFIGS, ids=lambda v: str(v))
def test_two_ranks_with_batch_b_equal_one_process_with_batch_2b(parity_run, dtype, opt, kwargs, tol):
    res = parity_run[f"{dtype}-{opt}"]
    assert res["world_size"] == 2 and res["steps"] == 20
    assert res["identical_on_all_ranks"]
    initial, expected = parity.reference(dtype, opt, kwargs)
    got = np.array(res["weights"])
    assert np.abs(expected - initial).max() > 1e-3  # the steps moved the weights
    assert np.abs(got - expected).max() <= tol


@pytest.fixture(scope="module")
def collectives(tmp_path_factory):
    return _worker_results(tmp_path_factory, "collectives.py")


def test_collectives_on_arrays(collectives):
    c = collectives
    assert c["world"] == [0, 2]
    assert c["all_reduce_sum"] == [[3.0] * 3, "float32"]
    assert c["all_reduce_mean"] == [[1.5] * 3, "float32"]
    assert c["all_reduce_max"] == [[2.0] * 3, "float32"] and c["all_reduce_min"] == [[1.0] * 3, "float32"]
    assert c["all_reduce_tensor"] == [1.0]
    assert "floating-point" in c["mean_of_ints"]
    assert c["broadcast_from_1"] == [1, 1, 1, 1]
    assert c["all_gather"] == [[0, 0], [1, 10]]
    assert c["all_gather_json"] == [{"rank": 0, "text": ""}, {"rank": 1, "text": "é"}]
    mismatch = c["all_gather_mismatch"]
    assert "rank 0: shape (1,)" in mismatch and "rank 1: shape (2,)" in mismatch


def test_ddp_starts_from_rank_0_and_averages_gradients_in_the_flat_buffer(collectives):
    c = collectives
    assert c["startup_weights_identical"]
    assert c["state_dict_keys"] == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    for flat in (True, False):
        for step in (0, 1):
            assert c[f"grad_is_mean_flat{flat}_step{step}"] < 1e-7
            assert c[f"flat_arrays_flat{flat}_step{step}"] == [53]  # one Allreduce for all 4 tensors
    # a flat optimizer's gradient buffer is reduced in place; without one, DDP's own buffer
    assert c["reduces_optimizer_buffer_step0"] and c["reduces_optimizer_buffer_step1"]
    assert c["grads_written_into_own_buffer_step1"]


def test_ddp_no_sync_buffers_and_unused_parameters(collectives):
    c = collectives
    assert c["no_sync_keeps_local"] and c["no_sync_then_sync_is_mean_of_sums"] < 1e-6
    assert c["buffers_identical"] and c["buffers_are_rank0s"] < 1e-7
    assert "'unused.weight', 'unused.bias'" in c["unused_parameter"]
    assert c["unused_parameter"].startswith("RuntimeError: Expected to have finished reduction")


def test_mismatched_models_are_reported_once_at_start_up():
    r = launch.run(2, "fail.py", "shapes", timeout=60)
    assert r.returncode == 1
    assert r.stderr.count("DistributedError: the processes built different models") == 1
    assert ("parameter '0.weight' is of shape (32, 20) and dtype float32 on rank 0 but of shape (40, 20) "
            "and dtype float32 on rank 1") in r.stderr


# --------------------------------------------------------------------------- Trainer and gradstep train

def test_trainer_resumes_mid_epoch_and_evaluation_adds_up_the_shares(tmp_path):
    r = launch.run(2, "resume.py", tmp_path / "out.json")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "out.json").read_text())
    assert res["steps"] == [39, 17, 39]  # 203 samples: 102 per rank (padded), 13 batches of 8
    assert res["resumed_equals_whole"] and res["history_equal"] and res["identical_on_all_ranks"]
    assert res["iterations"] == 39
    # metrics count every rank's samples (2 x 102 per epoch: the padding repeats one)
    assert all(round(row["train_accuracy"] * 204, 6) == round(row["train_accuracy"] * 204) for row in
               res["epoch_logs"])
    shares, whole = res["evaluate_shares"], res["evaluate_whole"]
    assert shares["accuracy"] == whole["accuracy"]
    assert abs(shares["loss"] - whole["loss"]) < 1e-6


def _train(n, *args, cwd):
    return launch.run(n, "-m", "gradstep", "train", "--hidden", "32", "--batch-size", "128", *args, cwd=cwd)


def test_train_command_is_data_parallel_under_mpiexec(tmp_path):
    first = _train(2, "--epochs", "1", "--max-steps", "20", "--out", "a", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    # rank 0 alone reports: one summary line naming both processes, one result
    assert first.stderr.count("gradstep: data-parallel training on 2 processes (rank 0: pid") == 1
    assert "rank 1: pid" in first.stderr and "batch 128 per process, 256 per step in all" in first.stderr
    assert first.stdout.count("stopped: reached max_steps=20") == 1
    assert first.stdout.count("test accuracy") == 1
    ckpt = gs.load(tmp_path / "a" / "last.safetensors")
    assert ckpt["trainer"]["world_size"] == 2 and ckpt["trainer"]["global_step"] == 20
    assert ckpt["loader"]["indices"].shape == (2, 4500)  # each rank's share of the epoch
    assert set(ckpt["model"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}  # no "module." prefix
    assert len(ckpt["history"]["iteration_loss"]) == 20

    resumed = _train(2, "--resume", "a/last.safetensors", "--out", "a", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    ckpt = gs.load(tmp_path / "a" / "last.safetensors")
    assert ckpt["trainer"]["epoch"] == 1 and ckpt["trainer"]["global_step"] == 36  # 4500 / 128 -> 36

    one = launch.subprocess.run([sys.executable, "-m", "gradstep", "train", "--resume", "a/last.safetensors",
                                 "--epochs", "2", "--out", "d"], capture_output=True, text=True,
                                env=launch.ENV, cwd=tmp_path, timeout=180)
    assert one.returncode == 2
    assert "written by a run on 2 process(es) and this run has 1: resume it with the same" in one.stderr
