"""The performance suite runs end to end at tiny sizes (``python -m benchmarks --smoke``) and writes
its files; its report combines runs. No timing is asserted: the figures of a smoke run mean nothing."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One smoke run, with OpenBLAS pinned in the parent: the suite must unset the pin in its children.
    (The tests using it take the ``torch`` fixture too, which fails them in CI if torch is missing.)"""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("smoke")
    env = {**os.environ, "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_smoke_run_completes_and_writes_results(torch, smoke_run):
    results = json.loads((smoke_run / "results.json").read_text())
    cases = results["settings"]["one"]["cases"]
    assert set(cases) == {"mlp64", "mlp1", "trainer", "cnn", "optim", "hvp", "loader", "import"}
    jax_installed = importlib.util.find_spec("jax") is not None
    for name, case in cases.items():
        for contender, runs in case["raw"].items():
            assert runs and all("error" not in r for r in runs), (name, contender, runs)
            if contender == "jax":  # an optional contender: run where installed, else reported
                assert all(("unavailable" in r) != jax_installed for r in runs), runs
    # every contender trained the same network on the same batches
    for name in ("mlp64", "mlp1", "cnn"):
        accs = {c: v["test_accuracy"] for c, v in cases[name]["summary"]["contenders"].items()}
        assert max(accs.values()) - min(accs.values()) <= 0.5, accs
        assert ("jax" in accs) == jax_installed
    # Trainer.fit (captured by default, and with compile_step=False), the eager loop and the
    # captured loop: the same bits, so the same accuracy
    accs = {c: v["test_accuracy"] for c, v in cases["trainer"]["summary"]["contenders"].items()}
    assert len(accs) == 4 and len(set(accs.values())) == 1, accs
    if jax_installed:
        assert cases["cnn"]["summary"]["contenders"]["jax"]["compile_seconds"] > 0
    assert [t["group"] for t in results["targets"]] == ["goal"] * 22 + ["earlier"] * 5
    text = (smoke_run / "results.md").read_text()
    assert "smoke mode" in text and "## Goals of the performance issue" in text and "Machine:" in text


def test_children_run_without_the_openblas_pin_and_record_the_kernel(torch, smoke_run):
    libraries = json.loads((smoke_run / "results.json").read_text())["settings"]["one"]["libraries"]
    env = libraries["environment"]
    assert env["OPENBLAS_CORETYPE"] is None and env["OPENBLAS_L2_SIZE"] is None
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["PJRT_NPROC"] == "1"
    blas = [p for p in libraries["threadpools"] if p["user_api"] == "blas"]
    assert blas and all(p["architecture"] for p in blas)


def test_two_runs_combine_into_one_report_with_ranges(torch, smoke_run, tmp_path):
    run = json.loads((smoke_run / "results.json").read_text())
    second = json.loads(json.dumps(run))
    mlp = second["settings"]["one"]["cases"]["mlp64"]["summary"]
    mlp["ratios"]["gradstep-compiled / torch"] = 0.1  # met in this run only
    (tmp_path / "b.json").write_text(json.dumps(second))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--from-json", str(smoke_run / "results.json"),
                           str(tmp_path / "b.json"), "--out", str(tmp_path / "both")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    combined = json.loads((tmp_path / "both" / "results.json").read_text())
    assert len(combined["runs"]) == 2
    rows = {t["target"]: t for t in report.combined_targets(combined["runs"])}
    row = rows["MLP batch 64 Adam, one thread: gradstep.compile_step <= 0.55x PyTorch"]
    first = run["settings"]["one"]["cases"]["mlp64"]["summary"]["ratios"]["gradstep-compiled / torch"]
    assert row["range"] == (min(first, 0.1), max(first, 0.1))
    assert row["met"] is (first <= 0.55)  # a goal is met only when it holds in both runs
    text = (tmp_path / "both" / "results.md").read_text()
    assert "2 runs combined" in text and "## Run 1" in text and "## Run 2" in text
    assert "range over 2 runs" in text


def test_from_json_names_a_file_that_is_not_results(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text('{"a": 1}')
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--from-json", str(bad), "--out",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    line = f"python -m benchmarks: {bad} is not a results.json of this suite"
    assert proc.stderr.strip().splitlines() == [line]
    assert not (tmp_path / "results.md").exists()


def test_readme_table_is_replaced_between_its_markers(torch, smoke_run, tmp_path):
    run = json.loads((smoke_run / "results.json").read_text())
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\nbefore\n{report.README_START}\nold table\n{report.README_END}\nafter\n")
    assert report.update_readme(readme, [run])
    text = readme.read_text()
    assert "old table" not in text and text.startswith("# t\n\nbefore\n") and text.endswith("after\n")
    assert "| MLP 784-200-10, batch 64, Adam, one thread |" in text and "| goal |" in text
    assert report.update_readme(readme, [run]) and readme.read_text() == text  # idempotent
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    assert not report.update_readme(plain, [run]) and plain.read_text() == "no markers\n"


def test_in_process_diagnostic_runs_and_reports_its_ratios():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.in_process", "1", "256"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 rounds alternating in one process, 256 images, 4 steps" in proc.stdout
    assert "gradstep / numpy = " in proc.stdout and "Trainer.fit / eager loop = " in proc.stdout
    assert "gradstep-compiled / numpy = " in proc.stdout


def test_conv_script_reports_both_layers(torch):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.conv", "1", "1", "4"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if "gradstep / torch = " in ln]
    assert [ln.split()[0] for ln in lines] == ["conv1", "conv2"], proc.stdout


def test_cnn_profile_reports_every_layer_beside_torch_and_the_floor(torch):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cnn_profile", "1", "1", "256"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "sgemm peak" in proc.stdout and "1 thread(s) each" in proc.stdout
    rows = {ln.split("|")[1].strip(): ln for ln in proc.stdout.splitlines() if ln.startswith("| ")}
    for name in ("conv1", "bn1", "relu1", "pool1", "conv2", "linear1", "loss", "adam", "step", "sum of rows"):
        assert name in rows, proc.stdout
    conv2 = [c.strip() for c in rows["conv2"].split("|")[2:-1]]
    assert all(float(c) > 0 for c in conv2), rows["conv2"]  # four timings and the two floors


def test_a_missing_jax_is_reported_not_an_error(monkeypatch, capsys):
    from benchmarks import child
    monkeypatch.setitem(sys.modules, "jax", None)  # what an environment without JAX gives
    child.main(["mlp", "jax", json.dumps({"batch": 64, "optimizer": "adam", "lr": 1e-3, "train": 64,
                                          "test": 64, "smoke": True})])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("RESULT ")
    result = json.loads(line[len("RESULT "):])
    assert result == {"unavailable": "jax is not installed (an optional benchmark dependency: "
                                     "pip install -e '.[bench]')"}


def test_thread_measurements_run_in_a_child_without_the_openblas_pin(tmp_path):
    env = {**os.environ, "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    args = [sys.executable, "-m", "benchmarks.threads", "--smoke", "--json", str(tmp_path / "t.json")]
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "t.json").read_text())
    assert set(result["switch"]["environment"].values()) == {None}  # pin and thread variables unset
    assert result["switch"]["architecture"]
    assert [r["name"] for r in result["idle"]["gemm"]] == ["MLP fwd 64x784 @ 784x200"]
    assert {r["op"] for r in result["idle"]["elementwise"]} == {"add", "multiply", "maximum", "exp"}
    assert "| product | M MACs | 1 thread | OpenBLAS 2 threads | gradstep split in 2 |" in proc.stdout


def test_loops_reports_each_compiled_layer_on_one_and_two_threads():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.loops", "1", "4"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [ln.split("|")[1:-1] for ln in proc.stdout.splitlines() if ln.startswith("| ") and "---" not in ln]
    names = [r[0].strip() for r in rows[1:]]
    assert names == ["batch norm fwd", "batch norm bwd", "relu fwd", "relu bwd", "max pool fwd",
                     "max pool bwd"]
    assert all(r[2].strip() == "50176" and float(r[-1]) > 0 for r in rows[1:]), proc.stdout


def test_cnn_threads_reports_each_contender_on_one_and_default_threads(torch):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cnn_threads", "1", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [[c.strip() for c in ln.split("|")[1:-1]] for ln in proc.stdout.splitlines()
            if ln.startswith("| ") and "---" not in ln][1:]
    assert [r[:2] for r in rows] == [[n, t] for n in ("gradstep jit", "gradstep numpy", "torch")
                                     for t in ("1", "default")], proc.stdout
    assert all(float(v) > 0 for r in rows for v in r[2:]), proc.stdout
