"""Distributions: log_prob and entropy (values and gradients) against torch.distributions, and
sample frequencies that follow the parameters."""

import numpy as np
import pytest

import gradstep as gs

from .parity import assert_raises_like_torch

P = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]], np.float32)
LOGITS = np.array([[1.0, -0.5, 0.3], [0.0, 2.0, -1.0]], np.float32)
X = np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]], np.float32)

CASES = [
    ("categorical_probs", lambda m, a: m.distributions.Categorical(probs=a), P, [1, 0]),
    ("categorical_logits", lambda m, a: m.distributions.Categorical(logits=a), LOGITS, [[2, 1], [0, 0]]),
    ("normal", lambda m, a: m.distributions.Normal(a, a.abs() + 0.5), X, X[::-1].copy()),
    ("normal_scalar_scale", lambda m, a: m.distributions.Normal(a, 2.0), X, 0.25),
    ("bernoulli_probs", lambda m, a: m.distributions.Bernoulli(probs=a), P,
     [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
    ("bernoulli_logits", lambda m, a: m.distributions.Bernoulli(logits=a), LOGITS, [1.0, 0.0, 1.0]),
    ("binomial_probs", lambda m, a: m.distributions.Binomial(5, probs=a), P,
     [[0.0, 2.0, 5.0], [1.0, 3.0, 0.0]]),
    ("binomial_logits_counts", lambda m, a: m.distributions.Binomial(m.tensor([[5.0], [3.0]]), logits=a),
     LOGITS, [[0.0, 2.0, 5.0], [1.0, 3.0, 0.0]]),
    ("multinomial_probs", lambda m, a: m.distributions.Multinomial(7, probs=a), P,
     [[1.0, 4.0, 2.0], [0.0, 0.0, 7.0]]),
    ("multinomial_logits", lambda m, a: m.distributions.Multinomial(4, logits=a), LOGITS, [2.0, 1.0, 1.0]),
    ("poisson", lambda m, a: m.distributions.Poisson(a * 3), P, [[0.0, 1.0, 2.0], [3.0, 0.0, 5.0]]),
]
# no entropy in PyTorch either: Poisson has none, Binomial's needs one total_count for all
NO_ENTROPY = {"poisson", "binomial_logits_counts"}


@pytest.mark.parametrize("name,make,param,value", CASES, ids=[c[0] for c in CASES])
def test_log_prob_and_entropy_match_torch(name, make, param, value, torch):
    results = []
    for m in (gs, torch):
        a = m.tensor(param, requires_grad=True)
        d = make(m, a)
        v = m.tensor(value)
        lp = d.log_prob(v)
        if name in NO_ENTROPY:
            with pytest.raises(NotImplementedError):
                d.entropy()
            ent = lp.sum() * 0
        else:
            ent = d.entropy()
        (lp.sum() + 0.5 * ent.sum()).backward()
        results.append((lp.detach().numpy(), ent.detach().numpy(), a.grad.numpy(), tuple(d.batch_shape),
                        tuple(d.event_shape)))
    for g, t in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)


COUNTS = [c for c in CASES if c[0].startswith(("binomial", "multinomial", "poisson"))]


@pytest.mark.parametrize("name,make,param,value", COUNTS, ids=[c[0] for c in COUNTS])
def test_count_distributions_mean_variance_and_sample_shapes_match_torch(name, make, param, value, torch):
    ours, theirs = make(gs, gs.tensor(param)), make(torch, torch.tensor(param))
    for attr in ("mean", "variance"):
        np.testing.assert_allclose(getattr(ours, attr).numpy(), getattr(theirs, attr).numpy(), rtol=1e-6)
    for shape in ((), (4,), (2, 3)):
        s, t = ours.sample(shape), theirs.sample(shape)
        assert tuple(s.shape) == tuple(t.shape) and str(s.dtype) == str(t.dtype).replace("torch.", "")
        assert np.all(s.numpy() >= 0) and np.all(s.numpy() == np.round(s.numpy()))


def test_count_samples_follow_the_parameters():
    """Sample values come from gradstep's generator: their statistics, not the draws, match."""
    gs.manual_seed(0)
    b = gs.distributions.Binomial(10, probs=gs.tensor([0.2, 0.7])).sample((20000,)).numpy()
    np.testing.assert_allclose(b.mean(0), [2.0, 7.0], rtol=0.02)
    np.testing.assert_allclose(b.var(0), [1.6, 2.1], rtol=0.05)
    p = np.array([0.1, 0.6, 0.3])
    m = gs.distributions.Multinomial(100, gs.tensor(p)).sample((5000,)).numpy()
    assert np.all(m.sum(-1) == 100)
    np.testing.assert_allclose(m.mean(0) / 100, p, atol=0.005)
    k = gs.distributions.Poisson(gs.tensor([0.5, 4.0])).sample((20000,)).numpy()
    np.testing.assert_allclose(k.mean(0), [0.5, 4.0], rtol=0.03)
    np.testing.assert_allclose(k.var(0), [0.5, 4.0], rtol=0.05)


def test_samples_follow_the_parameters():
    gs.manual_seed(0)
    c = gs.distributions.Categorical(probs=gs.tensor([0.1, 0.6, 0.3]))
    draws = c.sample((20000,))
    assert draws.shape == (20000,) and draws.dtype == np.int64
    np.testing.assert_allclose(np.bincount(draws.numpy(), minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.015)
    assert gs.distributions.Categorical(logits=gs.zeros(4, 5)).sample((2,)).shape == (2, 4)
    n = gs.distributions.Normal(gs.tensor([1.0, -2.0]), gs.tensor([0.5, 2.0]))
    x = n.sample((20000,))
    np.testing.assert_allclose(x.mean(0).numpy(), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(x.std(0).numpy(), [0.5, 2.0], atol=0.05)
    b = gs.distributions.Bernoulli(probs=gs.tensor([0.25]))
    assert abs(b.sample((20000,)).mean().item() - 0.25) < 0.015


def test_rsample_carries_the_gradient_and_sample_does_not():
    loc, scale = gs.zeros(3, requires_grad=True), gs.ones(3, requires_grad=True)
    d = gs.distributions.Normal(loc, scale)
    assert not d.sample().requires_grad
    z = d.rsample((4,))
    z.sum().backward()
    np.testing.assert_array_equal(loc.grad.numpy(), [4.0, 4.0, 4.0])
    np.testing.assert_allclose(scale.grad.numpy(), ((z.detach() - 0) / 1).sum(0).numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda m: m.distributions.Categorical(probs=m.tensor([0.5, 0.5]), logits=m.tensor([0.0, 0.0])),
    lambda m: m.distributions.Bernoulli(),
    lambda m: m.distributions.Normal(m.zeros(2), -m.ones(2)),
    lambda m: m.distributions.Binomial(5, probs=m.tensor([0.5, 1.5])),
    lambda m: m.distributions.Binomial(m.tensor([-1.0]), probs=m.tensor([0.5])),
    lambda m: m.distributions.Binomial(5, probs=m.tensor(0.5), logits=m.tensor(0.0)),
    lambda m: m.distributions.Binomial(5, probs=m.tensor(0.5)).log_prob(m.tensor(6.0)),
    lambda m: m.distributions.Multinomial(2.5, probs=m.tensor([0.5, 0.5])),
    lambda m: m.distributions.Multinomial(-1, probs=m.tensor([0.5, 0.5])),
    lambda m: m.distributions.Multinomial(3, probs=m.tensor([0.5, 0.5])).log_prob(m.tensor([2.0, 2.0])),
    lambda m: m.distributions.Poisson(m.tensor([1.0, -1.0])),
    lambda m: m.distributions.Poisson(m.tensor(1.0)).log_prob(m.tensor(0.5)),
    lambda m: m.distributions.Poisson(m.tensor(1.0)).log_prob(m.tensor(-1.0)),
])
def test_invalid_parameters_raise_like_torch(fn, torch):
    assert_raises_like_torch(torch, gs, fn)
