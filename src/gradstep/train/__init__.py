"""Training: the ``Trainer`` loop with its callbacks, loggers and checkpoints, and cs231n's ``Solver``."""

from .callbacks import (
    Callback,
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    NonFiniteGuard,
)
from .compiled_step import CaptureError, compile_step
from .history import History
from .live import LiveCurves
from .loggers import CSVLogger, JSONLLogger, TensorBoardLogger
from .metrics import Accuracy, Metric
from .progress import ProgressBar, RunsProgress
from .solver import Solver
from .trainer import Trainer, evaluate

__all__ = ["Trainer", "Solver", "evaluate", "compile_step", "CaptureError", "History", "Callback",
           "NonFiniteGuard", "ProgressBar",
           "EarlyStopping", "ModelCheckpoint", "LearningRateMonitor", "CSVLogger", "JSONLLogger",
           "TensorBoardLogger", "LiveCurves", "RunsProgress", "Metric", "Accuracy"]
