"""Training: the ``Trainer`` loop with its callbacks and checkpoints, and cs231n's ``Solver``."""

from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    NonFiniteGuard,
    ProgressBar,
)
from .history import History
from .metrics import Accuracy, Metric
from .solver import Solver
from .trainer import Trainer, evaluate

__all__ = ["Trainer", "Solver", "evaluate", "History", "Callback", "NonFiniteGuard", "ProgressBar",
           "EarlyStopping", "ModelCheckpoint", "LearningRateMonitor", "CSVLogger", "Metric", "Accuracy"]
