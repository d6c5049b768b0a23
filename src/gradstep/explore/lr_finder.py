"""The learning-rate range test: train for a few mini-batches with an exponentially growing
learning rate, watch the smoothed loss, and suggest where it falls fastest.

Two weighted averages of the loss (seed 003's smoothing) are used. While the test runs, the
one-sided ``SmoothedLoss`` decides when the loss has exploded: it can only look back. It lags
about ``1 / smooth_f`` mini-batches behind, which with the defaults is a factor of
``(end_lr / start_lr) ** (1 / (smooth_f * num_iter))`` = 40 in learning rate; so the curve that is
returned, plotted and searched for the steepest descent is the same average run forwards and then
backwards (``smooth_curve``), which does not lag.

    result = find_lr(model, optimizer, nn.MSELoss(), loader)
    result.suggested_lr          # the steepest descent of the smoothed loss
    result.plot()                # loss against learning rate (log axis), with the suggestion

Leslie Smith, *Cyclical Learning Rates for Training Neural Networks*
(https://arxiv.org/abs/1506.01186), section 3.3, as popularised by fastai's ``lr_find``. The
model, the optimizer, the parameters' gradients and gradstep's default random stream are restored
exactly afterwards, so the test can run right before training without changing what training does.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..autograd.tensor import Tensor
from ..optim import schedules
from ..optim.lr_scheduler.base import check_optimizer, per_group
from ..random import get_rng_state, set_rng_state
from ..serialization import copy_state
from ..train.smoothing import SmoothedLoss

__all__ = ["find_lr", "LRFinderResult", "SmoothedLoss", "smooth_curve", "steepest_descent"]


@dataclass
class LRFinderResult:
    """What the range test saw.

    Attributes:
        lrs: the learning rate of each mini-batch (of the first group).
        losses: the smoothed loss at each of them (``smooth_curve``); NaN for the last
            ``skip_end`` mini-batches of a test that diverged, where the loss was exploding.
        raw_losses: the loss of each mini-batch.
        suggested_lr: the learning rate where the smoothed loss falls fastest (per unit of
            log learning rate) on its way down to its minimum, ignoring the first ``skip_start``
            points; None if the curve has no such descent.
        suggestion_index: the index of ``suggested_lr`` in ``lrs`` (None without one).
        diverged: whether the test stopped early because the loss exploded.
    """

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float]
    suggested_lr: float | None
    diverged: bool
    suggestion_index: int | None = field(default=None, repr=False)

    def _loss_range(self) -> tuple:
        """The losses the plot shows: every raw and smoothed loss, except the raw losses of the
        exploding end (after the smoothed curve's minimum) above the smoothed curve's top, which
        would squash the rest."""
        smooth = [(v, i) for i, v in enumerate(self.losses) if math.isfinite(v)]
        if not smooth:
            return None, None
        _, lowest = min(smooth)
        raw = [v for v in self.raw_losses if math.isfinite(v)]
        before = [v for v in self.raw_losses[:lowest + 1] if math.isfinite(v)]
        return min([v for v, _ in smooth] + raw), max([v for v, _ in smooth] + before)

    def clipped(self) -> float | None:
        """The largest raw loss the plot leaves off its top (None if it shows them all)."""
        low, high = self._loss_range()
        above = [v for v in self.raw_losses if high is not None and (v > high or not math.isfinite(v))]
        return max(above) if above else None

    def plot(self, ax=None, log_lr: bool = True, show_suggestion: bool = True):
        """Plot the smoothed loss against the learning rate on ``ax`` (the axes of a new ``Figure``,
        made without pyplot, by default) and return the axes (``ax.figure`` is the figure).

        How to read it: the loss stays flat while the learning rate is too small to matter, falls
        once it is large enough, and shoots up when it is too large. Pick a learning rate on the
        steep downward slope, about where the dot is, or a few times below the minimum of the curve;
        not at the minimum itself, which is already close to divergence.
        """
        if ax is None:
            from .plots import subplots
            _, ax = subplots(figsize=(7.5, 3.8), layout="constrained")
        top = self.clipped()
        raw_label = "loss per mini-batch" + ("" if top is None else f" (up to {top:.3g} off the top)")
        ax.plot(self.lrs, self.raw_losses, color="0.65", linewidth=0.8, label=raw_label)
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        low, high = self._loss_range()
        if low is not None:
            pad = 0.05 * (high - low) or 0.1 * abs(high) or 1.0
            ax.set_ylim(low - pad, high + pad)
        if log_lr:
            ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        if show_suggestion and self.suggestion_index is not None:
            i = self.suggestion_index
            ax.scatter([self.lrs[i]], [self.losses[i]], s=60, c="red", zorder=3,
                       label=f"steepest descent: {self.lrs[i]:.2e}")
        ax.legend(fontsize=8, loc="lower left")
        return ax


def _batches(train_loader: Iterable) -> Iterator:
    """The loader's batches, starting over when it is exhausted."""
    while True:
        empty = True
        for batch in train_loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("find_lr: train_loader yielded no batches")


def _loader_state(train_loader: Iterable) -> dict | None:
    """A copy of the loader's state if it can be put back (``state_dict``/``load_state_dict``, as
    ``DataLoader`` has: the loader's own generator and epoch counter are not the default stream)."""
    if callable(getattr(train_loader, "state_dict", None)) and callable(
            getattr(train_loader, "load_state_dict", None)):
        return copy_state(train_loader.state_dict())
    return None


def smooth_curve(losses: list[float], smooth_f: float) -> list[float]:
    """The weighted average of ``SmoothedLoss`` run forwards over ``losses`` and then backwards
    over the result: a symmetric average, so the curve does not lag behind the learning rate."""
    forward = SmoothedLoss(smooth_f)
    ahead = [forward.update(v) for v in losses]
    backward = SmoothedLoss(smooth_f)
    return [backward.update(v) for v in reversed(ahead)][::-1]


def steepest_descent(lrs: list[float], losses: list[float], skip_start: int) -> int | None:
    """The index where ``losses`` falls fastest against log10(lr) between ``skip_start`` and the
    curve's minimum (the descent; what comes after the minimum is the climb to divergence)."""
    finite = [i for i in range(skip_start, len(losses)) if math.isfinite(losses[i])]
    if not finite:
        return None
    lowest = min(finite, key=lambda i: losses[i])
    idx = [i for i in finite if i <= lowest]
    if len(idx) < 3:
        return None
    x = np.log10(np.array([lrs[i] for i in idx]))
    y = np.array([losses[i] for i in idx])
    return idx[int(np.argmin(np.gradient(y, x)))]


def _check(model, optimizer, loss_fn, start_lr, end_lr, num_iter, smooth_f, diverge_th, step_mode,
           skip_start, skip_end) -> list:
    """Validate the arguments; return the start learning rate of each group."""
    for method in ("parameters", "state_dict", "load_state_dict"):
        if not callable(getattr(model, method, None)):
            raise TypeError(f"find_lr: model must have {method}() (a gradstep nn.Module), got "
                            f"{type(model).__name__}")
    if not callable(model) or not callable(loss_fn):
        raise TypeError("find_lr: model and loss_fn must be callable")
    check_optimizer(optimizer)
    for method in ("step", "zero_grad", "state_dict", "load_state_dict"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"find_lr: optimizer must have {method}(), got {type(optimizer).__name__}")
    start_lrs = per_group("start_lr", optimizer, start_lr)

    def real(x):
        return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)

    if not all(real(lr) and lr > 0 for lr in start_lrs):
        raise ValueError(f"find_lr: start_lr must be positive, got {start_lrs}")
    if not real(end_lr) or any(end_lr <= lr for lr in start_lrs):
        raise ValueError(f"find_lr: end_lr must be larger than start_lr, got end_lr={end_lr}, "
                         f"start_lr={start_lrs}")
    if not isinstance(num_iter, numbers.Integral) or isinstance(num_iter, bool) or num_iter < 2:
        raise ValueError(f"find_lr: num_iter must be an integer >= 2, got {num_iter!r}")
    if not real(smooth_f) or not 0 < smooth_f <= 1:
        raise ValueError(f"find_lr: smooth_f must be in (0, 1] (1: no smoothing), got {smooth_f!r}")
    if not real(diverge_th) or diverge_th <= 1:
        raise ValueError(f"find_lr: diverge_th must be larger than 1, got {diverge_th!r}")
    for name, value in (("skip_start", skip_start), ("skip_end", skip_end)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
            raise ValueError(f"find_lr: {name} must be a non-negative integer, got {value!r}")
    if step_mode not in ("exp", "linear"):
        raise ValueError(f"find_lr: step_mode must be 'exp' or 'linear', got {step_mode!r}")
    return start_lrs


def find_lr(model, optimizer, loss_fn: Callable, train_loader: Iterable, start_lr: float = 1e-7,
            end_lr: float = 10.0, num_iter: int = 100, smooth_f: float = 0.05, diverge_th: float = 5.0,
            step_mode: str = "exp", skip_start: int = 10, skip_end: int = 5,
            on_step: Callable[[float, float], None] | None = None) -> LRFinderResult:
    """Run the learning-rate range test and restore everything afterwards.

    For ``num_iter`` mini-batches (cycling through ``train_loader`` if it is shorter), set the
    learning rate from ``start_lr`` growing to ``end_lr`` (``schedules.range_test_lr``), take one
    training step (``zero_grad``, ``loss_fn(model(x), y).backward()``, ``optimizer.step()``) and
    record the smoothed loss (``SmoothedLoss``). Stop early once the smoothed loss exceeds
    ``diverge_th`` times the best seen so far, or is not finite.

    The returned curve is ``smooth_curve`` of the losses, leaving out the last ``skip_end``
    mini-batches if the loss exploded (the one-sided average notices that a few batches late);
    the suggestion is its steepest descent before its minimum, ignoring the first ``skip_start``
    points. Then the model's parameters and buffers, the optimizer's state and hyperparameters, the
    parameters' gradients, gradstep's default random stream and, for a loader with
    ``state_dict()``/``load_state_dict()`` (a ``DataLoader``: its epoch, position and own
    generator), the loader are put back exactly as they were (deep copies of the state dicts,
    loaded back), even if a step raises.

    Args:
        model: a callable with ``parameters()``, ``state_dict()`` and ``load_state_dict()`` (a
            gradstep ``nn.Module``).
        optimizer: its optimizer; every group's learning rate follows the test (with a list of
            ``start_lr``, one per group, the groups keep their ratios).
        loss_fn: ``loss_fn(output, target)`` returning a scalar tensor.
        train_loader: any iterable of ``(input, target)`` batches, e.g. a ``DataLoader``.
        start_lr: the first learning rate (default 1e-7), or one per group.
        end_lr: the last learning rate (default 10), for the first group.
        num_iter: the number of mini-batches (default 100).
        smooth_f: the weight of each new loss in the smoothed curve (default 0.05).
        diverge_th: stop when the smoothed loss exceeds this times its minimum (default 5).
        step_mode: ``"exp"`` (default) or ``"linear"`` growth of the learning rate.
        skip_start: points at the start left out of the search for the steepest descent.
        skip_end: mini-batches at the end left out of the curve when the loss exploded.
        on_step: called after every mini-batch with its learning rate and smoothed loss (a
            progress display).

    Returns:
        ``LRFinderResult`` with ``lrs``, ``losses`` (smoothed), ``raw_losses``, ``suggested_lr``
        and ``plot()``.
    """
    start_lrs = _check(model, optimizer, loss_fn, start_lr, end_lr, num_iter, smooth_f, diverge_th, step_mode,
                       skip_start, skip_end)
    params = list(model.parameters())
    saved_model = copy_state(model.state_dict())
    saved_optimizer = copy_state(optimizer.state_dict())
    saved_grads = [None if p.grad is None else Tensor._make(p.grad.numpy().copy()) for p in params]
    saved_rng = get_rng_state()
    saved_loader = _loader_state(train_loader)
    ratios = [lr / start_lrs[0] for lr in start_lrs]
    lrs, raw = [], []
    smoother = SmoothedLoss(smooth_f)
    best = math.inf
    diverged = False
    try:
        batches = _batches(train_loader)
        for i in range(num_iter):
            lr = schedules.range_test_lr(i, start_lrs[0], end_lr, num_iter, step_mode)
            for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
                group["lr"] = lr * ratio
            x, y = next(batches)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            smoothed = smoother.update(value)
            lrs.append(lr)
            raw.append(value)
            best = min(best, smoothed)
            if on_step is not None:
                on_step(lr, smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge_th * best:
                diverged = True
                break
    finally:
        optimizer.load_state_dict(saved_optimizer)
        model.load_state_dict(saved_model)
        for p, g in zip(params, saved_grads):
            p.grad = g
        set_rng_state(saved_rng)
        if saved_loader is not None:
            train_loader.load_state_dict(saved_loader)
    kept = max(len(raw) - skip_end, 0) if diverged else len(raw)
    kept = min([kept, *(i for i, v in enumerate(raw) if not math.isfinite(v))])
    curve = smooth_curve(raw[:kept], smooth_f) + [math.nan] * (len(raw) - kept)
    index = steepest_descent(lrs, curve, skip_start)
    return LRFinderResult(lrs=lrs, losses=curve, raw_losses=raw,
                          suggested_lr=None if index is None else lrs[index], diverged=diverged,
                          suggestion_index=index)
