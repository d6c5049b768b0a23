"""The function form of every layer, activation and loss (``import gradstep.nn.functional as F``)."""

from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401
from .activation_more import (  # noqa: F401
    celu,
    cosine_similarity,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    normalize,
    pairwise_distance,
    prelu,
    relu6,
    selu,
    silu,
    softmin,
    softplus,
    softsign,
    tanhshrink,
)
from .conv import conv2d  # noqa: F401
from .dropout import dropout, dropout1d, dropout2d  # noqa: F401
from .embedding import embedding, one_hot  # noqa: F401
from .interpolate import interpolate  # noqa: F401
from .linear import linear  # noqa: F401
from .loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    l2_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, layer_norm  # noqa: F401
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
