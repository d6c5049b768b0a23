"""``compare``: train the same model on the same data with several optimizers, fairly, and report.

Fair means that for a given seed the runs differ only in their optimizer: every run is built by
the same builders from the same ``TrainConfig`` with only ``optimizer`` (and its learning rate)
changed; the model is built once per seed and its initial weights are copied into every run's
model; every run's training loader shuffles with a fresh generator seeded from the same seed, so
all optimizers see the same batches in the same order; and gradstep's default random stream
(dropout) is re-seeded before each run.

Seed 002 does this by hand: seed 002's MLP (784-200-10, batch 64) trained with SGD, momentum,
Nesterov, Adagrad, RMSprop, Adadelta, Adam and AdamW, their loss curves and times compared.

    result = compare(TrainConfig(epochs=3), ["sgd", "momentum", "adam"], seeds=3,
                     lr_overrides={"sgd": 0.1}, target_accuracy=0.8, out="runs/compare")

writes into ``out``: ``report.md`` (one row per optimizer: final training loss, best and final
validation accuracy, time to the target accuracy, training time; mean ± standard deviation over
the seeds; diverged runs marked), ``loss.png`` (smoothed training loss against iterations, log
scale, mean and min–max band over the seeds), ``loss_vs_time.png``, ``accuracy.png`` (validation
accuracy per epoch) and ``results.json`` (everything, including every run's history).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..train import Callback, History, RunsProgress
from .builders import build_data, model_name, optimizer_list, per_optimizer
from .compare_plots import plot_accuracy, plot_loss
from .config import OPTIONS, TEXT, Config, ConfigError, Kind, Number, TrainConfig, bad, check_fields, option
from .report import fmt_spread, markdown_table, metric_label
from .result import Result
from .run import build_run, initial_state, score_key

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw")
DEFAULT_EPOCHS = 3   # with 3 seeds, the whole default comparison takes about a minute on two cores
DEFAULT_SEEDS = 3


class Clock(Callback):
    """The training time of a run: wall time spent in its epochs, validation excluded.

    ``iteration_time[i]`` is the time from the start of training to the end of iteration ``i``
    (data loading included), ``samples[i]`` the number of samples trained on until then;
    ``epoch_time[e]`` is the training time at the end of epoch ``e``."""

    def __init__(self):
        self.elapsed = 0.0
        self.iteration_time: list[float] = []
        self.samples: list[int] = []
        self.epoch_time: list[float] = []

    def on_epoch_start(self, trainer) -> None:
        self._mark = time.perf_counter()

    def on_batch_end(self, trainer, logs: dict) -> None:
        now = time.perf_counter()
        self.elapsed += now - self._mark
        self._mark = now
        self.iteration_time.append(self.elapsed)
        self.samples.append((self.samples[-1] if self.samples else 0) + logs["batch_size"])

    def on_epoch_end(self, trainer, logs: dict) -> None:
        self.epoch_time.append(self.elapsed)


@dataclass
class CompareRun:
    """One optimizer trained with one seed."""
    optimizer: str                  # the name as given: a preset (momentum, ...) or a class name
    seed: int
    optimizer_args: dict            # the arguments the optimizer was built with (lr included)
    history: History
    iteration_time: list[float]     # training time (s) at the end of each iteration
    epoch_time: list[float]         # training time (s) at the end of each epoch
    diverged: bool
    stop_reason: str | None
    score_key: str | None           # the per-epoch column compared: val_accuracy, train_accuracy, ...
    target: float | None = None

    @property
    def lr(self) -> float:
        return self.optimizer_args["lr"]

    @property
    def wall_time(self) -> float:
        return self.iteration_time[-1] if self.iteration_time else 0.0

    @property
    def final_train_loss(self) -> float | None:
        ep = self.history.epochs
        return None if self.diverged or not ep else ep[-1]["train_loss"]

    def scores(self) -> list[float]:
        return [] if self.score_key is None else [v for v in self.history[self.score_key] if v is not None]

    @property
    def best_score(self) -> float | None:
        s = self.scores()
        if not s:
            return None
        return min(s) if self.score_key.endswith("loss") else max(s)

    @property
    def final_score(self) -> float | None:
        s = self.scores()
        return s[-1] if s and not self.diverged else None

    @property
    def time_to_target(self) -> float | None:
        """Training time at the end of the first epoch whose score reached the target."""
        if self.target is None:
            return None
        for value, t in zip(self.scores(), self.epoch_time):
            if value >= self.target:
                return t
        return None

    def to_dict(self) -> dict:
        key = self.score_key or "score"
        return {"optimizer": self.optimizer, "seed": self.seed, "optimizer_args": self.optimizer_args,
                "diverged": self.diverged, "stop_reason": self.stop_reason,
                "final_train_loss": self.final_train_loss, f"best_{key}": self.best_score,
                f"final_{key}": self.final_score,
                "time_to_target": self.time_to_target, "wall_time": self.wall_time,
                "iteration_time": self.iteration_time, "epoch_time": self.epoch_time,
                "history": self.history.to_dict()}


@dataclass
class CompareConfig(Config):
    """Every option of ``gradstep compare``: the training config every run shares, and what varies."""
    _nested = {"train": TrainConfig}

    # everything but the optimizer: data set, model, batch size, epochs, scheduler, ...
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=DEFAULT_EPOCHS))
    # gradstep.optim names (any case) or the SGD presets momentum and nesterov
    optimizers: tuple = option(DEFAULT_OPTIMIZERS, Kind((tuple, list, str), "a list of optimizer names"),
                               "comma-separated optimizers")
    seeds: int = option(DEFAULT_SEEDS, Number(integer=True, lo=1), "run every optimizer with this many seeds")
    # {optimizer name: learning rate}; the others use train.lr if set, else the tutorials' one
    lr: dict = option(None, OPTIONS, "learning rate per optimizer", default_factory=dict)
    target_accuracy: float | None = option(None, Number(lo=0, hi=1, lo_open=True, optional=True),
                                           "report the training time until this validation accuracy")
    out: str | None = option(None, TEXT, "output directory (default runs/compare-<time>)")

    def run(self, **kwargs) -> Result:
        return run_compare(self, **kwargs)

    def validate(self) -> None:
        check_fields(self)
        self.optimizers = optimizer_list(self.optimizers)
        self.lr = per_optimizer("lr", self.lr, self.optimizers)
        for name, lr in self.lr.items():
            if not Number(lo=0, inf=True).ok(lr):  # as TrainConfig.lr, inf included
                raise bad("lr", f"{name}={lr!r}", Number(lo=0, inf=True).allowed())
        for name in self.optimizers:  # every optimizer can be built before anything trains
            run_config(self.train, name, self.train.seed, self.lr)


@dataclass
class CompareResult(Result):
    """Every run of a comparison, with the summary ``report.md`` shows."""
    config: TrainConfig
    optimizers: list[str]
    seeds: list[int]
    target_accuracy: float | None
    out: str | None = None
    runs: list[CompareRun] = field(default_factory=list)

    def runs_of(self, optimizer: str) -> list[CompareRun]:
        return [r for r in self.runs if r.optimizer == optimizer]

    @property
    def score_key(self) -> str | None:
        return self.runs[0].score_key if self.runs else None

    def summary(self) -> list[dict]:
        """One dict per optimizer: the numbers of each seed's run, and how many diverged."""
        rows = []
        for name in self.optimizers:
            runs = self.runs_of(name)
            rows.append({"optimizer": name, "lr": runs[0].lr, "runs": len(runs),
                         "diverged": sum(r.diverged for r in runs),
                         "final_train_loss": [r.final_train_loss for r in runs],
                         "best_score": [r.best_score for r in runs],
                         "final_score": [r.final_score for r in runs],
                         "time_to_target": [r.time_to_target for r in runs],
                         "wall_time": [r.wall_time for r in runs]})
        return rows

    def table(self) -> str:
        """The Markdown table of ``report.md``: one row per optimizer."""
        key = self.score_key
        pct = key is not None and key.endswith("accuracy")
        label = metric_label(key or "")
        header = ["optimizer", "lr", "final training loss"]
        if key:
            header += [f"best {label}", f"final {label}"]
        if self.target_accuracy is not None:
            header.append(f"time to {self.target_accuracy:.0%} {label} (s)")
        header += ["training time (s)", "status"]
        rows = []
        for s in self.summary():
            row = [f"`{s['optimizer']}`", f"{s['lr']:g}", fmt_spread(s["final_train_loss"], "{:.4g}")]
            if key:
                kw = {"fmt": "{:.2f}", "scale": 100.0, "suffix": "%"} if pct else {}
                row += [fmt_spread(s["best_score"], **kw), fmt_spread(s["final_score"], **kw)]
            if self.target_accuracy is not None:
                reached = [t for t in s["time_to_target"] if t is not None]
                cell = fmt_spread(reached, "{:.3g}") if reached else "not reached"
                if reached and len(reached) < s["runs"]:
                    cell += f" ({len(reached)} of {s['runs']} seeds)"
                row.append(cell)
            row.append(fmt_spread(s["wall_time"], "{:.3g}"))
            d, n = s["diverged"], s["runs"]
            row.append("**diverged**" if d == n else f"**diverged** in {d} of {n} seeds" if d else "ok")
            rows.append(row)
        return markdown_table(header, rows)

    def report(self) -> str:
        """``report.md``: what was compared, the table, and why each diverged run stopped."""
        cfg = self.config
        seeds = len(self.seeds)
        spread = (f"Mean ± standard deviation over {seeds} seeds ({', '.join(map(str, self.seeds))}); "
                  f"a diverged run's numbers are left out of the mean." if seeds > 1 else
                  f"One seed ({self.seeds[0]}).")
        lines = [
            "# Optimizer comparison", "",
            f"{model_name(cfg)} on {cfg.dataset}, batch size {cfg.batch_size}, {cfg.epochs} epochs"
            + (f", scheduler {cfg.scheduler} {cfg.sched_args}" if cfg.scheduler else "") + ". "
            "For each seed every optimizer starts from the same initial weights and sees the same "
            "batches in the same order. " + spread + " Training time excludes validation.", "",
            self.table(),
            "Figures: `loss.png` (training loss per iteration), `loss_vs_time.png`, `accuracy.png`; "
            "every number and curve is in `results.json`.", ""]
        for r in self.runs:
            if r.diverged:
                lines.append(f"- `{r.optimizer}`, seed {r.seed}: {r.stop_reason}")
        return "\n".join(lines).rstrip() + "\n"

    def to_dict(self) -> dict:
        return {"config": self.config.to_dict(), "optimizers": self.optimizers, "seeds": self.seeds,
                "target_accuracy": self.target_accuracy, "score": self.score_key,
                "summary": self.summary(), "runs": [r.to_dict() for r in self.runs]}

    def documents(self) -> dict:
        return {"report.md": self.report(), "results.json": self.to_dict()}

    def figures(self) -> dict:
        """loss.png (training loss per iteration), loss_vs_time.png and accuracy.png."""
        title = f"{model_name(self.config)} on {self.config.dataset}, batch {self.config.batch_size}"
        return {"loss.png": plot_loss(self, title, against="iteration"),
                "loss_vs_time.png": plot_loss(self, title, against="time"),
                "accuracy.png": plot_accuracy(self, title)}


def run_config(base: TrainConfig, optimizer: str, seed: int, lr_overrides: dict) -> TrainConfig:
    """The config of one run: ``base`` with this optimizer, its learning rate (the override, else
    ``base.lr``, else the tutorials' one) and this seed; quiet, no checkpoints."""
    lr = lr_overrides.get(optimizer, base.lr)
    return base.replace(optimizer=optimizer, lr=lr, seed=seed, quiet=True, out=None, resume=None,
                        dynamics=False)


def run_compare(config: CompareConfig, progress: Callable[[str], None] | None = None,
                callbacks: Callable[[str, int], list] | None = None) -> CompareResult:
    """Train ``config.train``'s model with each optimizer for seeds ``seed, seed + 1, ...``; see
    the module docstring. ``progress`` is called with one line of text after every run (e.g.
    ``print``); ``callbacks(optimizer, seed)`` returns extra Trainer callbacks for that run.

    A run that diverges is stopped by the Trainer's non-finite guard, marked as diverged and kept
    in the results; it never stops the comparison.
    """
    base, optimizers, lr_overrides = config.train, list(config.optimizers), config.lr
    target_accuracy = config.target_accuracy
    result = CompareResult(base, optimizers, [base.seed + i for i in range(config.seeds)], target_accuracy,
                           config.out)
    total = len(optimizers) * config.seeds
    with RunsProgress(total, "compare", enabled=not base.quiet) as bar:
        say = bar.lines(progress)
        for seed in result.seeds:
            cfg0 = run_config(base, optimizers[0], seed, lr_overrides)
            data = build_data(cfg0)
            if target_accuracy is not None and not data.is_classification:
                raise ConfigError(f"--target-accuracy needs a classification data set; {base.dataset} is "
                                  f"a regression")
            initial = initial_state(cfg0, data)
            for name in optimizers:
                cfg = run_config(base, name, seed, lr_overrides)
                bar.start(f"{name}, seed {seed}")
                clock = Clock()
                extra = list(callbacks(name, seed)) if callbacks is not None else []
                trainer, _, (train_loader, val_loader, _) = build_run(
                    cfg, [clock, *extra, *bar.callbacks()], data=data, initial_state=initial)
                history = trainer.fit(train_loader, cfg.epochs, val_loader=val_loader)
                run = CompareRun(name, seed, dict(trainer.optimizer.defaults), history, clock.iteration_time,
                                 clock.epoch_time, trainer.diverged, trainer.stop_reason,
                                 _compared_key(data, val_loader is not None), target_accuracy)
                result.runs.append(run)
                bar.done(f"{name} diverged" if run.diverged else f"{name} loss {run.final_train_loss:.4f}")
                if say is not None:
                    say(_progress_line(run, len(result.runs), total))
    return result


def _compared_key(data, has_val: bool) -> str | None:
    """The per-epoch column compared; none besides the training loss (already a column) for a
    regression without a validation split."""
    key = score_key(data, has_val)
    return None if key == "train_loss" else key


def compare(base: TrainConfig, optimizers: list[str] = DEFAULT_OPTIMIZERS, seeds: int = DEFAULT_SEEDS,
            lr_overrides: dict | None = None, target_accuracy: float | None = None,
            out: str | None = "runs/compare", progress: Callable[[str], None] | None = None,
            callbacks: Callable[[str, int], list] | None = None) -> CompareResult:
    """``run_compare`` with the options as arguments, writing the result into ``out`` (unless None).

    Args:
        base: everything but the optimizer: data set, model, batch size, epochs, scheduler, ...
        optimizers: names of ``gradstep.optim`` classes or presets (``momentum``, ``nesterov``).
        seeds: how many seeds to run every optimizer with.
        lr_overrides: ``{optimizer name: learning rate}``; the others use ``base.lr`` if set, else
            the tutorials' learning rate for that optimizer.
        target_accuracy: also report the training time until the validation accuracy (training
            accuracy without a validation split) first reached this.
    """
    config = CompareConfig(base, tuple(optimizers), seeds, dict(lr_overrides or {}), target_accuracy,
                           None if out is None else os.fspath(out))
    result = run_compare(config, progress, callbacks)
    if out is not None:
        result.write(out)
    return result




def _progress_line(run: CompareRun, i: int, total: int) -> str:
    head = f"[{i}/{total}] seed {run.seed} {run.optimizer:<9} lr {run.lr:<7g}"
    if run.diverged:
        return f"{head} diverged at step {len(run.history.iteration_loss) + 1} (see report.md)"
    line = f"{head} train loss {run.final_train_loss:.4f}"
    if run.final_score is not None:
        line += f" | {metric_label(run.score_key)} {run.final_score:.4f}"
    return line + f" | {run.wall_time:.1f} s"
