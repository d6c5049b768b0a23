"""``run_landscape``: gradstep's optimizers on a 2-D test function, side by side (``gradstep landscape``).

Every optimizer is the class ``gradstep train`` would build for its name (``sgd``, ``momentum``,
``nesterov``, ``adam``, any ``gradstep.optim`` class), stepping one point ``p = (x, y)`` from the
same start with a closure that evaluates ``f(p)`` and its gradient by autograd. What each run
writes into the output directory:

- ``landscape.png``: contours of f (log-spaced levels where f spans orders of magnitude), the field
  of steepest-descent directions −∇f as arrows (seed 003's quiver, from gradstep's autograd), each
  optimizer's trajectory, the start and the minima;
- ``convergence.png``: the distance to the nearest minimum (or the criterion's quantity) and
  f(p) − f* against the step, log scale;
- ``landscape.gif`` (with ``gif=True``): the trajectories drawn step by step;
- ``report.md``: one row per optimizer: its hyperparameters, steps to tolerance (``not reached``
  or ``diverged at step k`` otherwise), final point, value and distance;
- ``results.json``: the same with every trajectory.

Steps to tolerance count the optimizer steps after which the point satisfies the criterion for
the rest of the run (a run that only passes through the tolerance has not reached it):
``distance`` (to the nearest minimum, ≤ tol; the default) or ``grad-norm`` (‖∇f(p)‖ ≤ tol). A
function without minima (``saddle``) is judged by escape instead: ``f(p) ≤ escape_below``. A
run diverges when p or f(p) stops being finite or p leaves a box 10⁴ times the plot window; it
then ends, and the report says at which step.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..autograd.tensor import Tensor
from ..serialization import atomic_write_bytes
from ..train import RunsProgress
from .builders import optimizer_list, optimizer_spec, per_optimizer, resolve_factory
from .config import (
    BOOL,
    OPTIONS,
    TEXT,
    Config,
    ConfigError,
    Kind,
    Number,
    OneOf,
    TrainConfig,
    bad,
    check_fields,
    factory_name,
    option,
)
from .functions import Surface, get_surface
from .result import Result

CRITERIA = ("distance", "grad-norm")
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")


@dataclass
class LandscapeConfig(Config):
    """Every option of ``gradstep landscape``."""
    # a name of gradstep.explore.functions.SURFACES, or your own: "package.module:function" returning
    # a Surface (or the function)
    function: str | Callable = option("rosenbrock", Kind((str, Callable), "a function name or "
                                                         "package.module:function"), "the test function")
    optimizers: tuple = option(DEFAULT_OPTIMIZERS, Kind((tuple, list, str), "a list of optimizer names"),
                               "optimizer names, as for `gradstep train --optimizer`")
    steps: int = option(500, Number(integer=True, lo=1), "optimizer steps per run")
    start: tuple | None = option(None, Kind((tuple, list), "two numbers X,Y", True),
                                 "the starting point (default: the function's)")
    lr: dict = option(None, OPTIONS, "optimizer name -> learning rate (default: the function's)",
                      default_factory=dict)
    opt_args: dict = option(None, OPTIONS, "optimizer name -> {argument: value}", default_factory=dict)
    tol: float = option(1e-3, Number(lo=0, lo_open=True), "tolerance of the criterion")
    criterion: str = option("distance", OneOf(CRITERIA),
                            "distance to the nearest minimum or gradient norm, at most --tol")
    gif: bool = option(False, BOOL, "also write landscape.gif, the runs animated")
    out: str | None = option(None, TEXT, "output directory (default runs/landscape-<function>-<time>)")

    def validate(self) -> None:
        check_fields(self)
        self.optimizers = optimizer_list(self.optimizers)
        self.lr = per_optimizer("lr", self.lr, self.optimizers)
        self.opt_args = per_optimizer("opt_args", self.opt_args, self.optimizers)
        check_config(self)

    def run(self) -> LandscapeResult:
        return landscape(self)


@dataclass
class Trajectory:
    """One optimizer's run: the points it visited (the start first) and how it ended."""
    name: str                   # as asked for: "momentum"
    optimizer: str              # the class: "SGD"
    hyperparameters: dict       # the arguments it was built with
    points: np.ndarray          # (steps + 1, 2)
    values: np.ndarray          # f at each point
    grad_norms: np.ndarray      # ‖∇f‖ at each point
    evaluations: int            # closure calls (L-BFGS makes several per step)
    reached_at: int | None      # steps until the criterion held for good, None if it did not
    touched_at: int | None      # the first step at which it held, even if only for a while
    diverged_at: int | None     # the step at which the run diverged, None if it did not

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def label(self) -> str:
        """``adam (lr 0.05)``: the name and learning rate, for legends."""
        lr = self.hyperparameters.get("lr")
        return self.name if lr is None else f"{self.name} (lr {_fmt(float(lr))})"


@dataclass
class LandscapeResult(Result):
    config: LandscapeConfig
    surface: Surface
    start: tuple
    trajectories: list
    out_dir: str | None = None
    files: list = field(default_factory=list)

    def documents(self) -> dict:
        return {"report.md": report_markdown(self), "results.json": results_dict(self)}

    def figures(self) -> dict:
        """landscape.png (contours, gradient field, trajectories) and convergence.png."""
        from .landscape_plots import plot_convergence, plot_landscape
        return {"landscape.png": plot_landscape(self), "convergence.png": plot_convergence(self)}

    def write(self, folder, formats=("png",)) -> list[str]:
        """The figures, landscape.gif (with ``gif``), report.md and results.json; their paths."""
        from .landscape_plots import gif_bytes
        written = super().write(folder, formats)
        if self.config.gif:
            path = os.path.join(os.fspath(folder), "landscape.gif")
            atomic_write_bytes(path, gif_bytes(self))
            written.append(path)
        return written

    def status(self, t: Trajectory) -> str:
        """How the run ended: the steps to tolerance (``"312"``), ``not reached`` (saying when it
        passed within tolerance without staying) or ``diverged at step 7``."""
        if t.diverged_at is not None:
            return f"diverged at step {t.diverged_at}"
        if t.reached_at is None:
            word = "not escaped" if self.surface.escape_below is not None else "not reached"
            return word if t.touched_at is None else f"{word} (passed at step {t.touched_at}, left again)"
        return str(t.reached_at)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    return str(v)


# ---------------------------------------------------------------------------- running

def build_optimizer_for(surface: Surface, name: str, point: Tensor, lr: float | None = None,
                        opt_args: dict | None = None):
    """The optimizer ``name`` for the one-tensor parameter ``point``: the class and preset of
    ``gradstep train --optimizer name``, with ``lr`` (default: the surface's for that kind of
    optimizer, see ``Surface.default_lr``) and ``opt_args`` on top."""
    cls, kwargs = optimizer_spec(TrainConfig(optimizer=name, opt_args=dict(opt_args or {})))
    if lr is not None:
        kwargs["lr"] = lr
    elif "lr" not in (opt_args or {}):
        default = surface.default_lr(cls)
        if default is not None:
            kwargs["lr"] = default
    try:
        return cls([point], **kwargs), kwargs
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{name}: {e}") from None


def run_trajectory(surface: Surface, name: str, start, steps: int, lr: float | None = None,
                   opt_args: dict | None = None, tol: float = 1e-3,
                   criterion: str = "distance") -> Trajectory:
    """Run optimizer ``name`` for ``steps`` steps on ``surface`` from ``start``.

    The point is float64, so that the steps to a small tolerance measure the optimizer rather
    than float32's resolution. Every step calls ``optimizer.step(closure)``.
    """
    if criterion not in CRITERIA:
        raise ConfigError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    p = Tensor._make(np.asarray(start, dtype=np.float64).copy(), requires_grad=True)
    optimizer, kwargs = build_optimizer_for(surface, name, p, lr, opt_args)
    evaluations = 0

    def closure():
        nonlocal evaluations
        evaluations += 1
        optimizer.zero_grad()
        loss = surface(p)
        loss.backward()
        return loss

    bound = 1e4 * max(np.ptp(surface.xlim), np.ptp(surface.ylim))
    points, diverged_at = [p.detach().numpy().copy()], None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, steps + 1):
            loss = optimizer.step(closure)
            q = p.detach().numpy().copy()
            points.append(q)
            if not (np.all(np.isfinite(q)) and np.max(np.abs(q)) <= bound and math.isfinite(float(loss))):
                diverged_at = t
                break
        pts = np.asarray(points)
        values, grads = surface.value_and_grad(pts.T)
        grad_norms = np.sqrt((grads ** 2).sum(axis=0))
    met = _criterion_met(surface, pts, values, grad_norms, tol, criterion)
    if diverged_at is not None and surface.escape_below is not None and met.any():
        diverged_at, met[-1] = None, True  # running off to -inf after escaping is what a saddle does
    touched_at = int(np.argmax(met)) if met.any() else None
    reached_at = None
    if met[-1]:  # the first step from which the criterion holds to the end of the run
        outside = np.flatnonzero(~met)
        reached_at = int(outside[-1]) + 1 if len(outside) else 0
    cls = type(optimizer).__name__
    return Trajectory(name, cls, kwargs, pts, values, grad_norms, evaluations, reached_at, touched_at,
                      diverged_at)


def _criterion_met(surface: Surface, pts, values, grad_norms, tol: float, criterion: str) -> np.ndarray:
    """Per point: does it satisfy the run's criterion (a NaN never does)?"""
    with np.errstate(invalid="ignore"):
        if surface.escape_below is not None:
            return values <= surface.escape_below
        if criterion == "grad-norm":
            return grad_norms <= tol
        return surface.nearest_minimum(pts)[1] <= tol


def check_config(cfg: LandscapeConfig) -> tuple[Surface, tuple]:
    """The surface and the start point of ``cfg``; ConfigError naming the first bad option."""
    surface = resolve_surface(cfg.function)
    names = cfg.optimizers
    for name, lr in cfg.lr.items():
        if not Number(lo=0, lo_open=True).ok(lr):
            raise bad("lr", f"{name}={lr!r}", "a positive number")
    start = surface.start if cfg.start is None else tuple(cfg.start)
    if len(start) != 2 or not all(Number().ok(v) for v in start):
        raise bad("start", cfg.start, "two finite numbers X,Y")
    for name in names:  # every optimizer builds, before any of them runs
        build_optimizer_for(surface, name, Tensor._make(np.zeros(2), requires_grad=True), cfg.lr.get(name),
                            cfg.opt_args.get(name))
    return surface, (float(start[0]), float(start[1]))


def resolve_surface(function) -> Surface:
    """The surface ``function`` names: a built-in one, or what a ``package.module:function`` (or a
    callable) returns, which must be a ``Surface``."""
    if isinstance(function, str) and ":" not in function:
        try:
            return get_surface(function)
        except ValueError as e:
            raise ConfigError(f"--function: {e}") from None
    got = resolve_factory(function, "function")()
    if not isinstance(got, Surface):
        raise ConfigError(f"--function {factory_name(function)} returned {type(got).__name__}; it must "
                          f"return a gradstep.explore.functions.Surface")
    return got


def landscape(cfg: LandscapeConfig) -> LandscapeResult:
    """Run every optimizer of ``cfg`` on its surface; nothing is written (see ``write``)."""
    surface, start = check_config(cfg)
    runs = []
    with RunsProgress(len(cfg.optimizers), "landscape") as bar:
        for name in cfg.optimizers:
            bar.start(name)
            runs.append(run_trajectory(surface, name, start, cfg.steps, cfg.lr.get(name),
                                       cfg.opt_args.get(name), cfg.tol, cfg.criterion))
            bar.done(name)
    return LandscapeResult(cfg, surface, start, runs)


def default_out(cfg: LandscapeConfig) -> str:
    name = resolve_surface(cfg.function).name
    return os.path.join("runs", f"landscape-{name}-{time.strftime('%Y%m%d-%H%M%S')}")


def run_landscape(cfg: LandscapeConfig) -> LandscapeResult:
    """``landscape(cfg)``, written into ``cfg.out`` (default runs/landscape-<function>-<time>):
    the figures, report.md and results.json; ``result.files`` names them."""
    result = landscape(cfg)
    result.out_dir = cfg.out or default_out(cfg)
    result.files = [os.path.basename(p) for p in result.write(result.out_dir)]
    return result


# ---------------------------------------------------------------------------- reporting

def criterion_text(result: LandscapeResult) -> str:
    s, cfg = result.surface, result.config
    if s.escape_below is not None:
        return f"escape: f(p) ≤ {s.escape_below:g}"
    if cfg.criterion == "grad-norm":
        return f"gradient norm ‖∇f(p)‖ ≤ {cfg.tol:g}"
    return f"distance to the nearest minimum ≤ {cfg.tol:g}"


def table_rows(result: LandscapeResult) -> list[list[str]]:
    """The report's table: a header row, then one row per optimizer."""
    s = result.surface
    head = ["optimizer", "class and arguments", "steps to escape" if s.escape_below is not None
            else "steps to tolerance", "final point", "final f", "distance to nearest minimum",
            "evaluations"]
    rows = [head]
    for t in result.trajectories:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in t.hyperparameters.items())
        final = t.points[-1]
        finite = bool(np.all(np.isfinite(final)) and math.isfinite(t.values[-1]))
        _, dist = s.nearest_minimum(final)
        rows.append([t.name, f"{t.optimizer}({args})", result.status(t),
                     f"({final[0]:.4g}, {final[1]:.4g})" if finite else "—",
                     f"{t.values[-1]:.3e}" if finite else "—",
                     f"{dist[0]:.3e}" if finite and s.minima else "—", str(t.evaluations)])
    return rows


def report_markdown(result: LandscapeResult) -> str:
    s, cfg = result.surface, result.config
    minima = ", ".join(f"({x:g}, {y:g})" for x, y in s.minima) or "none"
    lines = [f"# Landscape: {s.name}", "",
             f"f(x, y) = {s.formula}; minima: {minima}. {s.note}", "",
             f"Start ({result.start[0]:g}, {result.start[1]:g}), {cfg.steps} steps per optimizer. "
             f"Steps to tolerance: the steps after which {criterion_text(result)} holds to the end of the "
             f"run; a run diverges when the point or f stops being finite or leaves a box 10⁴ times "
             f"the plot window.", ""]
    rows = table_rows(result)
    lines.append("| " + " | ".join(rows[0]) + " |")
    lines.append("|" + "---|" * len(rows[0]))
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    lines += ["", "![trajectories](landscape.png)", "", "![convergence](convergence.png)", ""]
    if cfg.gif:
        lines += ["![animation](landscape.gif)", ""]
    return "\n".join(lines)


def table_text(result: LandscapeResult) -> str:
    """The report's table as aligned plain text, for the terminal."""
    rows = [r[:1] + r[2:] for r in table_rows(result)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def results_dict(result: LandscapeResult) -> dict:
    s, cfg = result.surface, result.config
    runs = []
    for t in result.trajectories:
        runs.append({"name": t.name, "optimizer": t.optimizer, "hyperparameters": t.hyperparameters,
                     "steps": t.steps, "evaluations": t.evaluations, "status": result.status(t),
                     "steps_to_tolerance": t.reached_at, "first_within_tolerance": t.touched_at,
                     "diverged": t.diverged_at is not None,
                     "diverged_at": t.diverged_at, "points": t.points,
                     "values": t.values, "grad_norms": t.grad_norms})
    config = cfg.to_dict()
    return {"function": s.name, "formula": s.formula, "minima": [list(m) for m in s.minima],
            "start": list(result.start), "criterion": criterion_text(result), "config": config,
            "runs": runs}
