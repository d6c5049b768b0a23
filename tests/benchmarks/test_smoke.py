"""The performance suite runs end to end at tiny sizes (``python -m benchmarks --smoke``) and writes
its files. No timing is asserted: the figures of a smoke run mean nothing."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_completes_and_writes_results(tmp_path, torch):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    cases = results["settings"]["one"]["cases"]
    assert set(cases) == {"mlp64", "mlp1", "trainer", "cnn", "optim", "hvp", "loader", "import"}
    for name, case in cases.items():
        for contender, runs in case["raw"].items():
            assert runs and all("error" not in r for r in runs), (name, contender, runs)
    # every contender of the MLP trained the same network on the same batches
    for name in ("mlp64", "mlp1"):
        accs = {c: v["test_accuracy"] for c, v in cases[name]["summary"]["contenders"].items()}
        assert max(accs.values()) - min(accs.values()) <= 0.5, accs
    assert len(results["targets"]) == 12
    text = (tmp_path / "results.md").read_text()
    assert "smoke mode" in text and "## Targets" in text and "Machine:" in text


def test_in_process_diagnostic_runs_and_reports_its_ratios():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.in_process", "1", "256"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 rounds alternating in one process, 256 images, 4 steps" in proc.stdout
    assert "gradstep / numpy = " in proc.stdout and "Trainer.fit / eager loop = " in proc.stdout
    assert "gradstep-fused / numpy = " in proc.stdout


def test_conv_script_reports_both_layers(torch):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.conv", "1", "1", "4"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if "gradstep / torch = " in ln]
    assert [ln.split()[0] for ln in lines] == ["conv1", "conv2"], proc.stdout
