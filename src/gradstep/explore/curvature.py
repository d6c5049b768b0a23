"""The curvature of a model's loss: Hessian eigenvalues, trace and eigenvalue density.

The Hessian H of the loss with respect to the model's parameters is never formed: ``LossHessian``
applies it to a vector with one double backward pass per batch (a Hessian-vector product, HVP),
on one batch or accumulated over a whole data set (each batch's mean loss weighted by its size).
On top of that operator, as PyHessian does:

- ``eigenvalues``: the top-k eigenpairs, by Lanczos with full reorthogonalization (default) or by
  power iteration with deflation; each result says how many HVPs it took and the residual
  ||H v - lambda v|| / |lambda| it reached.
- ``trace``: Hutchinson's estimator E[v^T H v] over Rademacher vectors v, with its standard error.
- ``density``: the eigenvalue density by stochastic Lanczos quadrature (Ghorbani et al. 2019).

The largest eigenvalue is the loss's *sharpness*: on a quadratic, gradient descent with step size
lr diverges when lr > 2 / lambda_max (Cohen et al. 2021 show full-batch training drives the
sharpness up to that edge).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..autograd import Tensor, grad
from ..autograd.grad_mode import enable_grad


@dataclass(frozen=True)
class Eigenpairs:
    """Top eigenvalues (descending) and unit eigenvectors (rows, over the flattened parameters)."""
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    hvp_count: int
    residuals: np.ndarray   # ||H v - lambda v|| / max(|lambda|, tiny) per pair, measured
    converged: bool
    method: str


@dataclass(frozen=True)
class TraceEstimate:
    """Hutchinson's trace estimate, its standard error and what it cost."""
    trace: float
    stderr: float
    samples: int
    hvp_count: int


@dataclass(frozen=True)
class Density:
    """Stochastic Lanczos quadrature: per run, Ritz values (nodes) and their weights (summing to 1
    per run). ``at(grid, sigma)`` is the Gaussian-smoothed eigenvalue density on ``grid``."""
    nodes: np.ndarray    # (runs, steps)
    weights: np.ndarray  # (runs, steps)
    hvp_count: int

    def at(self, grid, sigma: float) -> np.ndarray:
        grid = np.asarray(grid, dtype=np.float64)
        d = grid[:, None, None] - self.nodes[None]
        kernel = np.exp(-0.5 * (d / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        return (kernel * self.weights[None]).sum(axis=(1, 2)) / self.nodes.shape[0]


class LossHessian:
    """The Hessian of ``loss_fn(model(inputs), targets)`` with respect to the model's parameters
    that require grad, as a linear operator on flat float64 vectors.

    ``data`` is one batch ``(inputs, targets)`` or an iterable of batches (a ``DataLoader``): then
    the operator is the Hessian of the size-weighted mean of the batches' (mean) losses, that is
    of the loss on the whole data set. The model runs in eval mode (dropout off, batch-norm
    statistics fixed) while the Hessian is applied, and is left in the mode it was in.
    """

    def __init__(self, model, loss_fn: Callable, data):
        self.model = model
        self.loss_fn = loss_fn
        self.params = [p for p in model.parameters() if p.requires_grad]
        if not self.params:
            raise ValueError(f"{type(model).__name__} has no parameters that require grad: there is "
                             f"no Hessian to take")
        self.shapes = [tuple(p.shape) for p in self.params]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.num_parameters = sum(self.sizes)
        self._batches, self._one_batch = _batches(data)
        self.hvp_count = 0

    def _split(self, v: np.ndarray) -> list[Tensor]:
        out, start = [], 0
        for p, shape, size in zip(self.params, self.shapes, self.sizes):
            out.append(Tensor._make(v[start:start + size].reshape(shape).astype(p.dtype)))
            start += size
        return out

    def _loss(self, inputs, targets) -> Tensor:
        loss = self.loss_fn(self.model(inputs), targets)
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
            raise ValueError(f"the loss must be a scalar tensor (one element) to have a Hessian, got "
                             f"{shape}; use a loss with reduction='mean' or 'sum'")
        return loss

    def _each_batch(self):
        """(weight, loss) per batch, the weights summing to 1, with the model in eval mode."""
        was_training = getattr(self.model, "training", False)
        if was_training:
            self.model.eval()
        try:
            batches = self._batches if not self._one_batch else [self._batches]
            sizes = [_batch_size(b) for b in batches]
            total = sum(sizes)
            if not total:
                raise ValueError("the data hold no samples: there is no loss to take the Hessian of")
            for b, n in zip(batches, sizes):
                with enable_grad():
                    yield n / total, self._loss(*b)
        finally:
            if was_training:
                self.model.train()

    def loss_and_gradient(self) -> tuple[float, np.ndarray]:
        """The loss and its gradient (flat), over the data."""
        total, g = 0.0, np.zeros(self.num_parameters)
        for w, loss in self._each_batch():
            gs = grad(loss, self.params, allow_unused=True)
            total += w * loss.item()
            g += w * self._flat(gs)
        return total, g

    def _flat(self, tensors) -> np.ndarray:
        return np.concatenate([np.zeros(size) if t is None else t._data.reshape(-1).astype(np.float64)
                               for t, size in zip(tensors, self.sizes)])

    def matvec(self, v) -> np.ndarray:
        """H v for a flat vector ``v`` of ``num_parameters`` values (one HVP)."""
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if v.shape[0] != self.num_parameters:
            raise ValueError(f"the vector has {v.shape[0]} values, the model {self.num_parameters} "
                             f"parameters")
        vs = self._split(v)
        out = np.zeros(self.num_parameters)
        for w, loss in self._each_batch():
            with enable_grad():
                gs = grad(loss, self.params, create_graph=True, allow_unused=True)
                dot = sum((g * u).sum() for g, u in zip(gs, vs) if g is not None and g.requires_grad)
                if isinstance(dot, Tensor):
                    out += w * self._flat(grad(dot, self.params, allow_unused=True))
        self.hvp_count += 1
        return out

    __matmul__ = matvec

    def dense(self) -> np.ndarray:
        """The whole Hessian, column by column (``num_parameters`` HVPs: small models only)."""
        eye = np.eye(self.num_parameters)
        h = np.stack([self.matvec(e) for e in eye], axis=1)
        return 0.5 * (h + h.T)

    # ------------------------------------------------------------------ spectra

    def eigenvalues(self, k: int = 1, method: str = "lanczos", tol: float = 1e-6,
                    max_iter: int | None = None, seed: int = 0) -> Eigenpairs:
        """The ``k`` largest eigenvalues and their eigenvectors.

        ``method="lanczos"`` (Krylov subspace with full reorthogonalization) gives the largest
        algebraic eigenvalues; ``"power"`` (power iteration with deflation, as PyHessian) the
        largest in magnitude, one at a time. Lanczos stops when every residual
        ||H v - lambda v|| / |lambda| is below ``tol`` (or after ``max_iter`` steps); power
        iteration, as PyHessian, when an eigenvalue changes by less than ``tol`` relative between
        two HVPs (or after ``max_iter`` HVPs per pair). ``residuals`` reports the residuals
        reached either way.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        if k > self.num_parameters:
            raise ValueError(f"k={k} is larger than the number of parameters ({self.num_parameters}): "
                             f"the Hessian has only {self.num_parameters} eigenvalues")
        if not tol > 0:
            raise ValueError(f"tol must be positive, got {tol!r}")
        if method == "lanczos":
            return self._lanczos_top(k, tol, max_iter, seed)
        if method == "power":
            return self._power_top(k, tol, max_iter or 1000, seed)
        raise ValueError(f"method must be 'lanczos' or 'power', got {method!r}")

    def _residuals(self, values, vectors, products) -> np.ndarray:
        return np.array([np.linalg.norm(hv - lam * v) / max(abs(lam), 1e-30)
                         for lam, v, hv in zip(values, vectors, products)])

    def _power_top(self, k: int, tol: float, max_iter: int, seed: int) -> Eigenpairs:
        rng = np.random.default_rng(seed)
        start = self.hvp_count
        values, vectors, products = [], [], []
        converged = True
        for _ in range(k):
            v = _orthonormal(rng.standard_normal(self.num_parameters), vectors)
            lam = None
            for _ in range(max_iter):
                hv = self.matvec(v)
                prev, lam = lam, float(v @ hv)
                if prev is not None and abs(lam - prev) <= tol * max(abs(lam), 1e-30):
                    break
                v = _orthonormal(hv, vectors)  # deflation: stay orthogonal to the pairs found
            else:
                converged = False
            values.append(lam)
            vectors.append(v)
            products.append(hv)
        order = np.argsort(values)[::-1]
        res = self._residuals(values, vectors, products)
        return Eigenpairs(np.array(values)[order], np.array(vectors)[order], self.hvp_count - start,
                          res[order], converged, "power")

    def _lanczos_top(self, k: int, tol: float, max_iter: int | None, seed: int) -> Eigenpairs:
        n = self.num_parameters
        limit = n if max_iter is None else min(n, max_iter)
        start = self.hvp_count
        basis, products, alphas, betas = _lanczos(self, limit, seed, stop=lambda a, b, q: _ritz_done(
            a, b, k, tol))
        values, vectors, products = _ritz_pairs(alphas, betas, basis, products, k)
        res = self._residuals(values, vectors, products)
        return Eigenpairs(values, vectors, self.hvp_count - start, res, bool(np.all(res <= tol)),
                          "lanczos")

    def trace(self, samples: int = 100, seed: int = 0) -> TraceEstimate:
        """Hutchinson's estimate of tr(H) = E[v^T H v], v with independent +-1 entries, and its
        standard error (the samples' standard deviation / sqrt(samples))."""
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
            raise ValueError(f"samples must be an int of at least 2 (for a standard error), got {samples!r}")
        rng = np.random.default_rng(seed)
        start = self.hvp_count
        est = np.empty(samples)
        for i in range(samples):
            v = rng.choice([-1.0, 1.0], size=self.num_parameters)
            est[i] = v @ self.matvec(v)
        return TraceEstimate(float(est.mean()), float(est.std(ddof=1) / np.sqrt(samples)), samples,
                             self.hvp_count - start)

    def density(self, steps: int = 30, runs: int = 1, seed: int = 0) -> Density:
        """The eigenvalue density by stochastic Lanczos quadrature: ``runs`` Lanczos runs of
        ``steps`` HVPs from random starts; a Ritz value's weight is the squared first component
        of its eigenvector in the tridiagonal matrix."""
        steps = min(int(steps), self.num_parameters)
        start = self.hvp_count
        nodes, weights = [], []
        for r in range(runs):
            _, _, alphas, betas = _lanczos(self, steps, seed + r)
            theta, s = np.linalg.eigh(_tridiagonal(alphas, betas))
            nodes.append(theta)
            weights.append(s[0] ** 2)
        width = max(len(x) for x in nodes)
        pad = [np.pad(x, (0, width - len(x))) for x in nodes]
        padw = [np.pad(x, (0, width - len(x))) for x in weights]
        return Density(np.array(pad), np.array(padw), self.hvp_count - start)


# ---------------------------------------------------------------------- helpers

def _batches(data):
    """(the batches, whether ``data`` is a single batch)."""
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(d, Tensor) for d in data):
        return tuple(data), True
    if not isinstance(data, Iterable):
        raise TypeError(f"data must be a batch (inputs, targets) of tensors or an iterable of batches, "
                        f"got {type(data).__name__}")
    if iter(data) is data:  # a one-shot iterator: keep its batches to go over them again
        data = list(data)
    return data, False


def _batch_size(batch) -> int:
    inputs = batch[0]
    return int(inputs.shape[0]) if isinstance(inputs, Tensor) and inputs.ndim else 1


def _orthonormal(v: np.ndarray, basis) -> np.ndarray:
    for _ in range(2):  # twice is enough (Kahan's "twice is enough")
        for b in basis:
            v = v - (b @ v) * b
    norm = np.linalg.norm(v)
    if norm == 0:
        raise ValueError("the vector lies in the span of the basis")
    return v / norm


def _tridiagonal(alphas, betas) -> np.ndarray:
    m = len(alphas)
    t = np.diag(np.asarray(alphas, dtype=np.float64))
    if m > 1:
        off = np.asarray(betas[:m - 1], dtype=np.float64)
        t += np.diag(off, 1) + np.diag(off, -1)
    return t


def _lanczos(op: LossHessian, steps: int, seed: int, stop=None, start: np.ndarray | None = None):
    """Lanczos with full reorthogonalization from a Rademacher start (or ``start``, a warm start):
    the basis Q, the products H q, and the tridiagonal's diagonal (alphas) and off-diagonal (betas;
    betas[j] links q_j and q_{j+1}). Stops early on an invariant subspace or when
    ``stop(alphas, betas, Q)`` says so. ``op`` needs ``num_parameters`` and ``matvec``."""
    if start is not None and np.linalg.norm(start) > 0:
        q = np.array(start, dtype=np.float64)
    else:
        q = np.random.default_rng(seed).choice([-1.0, 1.0], size=op.num_parameters)
    q /= np.linalg.norm(q)
    basis, products, alphas, betas = [], [], [], []
    for _ in range(steps):
        basis.append(q)
        hq = op.matvec(q)
        products.append(hq)
        alpha = float(q @ hq)
        alphas.append(alpha)
        r = hq - alpha * q - (betas[-1] * basis[-2] if len(basis) > 1 else 0)
        for _ in range(2):
            for b in basis:
                r = r - (b @ r) * b
        beta = float(np.linalg.norm(r))
        betas.append(beta)
        if beta <= 1e-12 * max(abs(alpha), 1.0) or len(basis) == steps:
            break
        if stop is not None and stop(alphas, betas, basis):
            break
        q = r / beta
    return basis, products, alphas, betas


def _ritz_done(alphas, betas, k: int, tol: float) -> bool:
    """Whether the top-k Ritz pairs' residual bounds beta_m |s_m| are below tol |theta|."""
    if len(alphas) < k:
        return False
    theta, s = np.linalg.eigh(_tridiagonal(alphas, betas))
    top = np.argsort(theta)[::-1][:k]
    bound = abs(betas[-1]) * np.abs(s[-1, top])
    return bool(np.all(bound <= 0.1 * tol * np.maximum(np.abs(theta[top]), 1e-30)))


def _ritz_pairs(alphas, betas, basis, products, k: int):
    """The top-k Ritz values, their vectors Q s and H Q s (from the products, without more HVPs)."""
    theta, s = np.linalg.eigh(_tridiagonal(alphas, betas))
    top = np.argsort(theta)[::-1][:k]
    q = np.array(basis)
    hq = np.array(products)
    vectors = s[:, top].T @ q
    hv = s[:, top].T @ hq
    return theta[top], vectors, hv
