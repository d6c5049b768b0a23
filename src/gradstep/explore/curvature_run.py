"""``curvature``: the Hessian spectrum of a model's training loss (``gradstep.explore.curvature``)
for the model and data a ``TrainConfig`` describes, or for a checkpoint of ``gradstep train``.

    result = CurvatureConfig(TrainConfig(dataset="linreg"), k=2).run()
    result.eigenpairs.eigenvalues, result.trace.trace, result.trace.stderr
    result.write("runs/curvature")     # report.md, results.json, spectrum.png
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .. import random as _random
from ..serialization import CheckpointError, load, load_metadata
from .builders import build_data, build_loss, build_model, model_name, resolve_factory
from .config import (
    BOOL,
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
from .curvature import Density, Eigenpairs, LossHessian, TraceEstimate
from .report import markdown_table
from .result import Result

UNTRUSTED = ("out", "resume", "data_dir", "loggers", "live")   # a checkpoint's paths and side effects


@dataclass
class CurvatureConfig(Config):
    """Every option of ``gradstep curvature``: the model and data (``train``), where the weights
    come from, and what to compute."""
    _nested = {"train": TrainConfig}

    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: str | None = option(None, TEXT, "the weights: a last.safetensors or best.safetensors of "
                                                "gradstep train (default: the initial weights of --seed)")
    k: int = option(3, Number(integer=True, lo=1), "top eigenvalues to compute")
    method: str = option("lanczos", OneOf(("lanczos", "power")), "Lanczos, or power iteration with deflation")
    tol: float = option(1e-3, Number(lo=0, lo_open=True), "relative tolerance of the eigenvalues")
    max_iter: int = option(100, Number(integer=True, lo=1), "at most this many iterations (HVPs per pair "
                                                            "for power iteration)")
    trace_samples: int = option(50, Number(integer=True, lo=2), "Hutchinson samples for the trace")
    density_steps: int = option(30, Number(integer=True, lo=0), "Lanczos steps of the eigenvalue density "
                                                                "(0: none)")
    one_batch: bool = option(False, BOOL, "the loss of the first training batch (default: of the whole "
                                          "training split, accumulated over batches)")
    loss: str | None = option(None, Kind((str,), "package.module:function", True),
                              "your own loss: package.module:function returning it (default: cross-entropy "
                              "or L2)")
    float64: bool = option(False, BOOL, "compute in float64 (a copy of the model)")
    out: str | None = option(None, TEXT, "output directory (default runs/curvature-<time>)")

    def validate(self) -> None:
        check_fields(self)
        if self.loss is not None:
            resolve_factory(self.loss, "loss")
        if self.checkpoint is not None:
            read_checkpoint_config(self.checkpoint)

    def run(self) -> CurvatureResult:
        return run_curvature(self)


def read_checkpoint_config(path: str) -> dict:
    """The training options stored in a checkpoint, without its paths (never followed); a model
    or data function named there is imported only if the command line names it too."""
    from .run import CONFIG_KEY
    try:
        meta = load_metadata(path)
    except (CheckpointError, OSError) as e:
        raise bad("checkpoint", path, f"a readable checkpoint of gradstep train ({e})") from None
    if CONFIG_KEY not in meta:
        raise bad("checkpoint", path, "a checkpoint of gradstep train (this one stores no run configuration)")
    try:
        stored = json.loads(meta[CONFIG_KEY])
    except ValueError:
        raise bad("checkpoint", path, "a checkpoint with a readable run configuration") from None
    if not isinstance(stored, dict):
        raise bad("checkpoint", path, "a checkpoint with a table of run options")
    return {k: v for k, v in stored.items() if k not in UNTRUSTED}


def train_config_from_checkpoint(path: str, **changes) -> TrainConfig:
    """The checkpoint's ``TrainConfig`` (its paths dropped), with ``changes``, through the same
    validation as the command line. A ``module:function`` model or data it names must be given
    again in ``changes``: nothing read from a file is imported on its own."""
    stored = read_checkpoint_config(path)
    for key in ("model", "data"):
        named = stored.get(key)
        if isinstance(named, str) and ":" in named and changes.get(key) != named:
            raise ConfigError(f"--checkpoint {path}: its model was built by --{key} {named}; give "
                              f"--{key} {named} to import that function")
    return TrainConfig.from_dict({**stored, **changes})


@dataclass
class CurvatureResult(Result):
    config: CurvatureConfig
    num_parameters: int
    samples: int               # training samples the loss is taken over
    loss: float
    grad_norm: float
    eigenpairs: Eigenpairs
    trace: TraceEstimate
    density: Density | None
    seconds: float

    @property
    def sharpness(self) -> float:
        return float(self.eigenpairs.eigenvalues[0])

    def to_dict(self) -> dict:
        c, e, t = self.config, self.eigenpairs, self.trace
        d = None if self.density is None else {"nodes": self.density.nodes.tolist(),
                                               "weights": self.density.weights.tolist(),
                                               "hvp_count": self.density.hvp_count}
        return {"config": c.to_dict(), "num_parameters": self.num_parameters,
                "samples": self.samples, "loss": self.loss, "grad_norm": self.grad_norm,
                "eigenvalues": e.eigenvalues.tolist(), "residuals": e.residuals.tolist(),
                "converged": e.converged, "method": e.method, "eigen_hvp_count": e.hvp_count,
                "stability_threshold": 2 / self.sharpness if self.sharpness > 0 else None,
                "trace": t.trace, "trace_stderr": t.stderr, "trace_samples": t.samples,
                "trace_hvp_count": t.hvp_count, "density": d, "seconds": self.seconds}

    def report(self) -> str:
        c, e, t = self.config, self.eigenpairs, self.trace
        where = "the first training batch" if c.one_batch else "the whole training split"
        weights = (f"the weights of {c.checkpoint}" if c.checkpoint
                   else f"the initial weights (seed {c.train.seed})")
        rows = [[str(i + 1), f"{v:.6g}", f"{r:.1e}"]
                for i, (v, r) in enumerate(zip(e.eigenvalues, e.residuals))]
        lines = ["# Curvature", "",
                 f"The Hessian of the {'training ' if not c.one_batch else ''}loss of {model_name(c.train)} "
                 f"({self.num_parameters} parameters) on {c.train.dataset}, over {where} ({self.samples} "
                 f"samples), at {weights}: loss {self.loss:.6g}, gradient norm {self.grad_norm:.4g}. "
                 f"Computed in {'float64' if c.float64 else 'the model dtype'} with Hessian-vector products "
                 f"(double backward), never forming the Hessian; {self.seconds:.1f} s.", "",
                 f"## Top {len(e.eigenvalues)} eigenvalues", "",
                 f"By {e.method} ({'converged' if e.converged else 'NOT converged'} to the relative "
                 f"tolerance {c.tol:g}; {e.hvp_count} Hessian-vector products). The residual is "
                 f"||H v − λ v|| / |λ|, measured.", "",
                 markdown_table(["#", "eigenvalue", "residual"], rows), ""]
        if self.sharpness > 0:
            lines += [f"Sharpness λ_max = {self.sharpness:.6g}: full-batch gradient descent is stable on the "
                      f"quadratic model of this loss for lr < 2/λ_max = **{2 / self.sharpness:.4g}**.", ""]
        lines += ["## Trace", "",
                  f"Hutchinson's estimate tr(H) ≈ **{t.trace:.6g} ± {t.stderr:.2g}** (standard error; "
                  f"{t.samples} Rademacher samples, {t.hvp_count} Hessian-vector products); the mean "
                  f"eigenvalue is ≈ {t.trace / self.num_parameters:.4g}."]
        if self.density is not None:
            lines += ["", "## Eigenvalue density", "",
                      f"Stochastic Lanczos quadrature ({self.density.nodes.shape[1]} steps, "
                      f"{self.density.hvp_count} Hessian-vector products), Gaussian-smoothed: the right "
                      f"panel of `spectrum.png`."]
        lines += ["", "Figure: `spectrum.png`; every number is in `results.json`."]
        return "\n".join(lines) + "\n"

    def documents(self) -> dict:
        return {"report.md": self.report(), "results.json": self.to_dict()}

    def figures(self) -> dict:
        from .curvature_plots import plot_spectrum
        return {"spectrum.png": plot_spectrum(self)}


def run_curvature(config: CurvatureConfig) -> CurvatureResult:
    """Build the model and data of ``config.train`` (weights from the checkpoint, or the seed's
    initial ones) and compute the spectrum; bad input is a ConfigError (one line)."""
    import time

    from ..data import DataLoader

    cfg = config.train
    _random.manual_seed(cfg.seed)
    data = build_data(cfg)
    model = build_model(cfg, data)
    if config.checkpoint is not None:
        state = load(config.checkpoint)
        try:
            model.load_state_dict(state.get("model", state) if isinstance(state, dict) else state)
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"--checkpoint {config.checkpoint}: its weights do not fit the "
                              f"{model_name(cfg)} model for {cfg.dataset}: {e}") from None
    loss_fn = build_loss(data) if config.loss is None else resolve_factory(config.loss, "loss")()
    loader = DataLoader(data.train, batch_size=cfg.batch_size)
    if config.one_batch:
        batch = next(iter(loader))
    if config.float64:
        model = model.double()
        batches = [tuple(t.double() if t.is_floating_point() else t for t in b)
                   for b in ([batch] if config.one_batch else loader)]
        batch = batches[0]
    else:
        batches = loader
    samples = int(batch[0].shape[0]) if config.one_batch else len(data.train)
    start = time.perf_counter()
    try:
        op = LossHessian(model, loss_fn, batch if config.one_batch else batches)
        if config.k > op.num_parameters:
            raise bad("k", config.k, f"at most the number of parameters ({op.num_parameters}): the Hessian "
                                     f"has only {op.num_parameters} eigenvalues")
        loss, gradient = op.loss_and_gradient()
        pairs = op.eigenvalues(config.k, config.method, config.tol, config.max_iter, cfg.seed)
        trace = op.trace(config.trace_samples, cfg.seed)
        density = op.density(config.density_steps, 1, cfg.seed) if config.density_steps else None
    except ValueError as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(str(e)) from None
    return CurvatureResult(config, op.num_parameters, samples, loss, float(np.linalg.norm(gradient)), pairs,
                           trace, density, time.perf_counter() - start)
