"""The function form of every layer, activation and loss (``import gradstep.nn.functional as F``)."""

from .linear import linear  # noqa: F401
