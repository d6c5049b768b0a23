"""The function form of every layer, activation and loss (``import gradstep.nn.functional as F``)."""

from .activation import elu, gelu, leaky_relu, log_softmax, relu, relu_, sigmoid, softmax, tanh  # noqa: F401
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
from .attention import scaled_dot_product_attention  # noqa: F401
from .conv import conv1d, conv2d, conv_transpose2d  # noqa: F401
from .dropout import dropout, dropout1d, dropout2d  # noqa: F401
from .embedding import embedding, one_hot  # noqa: F401
from .grid import affine_grid, grid_sample  # noqa: F401
from .interpolate import interpolate  # noqa: F401
from .linear import linear  # noqa: F401
from .loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    l2_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, instance_norm, layer_norm  # noqa: F401
from .padding import pad  # noqa: F401
from .pixelshuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from .pooling import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
