"""The function form of every layer, activation and loss (``import gradstep.nn.functional as F``)."""

from .conv import conv2d  # noqa: F401
from .dropout import dropout  # noqa: F401
from .embedding import embedding  # noqa: F401
from .linear import linear  # noqa: F401
from .normalization import batch_norm, layer_norm  # noqa: F401
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
