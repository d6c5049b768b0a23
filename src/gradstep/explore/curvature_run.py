"""``curvature``: the Hessian spectrum of a model's training loss (``explore.curvature``) for the
model and data a ``TrainConfig`` describes, at its initial weights or at a checkpoint's.

    result = run_curvature(CurvatureConfig(TrainConfig(model="cnn"), k=3))
    result.eigenvalues, result.trace
    result.write("runs/curvature")     # curvature.png and curvature.json
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..data import DataLoader
from ..serialization import CheckpointError, load, load_metadata
from ..train import RunsProgress
from .builders import build_data, build_loss, build_model, model_name
from .config import TEXT, Config, ConfigError, Number, OneOf, TrainConfig, check_fields, option
from .curvature import Density, Eigenpairs, LossHessian, TraceEstimate
from .result import Result
from .run import CONFIG_KEY


@dataclass
class CurvatureConfig(Config):
    """Every option of ``gradstep curvature``: the model and data, and what to compute."""
    _nested = {"train": TrainConfig}

    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: str | None = option(None, TEXT, "a checkpoint whose weights (and model) to use")
    k: int = option(3, Number(integer=True, lo=1), "top Hessian eigenvalues to compute")
    method: str = option("lanczos", OneOf(("lanczos", "power")), "lanczos or power (iteration)")
    tol: float = option(1e-4, Number(lo=0, lo_open=True), "relative residual to reach")
    trace_samples: int = option(20, Number(integer=True, lo=0), "Hutchinson samples (0: no trace)")
    num_batches: int = option(4, Number(integer=True, lo=0),
                              "training batches the loss is taken over (0: the whole training set)")
    out: str | None = option(None, TEXT, "output directory (default runs/curvature-<time>)")

    def validate(self) -> None:
        check_fields(self)
        if self.trace_samples == 1:
            raise ConfigError("--trace-samples must be 0 (no trace) or at least 2 (for a standard error)")

    def run(self) -> CurvatureResult:
        return run_curvature(self)


@dataclass
class CurvatureResult(Result):
    """The top eigenpairs, the trace estimate and the density, with the config they came from."""
    config: CurvatureConfig
    top: Eigenpairs
    trace: TraceEstimate | None
    density: Density
    loss: float
    num_parameters: int
    samples: int

    eigenvalues = property(lambda self: self.top.eigenvalues)

    @property
    def threshold(self) -> float | None:
        """2 / lambda_max: the step size above which gradient descent diverges on the quadratic."""
        lam = float(self.top.eigenvalues[0])
        return 2 / lam if lam > 0 else None

    def documents(self) -> dict:
        c, t = self.config, self.trace
        return {"curvature.json": {
            "config": c.train.to_dict(), "checkpoint": c.checkpoint, "method": c.method, "tol": c.tol,
            "samples": self.samples, "num_parameters": self.num_parameters, "loss": self.loss,
            "eigenvalues": self.top.eigenvalues.tolist(), "residuals": self.top.residuals.tolist(),
            "converged": self.top.converged, "hvp_count": self.top.hvp_count,
            "gd_stability_threshold_lr": self.threshold,
            "trace": None if t is None else {"estimate": t.trace, "stderr": t.stderr, "samples": t.samples},
            "density": {"nodes": self.density.nodes.tolist(), "weights": self.density.weights.tolist()}}}

    def figures(self) -> dict:
        """curvature.png: the eigenvalue density (stochastic Lanczos quadrature, log scale), the
        top eigenvalues marked."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4))
        ax = fig.subplots()
        nodes = self.density.nodes[self.density.weights > 0]
        lo, hi = float(min(nodes.min(), 0)), float(max(nodes.max(), self.eigenvalues[0]))
        span = max(hi - lo, 1e-12)
        grid = np.linspace(lo - 0.05 * span, hi + 0.05 * span, 1000)
        ax.semilogy(grid, np.maximum(self.density.at(grid, sigma=0.01 * span), 1e-12), lw=1.2)
        for i, lam in enumerate(self.eigenvalues):
            ax.axvline(lam, color="C3", ls=":", lw=1, label="top eigenvalues" if i == 0 else None)
        cfg = self.config.train
        limit = ("" if self.threshold is None
                 else f"; gradient descent is stable below lr = {self.threshold:.3g}")
        ax.set_title(f"Hessian spectrum: {model_name(cfg)} on {cfg.dataset}, {self.samples} samples\n"
                     f"lambda_max = {self.eigenvalues[0]:.4g}{limit}", fontsize=9)
        ax.set_xlabel("eigenvalue")
        ax.set_ylabel("density (smoothed)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return {"curvature.png": fig}


UNTRUSTED = ("out", "resume", "data_dir", "loggers", "live")   # a checkpoint's paths and side effects


def train_config_from_checkpoint(path: str, model=None, data=None) -> TrainConfig:
    """The ``TrainConfig`` stored in a checkpoint, through the same validation as the command line,
    without its paths (never followed). A ``module:function`` model or data it names is imported
    only if ``model`` / ``data`` (the command line's --model / --data) name it too: nothing read
    from a file is trusted as an instruction."""
    try:
        meta = load_metadata(path)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read it ({e.strerror})") from None
    if CONFIG_KEY not in meta:
        raise CheckpointError(f"{path}: has no gradstep run configuration in its metadata; was it "
                              f"written by `gradstep train`?")
    try:
        stored = json.loads(meta[CONFIG_KEY])
    except ValueError:
        stored = None
    if not isinstance(stored, dict):
        raise CheckpointError(f"{path}: its run configuration is not a table of options")
    stored = {k: v for k, v in stored.items() if k not in UNTRUSTED}
    for key, given in (("model", model), ("data", data)):
        named = stored.get(key)
        if isinstance(named, str) and ":" in named and given != named:
            raise ConfigError(f"--checkpoint {path}: its model was built with --{key} {named}; give "
                              f"--{key} {named} to import that function")
    return TrainConfig.from_dict(stored)


def run_curvature(config: CurvatureConfig) -> CurvatureResult:
    """The spectrum of the training loss of ``config.train``'s model, at its initial weights (or
    the checkpoint's), over the first ``num_batches`` training batches."""
    from .. import random as _random

    cfg = config.train
    if config.checkpoint is not None:
        cfg = train_config_from_checkpoint(config.checkpoint, model=cfg.model, data=cfg.data)
    _random.manual_seed(cfg.seed)
    data = build_data(cfg)
    model = build_model(cfg, data)
    if config.checkpoint is not None:
        state = load(config.checkpoint)
        try:
            model.load_state_dict(state.get("model", state) if isinstance(state, dict) else state)
        except (ValueError, KeyError, TypeError) as e:
            raise CheckpointError(f"{config.checkpoint}: its weights do not fit the {model_name(cfg)} "
                                  f"model: {e}") from None
    batches = []
    for i, batch in enumerate(DataLoader(data.train, batch_size=cfg.batch_size)):
        if config.num_batches and i == config.num_batches:
            break
        batches.append(batch)
    try:
        hessian = LossHessian(model, build_loss(data), batches)
    except ValueError as e:   # a model without parameters
        raise ConfigError(str(e)) from None
    if config.k > hessian.num_parameters:
        raise ConfigError(f"--k {config.k} is larger than the number of parameters "
                          f"({hessian.num_parameters})")
    stages = 3 + bool(config.trace_samples)
    with RunsProgress(stages, "curvature", enabled=not cfg.quiet, unit="stage") as bar:
        bar.start("loss and gradient")
        loss, _ = hessian.loss_and_gradient()
        bar.done()
        bar.start(f"top {config.k} eigenvalues ({config.method})")
        top = hessian.eigenvalues(config.k, config.method, config.tol, seed=cfg.seed)
        bar.done(f"lambda_max {top.eigenvalues[0]:.4g}")
        trace = None
        if config.trace_samples:
            bar.start(f"trace ({config.trace_samples} Hutchinson samples)")
            trace = hessian.trace(config.trace_samples, seed=cfg.seed)
            bar.done()
        bar.start("eigenvalue density")
        density = hessian.density(steps=30, seed=cfg.seed)
        bar.done()
    samples = sum(int(b[0].shape[0]) for b in batches)
    return CurvatureResult(config, top, trace, density, loss, hessian.num_parameters, samples)
