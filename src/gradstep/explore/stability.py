"""What the loss at the starting weights says about learning rates and batch sizes.

- The *stability threshold* 2 / lambda_max: on a quadratic, full-batch gradient descent with step
  size lr converges when lr < 2 / lambda_max (lambda_max the largest eigenvalue of the Hessian, the
  loss's sharpness) and diverges above it, along the top eigenvector.
- The *gradient noise scale* B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018, "An Empirical
  Model of Large-Batch Training"): G the full-batch gradient, Sigma the covariance of the
  per-example gradients. Batches much smaller than B_simple are dominated by noise (a larger batch
  buys a proportionally better step); batches much larger waste samples. It is estimated, as in
  the paper's appendix A, from the squared norms of mean gradients at two batch sizes b < B:
  since E|G_b|^2 = |G|^2 + tr(Sigma) / b,

      |G|^2     ~ (B |G_B|^2 - b |G_b|^2) / (B - b)
      tr(Sigma) ~ (|G_b|^2 - |G_B|^2) / (1/b - 1/B).

Both are measured in float64 on a copy of the model, on (at most ``MAX_SAMPLES`` of) the training
split: a few Hessian-vector products and one pass of small-batch gradients.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..autograd import Tensor
from .curvature import LossHessian

MAX_SAMPLES = 1024   # the training samples the start-point curvature is measured on
SMALL_BATCH = 8      # the small batch size of the noise-scale estimate (the large one: every sample)


@dataclass(frozen=True)
class NoiseScale:
    """B_simple = tr(Sigma) / |G|^2 and the estimates it is made of."""
    b_simple: float
    grad_norm_sq: float      # |G|^2 estimate
    trace_sigma: float       # tr(Sigma) estimate
    small: int               # the two batch sizes
    big: int
    batches: int             # small batches averaged

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StartCurvature:
    """The sharpness at the starting weights, its stability threshold, and the noise scale."""
    sharpness: float         # lambda_max of the training loss's Hessian
    residual: float          # ||H v - lambda v|| / |lambda| reached
    hvp_count: int
    samples: int             # training samples it was measured on
    noise: NoiseScale | None

    @property
    def threshold(self) -> float:
        """2 / lambda_max: the largest stable step size of full-batch gradient descent (inf if the
        loss is not curved upwards)."""
        return 2.0 / self.sharpness if self.sharpness > 0 else float("inf")

    def to_dict(self) -> dict:
        return {"sharpness": self.sharpness, "stability_threshold": self.threshold,
                "residual": self.residual, "hvp_count": self.hvp_count, "samples": self.samples,
                "noise_scale": None if self.noise is None else self.noise.to_dict()}


def _float64(t):
    return t.double() if isinstance(t, Tensor) and t.is_floating_point() else t


def noise_scale(model, loss_fn, inputs, targets, small: int = SMALL_BATCH, seed: int = 0) -> NoiseScale:
    """B_simple from the squared norms of the mean gradient over all ``len(inputs)`` samples and
    of the mean gradient of each batch of ``small`` (the samples in a seeded random order, every
    one used once), averaged over those batches."""
    n = int(inputs.shape[0])
    if not 1 <= small < n:
        raise ValueError(f"the small batch ({small}) must be smaller than the samples ({n})")
    g_big = LossHessian(model, loss_fn, (inputs, targets)).loss_and_gradient()[1]
    big_sq = float(g_big @ g_big)
    order = np.random.default_rng(seed).permutation(n)
    squares = []
    for start in range(0, n - small + 1, small):
        idx = Tensor._make(order[start:start + small])
        g = LossHessian(model, loss_fn, (inputs[idx], targets[idx])).loss_and_gradient()[1]
        squares.append(float(g @ g))
    small_sq = float(np.mean(squares))
    grad_sq = (n * big_sq - small * small_sq) / (n - small)
    trace = (small_sq - big_sq) / (1.0 / small - 1.0 / n)
    b = trace / grad_sq if grad_sq > 0 else float("inf")
    return NoiseScale(b, grad_sq, trace, small, n, len(squares))


def start_curvature(model, loss_fn, dataset, seed: int = 0, max_samples: int = MAX_SAMPLES,
                    small: int = SMALL_BATCH) -> StartCurvature:
    """The sharpness and noise scale of ``loss_fn`` for ``model`` (left unchanged: a float64 copy is
    measured) on the first ``max_samples`` samples of ``dataset``."""
    import copy

    from ..data import DataLoader, Subset

    n = min(len(dataset), max_samples)
    inputs, targets = next(iter(DataLoader(Subset(dataset, list(range(n))), batch_size=n)))
    inputs, targets = _float64(inputs), _float64(targets)
    model = copy.deepcopy(model).double()
    op = LossHessian(model, loss_fn, (inputs, targets))
    top = op.eigenvalues(k=1, tol=1e-3, max_iter=12, seed=seed)   # PyHessian's tolerance
    noise = noise_scale(model, loss_fn, inputs, targets, small, seed) if n > small else None
    return StartCurvature(float(top.eigenvalues[0]), float(top.residuals[0]), top.hvp_count, n, noise)


def describe(start: StartCurvature, lrs, batch_sizes) -> list[str]:
    """Report lines: which learning rates are above the stability threshold and why, and how the
    batch sizes compare with the noise scale."""
    lam, thr = start.sharpness, start.threshold
    lines = ["## Curvature at the start", ""]
    if lam <= 0:
        lines.append(f"The training loss at the starting weights has λ_max = {lam:.4g} ≤ 0: it is not "
                     f"curved upwards, so no step size is unstable on it.")
        return lines + _noise_lines(start.noise, batch_sizes)
    lines += [f"The training loss at the starting weights has sharpness λ_max = {lam:.4g} (the largest "
              f"eigenvalue of its Hessian, on {start.samples} training samples: {start.hvp_count} "
              f"Hessian-vector products, residual {start.residual:.1e}). On a quadratic, a full-batch "
              f"gradient step of size lr multiplies the error along the top eigenvector by "
              f"|1 − lr·λ_max|, so gradient descent converges for lr < 2/λ_max = **{thr:.4g}** and "
              f"diverges above it (the dashed line on the heatmap); every lr below it converges, fastest "
              f"near 1/λ_max = {1 / lam:.4g}, where one step removes that error.", ""]
    for lr in sorted(lrs):
        factor = abs(1 - lr * lam)
        if lr > thr:
            verdict = (f"above the threshold ({lr / thr:.3g} × 2/λ_max): each step multiplies the "
                       f"error by {factor:.3g} > 1, so the loss grows geometrically until it overflows")
        elif factor > 0.99:
            verdict = (f"stable but slow: the error shrinks only by the factor {factor:.4g} per step along "
                       f"the top eigenvector (and more slowly along flatter ones)")
        else:
            verdict = f"below the threshold: the error shrinks by the factor {factor:.3g} per step"
        lines.append(f"- lr {lr:g}: {verdict}.")
    lines += ["", "The threshold is exact for full-batch gradient descent on a quadratic (linear "
              "regression's loss is one). A mini-batch step follows one batch's loss, whose curvature "
              "can be larger, and a network's curvature changes as it trains: for small batches and "
              "for networks it is a guide, not a bound."]
    return lines + _noise_lines(start.noise, batch_sizes)


def _noise_lines(noise: NoiseScale | None, batch_sizes) -> list[str]:
    lines: list[str] = []
    if noise is not None and not (np.isfinite(noise.b_simple) and noise.b_simple > 0):
        lines += ["", f"No gradient noise scale: its estimates tr(Σ) ≈ {noise.trace_sigma:.3g} and "
                  f"|G|² ≈ {noise.grad_norm_sq:.3g} are not both positive (the gradient is too small "
                  f"against its noise to measure)."]
    elif noise is not None:
        b = noise.b_simple
        lines += ["", f"Gradient noise scale B_simple = tr(Σ)/|G|² ≈ **{b:.3g}** (McCandlish et al. "
                  f"2018; tr(Σ) ≈ {noise.trace_sigma:.4g}, |G|² ≈ {noise.grad_norm_sq:.4g}, estimated "
                  f"from the mean gradients of {noise.batches} batches of {noise.small} and of all "
                  f"{noise.big} samples). Batches much smaller than B_simple are dominated by noise, and "
                  f"a larger batch buys a proportionally better step; batches much larger waste samples. "
                  f"Relative to the fewest possible, a batch of B needs about 1 + B_simple/B times the "
                  f"steps and 1 + B/B_simple times the samples:", ""]
        for bs in sorted(batch_sizes):
            lines.append(f"- batch {bs}: steps × {1 + b / bs:.3g}, samples × {1 + bs / b:.3g}")
        lines += ["", f"A batch pays off up to about B_simple ≈ {b:.3g}: up to there, doubling it "
                  "nearly halves the steps; beyond it, the steps barely fall while the samples per "
                  "step keep growing."]
    return lines
