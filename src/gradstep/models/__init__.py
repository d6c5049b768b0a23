"""Ready-made models: the tutorials' networks (``mlp``, ``linear``, ``cnn``) as ``nn.Sequential``
builders, and ``cs231n``'s NumPy networks built from ``gradstep.layers`` (seed 001)."""

from .cs231n import FullyConnectedNet, TwoLayerNet
from .zoo import MODELS, cnn, linear, mlp

__all__ = ["mlp", "linear", "cnn", "MODELS", "FullyConnectedNet", "TwoLayerNet"]
