"""Neural-network building blocks with ``torch.nn``'s API: ``Module``, layers, losses, ``functional``,
``init`` and ``utils``."""

from . import functional, init, utils  # noqa: F401
from .modules.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: F401
from .modules.container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .modules.flatten import Flatten, Unflatten  # noqa: F401
from .modules.linear import Identity, Linear  # noqa: F401
from .modules.loss import (  # noqa: F401
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    L2Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .modules.module import Module, RemovableHandle, StateDictError  # noqa: F401
from .parameter import Parameter  # noqa: F401
