"""``sweep``: one optimizer over a grid of learning rates, batch sizes and optimizer arguments.

Seed 004's study, in one call: linear regression with SGD at batch sizes 1, 10 and 1000 and
learning rates 0.002 (too slow), 0.2 and 5 (diverges)::

    sweep(TrainConfig(dataset="linreg", optimizer="sgd", epochs=3, scheduler="StepLR",
                      sched_args={"step_size": 2, "gamma": 0.1}),
          lrs=[0.002, 0.2, 5], batch_sizes=[1, 10, 1000], out="runs/sweep")

Every cell is built by the same builders from ``base`` with only the learning rate, the batch
size and the gridded optimizer arguments changed; all cells start from the same initial weights
and shuffle with generators seeded alike. The budget is the same for every cell: a number of
epochs, or a number of samples seen (``Budget.parse("30000 samples")``), which is the fair one
when batch sizes differ. A cell that diverges is stopped by the non-finite guard and reported as
diverged. Before the cells, the sharpness and the gradient noise scale of the loss at the starting
weights are measured (``gradstep.explore.stability``; ``curvature=False`` skips it). Into ``out``
go ``heatmap.png`` (the final metric of every cell, 2/lambda_max marked), ``curves.png`` (the
training loss of every cell against the samples seen), ``report.md`` and ``results.json``.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..data import DataLoader
from ..train import History, RunsProgress, evaluate
from .builders import build_data, build_loss, build_model, model_name, optimizer_spec
from .compare import Clock
from .config import BOOL, OPTIONS, TEXT, Config, ConfigError, Kind, TrainConfig, bad, check_fields, option
from .report import markdown_table, metric_label
from .result import Result
from .run import build_run, initial_state, score_key
from .stability import StartCurvature, describe, start_curvature
from .sweep_plots import plot_curves, plot_heatmap

METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
RISING = 2.0   # a cell that ends with more than this times the initial training loss is diverging


@dataclass(frozen=True)
class Budget:
    """How long every cell trains: ``epochs`` epochs, or until ``samples`` samples were seen."""
    epochs: int | None = None
    samples: int | None = None

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``"3 epochs"``, ``"3"`` (epochs) or ``"30000 samples"``."""
        m = re.fullmatch(r"\s*(\d+)\s*(epochs?|samples?)?\s*", str(text))
        if not m or int(m.group(1)) < 1:
            raise ConfigError(f"--budget {text!r}: allowed is a positive number of epochs or samples, "
                              f"e.g. '3 epochs' or '30000 samples'")
        n = int(m.group(1))
        return cls(samples=n) if (m.group(2) or "").startswith("sample") else cls(epochs=n)

    def plan(self, n_train: int, batch_size: int) -> tuple[int, int | None]:
        """(epochs, max_steps) for a cell with this batch size on ``n_train`` samples: with a
        sample budget, the steps until that many samples were seen (an epoch's last batch may be
        smaller than the others)."""
        if self.samples is None:
            return self.epochs, None
        epochs, rest = divmod(self.samples, n_train)
        steps = epochs * math.ceil(n_train / batch_size) + math.ceil(rest / batch_size)
        return epochs + (rest > 0), steps

    def __str__(self) -> str:
        return f"{self.epochs} epochs" if self.samples is None else f"{self.samples} samples"


@dataclass
class SweepCell:
    """One point of the grid and how its run went."""
    lr: float
    batch_size: int
    args: dict                      # the gridded optimizer arguments of this cell
    history: History
    samples: list[int]              # samples seen at the end of each iteration
    wall_time: float
    diverged: bool
    stop_reason: str | None
    final: dict                     # train_loss, train_accuracy, val_loss, val_accuracy after training
    initial_loss: float             # the training loss of the initial weights (the same in every cell)
    weights: dict | None = None     # the parameters, for a model small enough to print (linreg)

    @property
    def steps(self) -> int:
        return len(self.history.iteration_loss)

    @property
    def status(self) -> str:
        """``diverged`` (stopped at a non-finite loss or gradient), ``diverging`` (finished with
        more than ``RISING`` times the initial training loss: it would diverge given more steps),
        or ``ok``."""
        if self.diverged:
            return "diverged"
        if self.final.get("train_loss", 0.0) > RISING * self.initial_loss:
            return "diverging"
        return "ok"

    def to_dict(self) -> dict:
        return {"lr": self.lr, "batch_size": self.batch_size, "args": self.args, "steps": self.steps,
                "samples_seen": self.samples[-1] if self.samples else 0, "status": self.status,
                "diverged": self.diverged, "stop_reason": self.stop_reason, "final": self.final,
                "weights": self.weights, "wall_time": self.wall_time, "samples": self.samples,
                "history": self.history.to_dict()}


@dataclass
class SweepConfig(Config):
    """Every option of ``gradstep sweep``: the training config of every cell, and the grid."""
    _nested = {"train": TrainConfig}

    # everything but the gridded values: data set, model, optimizer, scheduler, ...
    train: TrainConfig = field(default_factory=TrainConfig)
    # learning rates; None: the one the training config gives (the tutorials' for its optimizer)
    lrs: tuple | None = option(None, Kind((tuple, list), "a list of learning rates", True), "learning rates")
    # batch sizes; None: the training config's
    batch_sizes: tuple | None = option(None, Kind((tuple, list), "a list of batch sizes", True),
                                       "batch sizes")
    grid: dict = option(None, OPTIONS, "other optimizer arguments -> their values", default_factory=dict)
    # per cell: "N epochs" or "N samples"; None: the training config's epochs
    budget: str | None = option(None, TEXT, 'per cell: "N epochs" or "N samples" seen')
    metric: str | None = option(None, Kind((str,), "a metric", True), "what the heatmap shows")
    out: str | None = option(None, TEXT, "output directory (default runs/sweep-<time>)")
    curvature: bool = option(True, BOOL, "measure the sharpness (2/lambda_max) and the gradient noise scale "
                                         "at the starting weights")

    def run(self, **kwargs) -> Result:
        return run_sweep(self, **kwargs)

    def validate(self) -> None:
        check_fields(self)
        if self.lrs is None:
            self.lrs = (optimizer_spec(self.train)[1]["lr"],)
        if self.batch_sizes is None:
            self.batch_sizes = (self.train.batch_size,)
        self.lrs, self.batch_sizes = tuple(self.lrs), tuple(self.batch_sizes)
        self.grid = {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in self.grid.items()}
        _check(self.train, self.lrs, self.batch_sizes, self.grid, self.metric)
        self.budget_plan()

    def budget_plan(self) -> Budget:
        return Budget.parse(self.budget) if self.budget is not None else Budget(epochs=self.train.epochs)


@dataclass
class SweepResult(Result):
    config: TrainConfig
    lrs: list[float]
    batch_sizes: list[int]
    grid: dict                      # gridded optimizer argument -> its values
    budget: Budget
    metric: str
    out: str | None = None
    cells: list[SweepCell] = field(default_factory=list)
    start: StartCurvature | None = None   # sharpness and noise scale at the initial weights
    start_note: str | None = None         # why ``start`` is missing

    def combos(self) -> list[dict]:
        """Every combination of the gridded optimizer arguments ([{}] without any)."""
        keys = list(self.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*self.grid.values())]

    def cell(self, lr: float, batch_size: int, args: dict) -> SweepCell | None:
        for c in self.cells:
            if c.lr == lr and c.batch_size == batch_size and c.args == args:
                return c
        return None

    def report(self) -> str:
        cfg = self.config
        extra = list(self.grid)
        linreg = self.cells and self.cells[0].weights is not None
        header = ["lr", "batch size", *extra, "steps", "samples seen", "final training loss"]
        accuracy = [m for m in ("train_accuracy", "val_accuracy") if any(
            c.final.get(m) is not None for c in self.cells)]
        val_loss = any(c.final.get("val_loss") is not None for c in self.cells)
        header += (["validation loss"] if val_loss else []) + [metric_label(m) for m in accuracy]
        header += (["w", "b"] if linreg else []) + ["time (s)", "status"]
        rows = []
        for c in self.cells:
            row = [f"{c.lr:g}", str(c.batch_size), *(str(c.args[k]) for k in extra), str(c.steps),
                   str(c.samples[-1] if c.samples else 0), _num(c.final.get("train_loss"), "{:.4e}")]
            if val_loss:
                row.append(_num(c.final.get("val_loss"), "{:.4f}"))
            row += [_num(c.final.get(m), "{:.2%}") for m in accuracy]
            if linreg:
                w, b = c.weights["w"], c.weights["b"]
                row += ["–" if c.diverged else "[" + ", ".join(f"{v:.4f}" for v in w) + "]",
                        "–" if c.diverged else ", ".join(f"{v:.4f}" for v in b)]
            row += [f"{c.wall_time:.1f}", _status_text(c)]
            rows.append(row)
        sched = ""
        if cfg.scheduler:
            sched = f", scheduler {cfg.scheduler} {cfg.sched_args} per {cfg.scheduler_interval}"
        lines = ["# Sweep", "",
                 f"{optimizer_spec(cfg)[0].__name__} ({cfg.optimizer}) on {cfg.dataset} with the "
                 f"{model_name(cfg)} model, budget {self.budget} per cell{sched}, seed {cfg.seed}. "
                 "Every cell starts from the same initial weights. The final losses and accuracies are "
                 "measured after training on the whole training split (and the validation split).", "",
                 markdown_table(header, rows)]
        best = self.best()
        if best is not None:
            fmt = "{:.2%}" if self.metric.endswith("accuracy") else "{:.4g}"
            lines.append(f"Best {metric_label(self.metric)}: {_num(best.final[self.metric], fmt)} "
                         f"at lr {best.lr:g}, batch size {best.batch_size}"
                         + "".join(f", {k} {v}" for k, v in best.args.items()) + ".")
        diverged = [c for c in self.cells if c.diverged]
        if diverged:
            lines += ["", "Diverged cells:", ""]
            lines += [f"- lr {c.lr:g}, batch size {c.batch_size}: {c.stop_reason}" for c in diverged]
        if any(c.status == "diverging" for c in self.cells):
            lines += ["", f"A diverging cell ended with more than {RISING:g} times the initial training "
                      f"loss ({self.cells[0].initial_loss:.4g}): its loss was still finite when the "
                      "budget ran out, but growing."]
        if self.start is not None:
            lines += ["", *describe(self.start, self.lrs, self.batch_sizes)]
        elif self.start_note:
            lines += ["", f"No curvature at the start: {self.start_note}."]
        lines += ["", "Figures: `heatmap.png` (the final " + metric_label(self.metric) + " of every "
                  "cell), `curves.png` (the training loss of every cell); everything is in `results.json`."]
        return "\n".join(lines) + "\n"

    def best(self) -> SweepCell | None:
        ok = [c for c in self.cells if c.status == "ok" and c.final.get(self.metric) is not None]
        if not ok:
            return None
        pick = min if self.metric.endswith("loss") else max
        return pick(ok, key=lambda c: c.final[self.metric])

    def to_dict(self) -> dict:
        return {"config": self.config.to_dict(), "lrs": self.lrs, "batch_sizes": self.batch_sizes,
                "grid": self.grid, "budget": str(self.budget), "metric": self.metric,
                "initial_train_loss": self.cells[0].initial_loss if self.cells else None,
                "start": None if self.start is None else self.start.to_dict(), "start_note": self.start_note,
                "cells": [c.to_dict() for c in self.cells]}

    def documents(self) -> dict:
        return {"report.md": self.report(), "results.json": self.to_dict()}

    def figures(self) -> dict:
        """heatmap.png (the final metric of every cell) and curves.png (every cell's training loss)."""
        title = (f"{self.config.optimizer} on {self.config.dataset} ({model_name(self.config)}), "
                 f"{self.budget} per cell")
        return {"heatmap.png": plot_heatmap(self, title), "curves.png": plot_curves(self, title)}


def _status_text(c: SweepCell) -> str:
    if c.status == "diverged":
        return f"**diverged** at step {c.steps + 1}"
    if c.status == "diverging":
        return f"**diverging**: loss {c.initial_loss:.3g} → {c.final['train_loss']:.3g}"
    return "ok"


def _num(v, fmt: str) -> str:
    return "–" if v is None else fmt.format(v)


def _check(base: TrainConfig, lrs, batch_sizes, grid: dict, metric: str | None) -> None:
    if not lrs or not batch_sizes:
        raise ConfigError("a sweep needs at least one learning rate and one batch size")
    wrong = [lr for lr in lrs if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr))]
    if wrong:
        raise ConfigError(f"--lr {wrong}: allowed is positive numbers")
    wrong = [b for b in batch_sizes if not isinstance(b, int) or b < 1]
    if wrong:
        raise ConfigError(f"--batch-size {wrong}: allowed is positive integers")
    for name, values in (("--lr", lrs), ("--batch-size", batch_sizes)):
        if len(set(values)) != len(values):
            raise ConfigError(f"{name} lists a value twice: {values}")
    if metric is not None and metric not in METRICS:
        raise bad("metric", metric, "one of " + ", ".join(METRICS))
    for key, values in grid.items():
        if not values:
            raise ConfigError(f"--grid {key}= needs at least one value")
        if key in ("lr", "params"):
            raise ConfigError(f"--grid {key}: give learning rates with --lr")
    for lr, combo in itertools.product(lrs, itertools.product(*grid.values())):
        # every cell's optimizer can be built before anything trains (the config checks that)
        base.replace(lr=float(lr), opt_args={**base.opt_args, **dict(zip(grid, combo))})


def run_sweep(config: SweepConfig, progress: Callable[[str], None] | None = None) -> SweepResult:
    """Train ``config.train`` once per cell of lrs × batch sizes × grid (optimizer argument ->
    values) for the budget (default: the training config's epochs); see the module docstring.

    ``metric`` is what the heatmap shows: ``train_loss`` (the loss over the whole training split
    after training; the default for regression), ``train_accuracy``, ``val_loss`` or
    ``val_accuracy`` (the default for classification with a validation split).
    """
    lrs, batch_sizes, grid = list(config.lrs), list(config.batch_sizes), config.grid
    budget = config.budget_plan()
    base = config.train.replace(quiet=True, out=None, resume=None, dynamics=False, max_steps=None)
    data = build_data(base)
    initial = initial_state(base, data)
    model = build_model(base, data)
    model.load_state_dict(initial)
    whole_train = DataLoader(data.train, batch_size=256)
    initial_loss = evaluate(model, whole_train, build_loss(data), metrics=())["loss"]
    has_val = data.val is not None
    metric = config.metric or score_key(data, has_val)
    if metric.startswith("val") and not has_val:
        raise ConfigError(f"--metric {metric} needs a validation split (--val-fraction > 0); "
                          f"{base.dataset} has none here")
    if metric.endswith("accuracy") and not data.is_classification:
        raise ConfigError(f"--metric {metric}: {base.dataset} is a regression data set")
    result = SweepResult(base, lrs, batch_sizes, grid, budget, metric, config.out)
    try:  # a few HVPs and small-batch gradients in float64, on a copy: the runs are unchanged
        if config.curvature:
            result.start = start_curvature(model, build_loss(data), data.train, seed=base.seed)
    except (NotImplementedError, ValueError, TypeError, RuntimeError) as e:
        result.start_note = str(e).splitlines()[0] if str(e) else type(e).__name__
    small = model_name(base) == "linear" and not data.is_classification
    cells = [(lr, bs, combo) for combo in result.combos() for lr in lrs for bs in batch_sizes]
    with RunsProgress(len(cells), "sweep", enabled=not config.train.quiet) as bar:
        say = bar.lines(progress)
        for i, (lr, bs, combo) in enumerate(cells, 1):
            epochs, steps = budget.plan(len(data.train), bs)
            cfg = base.replace(lr=float(lr), batch_size=bs, epochs=epochs, max_steps=steps,
                               opt_args={**base.opt_args, **combo})
            bar.start(f"lr {lr:g}, batch {bs}" + "".join(f", {k} {v}" for k, v in combo.items()))
            clock = Clock()
            trainer, _, (train_loader, val_loader, _) = build_run(cfg, [clock, *bar.callbacks()], data=data,
                                                                   initial_state=initial)
            history = trainer.fit(train_loader, epochs, val_loader=val_loader, max_steps=steps)
            final = {}
            if not trainer.diverged:
                final.update({f"train_{k}": v for k, v in trainer.evaluate(whole_train).items()})
                if val_loader is not None:
                    final.update({f"val_{k}": v for k, v in trainer.evaluate(val_loader).items()})
            weights = None
            if small:
                sd = trainer.model.state_dict()
                weights = {"w": sd["0.weight"].numpy().ravel().tolist(), "b": sd["0.bias"].numpy().tolist()}
            cell = SweepCell(float(lr), bs, combo, history, clock.samples, clock.elapsed, trainer.diverged,
                             trainer.stop_reason, final, initial_loss, weights)
            result.cells.append(cell)
            bar.done("diverged" if cell.diverged else f"{metric_label(metric)} {cell.final[metric]:.4g}")
            if say is not None:
                say(_progress_line(cell, metric, i, len(cells)))
    return result


def sweep(base: TrainConfig, lrs: list[float], batch_sizes: list[int], grid: dict | None = None,
          budget: Budget | str | None = None, metric: str | None = None, out: str | None = "runs/sweep",
          progress: Callable[[str], None] | None = None) -> SweepResult:
    """``run_sweep`` with the options as arguments, writing the result into ``out`` (unless None)."""
    config = SweepConfig(base, tuple(lrs), tuple(batch_sizes), dict(grid or {}),
                         None if budget is None else str(budget), metric,
                         None if out is None else os.fspath(out))
    result = run_sweep(config, progress)
    if out is not None:
        result.write(out)
    return result


def _progress_line(c: SweepCell, metric: str, i: int, total: int) -> str:
    args = "".join(f" {k} {v}" for k, v in c.args.items())
    head = f"[{i}/{total}] lr {c.lr:<7g} batch {c.batch_size:<5d}{args}"
    if c.diverged:
        return f"{head} diverged at step {c.steps + 1}"
    line = f"{head} {metric_label(metric)} {c.final[metric]:.4g}"
    if c.status == "diverging":
        line += f" (diverging: the initial loss was {c.initial_loss:.4g})"
    if c.weights is not None:
        line += f" | w {[round(v, 4) for v in c.weights['w']]} b {[round(v, 4) for v in c.weights['b']]}"
    return line + f" | {c.wall_time:.1f} s"
