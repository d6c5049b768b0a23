"""The LR range test: its suggestion trains seed 004's linear regression and a small MLP, and it
leaves the model, the optimizer, the gradients and the random stream exactly as they were."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.optim import find_lr, schedules
from gradstep.optim.lr_finder import SmoothedLoss, smooth_curve, steepest_descent


def linear_regression_batches(batch_size: int = 10):
    """Seed 004's data: X ~ N(0, 1) with 2 features, y = 2 x0 - 3.4 x1 + 4.2 + 0.01 noise, 1000 samples."""
    gs.manual_seed(4)
    X = gs.randn(1000, 2)
    y = (X @ gs.tensor([2.0, -3.4]) + 4.2 + 0.01 * gs.randn(1000)).reshape(-1, 1)
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, 1000, batch_size)]


def circle_batches(batch_size: int = 20):
    """Two classes: inside or outside a circle of radius sqrt(1.4) (about half the points each)."""
    gs.manual_seed(7)
    X = gs.randn(1000, 2)
    labels = ((X * X).sum(1) < 1.4).long()
    return [(X[i:i + batch_size], labels[i:i + batch_size]) for i in range(0, 1000, batch_size)]


class ShuffledLoader:
    """Batches in a new random order each pass, drawn from gradstep's default random stream."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        for i in gs.randperm(len(self.batches)).tolist():
            yield self.batches[i]


def mlp():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))


def train(model, optimizer, loss_fn, batches, epochs: int) -> float:
    for _ in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
    with gs.no_grad():
        return float(np.mean([loss_fn(model(x), y).item() for x, y in batches]))


def mean_loss(model, loss_fn, batches) -> float:
    with gs.no_grad():
        return float(np.mean([loss_fn(model(x), y).item() for x, y in batches]))


# ---------------------------------------------------------------------- the suggestion trains

def test_linear_regression_suggestion_converges():
    batches = linear_regression_batches()
    model = nn.Linear(2, 1)
    opt = gs.optim.SGD(model.parameters(), lr=0.03)
    loss_fn = nn.MSELoss()
    result = find_lr(model, opt, loss_fn, batches)
    assert result.diverged and len(result.lrs) < 100  # the loss exploded before end_lr=10
    lr = result.suggested_lr
    assert lr is not None and result.lrs[result.suggestion_index] == lr
    # the steepest descent lies below the learning rates where the loss blew up
    assert lr < result.lrs[-1] / 10
    opt.set_learning_rate(lr)
    final = train(model, opt, loss_fn, batches, epochs=3)
    assert final < 1e-3  # the noise floor is 1e-4
    np.testing.assert_allclose(model.weight.detach().numpy(), [[2.0, -3.4]], atol=0.01)
    np.testing.assert_allclose(model.bias.detach().numpy(), [4.2], atol=0.01)


def test_mlp_suggestion_converges():
    """A 2-32-2 ReLU network classifying points inside a circle. Its loss falls within about one
    decade of learning rates, so the test starts at 1e-4 to give that decade 25 mini-batches."""
    batches = circle_batches()
    model = mlp()
    opt = gs.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    before = mean_loss(model, loss_fn, batches)
    result = find_lr(model, opt, loss_fn, batches, start_lr=1e-4, end_lr=10.0, num_iter=100)
    assert result.suggested_lr is not None
    assert mean_loss(model, loss_fn, batches) == before  # restored
    opt.set_learning_rate(result.suggested_lr)
    final = train(model, opt, loss_fn, batches, epochs=20)
    assert final < 0.3 < before
    with gs.no_grad():
        accuracy = np.mean([(model(x).argmax(1) == y).float().mean().item() for x, y in batches])
    assert accuracy > 0.9


# ---------------------------------------------------------------------- everything is restored

def _snapshot(model, opt):
    params = [p.detach().numpy().copy() for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.numpy().copy() for p in model.parameters()]
    return params, grads, opt.state_dict(), gs.get_rng_state()


def _assert_same(a, b):
    for x, y in zip(a[0], b[0]):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    for x, y in zip(a[1], b[1]):
        assert (x is None and y is None) or np.array_equal(x, y)
    sa, sb = a[2], b[2]
    assert sa["param_groups"] == sb["param_groups"]
    assert sa["state"].keys() == sb["state"].keys()
    for i in sa["state"]:
        assert sa["state"][i].keys() == sb["state"][i].keys()
        for name in sa["state"][i]:
            assert np.array_equal(sa["state"][i][name], sb["state"][i][name])
    assert a[3] == b[3]


OPTIMIZERS = {
    "sgd-momentum": lambda params, flat: gs.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-4,
                                                       flat=flat),
    "adam": lambda params, flat: gs.optim.Adam(params, lr=0.01, flat=flat),
}


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_leaves_model_and_optimizer_exactly_as_before(kind, flat):
    batches = circle_batches()
    model = mlp()
    opt = OPTIMIZERS[kind](model.parameters(), flat)
    loss_fn = nn.CrossEntropyLoss()
    train(model, opt, loss_fn, batches[:3], epochs=1)  # optimizer state and gradients to restore
    twin = mlp()
    twin.load_state_dict(model.state_dict())
    twin_opt = OPTIMIZERS[kind](twin.parameters(), flat)
    twin_opt.load_state_dict(opt.state_dict())
    before = _snapshot(model, opt)
    result = find_lr(model, opt, loss_fn, ShuffledLoader(batches), num_iter=60)
    assert len(result.lrs) > 10
    _assert_same(_snapshot(model, opt), before)
    # and training goes on exactly as it would have without the test
    train(model, opt, loss_fn, batches[:5], epochs=1)
    train(twin, twin_opt, loss_fn, batches[:5], epochs=1)
    for p, q in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_restores_when_a_step_raises():
    batches = linear_regression_batches()
    model = nn.Linear(2, 1)
    opt = gs.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    train(model, opt, nn.MSELoss(), batches[:2], epochs=1)
    before = _snapshot(model, opt)
    calls = []

    def flaky_loss(out, y):
        calls.append(1)
        if len(calls) == 6:
            raise RuntimeError("the data went bad")
        return nn.functional.mse_loss(out, y)

    with pytest.raises(RuntimeError, match="the data went bad"):
        find_lr(model, opt, flaky_loss, batches)
    _assert_same(_snapshot(model, opt), before)


def test_puts_back_a_data_loader_with_its_own_generator():
    """A DataLoader's own generator and epoch counter are not gradstep's default stream: the
    batches after find_lr must be those the loader would have given without it."""
    X, y = (t.detach() for t in circle_batches(1000)[0])

    def loader():
        data = gs.data.TensorDataset(X, y)
        return gs.data.DataLoader(data, batch_size=50, shuffle=True, generator=gs.Generator().manual_seed(3))

    def epochs(dl, n: int = 2) -> list:
        return [b[0].numpy().tolist() for _ in range(n) for b in dl]

    untouched, tested = loader(), loader()
    expected = epochs(untouched)
    model = mlp()
    find_lr(model, gs.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), tested, num_iter=30)
    assert epochs(tested) == expected
    # and again, the loader now two epochs on
    find_lr(model, gs.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), tested, num_iter=30)
    assert epochs(tested) == epochs(untouched)


# ---------------------------------------------------------------------- the schedule and the curve

def test_learning_rates_follow_the_range_and_cycle_the_loader():
    """Three batches cycled for 30 mini-batches; two groups keep their ratio of start_lr."""
    batches = linear_regression_batches(batch_size=100)[:3]
    model = nn.Linear(2, 1)
    opt = gs.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1)
    seen = []

    def loss_fn(out, y):
        seen.append([g["lr"] for g in opt.param_groups])
        return nn.functional.mse_loss(out, y)

    result = find_lr(model, opt, loss_fn, batches, start_lr=[1e-5, 2e-5], end_lr=1e-3, num_iter=30,
                     step_mode="linear")
    assert not result.diverged and len(result.lrs) == 30
    expected = [schedules.range_test_lr(i, 1e-5, 1e-3, 30, "linear") for i in range(30)]
    assert result.lrs == expected
    assert [s[1] for s in seen] == pytest.approx([2 * lr for lr in expected], rel=1e-12)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.1]


def test_exponential_range():
    lrs = [schedules.range_test_lr(i, 1e-7, 10.0, 100) for i in range(100)]
    assert lrs[0] == 1e-7 and lrs[-1] == pytest.approx(10.0)
    assert np.allclose(np.diff(np.log(lrs)), np.log(1e8) / 99)


def test_smoothed_loss_is_the_weighted_average():
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 5, 40).tolist()
    f = 0.1
    s = SmoothedLoss(f)
    for t, got in enumerate((s.update(v) for v in values), start=1):
        w = np.array([f * (1 - f) ** (t - 1 - k) for k in range(t)])
        assert got == pytest.approx(np.dot(w, values[:t]) / w.sum(), rel=1e-12)
    assert SmoothedLoss(0.05).update(3.0) == pytest.approx(3.0, rel=1e-14)  # bias-corrected


def test_smooth_curve_does_not_lag():
    """On a ramp, the one-sided average lags about 1/f points behind; the two-sided one does not."""
    ramp = [float(i) for i in range(200)]
    s = SmoothedLoss(0.05)
    one_sided = [s.update(v) for v in ramp]
    two_sided = smooth_curve(ramp, 0.05)
    assert ramp[199] - one_sided[199] == pytest.approx(19.0, abs=0.05)
    assert two_sided[100] == pytest.approx(100.0, abs=0.5)


def test_steepest_descent_is_before_the_minimum():
    lrs = [10.0 ** (i / 10 - 5) for i in range(60)]
    descent = [1.0 - 0.1 * i for i in range(1, 9)]
    losses = [1.0] * 20 + descent + [0.2] * 10 + [0.2 + 0.5 * i for i in range(22)]
    i = steepest_descent(lrs, losses, skip_start=5)
    assert 20 <= i <= 28
    assert steepest_descent(lrs, [float(v) for v in range(60)], skip_start=5) is None


def test_plot(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    batches = linear_regression_batches()
    model = nn.Linear(2, 1)
    result = find_lr(model, gs.optim.SGD(model.parameters()), nn.MSELoss(), batches)
    ax = result.plot()
    smoothed = [line for line in ax.get_lines() if line.get_label() == "smoothed loss"][0]
    assert list(smoothed.get_xdata()) == result.lrs
    np.testing.assert_array_equal(smoothed.get_ydata(), result.losses)
    assert ax.get_xscale() == "log"
    assert len(ax.collections) == 1  # the suggestion
    ax.figure.savefig(tmp_path / "lr_find.png")
    plt.close(ax.figure)


# ---------------------------------------------------------------------- argument checks

def _args(**kw):
    model = nn.Linear(2, 1)
    args = dict(model=model, optimizer=gs.optim.SGD(model.parameters()), loss_fn=nn.MSELoss(),
                train_loader=linear_regression_batches(100))
    args.update(kw)
    return args


@pytest.mark.parametrize("kw,exc,message", [
    (dict(model=object()), TypeError, "model must have parameters"),
    (dict(optimizer=object()), TypeError, "object is not an Optimizer"),
    (dict(start_lr=0.0), ValueError, "start_lr must be positive"),
    (dict(end_lr=1e-8), ValueError, "end_lr must be larger than start_lr"),
    (dict(num_iter=1), ValueError, "num_iter must be an integer >= 2"),
    (dict(smooth_f=0.0), ValueError, "smooth_f must be in"),
    (dict(diverge_th=1.0), ValueError, "diverge_th must be larger than 1"),
    (dict(step_mode="cos"), ValueError, "step_mode must be 'exp' or 'linear'"),
    (dict(skip_end=-1), ValueError, "skip_end must be a non-negative integer"),
    (dict(train_loader=[]), ValueError, "train_loader yielded no batches"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_invalid_arguments(kw, exc, message):
    with pytest.raises(exc, match=message):
        find_lr(**_args(**kw))
