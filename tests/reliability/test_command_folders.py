"""Every command's output folder is owned as train's is (gradstep.train.run_folder): compare, sweep,
lr-find, landscape, curvature and plot refuse a folder holding another run's results unless --overwrite, lock
it while they run, and take over a dead holder's lock; a second compare never replaces a report."""

import os
import shutil

import pytest

from gradstep.train.run_folder import LOCK_NAME, OutputFolderError, RunFolder

from ._helpers import TINY, cli, hashes, listing, one_line

COMPARE = ("compare", "--dataset", "linreg", "--epochs", "1", "--batch-size", "50", "--optimizers", "sgd",
           "--seeds", "1", "--quiet")
# the quickest run of each command that writes a folder; plot's --out is a file name in the folder
COMMANDS = {
    "compare": COMPARE,
    "sweep": ("sweep", "--dataset", "linreg", "--epochs", "1", "--batch-size", "50", "--optimizer", "sgd",
              "--lr", "0.01,0.1", "--quiet"),
    "lr-find": ("lr-find", "--dataset", "linreg", "--batch-size", "50", "--num-iter", "5"),
    "landscape": ("landscape", "--steps", "20"),
    "curvature": ("curvature", "--dataset", "linreg", "--batch-size", "50", "--k", "1", "--num-batches", "1",
                  "--trace-samples", "0"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A finished train run and a finished comparison."""
    root = tmp_path_factory.mktemp("runs")
    assert cli("train", *TINY, "--out", root / "train").code == 0
    r = cli(*COMPARE, "--out", root / "compare")
    assert r.code == 0, r.err
    return root


@pytest.fixture
def copy(runs, tmp_path):
    def make(name):
        shutil.copytree(runs / name, tmp_path / name)
        return tmp_path / name
    return make


@pytest.mark.parametrize("holder", ["train", "compare"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_holding_another_run_is_refused(copy, command, holder):
    folder = copy(holder)
    before = hashes(folder)
    one_line(cli(*COMMANDS[command], "--out", folder), 2, str(folder), "already holds a run", "--overwrite")
    assert hashes(folder) == before


def test_a_second_compare_never_replaces_the_report(copy):
    folder = copy("compare")
    before = hashes(folder)
    line = one_line(cli(*COMPARE, "--optimizers", "adam", "--out", folder), 2, str(folder), "report.md",
                    "--overwrite")
    assert "--resume" not in line  # a comparison cannot be resumed: not offered
    assert hashes(folder) == before and LOCK_NAME not in listing(folder)


def test_overwrite_replaces_the_results(copy):
    folder = copy("compare")
    r = cli(*COMPARE, "--optimizers", "adam", "--out", folder, "--overwrite")
    assert r.code == 0, r.err
    report = (folder / "report.md").read_text()
    assert "| `adam` |" in report and "`sgd`" not in report
    assert LOCK_NAME not in listing(folder)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_in_use_is_refused(tmp_path, command):
    with RunFolder(tmp_path / "r"):  # another run holds it
        one_line(cli(*COMMANDS[command], "--out", tmp_path / "r"), 2, str(tmp_path / "r"),
                 "in use by another run", f"pid {os.getpid()}")
        assert listing(tmp_path / "r") == [LOCK_NAME]


def test_the_lock_is_held_for_the_life_of_the_run(tmp_path, monkeypatch):
    from gradstep.explore.compare import CompareConfig

    out, seen = tmp_path / "r", []
    original = CompareConfig.run

    def run(self, **kwargs):  # while the comparison trains, a second writer is kept out
        with pytest.raises(OutputFolderError, match="in use by another run"):
            RunFolder(out).acquire()
        seen.append(listing(out))
        return original(self, **kwargs)

    monkeypatch.setattr(CompareConfig, "run", run)
    assert cli(*COMPARE, "--out", out).code == 0
    assert seen == [[LOCK_NAME]] and "report.md" in listing(out) and LOCK_NAME not in listing(out)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_dead_holders_lock_is_taken_over(tmp_path, command):
    out = tmp_path / "r"
    out.mkdir()
    (out / LOCK_NAME).write_text("pid 999999999 on elsewhere\n")  # no process holds its flock
    r = cli(*COMMANDS[command], "--out", out)
    assert r.code == 0, r.err
    assert "took over" in r.err and "999999999" in r.err
    assert LOCK_NAME not in listing(out)
    assert set(listing(out)) == set(RunFolder(out).run_files())  # all it wrote marks the folder as a run's


# ------------------------------------------------------------------ plot

def test_plot_into_a_run_folder_is_refused(copy):
    folder = copy("train")
    before = hashes(folder)
    one_line(cli("plot", folder, "--out", folder / "overlay"), 2, str(folder), "already holds a run",
             "--overwrite")
    one_line(cli("plot", folder, "--out", folder / "curves"), 2, str(folder / "curves.png"), "already exists",
             "--overwrite")  # the run's own figure, named first
    assert hashes(folder) == before and sorted(listing(folder)) == sorted(os.path.basename(p) for p in before)


def test_plot_never_replaces_its_own_figure_unasked(runs, tmp_path):
    out = tmp_path / "fig"
    assert cli("plot", runs / "train", "--out", out).code == 0
    before = hashes(tmp_path)
    one_line(cli("plot", runs / "train", "--out", out), 2, f"{out}.png", "already exists", "--overwrite")
    assert hashes(tmp_path) == before
    assert cli("plot", runs / "train", "--out", out, "--overwrite").code == 0


def test_plot_overwrite_adds_beside_a_run_removing_nothing(copy):
    folder = copy("train")
    before = hashes(folder)
    assert cli("plot", folder, "--out", folder / "overlay", "--overwrite").code == 0
    assert {k: v for k, v in hashes(folder).items() if k in before} == before
    assert "overlay.png" in listing(folder) and LOCK_NAME not in listing(folder)


def test_plot_into_a_folder_in_use_is_refused(runs, tmp_path):
    with RunFolder(tmp_path / "p"):
        one_line(cli("plot", runs / "train", "--out", tmp_path / "p" / "fig"), 2, "in use by another run")
    assert not (tmp_path / "p" / "fig.png").exists()
