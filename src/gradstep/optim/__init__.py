"""Optimizers with torch.optim's names, arguments, defaults and results, plus Lion and cs231n's rules.

Each update rule is written once in ``gradstep.kernels.optim``; every optimizer runs it either on
flat buffers holding a whole parameter group (the default, ``flat=True``) or parameter by
parameter (``flat=False``), with bitwise-equal results.
"""

from . import cs231n
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD", "LBFGS", "Lion", "cs231n"]
