"""Understanding optimizers: runs from a config, comparisons, sweeps, landscapes and their plots."""

from .config import ConfigError, TrainConfig
from .evaluate import evaluate_checkpoint
from .run import RunResult, train_run

__all__ = ["TrainConfig", "ConfigError", "train_run", "RunResult", "evaluate_checkpoint"]
