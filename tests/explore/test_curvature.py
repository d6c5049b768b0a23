"""gradstep.explore.curvature: Hessian eigenvalues, Hutchinson's trace and the density, against
exact Hessians."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.autograd.functional import hessian
from gradstep.data import DataLoader, TensorDataset
from gradstep.data.datasets import LinearRegression
from gradstep.explore.curvature import LossHessian


def _seed004():
    """Seed 004's problem: 1,000 samples of y = 2 x1 - 3.4 x2 + 4.2 + noise, a Linear(2, 1) with
    N(0, 1) weights and the L2 loss; in float64."""
    gs.manual_seed(4)
    ds = LinearRegression()
    net = nn.Sequential(nn.Linear(2, 1)).double()
    nn.init.normal_(net[0].weight, std=1.0)
    return net, nn.L2Loss(), ds.X.double(), ds.y.double()


def test_sharpness_of_seed004_linear_regression_is_exact():
    net, loss, x, y = _seed004()
    a = np.hstack([x.numpy(), np.ones((len(x), 1))])
    exact = np.linalg.eigvalsh(a.T @ a / len(x))  # L = mean (a.w - y)^2 / 2: H = A^T A / n
    for data in [(x, y), DataLoader(TensorDataset(x, y), batch_size=64)]:  # one batch; accumulated
        top = LossHessian(net, loss, data).eigenvalues(k=1)
        assert top.converged and top.hvp_count <= 3
        np.testing.assert_allclose(top.eigenvalues[0], exact[-1], rtol=1e-6)
    power = LossHessian(net, loss, (x, y)).eigenvalues(k=1, method="power", tol=1e-10)
    np.testing.assert_allclose(power.eigenvalues[0], exact[-1], rtol=1e-6)


def _mlp_and_function():
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    rng = np.random.default_rng(0)
    x = gs.from_numpy(rng.standard_normal((20, 3)))
    y = gs.from_numpy(rng.integers(0, 3, 20))
    loss = nn.CrossEntropyLoss()

    def f(w1, b1, w2, b2):
        h = gs.tanh(nn.functional.linear(x, w1, b1))
        return nn.functional.cross_entropy(nn.functional.linear(h, w2, b2), y)

    params = [p.detach() for p in model.parameters()]
    blocks = hessian(f, tuple(params))
    full = np.block([[b.numpy().reshape(p.numel(), q.numel()) for b, q in zip(row, params)]
                     for row, p in zip(blocks, params)])
    return model, loss, (x, y), full


def test_top3_eigenvalues_of_an_mlp_match_the_full_hessian():
    model, loss, data, full = _mlp_and_function()
    exact = np.linalg.eigvalsh(full)[::-1][:3]
    op = LossHessian(model, loss, data)
    np.testing.assert_allclose(op.dense(), full, atol=1e-12)
    for method, residual in (("lanczos", 1e-8), ("power", 1e-3)):
        top = op.eigenvalues(k=3, method=method, tol=1e-8)
        np.testing.assert_allclose(top.eigenvalues, exact, rtol=1e-5, err_msg=method)
        assert top.converged and np.all(top.residuals <= residual)
        for lam, v, res in zip(top.eigenvalues, top.eigenvectors, top.residuals):  # as reported
            assert abs(np.linalg.norm(v) - 1) < 1e-12
            assert np.linalg.norm(full @ v - lam * v) <= res * abs(lam) * (1 + 1e-6) + 1e-14


def test_hutchinson_trace_is_within_three_standard_errors():
    model, loss, data, full = _mlp_and_function()
    est = LossHessian(model, loss, data).trace(samples=200, seed=1)
    assert est.hvp_count == 200 and est.stderr > 0
    assert abs(est.trace - np.trace(full)) <= 3 * est.stderr


def test_density_weights_and_nodes():
    model, loss, data, full = _mlp_and_function()
    d = LossHessian(model, loss, data).density(steps=full.shape[0], runs=2)
    ev = np.linalg.eigvalsh(full)
    np.testing.assert_allclose(d.weights.sum(axis=1), 1.0)
    # with as many steps as parameters, the nodes are the eigenvalues (those the start vector sees)
    assert np.max(np.abs(d.nodes[0][:, None] - ev[None]).min(axis=1)) < 1e-6
    grid = np.linspace(ev[0] - 1, ev[-1] + 1, 2001)
    assert abs(np.trapezoid(d.at(grid, sigma=0.05), grid) - 1.0) < 1e-3


def test_bad_input_gets_one_clear_line():
    net, loss, x, y = _seed004()
    op = LossHessian(net, loss, (x, y))
    with pytest.raises(ValueError, match=r"k=4 is larger than the number of parameters \(3\)"):
        op.eigenvalues(k=4)
    with pytest.raises(ValueError, match="the loss must be a scalar tensor"):
        LossHessian(net, nn.MSELoss(reduction="none"), (x, y)).eigenvalues()
    with pytest.raises(ValueError, match="Sequential has no parameters that require grad"):
        LossHessian(nn.Sequential(nn.ReLU()), loss, (x, y))
    with pytest.raises(ValueError, match="method must be 'lanczos' or 'power'"):
        op.eigenvalues(method="arnoldi")
    with pytest.raises(TypeError, match="data must be a batch"):
        LossHessian(net, loss, 3)
