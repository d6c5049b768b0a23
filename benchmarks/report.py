"""The targets of the performance issue checked against the figures, and ``results.md``."""

from __future__ import annotations

from pathlib import Path

ANALYSIS = Path(__file__).with_name("analysis.md")


def _summary(results: dict, case: str, setting: str = "one") -> dict | None:
    c = results["settings"].get(setting, {}).get("cases", {}).get(case)
    return None if c is None else c["summary"]


def _target(name: str, measured: str, met: bool | None) -> dict:
    return {"target": name, "measured": measured, "met": met}


def targets(results: dict) -> list[dict]:
    """Each target of the issue with the figure it is judged on (one BLAS thread); ``met`` is None
    when the figure is missing (a case not run, or a contender that failed)."""
    out = []

    def ratio(case, key, limit, name, le=True):
        s = _summary(results, case)
        r = None if s is None else s["ratios"].get(key)
        if r is None:
            out.append(_target(name, "not measured", None))
        else:
            cpu = s.get("cpu_ratios", {}).get(key)
            text = f"{r:.2f}x" + ("" if cpu is None else f" (CPU time {cpu:.2f}x)")
            out.append(_target(name, text, r <= limit if le else r >= limit))

    ratio("mlp64", "gradstep / torch", 0.65, "MLP batch 64 Adam: gradstep <= 0.65x PyTorch")
    ratio("mlp64", "gradstep / numpy", 1.15, "MLP batch 64 Adam: gradstep <= 1.15x hand-written NumPy")
    for case in ("mlp64", "mlp1"):
        s = _summary(results, case)
        accs = {} if s is None else {c: v.get("test_accuracy") for c, v in s["contenders"].items()}
        if "gradstep" in accs and len(accs) > 1:
            worst = max(abs(accs["gradstep"] - a) for c, a in accs.items() if c != "gradstep")
            text = ", ".join(f"{c} {a:.2f}%" for c, a in accs.items())
            out.append(_target(f"{case}: same test accuracy (within 0.5 points)", text, worst <= 0.5))
        else:
            out.append(_target(f"{case}: same test accuracy (within 0.5 points)", "not measured", None))
    ratio("mlp1", "gradstep / torch", 0.9, "MLP batch 1 SGD: gradstep <= 0.9x PyTorch")
    ratio("trainer", "gradstep-trainer / gradstep", 1.05, "Trainer.fit <= 1.05x the eager loop")
    ratio("cnn", "gradstep / torch", 1.5, "small CNN: gradstep <= 1.5x PyTorch")
    s = _summary(results, "optim")
    med = {} if s is None else s["contenders"]
    if "flat" in med and "per-param" in med:
        keys = [k for k in med["flat"] if k.endswith("| 40")]
        worst = min(keys, key=lambda k: med["per-param"][k] / med["flat"][k])
        r = med["per-param"][worst] / med["flat"][worst]
        out.append(_target("optimizer step, 40 tensors: flat >= 3x faster than per-parameter, "
                           "every optimizer",
                           f"slowest gain {r:.1f}x ({worst.split(' |')[0]})", r >= 3))
    else:
        out.append(_target("optimizer step: flat >= 3x per-parameter at 40 tensors", "not measured", None))
    if "flat" in med and "torch" in med:
        keys = [k for k in med["flat"] if k in med["torch"]]
        worst = min(keys, key=lambda k: med["torch"][k] / med["flat"][k])
        r = med["torch"][worst] / med["flat"][worst]
        out.append(_target("optimizer step: flat faster than torch.optim, every optimizer and size",
                           f"smallest torch/flat {r:.1f}x ({worst})", r > 1))
    else:
        out.append(_target("optimizer step: flat faster than torch.optim", "not measured", None))
    s = _summary(results, "hvp")
    med = {} if s is None else s["contenders"]
    if "gradient" in med and "hvp" in med:
        rs = {m: med["hvp"][m] / med["gradient"][m] for m in med["gradient"] if m in med["hvp"]}
        out.append(_target("one Hessian-vector product <= 4x one gradient (MLP, CNN)",
                           ", ".join(f"{m} {r:.2f}x" for m, r in rs.items()), max(rs.values()) <= 4))
    else:
        out.append(_target("one Hessian-vector product <= 4x one gradient", "not measured", None))
    s = _summary(results, "import")
    if s and "gradstep" in s["contenders"]:
        t = s["contenders"]["gradstep"]["seconds"]["median"]
        cpu = s["contenders"]["gradstep"].get("cpu_seconds")
        text = f"{t:.3f} s" + (f" (CPU time {cpu['median']:.3f} s)" if cpu else "")
        out.append(_target("import gradstep < 0.3 s", text, t < 0.3))
    else:
        out.append(_target("import gradstep < 0.3 s", "not measured", None))
    s = _summary(results, "mlp64")
    mem = {} if s is None else {c: v["peak_rss_mb"] for c, v in s["contenders"].items()}
    if "gradstep" in mem and "torch" in mem:
        r = mem["gradstep"] / mem["torch"]
        out.append(_target("peak memory of the MLP run < half of PyTorch's",
                           f"{mem['gradstep']:.0f} MB vs {mem['torch']:.0f} MB ({r:.2f}x)", r < 0.5))
    else:
        out.append(_target("peak memory of the MLP run < half of PyTorch's", "not measured", None))
    return out


def _mark(met) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def _case_table(case, data: dict) -> list[str]:
    s = data["summary"]
    sizes = ", ".join(f"{k} {v}" for k, v in data["kwargs"].items() if k in ("train", "test") and v)
    lines = [f"#### {case.title}", "",
             f"{data['rounds']} rounds, alternating; load average {data['load'][0]:.1f} before, "
             f"{data['load'][1]:.1f} after; {data['wall_s']:.0f} s wall"
             + (f"; first {sizes} images only" if sizes else "") + ".", ""]
    if case.name == "optim":
        med = s["contenders"]
        names = [c for c in case.contenders if c in med]
        lines += ["| optimizer | tensors | " + " | ".join(f"{c} µs" for c in names)
                  + " | per-param / flat | torch / flat |", "|---|---:|" + "---:|" * (len(names) + 2)]
        for key in med.get("flat", {}):
            opt, n = key.split(" | ")
            vals = [med[c].get(key) for c in names]
            pp = med.get("per-param", {}).get(key)
            tt = med.get("torch", {}).get(key)
            flat = med["flat"][key]
            lines.append(f"| {opt} | {n} | " + " | ".join("—" if v is None else f"{v:.0f}" for v in vals)
                         + f" | {pp / flat:.1f}x | " + ("—" if tt is None else f"{tt / flat:.1f}x") + " |")
    elif case.name == "hvp":
        med = s["contenders"]
        lines += ["| model | gradient µs | HVP µs | HVP / gradient |", "|---|---:|---:|---:|"]
        for m, g in med.get("gradient", {}).items():
            h = med.get("hvp", {}).get(m)
            lines.append(f"| {m} | {g:.0f} | " + ("—" if h is None else f"{h:.0f} | {h / g:.2f}x") + " |")
    else:
        lines += ["| contender | median s | spread | CPU s | peak RSS MB | other |",
                  "|---|---:|---:|---:|---:|---|"]
        for c, v in s["contenders"].items():
            other = []
            if "test_accuracy" in v:
                other.append(f"test acc {v['test_accuracy']:.2f}%")
            if "steps" in v:
                other.append(f"{v['seconds']['median'] / v['steps'] * 1e3:.3f} ms/step")
            if "samples_per_s" in v:
                other.append(f"{v['samples_per_s']:,.0f} samples/s")
            cpu = "—" if not v.get("cpu_seconds") else f"{v['cpu_seconds']['median']:.3f}"
            lines.append(f"| {c} | {v['seconds']['median']:.3f} | {100 * v['seconds']['spread']:.0f}% | "
                         f"{cpu} | {v['peak_rss_mb']:.0f} | {', '.join(other)} |")
        if s["ratios"]:
            ratios = "; ".join(f"{k} = **{r:.2f}x**" for k, r in s["ratios"].items())
            cpu = "; ".join(f"{k} = {r:.2f}x" for k, r in s.get("cpu_ratios", {}).items())
            lines += ["", f"Ratios of median wall times: {ratios}."
                      + (f" Of CPU times: {cpu}." if cpu else "")]
    for c, errs in s.get("errors", {}).items():
        lines.append(f"\n{c} failed: {errs[0]}")
    return lines + [""]


def markdown(results: dict, cases) -> str:
    h = results["host"]
    lines = ["# gradstep performance figures", "",
             "Generated by `python -m benchmarks` (`make bench`)"
             + (" in **smoke mode**: tiny sizes, the figures mean nothing" if results["smoke"] else "")
             + f", {results['started']} to {results['finished']}.", "",
             f"Machine: {h['cpu']}, {h['cores']} cores, {h['platform']}, Python {h['python']}. "
             "The cores are shared with other work: the load average is given for every case and the spread "
             "((max - min) / median over the rounds) says how noisy it was.", ""]
    for name, st in results["settings"].items():
        lib = st["libraries"]
        pools = ", ".join(f"{p['internal_api']} {p.get('version') or ''} ({p['num_threads']} threads)"
                          for p in (lib.get("threadpools") or []))
        lines.append(f"- **{name}**: {st['description']}. NumPy {lib.get('numpy')}, BLAS/OpenMP pools "
                     f"after `import gradstep` + `import torch`: {pools}; gradstep threads "
                     f"{lib.get('gradstep_threads')}; PyTorch {lib.get('torch')} with "
                     f"{lib.get('torch_threads')} intra-op threads.")
    lines += ["", "## Targets (one BLAS thread)", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {_mark(t['met'])} |" for t in results["targets"]]
    lines.append("")
    by_name = {c.name: c for c in cases}
    for name, st in results["settings"].items():
        lines += [f"## Thread setting: {name}", "", st["description"] + ".", ""]
        for cname, data in st["cases"].items():
            lines += _case_table(by_name[cname], data)
    if ANALYSIS.exists() and not results["smoke"]:
        lines += [ANALYSIS.read_text().rstrip(), ""]
    return "\n".join(lines)
