"""Metrics accumulated over an epoch from each batch's outputs and targets."""

from __future__ import annotations

import numpy as np

from ..kernels.accuracy import count_correct


class Metric:
    """Accumulates ``update(output, target)`` over an epoch; ``compute()`` gives the value."""

    name = "metric"

    def reset(self) -> None: ...
    def update(self, output: np.ndarray, target: np.ndarray) -> None: ...
    def compute(self) -> float: ...
    def state_dict(self) -> dict:
        return dict(self.__dict__)

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(state)

    def sums(self) -> np.ndarray:
        """The state as a float64 vector of sums over samples, which adds up across processes (what
        a data-parallel run all-reduces); a metric that is not such a sum cannot be distributed."""
        raise NotImplementedError(f"the metric {type(self).__name__} does not say how to add it up "
                                  f"over processes: give it sums() and set_sums()")

    def set_sums(self, sums: np.ndarray) -> None:
        """Replace the state by a vector of ``sums()``'s form (e.g. summed over processes)."""
        raise NotImplementedError(f"the metric {type(self).__name__} does not say how to add it up "
                                  f"over processes: give it sums() and set_sums()")


class Accuracy(Metric):
    """The fraction of samples whose largest output is the target class (index targets), or
    whose rounded sigmoid output matches a 0/1 target (one output column)."""

    name = "accuracy"

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, output: np.ndarray, target: np.ndarray) -> None:
        if output.ndim == 2 and target.ndim == 1 and output.shape[1] > 1:  # scores and class indices,
            # the common case (the Trainer's every step): one compiled count where it can
            self.correct += count_correct(output, target)
            self.total += target.shape[0]
            return
        if output.ndim >= 2 and output.shape[1] > 1:
            pred = output.argmax(axis=1)
            if target.ndim == output.ndim:  # class probabilities
                target = target.argmax(axis=1)
        else:
            pred = (output.reshape(target.shape) > 0).astype(target.dtype)
        self.correct += int(np.count_nonzero(pred == target))
        self.total += int(target.size)

    def compute(self) -> float:
        return self.correct / self.total if self.total else float("nan")

    def sums(self) -> np.ndarray:
        return np.array([self.correct, self.total], np.float64)

    def set_sums(self, sums: np.ndarray) -> None:
        self.correct, self.total = int(sums[0]), int(sums[1])


METRICS = {"accuracy": Accuracy, "acc": Accuracy}


def make_metric(spec) -> Metric:
    if isinstance(spec, Metric):
        return spec
    try:
        return METRICS[spec]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown metric {spec!r}; known: {sorted(METRICS)} or a Metric instance") from None
