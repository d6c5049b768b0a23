"""Run folders are owned: a second run into a folder that holds one is refused, a live run's lock
stops another process, a dead one's is taken over, two runs at once never mix their files, and
best.safetensors only gets better models of its own run."""

import os
import shutil
import signal
import subprocess
import sys
import warnings

import pytest

import gradstep as gs
from gradstep.serialization import load_metadata
from gradstep.train.run_folder import RUN_KEY, OutputFolderError, RunFolder, may_replace_best

from ._helpers import ENV, SMALL, TINY, cli, hashes, listing, one_line, run


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("done") / "r"
    assert cli("train", *TINY, "--out", out).code == 0
    return out


@pytest.fixture
def folder(finished, tmp_path):
    shutil.copytree(finished, tmp_path / "r")
    return tmp_path / "r"


def test_a_second_run_into_a_run_folder_is_refused(folder):
    before = hashes(folder)
    one_line(cli("train", *TINY, "--out", folder), 2, str(folder), "already holds a run", "--resume",
             "--overwrite")
    assert hashes(folder) == before


def test_overwrite_replaces_the_run(folder):
    r = cli("train", *TINY, "--epochs", 2, "--out", folder, "--overwrite")
    assert r.code == 0, r.err
    assert gs.load(folder / "last.safetensors")["trainer"]["epoch"] == 2


def test_resume_continues_in_its_own_folder(folder):
    r = cli("train", "--resume", folder / "last.safetensors", "--epochs", 2, "--quiet")
    assert r.code == 0, r.err
    assert gs.load(folder / "last.safetensors")["trainer"]["epoch"] == 2
    assert ".gradstep.lock" not in listing(folder)


def test_out_that_is_a_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    one_line(cli("train", *TINY, "--out", f), 2, str(f), "is a file")
    assert f.read_text() == "mine"


def test_out_below_a_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    one_line(cli("train", *TINY, "--out", f / "r"), 2, "cannot create the output folder", "Not a directory")
    assert f.read_text() == "mine"


_HOLD = """
import sys, time
from gradstep.train.run_folder import RunFolder
with RunFolder(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def _holder(path):
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(path)], stdout=subprocess.PIPE, text=True, env=ENV)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_a_live_runs_lock_stops_another_process(tmp_path):
    p = _holder(tmp_path / "r")
    try:
        one_line(cli("train", *TINY, "--out", tmp_path / "r"), 2, "in use by another run", f"pid {p.pid}")
        assert listing(tmp_path / "r") == [".gradstep.lock"]
    finally:
        p.kill()
        p.wait()


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path):
    p = _holder(tmp_path / "r")
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert ".gradstep.lock" in listing(tmp_path / "r")  # left behind
    r = cli("train", *TINY[:-1], "--out", tmp_path / "r")
    assert r.code == 0, r.err
    assert f"took over {tmp_path / 'r'}'s lock from pid {p.pid}" in r.err
    assert ".gradstep.lock" not in listing(tmp_path / "r")


def test_two_runs_started_at_once_on_one_folder(tmp_path):
    """One wins, the other exits 2 (in use, or already a run) and the folder holds one run's files."""
    out = tmp_path / "r"
    args = [sys.executable, "-m", "gradstep", "train", *SMALL, "--subset", "2000", "--epochs", "2",
            "--out", str(out)]
    procs = [subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=ENV)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(c for c, _ in results)
    assert codes == [0, 2], results
    loser = next(err for c, err in results if c == 2)
    assert "in use by another run" in loser or "already holds a run" in loser, loser
    assert len(loser.strip().splitlines()) == 1 and "Traceback" not in loser
    ids = {load_metadata(out / name)[RUN_KEY] for name in ("last.safetensors", "best.safetensors")}
    assert len(ids) == 1


def test_one_process_cannot_hold_a_folder_twice(tmp_path):
    with RunFolder(tmp_path / "r"):
        with pytest.raises(OutputFolderError, match=f"pid {os.getpid()}"):
            RunFolder(tmp_path / "r").acquire()


def test_run_folder_mode_is_checked(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of new, resume, overwrite"):
        RunFolder(tmp_path, "append")


def _weights_file(path, run, value, monitor="val_accuracy"):
    gs.save({"w": gs.zeros(2)}, path, metadata={RUN_KEY: run, "monitor": monitor, "value": repr(value)})


@pytest.mark.parametrize("existing,candidate,allowed", [
    (None, ("a", 0.5), True),                       # nothing there yet
    (("a", 0.5), ("a", 0.6), True),                 # a better model of the same run
    (("a", 0.6), ("a", 0.5), False),                # a worse one (resumed from an older checkpoint)
    (("a", 0.6), ("a", 0.6), False),                # no better
    (("b", 0.1), ("a", 0.9), False),                # another run's
    ("garbage", ("a", 0.5), True),                  # not a weights file at all
])
def test_best_is_only_replaced_by_a_better_model_of_the_same_run(tmp_path, existing, candidate, allowed):
    path = tmp_path / "best.safetensors"
    if existing == "garbage":
        path.write_bytes(b"junk")
    elif existing is not None:
        _weights_file(path, *existing)
    assert may_replace_best(path, candidate[0], "val_accuracy", "max", candidate[1]) is allowed


def test_model_checkpoint_keeps_another_runs_best(tmp_path):
    """Through the API: a ModelCheckpoint aimed at a folder holding another run's best leaves it,
    with a warning."""
    from gradstep import nn, optim
    from gradstep.data import DataLoader, TensorDataset
    from gradstep.train import ModelCheckpoint, Trainer

    _weights_file(tmp_path / "best.safetensors", "other-run", 0.1, monitor="train_loss")
    before = hashes(tmp_path / "best.safetensors")
    model = nn.Linear(2, 1)
    data = DataLoader(TensorDataset(gs.randn(20, 2), gs.randn(20, 1)), batch_size=5)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(), verbose=0,
                      callbacks=[ModelCheckpoint(tmp_path, monitor="train_loss", mode="min")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(data, epochs=1)
    assert any("belongs to another run" in str(w.message) for w in caught)
    assert hashes(tmp_path / "best.safetensors") == before


def test_resumed_run_keeps_its_run_id(folder):
    run_id = load_metadata(folder / "last.safetensors")[RUN_KEY]
    assert cli("train", "--resume", folder / "last.safetensors", "--epochs", 2, "--quiet").code == 0
    assert load_metadata(folder / "last.safetensors")[RUN_KEY] == run_id


def test_stale_temporaries_of_killed_writers_do_not_block_a_run(folder):
    (folder / ".tmp-last.safetensors.999999999.abc").write_bytes(b"half")
    r = run("train", "--resume", folder / "last.safetensors", "--epochs", 2, "--quiet")
    assert r.code == 0, r.err
    assert not any(n.startswith(".tmp-") for n in listing(folder))


# ------------------------------------------------------------------ config.json names no code to run

EVIL = "import pathlib\npathlib.Path({marker!r}).write_text('imported')\ndef build(*args, **kwargs):\n" \
       "    raise RuntimeError('never called here')\n"


@pytest.fixture
def named_code(finished, tmp_path, monkeypatch):
    """A copy of a finished run whose config.json names a module that, imported, writes a marker."""
    import json

    marker = tmp_path / "MARKER"
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "evil_factory.py").write_text(EVIL.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    folder = tmp_path / "r"
    shutil.copytree(finished, folder)
    doc = json.loads((folder / "config.json").read_text())
    doc["config"]["model"] = "evil_factory:build"
    (folder / "config.json").write_text(json.dumps(doc))
    yield folder, marker
    sys.modules.pop("evil_factory", None)


def test_load_config_never_imports_code_a_file_names(named_code):
    from gradstep.explore.runs import RunFolderError, load_config

    folder, marker = named_code
    with pytest.raises(RunFolderError, match="--model evil_factory:build, which gradstep does not import"):
        load_config(folder)
    assert not marker.exists()
    assert load_config(folder, model="mlp").model == "mlp"  # the caller's own choice instead
    assert not marker.exists()
    load_config(folder, model="evil_factory:build")  # named by the caller: the caller's own code
    assert marker.exists()


def test_gradstep_plot_never_imports_code_a_config_names(named_code, tmp_path):
    folder, marker = named_code
    r = cli("plot", folder, "--out", tmp_path / "fig")
    assert r.code == 0, r.err
    assert not marker.exists() and (tmp_path / "fig.png").exists()
