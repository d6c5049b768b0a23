"""``gradstep.distributions``: the ``torch.distributions`` that training code uses (policy
gradients, variational models, d2l's probability section): ``Categorical``, ``Multinomial``,
``Normal``, ``Bernoulli``. ``log_prob`` and
``entropy`` are differentiable in the parameters; ``sample`` draws from gradstep's seeded stream
without a gradient, ``rsample`` (``Normal``) with the reparameterisation trick.
"""

from __future__ import annotations

import math

import numpy as np

from ._creation import randn
from ._dtype import get_default_dtype
from ._errors import ArgumentError, ShapeError
from .autograd.grad_mode import no_grad
from .autograd.tensor import Tensor
from .autograd.tensor_math import where
from .random import rng

__all__ = ["Distribution", "Categorical", "Multinomial", "Normal", "Bernoulli"]


def _tensor(x, like: Tensor | None = None) -> Tensor:
    """A floating tensor of ``x`` (a number or data takes ``like``'s dtype, else the default)."""
    if isinstance(x, Tensor):
        return x if x.dtype.kind == "f" else x.to(get_default_dtype())
    return Tensor._make(np.asarray(x, dtype=like.dtype if like is not None else get_default_dtype()))


def _softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), smooth everywhere (PyTorch's threshold of 20 keeps exp finite)."""
    return where(x > 20, x, x.clamp(max=20.0).exp().log1p())


def _one_of(probs, logits, name: str):
    if (probs is None) == (logits is None):
        raise ArgumentError(f"{name}: either `probs` or `logits` must be specified, but not both")


class Distribution:
    """Base class: ``batch_shape``, ``event_shape``, ``sample``, ``log_prob``, ``entropy``."""

    batch_shape: tuple = ()
    event_shape: tuple = ()

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampling (rsample)")

    def _extended(self, sample_shape) -> tuple:
        return tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Categorical(Distribution):
    """Classes 0..K-1 with probabilities ``probs`` (normalised) or ``logits`` along the last dim."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits, "Categorical")
        if probs is not None:
            p = _tensor(probs)
            if p.ndim < 1:
                raise ShapeError("Categorical: probs must be at least one-dimensional")
            if validate_args is not False and (np.any(p._data < 0) or not np.all(np.isfinite(p._data))):
                raise ArgumentError("Categorical: probs must be non-negative and finite")
            self.probs = p / p.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(min=np.finfo(p.dtype).tiny).log()
        else:
            lg = _tensor(logits)
            if lg.ndim < 1:
                raise ShapeError("Categorical: logits must be at least one-dimensional")
            self.logits = lg - lg.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self.batch_shape = self.probs.shape[:-1]
        self._num_events = self.probs.shape[-1]

    @property
    def param_shape(self) -> tuple:
        return self.probs.shape

    def sample(self, sample_shape=()) -> Tensor:
        p = self.probs.detach()._data.astype(np.float64).reshape(-1, self._num_events)
        n = int(np.prod(sample_shape)) if len(tuple(sample_shape)) else 1
        cdf = np.cumsum(p, -1)
        u = rng().random((n, p.shape[0], 1)) * cdf[:, -1:]
        draws = np.minimum((u > cdf).sum(-1), self._num_events - 1)
        return Tensor._make(draws.reshape(tuple(sample_shape) + self.batch_shape).astype(np.int64))

    def log_prob(self, value) -> Tensor:
        v = value._data if isinstance(value, Tensor) else np.asarray(value)
        if v.dtype.kind not in "iu" and not np.all(v == np.round(v)):
            raise ArgumentError("Categorical.log_prob: value must be class indices")
        v = v.astype(np.int64)
        if v.size and (v.min() < 0 or v.max() >= self._num_events):
            raise ArgumentError(f"Categorical.log_prob: value must be in 0..{self._num_events - 1}")
        shape = np.broadcast_shapes(v.shape, self.batch_shape)
        logits = self.logits.expand(shape + (self._num_events,))
        return logits.gather(-1, Tensor._make(np.broadcast_to(v, shape)[..., None])).squeeze(-1)

    def entropy(self) -> Tensor:
        return -(self.probs * self.logits).sum(-1)

    @property
    def mean(self) -> Tensor:
        return Tensor._make(np.full(self.batch_shape, np.nan, self.probs.dtype))

    def __repr__(self) -> str:
        return f"Categorical(probs: {self.probs.shape})"


class Multinomial(Distribution):
    """Counts of ``total_count`` independent draws from a ``Categorical(probs, logits)``."""

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, (int, np.integer)) or isinstance(total_count, bool):
            raise NotImplementedError(f"Multinomial: total_count must be one int, got {total_count!r}")
        if total_count < 0:
            raise ArgumentError(f"Multinomial: total_count must be non-negative, got {total_count}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs, logits, validate_args)
        self.probs, self.logits = self._categorical.probs, self._categorical.logits
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = self.probs.shape[-1:]

    def sample(self, sample_shape=()) -> Tensor:
        k = self.event_shape[0]
        draws = self._categorical.sample((self.total_count, *tuple(sample_shape)))._data
        counts = (draws[..., None] == np.arange(k)).sum(0)
        return Tensor._make(counts.astype(self.probs.dtype))

    def log_prob(self, value) -> Tensor:
        # log n! - sum_i log x_i! + sum_i x_i log p_i
        v = _tensor(value, self.logits)
        x = v._data.astype(np.float64)
        if np.any(x < 0) or not np.all(x == np.round(x)):
            raise ArgumentError("Multinomial.log_prob: value must hold non-negative counts")
        lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
        norm = lgamma(x.sum(-1) + 1) - lgamma(x + 1).sum(-1)
        return (self.logits * v).sum(-1) + Tensor._make(np.asarray(norm, self.logits.dtype))

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs) * self.total_count

    def __repr__(self) -> str:
        return f"Multinomial(total_count: {self.total_count}, probs: {self.probs.shape})"


class Normal(Distribution):
    """The normal distribution N(loc, scale**2), broadcast over the shapes of ``loc`` and ``scale``."""

    def __init__(self, loc, scale, validate_args=None):
        self.loc = _tensor(loc)
        self.scale = _tensor(scale, self.loc)
        if validate_args is not False and np.any(self.scale._data <= 0):
            raise ArgumentError("Normal: scale must be positive")
        self.batch_shape = np.broadcast_shapes(self.loc.shape, self.scale.shape)

    @property
    def mean(self) -> Tensor:
        return self.loc.expand(self.batch_shape)

    @property
    def stddev(self) -> Tensor:
        return self.scale.expand(self.batch_shape)

    @property
    def variance(self) -> Tensor:
        return self.stddev ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        eps = randn(self._extended(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        v = _tensor(value, self.loc)
        return -((v - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - 0.5 * math.log(2 * math.pi)

    def entropy(self) -> Tensor:
        return (0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()).expand(self.batch_shape)

    def __repr__(self) -> str:
        return f"Normal(loc: {self.loc.shape}, scale: {self.scale.shape})"


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or sigmoid(``logits``)), else 0."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits, "Bernoulli")
        if probs is not None:
            self.probs = _tensor(probs)
            if np.any((self.probs._data < 0) | (self.probs._data > 1)):
                raise ArgumentError("Bernoulli: probs must be in [0, 1]")
            eps = np.finfo(self.probs.dtype).eps
            p = self.probs.clamp(eps, 1 - eps)
            self.logits = p.log() - (1 - p).log()
        else:
            self.logits = _tensor(logits)
            self.probs = self.logits.sigmoid()
        self.batch_shape = self.probs.shape

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended(sample_shape)
        p = np.broadcast_to(self.probs.detach()._data, shape)
        return Tensor._make((rng().random(shape) < p).astype(self.probs.dtype))

    def log_prob(self, value) -> Tensor:
        # -binary_cross_entropy_with_logits: v * logits - softplus(logits), written stably
        v = _tensor(value, self.logits)
        return v * self.logits - _softplus(self.logits)

    def entropy(self) -> Tensor:
        return _softplus(self.logits) - self.probs * self.logits

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def __repr__(self) -> str:
        return f"Bernoulli(probs: {self.probs.shape})"

