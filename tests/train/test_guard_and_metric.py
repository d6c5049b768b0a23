"""The Trainer's per-step checks: the non-finite guard on every step (whatever the gradients'
layout does between steps) and the accuracy metric's fast path against its definition."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, TensorDataset
from gradstep.kernels import jit
from gradstep.kernels.accuracy import count_correct
from gradstep.train import Callback, Trainer
from gradstep.train.callbacks import _all_finite
from gradstep.train.metrics import Accuracy

# ------------------------------------------------------------------ the finiteness test itself

BIG = {np.float32: 1e30, np.float64: 1e300, np.float16: 6e4}  # finite, but the square overflows


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@np.errstate(over="ignore")  # squares overflow on purpose (the Trainer runs its guard so)
def test_all_finite_is_exact_for_every_special_value(dtype):
    finfo = np.finfo(dtype)
    finite = np.array([0.0, -0.0, 1.0, -1.0, finfo.tiny / 4, finfo.max, -finfo.max, BIG[dtype]], dtype)
    assert finfo.tiny / 4 > 0 and _all_finite(finite)  # subnormals, zeros, squares that overflow
    for bad in (np.nan, np.inf, -np.inf):
        for where in (0, 3, len(finite) - 1):
            a = finite.copy()
            a[where] = bad
            assert not _all_finite(a), (dtype, bad, where)
    assert _all_finite(np.empty(0, dtype)) and _all_finite(finite.reshape(2, 4)[:, ::2])  # strided


def test_all_finite_on_integers_and_complex():
    assert _all_finite(np.arange(5)) and _all_finite(np.array([True, False]))
    assert _all_finite(np.array([1 + 2j, 1e300 + 1e300j])) and not _all_finite(np.array([1 + 1j * np.inf]))


# ------------------------------------------------------------------ the guard, step after step

class _LaterNaN(nn.Module):
    """A linear map plus ``sqrt(b * s)``: with s = 1 a finite gradient for b, with s = 0 (from
    call ``bad`` on) a finite loss and a NaN gradient (inf · 0). Before call ``unused`` b takes
    no part, so it has no gradient and the gradients do not fill the optimizer's flat buffer."""

    def __init__(self, unused: int, bad: int, batch_norm: bool = False):
        super().__init__()
        gs.manual_seed(0)
        self.lin = nn.Sequential(nn.Linear(2, 3), *([nn.BatchNorm1d(3)] if batch_norm else []))
        self.b = nn.Parameter(gs.ones(1))
        self.calls, self.unused, self.bad = 0, unused, bad

    def forward(self, x):
        self.calls += 1
        out = self.lin(x)
        if self.calls <= self.unused:
            return out
        s = 0.0 if self.calls >= self.bad else 1.0
        return out + (self.b * s).sqrt()


class _Snapshots(Callback):
    def __init__(self):
        self.weights = []

    def on_after_optimizer_step(self, trainer):
        self.weights.append({k: v.numpy().copy() for k, v in trainer.model.state_dict().items()})


def _data(n=64):
    X, y = gs.data.datasets.make_spirals(n, 3, noise=0.1, generator=gs.Generator(0))
    return DataLoader(TensorDataset(X, y), batch_size=8)


@pytest.mark.parametrize("flat, unused, batch_norm", [(True, 0, False), (False, 0, False), (True, 3, False),
                                                     (False, 3, False), (True, 0, True)])
def test_the_guard_stops_at_the_first_nonfinite_gradient_with_the_last_finite_weights(flat, unused,
                                                                                       batch_norm):
    """... and buffers: batch norm's running statistics and count, which the bad step's forward
    pass had already moved, are put back."""
    model = _LaterNaN(unused=unused, bad=6, batch_norm=batch_norm)
    snaps = _Snapshots()
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=0.01, flat=flat), nn.CrossEntropyLoss(),
                      callbacks=[snaps], verbose=0)
    trainer.fit(_data(), epochs=2)
    assert trainer.diverged and "the gradient of parameter 'b' became non-finite" in trainer.stop_reason
    assert trainer.global_step == 5 and len(snaps.weights) == 5  # steps 1-5 taken, step 6 refused
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), snaps.weights[-1][k]), k
    assert "step 6" in trainer.stop_reason and "last finite step" in trainer.stop_reason


def test_the_guard_sees_a_gradient_replaced_between_steps():
    """A gradient swapped for an array that no flat buffer holds (as a user's code may do) is
    checked itself, not the buffer the guard remembered from the steps before."""
    model = _LaterNaN(unused=0, bad=10 ** 9)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), verbose=0)
    guard = trainer.callbacks[0]
    check = guard.on_before_optimizer_step

    def swap_then_check(tr):
        if tr.global_step == 3:
            model.lin[0].weight.grad = gs.full_like(model.lin[0].weight, float("inf"))
        check(tr)

    guard.on_before_optimizer_step = swap_then_check
    trainer.fit(_data(), epochs=1)
    assert trainer.diverged and "the gradient of parameter 'lin.0.weight'" in trainer.stop_reason
    assert trainer.global_step == 3


def test_a_guard_subclass_with_its_own_batch_start_keeps_it_without_buffers():
    from gradstep.train import NonFiniteGuard

    class Counting(NonFiniteGuard):
        starts = 0

        def on_batch_start(self, trainer):
            Counting.starts += 1
            super().on_batch_start(trainer)

    model = _LaterNaN(unused=0, bad=10 ** 9)  # no buffers: the plain guard leaves on_batch_start
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), verbose=0,
                      nonfinite_guard=False, callbacks=[Counting()])
    trainer.fit(_data(), epochs=1)
    assert Counting.starts == 8


# ------------------------------------------------------------------ accuracy

def _reference_correct(scores: np.ndarray, target: np.ndarray) -> int:
    """Accuracy's definition, row by row: the first index of the row's largest score (NaN counts
    as largest, as np.argmax has it) equals the target."""
    correct = 0
    for row, t in zip(scores, target):
        nan = np.flatnonzero(np.isnan(row))
        pred = nan[0] if nan.size else int(np.flatnonzero(row == row.max())[0])
        correct += int(pred == t)
    return correct


@pytest.fixture(params=[False, True], ids=["numpy", "compiled"])
def kernels(request):
    """Each test twice: with the NumPy body of kernels.accuracy, and with its compiled loop."""
    jit.use(request.param)
    yield request.param
    jit.use(None)


def _scores(rng, n, c, dtype):
    scores = rng.integers(0, 3, (n, c)).astype(dtype)  # many ties
    scores[rng.integers(n, size=3), rng.integers(c, size=3)] = np.nan
    scores[rng.integers(n), 0] = np.nan  # a NaN first in its row
    scores[rng.integers(n), :] = -np.inf
    scores[rng.integers(n), rng.integers(c, size=2)] = np.inf
    return scores


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accuracy_counts_as_its_definition_says(dtype, kernels):
    rng = np.random.default_rng(0)
    scores = _scores(rng, 200, 5, dtype)
    target = rng.integers(0, 5, 200)
    acc = Accuracy()
    acc.update(scores[:120], target[:120])
    acc.update(scores[120:], target[120:].astype(np.int32))
    assert acc.total == 200 and acc.correct == _reference_correct(scores, target)
    assert acc.compute() == acc.correct / 200


def _count(scores, target, compiled: bool) -> int:
    jit.use(compiled)
    try:
        return count_correct(scores, target)
    finally:
        jit.use(None)


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_count_equals_numpys(seed):
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 90)), int(rng.integers(1, 12))
    scores = _scores(rng, n, c, (np.float32, np.float64)[seed % 2])
    target = rng.integers(0, c + 1, n).astype((np.int64, np.int32, np.uint8)[seed % 3])  # c: no class
    # contiguous (the compiled loop), rows backwards and column-major (NumPy's body either way)
    for s, t in ((scores, target), (scores[::-1], target[::-1]), (np.asfortranarray(scores), target)):
        assert _count(s, t, False) == _count(s, t, True) == _reference_correct(s, t)


def test_accuracy_other_target_forms_are_unchanged():
    acc = Accuracy()
    probs = np.eye(3)[[0, 2, 1, 1]]
    acc.update(np.array([[3.0, 1, 0], [0, 1, 2], [5, 1, 0], [0, 2, 1]]), probs)  # class probabilities
    assert (acc.correct, acc.total) == (3, 4)
    acc.reset()
    acc.update(np.array([[0.3], [-1.0], [2.0]]), np.array([[1.0], [1.0], [0.0]]))  # one logit column
    assert (acc.correct, acc.total) == (1, 3)
