"""``gradstep curvature``: options into a ``CurvatureConfig``, then ``run_curvature``."""

from __future__ import annotations

import argparse

from .common import (
    EXIT_OK,
    report_written,
    run_into_folder,
)
from .train import add_experiment_parser, experiment_config_from

DESCRIPTION = """The curvature of the training loss: the top eigenvalues of its Hessian (by Lanczos,
or power iteration with deflation), its trace (Hutchinson's estimator, with a standard error) and
its eigenvalue density, from Hessian-vector products (double backward) over the first
--num-batches training batches. At the model's initial weights, or at a checkpoint's with
--checkpoint. The largest eigenvalue is the sharpness: on a quadratic, full-batch gradient descent
diverges for a learning rate above 2 / lambda_max. Writes curvature.png and curvature.json into --out.

examples:
  gradstep curvature                                  # seed 002's MLP on the shipped sample
  gradstep curvature --model cnn --k 5 --num-batches 2
  gradstep curvature --checkpoint runs/mlp/checkpoint.safetensors --trace-samples 50
"""

SKIPPED = ("lr", "epochs", "scheduler", "sched_args", "scheduler_interval", "clip_grad_norm")
OWN = ("checkpoint", "k", "method", "tol", "trace_samples", "num_batches", "out")


def add_parser(sub) -> None:
    from ..explore.curvature_run import CurvatureConfig

    add_experiment_parser(sub, "curvature", "the Hessian spectrum of the training loss", DESCRIPTION,
                          CurvatureConfig(), OWN, "curvature", SKIPPED)


def config_from(args: argparse.Namespace):
    from ..explore.curvature_run import CurvatureConfig

    return experiment_config_from(args, CurvatureConfig, "curvature", OWN)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    result, out, files = run_into_folder(config, args, "curvature")
    top = ", ".join(f"{v:.4g}" for v in result.eigenvalues)
    print(f"loss {result.loss:.4g} over {result.samples} samples, {result.num_parameters} parameters")
    print(f"top {len(result.eigenvalues)} Hessian eigenvalues: {top} ({result.top.hvp_count} Hessian-vector "
          f"products, largest residual {max(result.top.residuals):.2g})")
    if result.threshold is not None:
        print(f"sharpness {result.eigenvalues[0]:.4g}: full-batch gradient descent is stable for lr < "
              f"{result.threshold:.3g} (2 / lambda_max)")
    if result.trace is not None:
        print(f"trace {result.trace.trace:.4g} +- {result.trace.stderr:.2g} (Hutchinson, "
              f"{result.trace.samples} samples)")
    report_written(out, files)
    return EXIT_OK
