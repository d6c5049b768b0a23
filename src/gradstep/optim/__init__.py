"""Optimizers with torch.optim's names, arguments, defaults and results.

Each update rule is written once in ``gradstep.kernels.optim``; every optimizer runs it either on
flat buffers holding a whole parameter group (the default, ``flat=True``) or parameter by
parameter (``flat=False``), with bitwise-equal results.
"""

from . import lr_scheduler, schedules  # noqa: F401
from .lr_finder import find_lr  # noqa: F401
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
