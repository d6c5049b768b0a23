"""Ready-made models. ``cs231n`` holds seed 001's NumPy networks built from ``gradstep.layers``."""

from .cs231n import FullyConnectedNet, TwoLayerNet  # noqa: F401
