"""What ``compare``, ``sweep`` and ``lr-find`` write besides figures: strict JSON, Markdown
tables, and numbers summarised over seeds as mean ± spread."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from ..serialization import atomic_write_bytes


def finite_or_none(x: float) -> float | None:
    """``x`` as a float, or None where it is not finite (strict JSON has no NaN)."""
    return float(x) if math.isfinite(x) else None


def jsonable(obj):
    """``obj`` with NumPy scalars and arrays as Python values and NaN/infinities as None, so the
    file is strict JSON that any reader parses."""
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return finite_or_none(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def write_json(path, obj) -> None:
    atomic_write_bytes(os.fspath(path), json.dumps(jsonable(obj), indent=1, allow_nan=False).encode())


def write_text(path, text: str) -> None:
    atomic_write_bytes(os.fspath(path), text.encode())


def metric_label(key: str) -> str:
    """``val_accuracy`` -> ``validation accuracy``, ``train_loss`` -> ``training loss``."""
    return key.replace("val_", "validation ").replace("train_", "training ").replace("_", " ")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table; numbers are right-aligned by the caller's formatting."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def spread(values) -> tuple[float, float] | None:
    """(mean, sample standard deviation) of the finite ``values``; None if there are none.
    The deviation is 0 for a single value."""
    v = np.array([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return None
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def fmt_spread(values, fmt: str = "{:.4f}", scale: float = 1.0, suffix: str = "") -> str:
    """``"0.4123 ± 0.01"`` (the deviation to two significant digits) over several values,
    ``"0.4123"`` for one, ``"–"`` for none."""
    s = spread(values)
    if s is None:
        return "–"
    mean, std = s
    n = sum(1 for x in values if x is not None and math.isfinite(x))
    text = fmt.format(mean * scale)
    if n > 1:
        text += " ± " + f"{std * scale:#.2g}".rstrip(".")
    return text + suffix
