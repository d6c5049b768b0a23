"""How many predictions are right: the count behind the accuracy metric, which the Trainer takes
after every training step.

The NumPy body is the definition: a row's prediction is ``argmax`` of its scores (the first of
equal maxima; a NaN counts as the largest, its first one wins), compared with the target class.
On a batch of 64 x 10 scores that is three NumPy calls, each costing more (~2 µs inside a training
step, where the backward pass has pushed NumPy's machinery out of the caches) than the arithmetic,
so when compiled kernels are on (``kernels.jit``) one compiled loop counts instead. Both give the
same count (an integer; the tests compare them on ties, NaN and infinities).
"""

from __future__ import annotations

import numpy as np

from . import jit


def count_correct(scores: np.ndarray, target: np.ndarray) -> int:
    """The number of rows of ``scores`` (N, C) whose argmax is ``target`` (N,), class indices."""
    if (jit.enabled() and scores.dtype.char in "fd" and target.dtype.kind in "iu"
            and scores.flags.c_contiguous and scores.shape[1] > 0 and target.shape == scores.shape[:1]):
        return int(_count_correct(scores, target))
    return int(np.count_nonzero(scores.argmax(axis=1) == target))


@jit.compiled
def _count_correct(scores, target):  # pragma: no cover - compiled, so coverage cannot see it
    correct = 0
    for i in range(scores.shape[0]):
        k = 0
        best = scores[i, 0]
        if best == best:  # (else the row's first NaN is its first score: argmax 0)
            for j in range(1, scores.shape[1]):
                v = scores[i, j]
                if v > best:  # strictly: the first of equal maxima stays
                    best = v
                    k = j
                elif v != v:  # the first NaN is the argmax, as in np.argmax
                    k = j
                    break
        if k == target[i]:
            correct += 1
    return correct
