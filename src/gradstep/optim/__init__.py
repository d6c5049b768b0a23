"""Optimizers with torch.optim's names, arguments, defaults and results, plus Lion and cs231n's rules.

Each update rule is written once in ``gradstep.kernels.optim``; every optimizer runs it either on
flat buffers holding a whole parameter group (the default, ``flat=True``) or parameter by
parameter (``flat=False``), with bitwise-equal results.
"""

from . import cs231n, lr_scheduler, schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .nadam import NAdam
from .optimizer import OPTIMIZERS, Optimizer, optimizer_class
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "OPTIMIZERS", "optimizer_class",
           "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD", "LBFGS", "Lion", "cs231n", "lr_scheduler", "schedules", "find_lr"]


def __getattr__(name: str):
    # the LR range test moved up to gradstep.explore (it is a training loop, not an optimizer); the
    # name stays here, imported on first use so that this package never imports the layer above it
    if name == "find_lr":
        from ..explore.lr_finder import find_lr
        return find_lr
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
