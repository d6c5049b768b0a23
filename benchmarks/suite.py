"""The performance suite: every case in fresh processes, contenders alternating, medians, ratios.

    python -m benchmarks                 # everything, one BLAS thread and the default settings
    python -m benchmarks --threads one   # one setting only
    python -m benchmarks --cases mlp64,cnn --rounds 3
    python -m benchmarks --smoke         # every case tiny (the CI smoke test): no figures to trust

Each measurement is one child process (``benchmarks.child``), so import state, allocator state and
thread settings never leak between contenders. Within a case the contenders alternate, A B C A B C
..., over ``rounds`` rounds, and the tables give the median with the spread (max - min) / median
of the rounds as the noise. The process's CPU time is recorded beside the wall time: a steadier
figure when other work shares the cores (the targets are judged on wall time). Writes
``results.json`` (every raw figure) and ``results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import machine, report

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GRADSTEP_NUM_THREADS")
SETTINGS = {"one": "one BLAS/OpenMP thread (OMP/OPENBLAS/MKL/GRADSTEP_NUM_THREADS=1)",
            "default": "each library's default thread settings (no thread variable set)"}


@dataclass
class Case:
    """One row of the suite: what to run, in which contenders, at full and at smoke size."""

    name: str
    title: str
    module: str
    contenders: tuple
    kwargs: dict = field(default_factory=dict)
    smoke: dict = field(default_factory=dict)
    rounds: int = 5
    ratios: tuple = ()          # (numerator, denominator) contender pairs of median times


CASES = [
    Case("mlp64", "MLP 784-200-10, one epoch, batch 64, Adam (lr 1e-3)", "mlp",
         ("gradstep", "torch", "numpy"), {"batch": 64, "optimizer": "adam", "lr": 1e-3},
         {"train": 512, "test": 256, "smoke": True}, 5,
         (("gradstep", "torch"), ("gradstep", "numpy"), ("torch", "numpy"))),
    Case("mlp1", "MLP 784-200-10, one epoch, batch 1, plain SGD (lr 1e-2)", "mlp",
         ("gradstep", "torch", "numpy"), {"batch": 1, "optimizer": "sgd", "lr": 1e-2},
         {"train": 64, "test": 256, "smoke": True}, 3,
         (("gradstep", "torch"), ("gradstep", "numpy"), ("torch", "numpy"))),
    Case("trainer", "MLP batch 64 Adam: Trainer.fit against the eager loop", "mlp",
         ("gradstep", "gradstep-trainer"), {"batch": 64, "optimizer": "adam", "lr": 1e-3},
         {"train": 512, "test": 256, "smoke": True}, 5, (("gradstep-trainer", "gradstep"),)),
    Case("cnn", "small CNN (gradstep.models.cnn), one epoch, batch 64, Adam (lr 1e-3)", "cnn",
         ("gradstep", "torch"), {"batch": 64}, {"train": 128, "test": 100, "smoke": True}, 3,
         (("gradstep", "torch"),)),
    Case("optim", "one optimizer step (µs), 4 / 40 / 200 parameter tensors", "optim_step",
         ("flat", "per-param", "torch"), {}, {"steps": 2, "warmup": 1}, 5),
    Case("hvp", "one Hessian-vector product against one gradient (µs), MLP and CNN, batch 64", "hvp",
         ("gradient", "hvp"), {}, {"steps": 2, "warmup": 1, "smoke": True}, 5),
    Case("loader", "DataLoader, one epoch of Fashion-MNIST images, batch 64, shuffled", "loader",
         ("gradstep w0", "torch w0", "gradstep w2", "torch w2"), {}, {"train": 640, "smoke": True}, 3,
         (("gradstep w0", "torch w0"), ("gradstep w2", "torch w2"))),
    Case("import", "import time (fresh interpreter)", "startup", ("gradstep", "torch", "numpy"), {}, {}, 7,
         (("gradstep", "torch"),)),
]


def thread_env(setting: str) -> dict:
    env = dict(os.environ)
    for v in THREAD_VARS:
        env.pop(v, None)
    if setting == "one":
        env.update({v: "1" for v in THREAD_VARS})
    paths = [str(ROOT), str(ROOT / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def child(module: str, contender: str, kwargs: dict, env: dict) -> dict:
    """Run one measurement in a fresh process; {"error": ...} if it failed."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.child", module, contender, json.dumps(kwargs)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {proc.returncode}: {tail}"}


def run_case(case: Case, setting: str, smoke: bool, rounds: int | None, log,
             caps: dict | None = None) -> dict:
    env = thread_env(setting)
    kwargs = {**case.kwargs, **(case.smoke if smoke else {})}
    for key, cap in (caps or {}).items():  # --train / --test: fewer samples than the full data set
        if cap and key in case.smoke and not smoke:
            kwargs[key] = cap
    n = 1 if smoke else (rounds or case.rounds)
    raw: dict[str, list] = {c: [] for c in case.contenders}
    load = [os.getloadavg()[0]]
    t0 = time.perf_counter()
    for r in range(n):
        for c in case.contenders:
            res = child(case.module, c, kwargs, env)
            raw[c].append(res)
            log(f"  [{setting}] {case.name} round {r + 1}/{n} {c}: "
                + (res["error"] if "error" in res else _brief(res)))
    load.append(os.getloadavg()[0])
    return {"raw": raw, "summary": summarise(case, raw), "load": load, "wall_s": time.perf_counter() - t0,
            "rounds": n, "kwargs": kwargs}


def _brief(res: dict) -> str:
    if "us" in res:
        return f"{len(res['us'])} figures"
    parts = [f"{res['seconds']:.3f} s"]
    if "test_accuracy" in res:
        parts.append(f"acc {res['test_accuracy']:.2f}%")
    return ", ".join(parts)


def _stats(values: list[float]) -> dict:
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else 0.0, "n": len(values)}


def summarise(case: Case, raw: dict) -> dict:
    """Medians (and spreads) per contender, ratios of medians, and the other reported figures."""
    ok = {c: [r for r in rs if "error" not in r] for c, rs in raw.items()}
    errors = {c: [r["error"] for r in rs if "error" in r] for c, rs in raw.items()}
    out: dict = {"contenders": {}, "ratios": {}, "errors": {c: e for c, e in errors.items() if e}}
    for c, rs in ok.items():
        if not rs:
            continue
        if "us" in rs[0]:
            keys = rs[0]["us"]
            out["contenders"][c] = {k: statistics.median(r["us"][k] for r in rs) for k in keys}
            continue
        entry = {"seconds": _stats([r["seconds"] for r in rs]),
                 "cpu_seconds": _stats([r["cpu_seconds"] for r in rs]) if "cpu_seconds" in rs[0] else None,
                 "peak_rss_mb": statistics.median(r.get("rss_mb", r["peak_rss_mb"]) for r in rs)}
        for extra in ("test_accuracy", "mean_loss", "steps", "samples_per_s", "samples"):
            if extra in rs[0]:
                entry[extra] = statistics.median(r[extra] for r in rs)
        out["contenders"][c] = entry
    med = out["contenders"]
    out["cpu_ratios"] = {}
    for a, b in case.ratios:
        if a in med and b in med:
            out["ratios"][f"{a} / {b}"] = med[a]["seconds"]["median"] / med[b]["seconds"]["median"]
            if med[a]["cpu_seconds"] and med[b]["cpu_seconds"]:
                cpu = med[a]["cpu_seconds"]["median"] / med[b]["cpu_seconds"]["median"]
                out["cpu_ratios"][f"{a} / {b}"] = cpu
    return out


def _cap(spec: str | None, case: str) -> int | None:
    """``--train``/``--test``: ``N`` for every case, or ``CASE=N,...`` with an optional plain default."""
    if not spec:
        return None
    default = None
    for part in spec.split(","):
        name, _, value = part.rpartition("=")
        if name == case:
            return int(value)
        if not name:
            default = int(value)
    return default


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="every case tiny, one round, one thread (CI)")
    p.add_argument("--threads", choices=["one", "default", "both"], default=None,
                   help="thread settings to run (default: both; one with --smoke)")
    p.add_argument("--cases", default=None, help=f"comma-separated subset of {[c.name for c in CASES]}")
    p.add_argument("--rounds", type=int, default=None, help="rounds for every case (default: per case)")
    p.add_argument("--train", default=None,
                   help="train on the first N training images only, N or CASE=N,... (default: all "
                        "60,000; the ratios are per step, so part of an epoch gives them on a slow machine)")
    p.add_argument("--test", default=None, help="evaluate on the first N test images only (N or CASE=N,...)")
    p.add_argument("--out", default=None, help="directory for results.json and results.md "
                   "(default: benchmarks/, or a temporary directory with --smoke)")
    p.add_argument("--from-json", default=None, metavar="PATH",
                   help="only write results.md again from a results.json (e.g. after editing analysis.md)")
    args = p.parse_args(argv)
    if args.from_json:
        path = Path(args.from_json)
        results = json.loads(path.read_text())
        results["targets"] = report.targets(results)
        path.write_text(json.dumps(results, indent=1) + "\n")
        path.with_name("results.md").write_text(report.markdown(results, CASES))
        return 0
    threads = args.threads or ("one" if args.smoke else "both")
    settings = ["one", "default"] if threads == "both" else [threads]
    cases = CASES
    if args.cases:
        wanted = args.cases.split(",")
        unknown = sorted(set(wanted) - {c.name for c in CASES})
        if unknown:
            p.error(f"unknown case(s) {unknown}; known: {[c.name for c in CASES]}")
        cases = [c for c in CASES if c.name in wanted]
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix="gradstep-bench-")) if args.smoke
                                           else ROOT / "benchmarks")
    out.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "smoke": args.smoke, "host": machine.host(),
               "settings": {}}
    for s in settings:
        log(f"thread setting: {SETTINGS[s]}")
        probe = child("machine", "-", {}, thread_env(s))
        results["settings"][s] = {"description": SETTINGS[s], "libraries": probe, "cases": {}}
        for case in cases:
            caps = {"train": _cap(args.train, case.name), "test": _cap(args.test, case.name)}
            results["settings"][s]["cases"][case.name] = run_case(case, s, args.smoke, args.rounds, log, caps)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["targets"] = report.targets(results)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "results.md").write_text(report.markdown(results, CASES))
    log(f"wrote {out / 'results.json'} and {out / 'results.md'}")
    return 0
