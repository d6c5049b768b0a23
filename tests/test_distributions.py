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
]


@pytest.mark.parametrize("name,make,param,value", CASES, ids=[c[0] for c in CASES])
def test_log_prob_and_entropy_match_torch(name, make, param, value, torch):
    results = []
    for m in (gs, torch):
        a = m.tensor(param, requires_grad=True)
        d = make(m, a)
        v = m.tensor(value)
        lp, ent = d.log_prob(v), d.entropy()
        (lp.sum() + 0.5 * ent.sum()).backward()
        results.append((lp.detach().numpy(), ent.detach().numpy(), a.grad.numpy(), tuple(d.batch_shape)))
    for g, t in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)


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
])
def test_invalid_parameters_raise_like_torch(fn, torch):
    assert_raises_like_torch(torch, gs, fn)


def test_multinomial_log_prob_mean_and_gradient_match_torch(torch):
    counts = np.array([[2.0, 3.0, 5.0], [0.0, 1.0, 9.0]], np.float32)
    results = []
    for m in (gs, torch):
        a = m.tensor(LOGITS, requires_grad=True)
        d = m.distributions.Multinomial(10, logits=a)
        lp = d.log_prob(m.tensor(counts))
        lp.sum().backward()
        results.append((lp.detach().numpy(), d.mean.detach().numpy(), d.variance.detach().numpy(),
                        a.grad.numpy(), tuple(d.batch_shape), tuple(d.event_shape)))
    for g, t in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)


def test_multinomial_samples_are_counts_that_follow_the_probabilities():
    gs.manual_seed(0)
    d = gs.distributions.Multinomial(10, gs.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    s = d.sample((4000,))
    assert s.shape == (4000, 2, 3) and s.dtype == np.float32
    assert np.all(s.sum(-1).numpy() == 10)
    np.testing.assert_allclose(s.mean(0).numpy(), [[2, 3, 5], [1, 1, 8]], atol=0.1)
    one = gs.distributions.Multinomial(1, gs.tensor([0.5, 0.5])).sample((6,))
    assert one.shape == (6, 2) and np.all(one.sum(-1).numpy() == 1)


@pytest.mark.parametrize("count", [-1, 1.5])
def test_multinomial_refuses_a_bad_total_count_like_torch(torch, count):
    assert_raises_like_torch(torch, gs, lambda m: m.distributions.Multinomial(count, m.tensor([0.5, 0.5])))
