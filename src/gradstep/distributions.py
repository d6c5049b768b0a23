"""``gradstep.distributions``: the ``torch.distributions`` that training code and the textbooks use
(policy gradients, variational models, d2l's probability chapter): ``Categorical``, ``Normal``,
``Bernoulli`` and the counts ``Binomial``, ``Multinomial``, ``Poisson``. ``log_prob`` and ``entropy``
are differentiable in the parameters; ``sample`` draws from gradstep's seeded stream without a
gradient, ``rsample`` (``Normal``) with the reparameterisation trick. Arguments are validated as
PyTorch validates them by default (``validate_args=False`` skips it).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._creation import randn
from ._dtype import get_default_dtype
from ._errors import ArgumentError, ShapeError
from .autograd.grad_mode import no_grad
from .autograd.tensor import Tensor
from .autograd.tensor_math import where
from .random import rng

__all__ = ["Distribution", "Categorical", "Normal", "Bernoulli", "Binomial", "Multinomial", "Poisson"]


def _tensor(x, like: Tensor | None = None) -> Tensor:
    """A floating tensor of ``x`` (a number or data takes ``like``'s dtype, else the default)."""
    if isinstance(x, Tensor):
        return x if x.dtype.kind == "f" else x.to(get_default_dtype())
    return Tensor._make(np.asarray(x, dtype=like.dtype if like is not None else get_default_dtype()))


def _softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), smooth everywhere (PyTorch's threshold of 20 keeps exp finite)."""
    return where(x > 20, x, x.clamp(max=20.0).exp().log1p())


def _binary_logits(p: Tensor) -> Tensor:
    """log(p / (1 - p)) with p clamped to [eps, 1 - eps], as PyTorch's probs_to_logits."""
    eps = np.finfo(p.dtype).eps
    p = p.clamp(eps, 1 - eps)
    return p.log() - (1 - p).log()


_lgamma_array = np.vectorize(math.lgamma, otypes=[np.float64])


def _lgamma(x) -> Tensor:
    """log Γ(x) of data (counts), as a constant tensor of ``x``'s dtype."""
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor._make(_lgamma_array(a).astype(a.dtype if a.dtype.kind == "f" else get_default_dtype()))


def _check_counts(name: str, v: np.ndarray, upper=None) -> None:
    """Values in the support of a count distribution: integers in [0, upper]."""
    ok = (v >= 0) & (v == np.round(v))
    if upper is not None:
        ok &= v <= upper
    if not np.all(ok):
        bound = "total_count" if upper is not None else "infinity"
        raise ArgumentError(f"{name}.log_prob: value must be whole counts in [0, {bound}], "
                            f"got {v.tolist()!r:.80}")


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

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no entropy (as in PyTorch)")

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
            self.logits = _binary_logits(self.probs)
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



class Binomial(Distribution):
    """The number of successes in ``total_count`` independent trials that each succeed with
    probability ``probs`` (or sigmoid(``logits``)); the two broadcast together."""

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits, "Binomial")
        param = _tensor(probs if probs is not None else logits)
        self.total_count = _tensor(total_count, param)
        self._validate_args = validate_args is not False
        n = self.total_count._data
        if self._validate_args and not np.all((n >= 0) & (n == np.round(n))):
            raise ArgumentError(f"Binomial: total_count must be non-negative integers, "
                                f"got {n.tolist()!r:.60}")
        if probs is not None:
            if self._validate_args and not np.all((param._data >= 0) & (param._data <= 1)):
                raise ArgumentError("Binomial: probs must be in [0, 1]")
            self.probs, self.logits = param, _binary_logits(param)
        else:
            self.logits, self.probs = param, param.sigmoid()
        self.batch_shape = np.broadcast_shapes(self.total_count.shape, param.shape)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended(sample_shape)
        n = np.broadcast_to(self.total_count._data, shape).astype(np.int64)
        p = np.broadcast_to(self.probs.detach()._data, shape).astype(np.float64)
        return Tensor._make(rng().binomial(n, p).astype(self.probs.dtype))

    def log_prob(self, value) -> Tensor:
        # log C(n, k) + k logits − n log(1 + e^logits), the last written stably as PyTorch does:
        # n max(logits, 0) + n log1p(e^−|logits|)
        v = _tensor(value, self.logits)
        n, lg = self.total_count, self.logits
        if self._validate_args:
            _check_counts("Binomial", v._data, n._data)
        log_choose = _lgamma(n + 1) - _lgamma(v + 1) - _lgamma(n - v + 1)
        positive = (lg.clamp(min=0) + lg - lg.clamp(max=0)) / 2
        return v * lg - (n * positive + n * (-lg.abs()).exp().log1p()) + log_choose

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self.total_count._data
        total = int(n.max()) if n.size else 0
        if n.size and not np.all(n == total):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = np.arange(total + 1, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = np.broadcast_to(values, (total + 1, *self.batch_shape)).copy()
        return Tensor._make(values)

    def entropy(self) -> Tensor:
        # −Σ_k p(k) log p(k) over the support 0..n
        log_p = self.log_prob(self.enumerate_support(expand=False))
        return -(log_p.exp() * log_p).sum(0)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).detach().floor().clamp(max=self.total_count)

    def __repr__(self) -> str:
        return f"Binomial(total_count: {self.total_count.shape}, probs: {self.probs.shape})"


class Multinomial(Distribution):
    """Counts of ``total_count`` draws from K categories with ``probs`` (or ``logits``) along the
    last dim: event shape (K,), batch shape the rest."""

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, numbers.Integral):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        if total_count < 0:
            raise ArgumentError(f"Multinomial: total_count must be a non-negative int, got {total_count}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        self._validate_args = validate_args is not False
        self.probs, self.logits = self._categorical.probs, self._categorical.logits
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = self.probs.shape[-1:]

    def sample(self, sample_shape=()) -> Tensor:
        k = self.event_shape[0]
        p = self.probs.detach()._data.astype(np.float64).reshape(-1, k)
        p = p / p.sum(-1, keepdims=True)
        n = int(np.prod(tuple(sample_shape))) if len(tuple(sample_shape)) else 1
        counts = rng().multinomial(self.total_count, p, size=(n, p.shape[0]))
        return Tensor._make(counts.reshape(self._extended(sample_shape)).astype(self.probs.dtype))

    def log_prob(self, value) -> Tensor:
        # log n! − Σ log x_k! + Σ x_k log p_k  (a zero count of an impossible class adds 0)
        v = _tensor(value, self.logits)
        if v.ndim < 1 or v.shape[-1] != self.event_shape[0]:
            raise ShapeError(f"Multinomial.log_prob: value's last dim must be {self.event_shape[0]}, "
                             f"got shape {tuple(v.shape)}")
        if self._validate_args and not (np.all(v._data >= 0) and np.all(v._data.sum(-1) <= self.total_count)):
            raise ArgumentError(f"Multinomial.log_prob: value must be non-negative counts summing to at most "
                                f"{self.total_count}")
        logits = where((v == 0) & (self.logits == -math.inf), 0.0, self.logits)
        return _lgamma(v.sum(-1) + 1) - _lgamma(v + 1).sum(-1) + (logits * v).sum(-1)

    def entropy(self) -> Tensor:
        # n H(probs) − log n! + Σ_k E[log x_k!], x_k ~ Binomial(n, p_k)
        n = self.total_count
        support = Tensor._make(np.arange(1, n + 1, dtype=self.probs.dtype).reshape(
            (-1,) + (1,) * (len(self.batch_shape) + 1)))
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        expected = (binomial.log_prob(support).exp() * _lgamma(support + 1)).sum(0).sum(-1)
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def __repr__(self) -> str:
        return f"Multinomial(total_count: {self.total_count}, probs: {self.probs.shape})"


class Poisson(Distribution):
    """Counts of events that arrive at ``rate`` per interval: p(k) = rate^k e^−rate / k!."""

    def __init__(self, rate, validate_args=None):
        self.rate = _tensor(rate)
        self._validate_args = validate_args is not False
        if self._validate_args and not np.all(self.rate._data >= 0):
            raise ArgumentError("Poisson: rate must be non-negative")
        self.batch_shape = self.rate.shape

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended(sample_shape)
        lam = np.broadcast_to(self.rate.detach()._data, shape).astype(np.float64)
        return Tensor._make(rng().poisson(lam).astype(self.rate.dtype))

    def log_prob(self, value) -> Tensor:
        # k log(rate) − rate − log k!, with 0 log 0 = 0 (xlogy)
        v = _tensor(value, self.rate)
        if self._validate_args:
            _check_counts("Poisson", v._data)
        zero = v == 0
        safe_rate = where(zero, 1.0, self.rate)
        return where(zero, 0.0, v * safe_rate.log()) - self.rate - _lgamma(v + 1)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def variance(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.detach().floor()

    def __repr__(self) -> str:
        return f"Poisson(rate: {self.rate.shape})"
