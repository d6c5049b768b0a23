"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s names, arguments and results.

Every schedule's formula is a pure function of the step in ``gradstep.optim.schedules``; the
classes here are thin wrappers that write ``group["lr"]`` (and the momentum, for the cyclical
ones) of an optimizer's ``param_groups``. Step them once per epoch or once per mini-batch, as
their lengths were counted; docs/schedules.md has the formulas and the recipes.
"""

from .base import ClosedFormScheduler, FactorScheduler, LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CyclicLR, OneCycleLR
from .decay import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .plateau import ReduceLROnPlateau

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
           "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler",
           "ClosedFormScheduler", "FactorScheduler"]

# The classes belong to this public module, as torch.optim.lr_scheduler's do: code that checks
# ``type(s).__module__ == lr_scheduler.__name__`` (or pickles by qualified name) finds them here.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
