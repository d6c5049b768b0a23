"""``History``: what a training run records, savable as JSON and CSV.

Per iteration: the training loss. Per epoch: the mean training loss and metrics, the validation
loss and metrics, the learning rate (of every parameter group) and the wall time. A History is
plain data, so a checkpoint holds it and a resumed run continues it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os

from ..serialization import atomic_write_bytes


class History:
    """The record of a run: ``iterations`` (step, epoch, loss, lr) and ``epochs`` (one dict each)."""

    def __init__(self) -> None:
        self.iteration_loss: list[float] = []
        self.iteration_lr: list[float] = []
        self.epochs: list[dict] = []
        self.stopped_reason: str | None = None

    # ------------------------------------------------------------------ recording

    def log_iteration(self, loss: float, lr: float) -> None:
        self.iteration_loss.append(float(loss))
        self.iteration_lr.append(float(lr))

    def log_epoch(self, row: dict) -> None:
        """Append the epoch's row (kept by reference: callbacks may still add columns to it)."""
        for k, v in row.items():
            row[k] = _number(v)
        self.epochs.append(row)

    def __getitem__(self, key: str) -> list:
        """``history["val_accuracy"]``: that column over the epochs (``None`` where absent)."""
        if not isinstance(key, str):
            names = ", ".join(self.columns()) or "none yet"
            raise TypeError(f"a History is indexed by column name ({names}), not by {type(key).__name__}; "
                            f"history.epochs[i] is the row of epoch i + 1")
        if key == "loss_per_iteration":
            return list(self.iteration_loss)
        return [row.get(key) for row in self.epochs]

    def __contains__(self, key) -> bool:
        """``"val_loss" in history``: whether some epoch logged that column."""
        return key in self.columns() or (key == "loss_per_iteration" and bool(self.iteration_loss))

    def __iter__(self):
        """The column names, as a dict's keys (``dict(zip(history, ...))``, ``list(history)``)."""
        return iter(self.columns())

    def columns(self) -> list[str]:
        cols: list[str] = []
        for row in self.epochs:
            cols += [k for k in row if k not in cols]
        return cols

    def best(self, key: str, mode: str = "max"):
        """The best value of an epoch column and the epoch (1-based) that reached it."""
        values = [(v, i + 1) for i, v in enumerate(self[key]) if v is not None and not math.isnan(v)]
        if not values:
            return None, None
        return max(values) if mode == "max" else min(values)

    # ------------------------------------------------------------------ serialisation

    def to_dict(self) -> dict:
        return {"iteration_loss": list(self.iteration_loss), "iteration_lr": list(self.iteration_lr),
                "epochs": [dict(r) for r in self.epochs], "stopped_reason": self.stopped_reason}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        h = cls()
        try:
            h.iteration_loss = [float(v) for v in d["iteration_loss"]]
            h.iteration_lr = [float(v) for v in d.get("iteration_lr", [])]
            h.epochs = [dict(r) for r in d["epochs"]]
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a gradstep History: {e}") from None
        h.stopped_reason = d.get("stopped_reason")
        return h

    def to_json(self) -> str:
        """The whole history as JSON (NaN and infinities as the strings "NaN"/"Infinity")."""
        return json.dumps(_jsonable(self.to_dict()), indent=1)

    def save_json(self, path) -> None:
        """Write ``to_json()`` atomically."""
        atomic_write_bytes(os.fspath(path), self.to_json().encode())

    @classmethod
    def load_json(cls, path) -> History:
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(_from_jsonable(json.load(f)))

    def to_csv(self) -> str:
        """One row per epoch, one column per quantity."""
        cols = self.columns()
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        for row in self.epochs:
            w.writerow(["" if row.get(c) is None else row.get(c) for c in cols])
        return buf.getvalue()

    def save_csv(self, path) -> None:
        """Write ``to_csv()`` atomically."""
        atomic_write_bytes(os.fspath(path), self.to_csv().encode())

    def plot(self, title: str | None = None):
        """The loss per iteration (smoothed, with the validation loss), accuracy (or loss) per epoch
        and the learning rate, as a ``matplotlib.figure.Figure``: shown inline when a notebook cell
        ends with it, saved with ``fig.savefig("curves.pdf")``. No pyplot state is touched."""
        from .figures import plot_history
        return plot_history(self, title=title)

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        last = self.epochs[-1] if self.epochs else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if isinstance(v, float))
        return f"History({len(self.epochs)} epochs, {len(self.iteration_loss)} iterations; {shown})"


def _number(v):
    if hasattr(v, "item"):
        v = v.item()
    return v


def _jsonable(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _from_jsonable(obj):
    if isinstance(obj, str) and obj in _SPECIAL:
        return _SPECIAL[obj]
    if isinstance(obj, dict):
        return {k: _from_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_from_jsonable(v) for v in obj]
    return obj
