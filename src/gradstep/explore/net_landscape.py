"""``net_landscape``: the loss surface of a trained network on a plane through its weights, with
the trajectories of several optimizers projected onto it (``gradstep landscape --model ...``).

Every optimizer trains the same model from the same initial weights on the same batches (as in
``compare``), while a callback records its weights every few steps. The plane passes through the
trained weights θ* of the first optimizer listed, along two directions:

- ``random``: two Gaussian directions, filter-normalized (Li et al., "Visualizing the Loss
  Landscape of Neural Nets", NeurIPS 2018, https://arxiv.org/abs/1712.09913): each filter of a
  weight (a row of a linear layer, an output channel of a convolution) is rescaled to the norm of
  the same filter of θ*; biases and batch-norm parameters (every parameter of one dimension) are
  zero in the direction, the paper's default;
- ``pca``: the first two principal directions of the recorded weights, as the differences θ − θ*
  (Li et al. §7; rows centred as their code's ``sklearn.decomposition.PCA`` does). θ* lies at
  (0, 0); the report says how much of the trajectories' variance the plane explains.

The surface is the loss at θ* + α d₁ + β d₂ on a grid of (α, β), in eval mode (batch norm with
θ*'s running statistics, as Li et al. evaluate), on a fixed evaluation subset (the first
``eval_samples`` training samples), so that a default run on the MLP and the shipped
Fashion-MNIST sample takes seconds. Written: ``contour.png``, ``surface.png``
(3-D), ``report.md`` and ``results.json`` (the grid, the directions' description, every
trajectory's coordinates).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._creation import randn
from .._dtype import float64
from ..data import DataLoader, Subset
from ..random import Generator
from ..train import Callback, RunsProgress, evaluate
from .builders import build_data, build_loss, model_name, optimizer_list, optimizer_spec, per_optimizer
from .config import (
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
    option,
)
from .report import markdown_table
from .result import Result
from .run import build_run, initial_state

DIRECTIONS = ("pca", "random")
DEFAULT_OPTIMIZERS = ("adam", "momentum", "sgd")
DEFAULT_EPOCHS = 2
POINTS_PER_RUN = 30         # weights recorded per optimizer unless --record-every says otherwise
RANDOM_RANGE = (-1.0, 1.0, -1.0, 1.0)   # the paper's window for filter-normalized directions


class AllDiverged(RuntimeError):
    """Every optimizer diverged: no trained weights to centre the plane on."""


def parse_range(value) -> tuple | None:
    """``"-1,1"`` / ``(-1, 1)`` (both axes) or ``"-1,1,-0.5,0.5"`` -> (xmin, xmax, ymin, ymax)."""
    if value is None:
        return None
    allowed = "A,B (both axes) or XMIN,XMAX,YMIN,YMAX, finite numbers with min < max"
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, (list, tuple)) or len(parts) not in (2, 4):
        raise bad("range", value, allowed)
    try:
        nums = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise bad("range", value, allowed) from None
    if len(nums) == 2:
        nums = nums + nums
    if not all(math.isfinite(v) for v in nums) or nums[0] >= nums[1] or nums[2] >= nums[3]:
        raise bad("range", value, allowed)
    return nums


@dataclass
class NetLandscapeConfig(Config):
    """Every option of ``gradstep landscape --model ...``: the training config every run shares,
    the optimizers, and the plane and grid the surface is evaluated on."""
    _nested = {"train": TrainConfig}

    # the model, data set, batch size, epochs, seed, ... of every run (the optimizer aside)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(model="mlp", epochs=DEFAULT_EPOCHS,
                                                                    quiet=True))
    optimizers: tuple = option(DEFAULT_OPTIMIZERS, Kind((tuple, list, str), "a list of optimizer names"),
                               "optimizers trained from the same start; the first one's weights are the "
                               "plane's centre")
    lr: dict = option(None, OPTIONS, "optimizer name -> learning rate (default: the tutorials' one)",
                      default_factory=dict)
    opt_args: dict = option(None, OPTIONS, "optimizer name -> {argument: value}", default_factory=dict)
    directions: str = option("pca", OneOf(DIRECTIONS),
                             "the plane: PCA of the trajectories, or filter-normalized random directions")
    grid: int = option(21, Number(integer=True, lo=2, hi=401), "grid points per axis")
    range: tuple | None = option(None, Kind((tuple, list, str), "A,B or XMIN,XMAX,YMIN,YMAX", True),
                                 "the window in direction units (default: -1,1 for random, the "
                                 "trajectories' extent for pca)")
    eval_samples: int = option(1000, Number(integer=True, lo=1),
                               "training samples the surface is evaluated on (the first N)")
    record_every: int | None = option(None, Number(integer=True, lo=1, optional=True),
                                      f"record the weights every N steps (default: about {POINTS_PER_RUN} "
                                      f"points per run)")
    out: str | None = option(None, TEXT, "output directory (default runs/landscape-<model>-<time>)")

    def validate(self) -> None:
        check_fields(self)
        self.optimizers = optimizer_list(self.optimizers)
        self.lr = per_optimizer("lr", self.lr, self.optimizers)
        self.opt_args = per_optimizer("opt_args", self.opt_args, self.optimizers)
        for name, lr in self.lr.items():
            if not Number(lo=0, lo_open=True).ok(lr):
                raise bad("lr", f"{name}={lr!r}", "a positive number")
        self.range = parse_range(self.range)
        for name in self.optimizers:  # every run's config checks itself, so every optimizer builds
            run_config(self, name)

    def run(self, progress: Callable[[str], None] | None = None) -> NetLandscapeResult:
        return net_landscape(self, progress)


def run_config(cfg: NetLandscapeConfig, name: str) -> TrainConfig:
    """One optimizer's run: ``cfg.train`` with its optimizer, learning rate and arguments; quiet."""
    t = cfg.train
    try:
        return t.replace(optimizer=name, lr=cfg.lr.get(name, t.lr), opt_args={**t.opt_args,
                         **cfg.opt_args.get(name, {})}, quiet=True, out=None, resume=None, dynamics=False,
                         dynamics_every=None, sharpness_every=None)
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None


# ---------------------------------------------------------------------------- weights as vectors

def parameters(model) -> list:
    return [p for p in model.parameters() if p.requires_grad]


def flat_weights(params) -> np.ndarray:
    """The parameters as one float64 vector, in ``model.parameters()`` order."""
    return np.concatenate([p.detach().numpy().ravel() for p in params]).astype(np.float64)


def set_flat_weights(params, vector: np.ndarray) -> None:
    """Write ``vector`` (``flat_weights``' layout) into the parameters, in place."""
    i = 0
    for p in params:
        a = p.detach().numpy()
        a[...] = vector[i:i + a.size].reshape(a.shape)
        i += a.size


def filter_normalized_direction(weights: list[np.ndarray], generator: Generator) -> list[np.ndarray]:
    """A Gaussian direction shaped like ``weights``, each filter (index along dimension 0 of a
    weight with two or more dimensions) rescaled to the norm of the weight's filter; parameters of
    one dimension (biases, batch-norm scales and shifts) are zero, as in Li et al.'s default."""
    out = []
    for w in weights:
        w = np.asarray(w, dtype=np.float64)
        if w.ndim <= 1:
            out.append(np.zeros_like(w))
            continue
        d = randn(w.shape, generator=generator, dtype=float64).numpy()
        axes = tuple(range(1, w.ndim))
        w_norm = np.sqrt((w ** 2).sum(axis=axes, keepdims=True))
        d_norm = np.sqrt((d ** 2).sum(axis=axes, keepdims=True))
        out.append(d * (w_norm / np.maximum(d_norm, np.finfo(np.float64).tiny)))
    return out


def pca_directions(differences: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` principal directions of the rows of ``differences`` (weights minus θ*),
    centred as PCA does, and the share of the variance each explains. Computed from the small
    (rows × rows) Gram matrix, since a network has far more weights than recorded points."""
    m = differences - differences.mean(axis=0)
    gram = m @ m.T
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    total = values.sum()
    if len(values) < k or values[k - 1] <= total * 1e-12:
        raise ConfigError(f"--directions pca needs trajectories that span {k} dimensions; these span "
                          f"{int((values > total * 1e-12).sum()) if total > 0 else 0} (record more points "
                          f"with --record-every, train longer, or use --directions random)")
    directions = (vectors[:, :k].T @ m) / np.sqrt(values[:k])[:, None]
    return directions, values[:k] / total


def project(differences: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """The (α, β) whose α d₁ + β d₂ is closest to each row (least squares; the directions need
    not be orthogonal)."""
    gram = directions @ directions.T
    return np.linalg.solve(gram, directions @ differences.T).T


def explained_share(differences: np.ndarray, directions: np.ndarray) -> float:
    """The share of the rows' variance (about their mean) that lies in the directions' plane."""
    m = differences - differences.mean(axis=0)
    total = float((m ** 2).sum())
    if total == 0.0:
        return float("nan")
    q, _ = np.linalg.qr(directions.T)
    return float(((m @ q) ** 2).sum()) / total


# ---------------------------------------------------------------------------- running

class WeightRecorder(Callback):
    """Records the flattened weights at the start, every ``every`` optimizer steps, and at the end."""

    def __init__(self, every: int):
        self.every = every
        self.steps: list[int] = []
        self.points: list[np.ndarray] = []
        self._step = 0

    def _record(self, trainer) -> None:
        w = flat_weights(parameters(trainer.model))
        if np.all(np.isfinite(w)):
            self.steps.append(self._step)
            self.points.append(w.astype(np.float32))

    def on_fit_start(self, trainer) -> None:
        self._record(trainer)

    def on_after_optimizer_step(self, trainer) -> None:
        self._step += 1
        if self._step % self.every == 0:
            self._record(trainer)

    def on_fit_end(self, trainer) -> None:
        if not self.steps or self.steps[-1] != self._step:
            self._record(trainer)


@dataclass
class NetTrajectory:
    """One optimizer's run: its recorded weights' coordinates on the plane, and how it ended."""
    name: str
    hyperparameters: dict
    steps: np.ndarray            # the optimizer step of each recorded point
    coords: np.ndarray           # (points, 2): (α, β) of each recorded point
    explained: float             # share of this run's variance the plane explains
    distance: float              # ‖θ_end − θ_start‖
    final_loss: float            # loss of its last weights on the evaluation subset
    diverged: bool
    stop_reason: str | None

    @property
    def label(self) -> str:
        return f"{self.name} (lr {self.hyperparameters.get('lr', float('nan')):g})"


@dataclass
class NetLandscapeResult(Result):
    config: NetLandscapeConfig
    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray             # (len(betas), len(alphas)): loss at θ* + α d₁ + β d₂
    accuracy: np.ndarray | None  # the same for accuracy (classification)
    center_loss: float           # loss at θ* on the evaluation subset
    explained: float             # share of all trajectories' variance the plane explains
    component_shares: list       # pca: the share of each direction; random: []
    eval_samples: int
    parameters: int
    trajectories: list
    seconds: float
    reference: str               # the optimizer whose trained weights are θ*
    dpi = 150

    @property
    def title(self) -> str:
        t = self.config.train
        return f"{model_name(t)} on {t.dataset}"

    def axis_label(self, i: int) -> str:
        if self.config.directions == "pca":
            return f"PC{i + 1} ({self.component_shares[i]:.1%} of variance)"
        return f"filter-normalized direction {i + 1}"

    def documents(self) -> dict:
        return {"report.md": self.report(), "results.json": self.to_dict()}

    def figures(self) -> dict:
        from .net_landscape_plots import plot_contour, plot_surface
        return {"contour.png": plot_contour(self), "surface.png": plot_surface(self)}

    def table(self) -> str:
        header = ["optimizer", "arguments", "steps", "final loss (eval subset)", "‖θ_end − θ_start‖",
                  "variance in the plane", "end (α, β)", "status"]
        rows = []
        for t in self.trajectories:
            args = ", ".join(f"{k}={v}" for k, v in t.hyperparameters.items())
            end = t.coords[-1]
            rows.append([f"`{t.name}`", args, str(int(t.steps[-1])), f"{t.final_loss:.4g}",
                         f"{t.distance:.4g}", f"{t.explained:.1%}", f"({end[0]:.3g}, {end[1]:.3g})",
                         "**diverged**" if t.diverged else "ok"])
        return markdown_table(header, rows)

    def report(self) -> str:
        cfg, t = self.config, self.config.train
        ref = self.reference
        if cfg.directions == "pca":
            plane = (f"The plane is spanned by the first two principal directions of every recorded weight "
                     f"vector minus θ* (the weights `{ref}` ended with), centred as PCA does; they explain "
                     f"{self.component_shares[0]:.1%} and {self.component_shares[1]:.1%} of the "
                     f"trajectories' variance, **{self.explained:.1%} together**. θ* is at (0, 0); "
                     f"coordinates are distances in weight space.")
        else:
            plane = (f"The plane passes through θ* (the weights `{ref}` ended with) along two Gaussian "
                     f"directions, each filter rescaled to the norm of θ*'s filter, biases and batch-norm "
                     f"parameters zero (Li et al. 2018). It explains **{self.explained:.1%}** of the "
                     f"trajectories' variance: random directions in {self.parameters} dimensions are nearly "
                     f"orthogonal to any path, which is why Li et al. plot trajectories on PCA directions "
                     f"(`--directions pca`).")
        lo, hi = float(np.nanmin(self.loss)), float(np.nanmax(self.loss))
        lines = [
            f"# Loss landscape: {self.title}", "",
            f"{len(self.trajectories)} optimizers trained {model_name(t)} on {t.dataset} from the same "
            f"initial weights on the same batches (batch size {t.batch_size}, {t.epochs} epochs, "
            f"seed {t.seed}; "
            f"{self.parameters} parameters). " + plane, "",
            f"The surface is the loss (eval mode; batch norm with θ*'s running statistics) on the first "
            f"{self.eval_samples} training samples, on a "
            f"{len(self.alphas)} × {len(self.betas)} grid over α ∈ [{self.alphas[0]:.3g}, "
            f"{self.alphas[-1]:.3g}], β ∈ [{self.betas[0]:.3g}, {self.betas[-1]:.3g}]; it ranges from "
            f"{lo:.4g} to {hi:.4g}, "
            f"and is {self.center_loss:.4g} at θ*. Computed in {self.seconds:.0f} s.", "",
            "Per optimizer, the share of its own trajectory's variance the plane explains:", "",
            self.table(),
            "![contours](contour.png)", "", "![surface](surface.png)", ""]
        for tr in self.trajectories:
            if tr.diverged:
                lines.append(f"- `{tr.name}` diverged and is left out of the plane's fit and window: "
                             f"{tr.stop_reason}")
        return "\n".join(lines).rstrip() + "\n"

    def to_dict(self) -> dict:
        return {"config": self.config.to_dict(), "directions": self.config.directions,
                "reference": self.reference, "parameters": self.parameters, "eval_samples": self.eval_samples,
                "center_loss": self.center_loss, "explained_variance": self.explained,
                "component_variance": self.component_shares, "alphas": self.alphas, "betas": self.betas,
                "loss": self.loss, "accuracy": self.accuracy,
                "trajectories": [{"optimizer": t.name, "hyperparameters": t.hyperparameters,
                                  "steps": t.steps, "coords": t.coords, "explained_variance": t.explained,
                                  "distance": t.distance, "final_loss": t.final_loss, "diverged": t.diverged,
                                  "stop_reason": t.stop_reason} for t in self.trajectories]}


def _evaluation_batches(data, n: int, batch_size: int = 500) -> list:
    """The first ``n`` training samples as a list of batches, transformed once."""
    subset = Subset(data.train, range(min(n, len(data.train))))
    return list(DataLoader(subset, batch_size=batch_size))


def net_landscape(cfg: NetLandscapeConfig, progress: Callable[[str], None] | None = None
                  ) -> NetLandscapeResult:
    """Train every optimizer of ``cfg`` from one start, then evaluate the loss on the plane; see
    the module docstring. ``progress`` (e.g. ``print``) gets a line after each stage. Nothing is
    written (see ``write``)."""
    with RunsProgress(len(cfg.optimizers) + 1, "landscape", enabled=not cfg.train.quiet, unit="stage") as bar:
        return _net_landscape(cfg, bar, bar.lines(progress) or (lambda line: None))


def _net_landscape(cfg: NetLandscapeConfig, bar: RunsProgress,
                   say: Callable[[str], None]) -> NetLandscapeResult:
    began = time.perf_counter()
    first = run_config(cfg, cfg.optimizers[0])
    data = build_data(first)
    start = initial_state(first, data)
    runs = []
    for name in cfg.optimizers:
        bar.start(f"training with {name}")
        rc = run_config(cfg, name)
        trainer, _, (train_loader, val_loader, _) = build_run(rc, data=data, initial_state=start)
        total = min(rc.max_steps or math.inf, rc.epochs * len(train_loader))
        recorder = WeightRecorder(cfg.record_every or max(1, int(total) // POINTS_PER_RUN))
        trainer.callbacks.append(recorder)
        history = trainer.fit(train_loader, rc.epochs, val_loader=val_loader, max_steps=rc.max_steps)
        loss = history.epochs[-1]["train_loss"] if history.epochs and not trainer.diverged else float("nan")
        say(f"[{len(runs) + 1}/{len(cfg.optimizers)}] {name:<9} "
            + ("diverged" if trainer.diverged else f"train loss {loss:.4f}")
            + f" | {time.perf_counter() - began:.0f} s")
        bar.done("diverged" if trainer.diverged else f"train loss {loss:.4f}")
        runs.append((name, trainer, recorder))
    # the centre and the plane come from the runs that did not diverge: a diverged run's weights
    # are astronomically far away and would leave nothing else visible
    kept = [r for r in runs if not r[1].diverged]
    if not kept:
        raise AllDiverged(f"every optimizer diverged ({', '.join(cfg.optimizers)}): there are no trained "
                          f"weights to centre the plane on; try smaller learning rates (--lr NAME=VALUE)")
    reference = kept[0][1]
    model, loss_fn = reference.model, build_loss(data)
    params = parameters(model)
    center = flat_weights(params)
    batches = _evaluation_batches(data, cfg.eval_samples)
    metrics = ("accuracy",) if data.is_classification else ()

    all_diffs = np.concatenate([np.asarray(r.points, dtype=np.float64) - center for _, _, r in kept])
    if cfg.directions == "pca":
        directions, shares = pca_directions(all_diffs)
        component_shares = [float(s) for s in shares]
    else:
        weights = [p.detach().numpy() for p in params]
        gen = Generator(cfg.train.seed)
        directions = np.stack([np.concatenate([d.ravel() for d in filter_normalized_direction(weights, gen)])
                               for _ in range(2)])
        component_shares = []
    trajectories = []
    for name, trainer, rec in runs:
        diffs = np.asarray(rec.points, dtype=np.float64) - center
        # with its own batch-norm statistics; a diverged run's loss may overflow
        with np.errstate(over="ignore", invalid="ignore"):
            final = evaluate(trainer.model, batches, loss_fn, metrics)["loss"]
        trajectories.append(NetTrajectory(
            name, optimizer_spec(run_config(cfg, name))[1], np.asarray(rec.steps), project(diffs, directions),
            explained_share(diffs, directions), _distance(rec.points[0], rec.points[-1]), final,
            trainer.diverged, trainer.stop_reason))
    x0, x1, y0, y1 = cfg.range or (RANDOM_RANGE if cfg.directions == "random"
                                   else _extent([t.coords for t in trajectories if not t.diverged]))
    alphas, betas = np.linspace(x0, x1, cfg.grid), np.linspace(y0, y1, cfg.grid)
    say(f"evaluating the loss on a {cfg.grid} × {cfg.grid} grid of the {cfg.directions} plane, "
        f"{len(center)} parameters, {sum(len(b[1]) for b in batches)} samples")
    bar.start(f"loss on a {cfg.grid} x {cfg.grid} grid")
    loss, acc = _surface(model, params, center, directions, alphas, betas, batches, loss_fn, metrics)
    bar.done()
    center_loss = evaluate(model, batches, loss_fn, metrics)["loss"]
    shared = explained_share(all_diffs, directions)
    samples = sum(len(b[1]) for b in batches)
    return NetLandscapeResult(cfg, alphas, betas, loss, acc, center_loss, shared, component_shares, samples,
                              len(center), trajectories, time.perf_counter() - began, kept[0][0])


def _surface(model, params, center, directions, alphas, betas, batches, loss_fn, metrics):
    """Loss (and accuracy) at center + α d₁ + β d₂ for every (α, β) of the grid; the weights are
    θ* again afterwards."""
    loss = np.empty((len(betas), len(alphas)))
    acc = np.empty_like(loss) if metrics else None
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for j, b in enumerate(betas):
                for i, a in enumerate(alphas):
                    set_flat_weights(params, center + a * directions[0] + b * directions[1])
                    r = evaluate(model, batches, loss_fn, metrics)
                    loss[j, i] = r["loss"]
                    if acc is not None:
                        acc[j, i] = r["accuracy"]
    finally:
        set_flat_weights(params, center)
    return loss, acc


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(b.astype(np.float64) - a))


def _extent(coords: list[np.ndarray], margin: float = 0.15) -> tuple:
    """A window holding every trajectory and the origin, with a margin on each side."""
    pts = np.concatenate([c for c in coords] + [np.zeros((1, 2))])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 1e-3)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def default_out(cfg: NetLandscapeConfig) -> str:
    name = model_name(cfg.train).replace(":", "-").replace(".", "-")
    return os.path.join("runs", f"landscape-{name}-{time.strftime('%Y%m%d-%H%M%S')}")
