"""``gradstep curvature``: options into a ``CurvatureConfig``, then ``run_curvature``."""

from __future__ import annotations

import argparse
import time

from .common import (
    EXIT_OK,
    add_command,
    add_config_options,
    add_format_option,
    formats_of,
    given,
    report_written,
)
from .train import TRAINING, add_training_options, config_from_args

DESCRIPTION = """The curvature of a model's training loss: the top --k eigenvalues of its Hessian (by
Lanczos or power iteration with deflation; with the number of Hessian-vector products and the
residual reached), its trace by Hutchinson's estimator with the standard error, and the eigenvalue
density by stochastic Lanczos quadrature. Over the whole training split (accumulated over batches of
--batch-size) or --one-batch. The weights: a --checkpoint of `gradstep train` (its model rebuilt from
the options stored in it, checked like these), else the initial weights of --seed. Writes report.md,
results.json and spectrum.png into --out.

The largest eigenvalue is the sharpness: gradient descent with step size lr diverges on a quadratic
when lr > 2 / lambda_max.

examples:
  gradstep curvature --dataset linreg --k 3
  gradstep curvature --checkpoint runs/x/last.safetensors --one-batch --batch-size 512
  gradstep curvature --model cnn --subset 2000 --k 5 --float64
"""

OWN = ("checkpoint", "k", "method", "tol", "max_iter", "trace_samples", "density_steps", "one_batch", "loss",
       "float64", "out")
SKIPPED = ("optimizer", "lr", "momentum", "weight_decay", "opt_args", "scheduler", "sched_args",
           "scheduler_interval", "epochs", "clip_grad_norm", "workers")


def add_parser(sub) -> None:
    from ..explore.curvature_run import CurvatureConfig

    d = CurvatureConfig()
    p = add_command(sub, "curvature", "Hessian eigenvalues, trace and density of a model's loss", DESCRIPTION)
    g = p.add_argument_group("curvature")
    add_config_options(g, d, OWN)
    add_format_option(g)
    add_training_options(p, d.train, skip=SKIPPED)


def config_from(args: argparse.Namespace):
    from ..explore.curvature_run import CurvatureConfig, train_config_from_checkpoint

    own = given(args, OWN)
    if own.get("checkpoint"):
        changes = given(args, TRAINING)
        train = train_config_from_checkpoint(own["checkpoint"], **changes)
    else:
        train = config_from_args(args, "curvature", base=CurvatureConfig().train)
    return CurvatureConfig(train=train, **own)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    out = config.out or f"runs/curvature-{time.strftime('%Y%m%d-%H%M%S')}"
    result = config.run()
    files = result.write(out, formats_of(args))
    e, t = result.eigenpairs, result.trace
    print(f"top {len(e.eigenvalues)} eigenvalues: {', '.join(f'{v:.6g}' for v in e.eigenvalues)} "
          f"({e.hvp_count} HVPs, residual {e.residuals.max():.1e}{'' if e.converged else ', not converged'})")
    print(f"trace {t.trace:.6g} ± {t.stderr:.2g} ({t.samples} samples)")
    if result.sharpness > 0:
        print(f"stability threshold 2/lambda_max = {2 / result.sharpness:.4g}")
    report_written(out, files)
    return EXIT_OK
