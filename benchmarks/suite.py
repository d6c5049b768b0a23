"""The performance suite: every case in fresh processes, contenders alternating, medians, ratios.

    python -m benchmarks                 # everything, one BLAS thread and the default settings
    python -m benchmarks --threads one   # one setting only
    python -m benchmarks --cases mlp64,cnn --rounds 3
    python -m benchmarks --smoke         # every case tiny (the CI smoke test): no figures to trust
    python -m benchmarks --goals --out DIR   # the issue's cases only, capped (~10 min on 2 cores)
    python -m benchmarks --from-json A/results.json B/results.json   # two runs -> one report

Each measurement is one child process (``benchmarks.child``), so import state, allocator state and
thread settings never leak between contenders. Within a case the contenders alternate, A B C A B C
..., over ``rounds`` rounds, and the tables give the median with the spread (max - min) / median
of the rounds as the noise. The process's CPU time is recorded beside the wall time: a steadier
figure when other work shares the cores (the targets are judged on wall time), and so is the
number of threads that really ran (``busy_threads``). Writes ``results.json`` (every raw figure)
and ``results.md``; a run written to ``benchmarks/`` (the default ``--out``) also regenerates the
README's performance table between its marker comments.

Every child runs without ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` (a workplace may set them
to pin OpenBLAS to older kernels; a user's machine does not), and the report records the kernel
OpenBLAS picked. A goal of the performance issue counts as met when it holds in two separate
runs: ``--from-json`` with several results.json files writes one report with the range of each
figure over the runs.
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
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GRADSTEP_NUM_THREADS",
               "PJRT_NPROC")
PINS = machine.PINS  # never in a benchmark process: see the docstring
SETTINGS = {"one": "one thread (OMP/OPENBLAS/MKL/GRADSTEP_NUM_THREADS=1, and PJRT_NPROC=1 for JAX's pool)",
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
    goals: dict | None = None   # --goals: {"settings": (...), "rounds": n, "train": n, "test": n}


MLP_RATIOS = (("gradstep", "torch"), ("gradstep", "numpy"), ("gradstep", "jax"), ("torch", "numpy"))
COMPILED_RATIOS = tuple(("gradstep-compiled", other) for other in ("torch", "numpy", "jax"))
CASES = [
    Case("mlp64", "MLP 784-200-10, one epoch, batch 64, Adam (lr 1e-3)", "mlp",
         ("gradstep", "gradstep-compiled", "torch", "numpy", "jax"),
         {"batch": 64, "optimizer": "adam", "lr": 1e-3}, {"train": 512, "test": 256, "smoke": True}, 5,
         MLP_RATIOS + COMPILED_RATIOS,
         {"settings": ("one",), "rounds": 11, "train": 19200, "test": 2000}),
    Case("mlp1", "MLP 784-200-10, one epoch, batch 1, plain SGD (lr 1e-2)", "mlp",
         ("gradstep", "gradstep-compiled", "torch", "numpy", "jax"),
         {"batch": 1, "optimizer": "sgd", "lr": 1e-2},
         {"train": 64, "test": 256, "smoke": True}, 3, MLP_RATIOS + COMPILED_RATIOS,
         {"settings": ("one",), "rounds": 5, "train": 3000, "test": 2000}),
    Case("trainer", "MLP batch 64 Adam: Trainer.fit against the eager loop", "mlp",
         ("gradstep", "gradstep-trainer", "gradstep-compiled", "gradstep-trainer-eager"),
         {"batch": 64, "optimizer": "adam", "lr": 1e-3},
         {"train": 512, "test": 256, "smoke": True}, 5,
         (("gradstep-trainer", "gradstep"), ("gradstep-trainer", "gradstep-compiled"),
          ("gradstep-trainer-eager", "gradstep")),
         {"settings": ("one",), "rounds": 9, "train": 19200, "test": 500}),
    Case("cnn", "small CNN (gradstep.models.cnn), one epoch, batch 64, Adam (lr 1e-3)", "cnn",
         ("gradstep", "gradstep-compiled", "torch", "jax"), {"batch": 64},
         {"train": 128, "test": 100, "smoke": True}, 3,
         (("gradstep", "torch"), ("gradstep", "jax"), ("gradstep-compiled", "torch"),
          ("gradstep-compiled", "jax")),
         {"settings": ("one", "default"), "rounds": 9, "train": 4800, "test": 2000}),
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
    """The environment of a benchmark child: the thread variables of ``setting``, no OpenBLAS pin,
    and the repository on the path."""
    env = dict(os.environ)
    for v in THREAD_VARS + PINS:
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
    if "unavailable" in res:
        return f"not run: {res['unavailable']}"
    if "us" in res:
        return f"{len(res['us'])} figures"
    parts = [f"{res['seconds']:.3f} s", f"CPU {res['cpu_seconds']:.3f} s"] if "cpu_seconds" in res \
        else [f"{res['seconds']:.3f} s"]
    if "test_accuracy" in res:
        parts.append(f"acc {res['test_accuracy']:.2f}%")
    if "busy_threads" in res:
        parts.append(f"{res['busy_threads']} busy thread(s)")
    if "compile_seconds" in res:
        parts.append(f"compile {res['compile_seconds']:.2f} s")
    return ", ".join(parts)


def _stats(values: list[float]) -> dict:
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else 0.0, "n": len(values)}


def summarise(case: Case, raw: dict) -> dict:
    """Medians (and spreads) per contender, ratios of medians, and the other reported figures."""
    ok = {c: [r for r in rs if "error" not in r and "unavailable" not in r] for c, rs in raw.items()}
    errors = {c: [r["error"] for r in rs if "error" in r] for c, rs in raw.items()}
    unavailable = {c: r["unavailable"] for c, rs in raw.items() for r in rs if "unavailable" in r}
    out: dict = {"contenders": {}, "ratios": {}, "errors": {c: e for c, e in errors.items() if e},
                 "unavailable": unavailable}
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
        for extra in ("test_accuracy", "mean_loss", "steps", "samples_per_s", "samples", "compile_seconds",
                      "busy_threads", "minor_faults"):
            values = [r[extra] for r in rs if extra in r]  # busy_threads: only parts of >= 0.5 s
            if values:
                entry[extra] = statistics.median(values)
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


def _runs(paths: list[str]) -> list[dict]:
    """The runs in results.json files (a combined file holds several under "runs")."""
    runs = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as e:
            raise SystemExit(f"python -m benchmarks: cannot read {path}: {e}") from None
        found = data["runs"] if isinstance(data, dict) and "runs" in data else [data]
        if not all(isinstance(r, dict) and "settings" in r and "host" in r for r in found):
            raise SystemExit(f"python -m benchmarks: {path} is not a results.json of this suite")
        runs += found
    return runs


def write(runs: list[dict], out: Path, log) -> None:
    """results.json (one run as it is, several under "runs") and results.md into ``out``; the
    README's table too when ``out`` is benchmarks/ and no run is a smoke run."""
    for run in runs:
        run["targets"] = report.targets(run)
    data = runs[0] if len(runs) == 1 else {"runs": runs}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    (out / "results.md").write_text(report.markdown(runs, CASES))
    log(f"wrote {out / 'results.json'} and {out / 'results.md'}")
    if out.resolve() == (ROOT / "benchmarks").resolve() and not any(r["smoke"] for r in runs):
        if report.update_readme(ROOT / "README.md", runs):
            log(f"regenerated the performance table of {ROOT / 'README.md'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="every case tiny, one round, one thread (CI)")
    p.add_argument("--goals", action="store_true",
                   help="only the performance issue's cases (MLP batch 64 and 1, Trainer.fit, CNN with one "
                        "and default threads), each with its training cap and rounds (about 10 minutes on "
                        "2 cores); --rounds, --train and --test still override")
    p.add_argument("--threads", choices=["one", "default", "both"], default=None,
                   help="thread settings to run (default: both; one with --smoke; with --goals each "
                        "case's own)")
    p.add_argument("--cases", default=None, help=f"comma-separated subset of {[c.name for c in CASES]}")
    p.add_argument("--rounds", type=int, default=None, help="rounds for every case (default: per case)")
    p.add_argument("--train", default=None,
                   help="train on the first N training images only, N or CASE=N,... (default: all "
                        "60,000; the ratios are per step, so part of an epoch gives them on a slow machine)")
    p.add_argument("--test", default=None, help="evaluate on the first N test images only (N or CASE=N,...)")
    p.add_argument("--out", default=None, help="directory for results.json and results.md "
                   "(default: benchmarks/, which also regenerates README's table; a temporary directory "
                   "with --smoke)")
    p.add_argument("--from-json", nargs="+", default=None, metavar="PATH",
                   help="measure nothing: write results.md (and README's table) again from one or more "
                        "results.json; several runs give one report with the range over them, a goal met "
                        "when it holds in every run (default --out: benchmarks/)")
    args = p.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    if args.from_json:
        runs = _runs(args.from_json)
        write(runs, Path(args.out) if args.out else ROOT / "benchmarks", log)
        return 0
    if args.smoke and args.goals:
        p.error("--smoke and --goals do not combine: --smoke runs every case tiny, --goals the issue's cases")
    threads = args.threads or ("one" if args.smoke else "both")
    settings = ["one", "default"] if threads == "both" else [threads]
    cases = [c for c in CASES if c.goals] if args.goals else CASES
    if args.cases:
        wanted = args.cases.split(",")
        unknown = sorted(set(wanted) - {c.name for c in CASES})
        if unknown:
            p.error(f"unknown case(s) {unknown}; known: {[c.name for c in CASES]}")
        cases = [c for c in cases if c.name in wanted]
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix="gradstep-bench-")) if args.smoke
                                           else ROOT / "benchmarks")
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "smoke": args.smoke, "goals": args.goals,
               "argv": ["python -m benchmarks"] + list(sys.argv[1:] if argv is None else argv),
               "host": machine.host(), "settings": {}}
    for s in settings:
        chosen = [c for c in cases if not args.goals or args.threads or s in c.goals["settings"]]
        if not chosen:
            continue
        log(f"thread setting: {SETTINGS[s]}")
        probe = child("machine", "-", {}, thread_env(s))
        results["settings"][s] = {"description": SETTINGS[s], "libraries": probe, "cases": {}}
        for case in chosen:
            goal = case.goals if args.goals else {}
            caps = {"train": _cap(args.train, case.name) or goal.get("train"),
                    "test": _cap(args.test, case.name) or goal.get("test")}
            rounds = args.rounds or goal.get("rounds")
            results["settings"][s]["cases"][case.name] = run_case(case, s, args.smoke, rounds, log, caps)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    write([results], out, log)
    return 0
