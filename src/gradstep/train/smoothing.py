"""``SmoothedLoss``: the weighted average of a noisy loss that seed 003 suggests, used to draw
training curves and by the LR range test to see the loss explode."""

from __future__ import annotations


class SmoothedLoss:
    """An exponentially weighted average of the losses seen so far, bias-corrected (the weighted
    average seed 003 suggests for reading a noisy loss curve)::

        avg_t = (1 - smooth_f) * avg_{t-1} + smooth_f * loss_t         (avg_0 = 0)
        smoothed_t = avg_t / (1 - (1 - smooth_f) ** t)

    ``smooth_f`` is the weight of the newest loss: 0.05 averages over roughly the last 20.
    """

    def __init__(self, smooth_f: float = 0.05):
        self.smooth_f = smooth_f
        self.avg = 0.0
        self.count = 0

    def update(self, loss: float) -> float:
        """Add a loss; return the smoothed value."""
        self.count += 1
        self.avg = (1 - self.smooth_f) * self.avg + self.smooth_f * loss
        return self.avg / (1 - (1 - self.smooth_f) ** self.count)
