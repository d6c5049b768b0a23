"""Neural-network building blocks with ``torch.nn``'s API: ``Module``, layers, losses, ``functional``,
``init`` and ``utils``."""

from . import functional, init, utils  # noqa: F401
from .modules.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: F401
from .modules.activation_more import (  # noqa: F401
    CELU,
    GLU,
    SELU,
    CosineSimilarity,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PairwiseDistance,
    PReLU,
    ReLU6,
    SiLU,
    Softmin,
    Softplus,
    Softsign,
    Tanhshrink,
)
from .modules.batchnorm import BatchNorm1d, BatchNorm2d  # noqa: F401
from .modules.container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .modules.conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
from .modules.dropout import Dropout, Dropout1d, Dropout2d  # noqa: F401
from .modules.flatten import Flatten, Unflatten  # noqa: F401
from .modules.lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d, LazyLinear, LazyModuleMixin  # noqa: F401
from .modules.linear import Identity, Linear  # noqa: F401
from .modules.loss import (  # noqa: F401
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    L2Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .modules.module import Module, RemovableHandle, StateDictError  # noqa: F401
from .modules.normalization import InstanceNorm1d, InstanceNorm2d, LayerNorm  # noqa: F401
from .modules.padding import (  # noqa: F401
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad2d,
)
from .modules.pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: F401
from .modules.pooling import (  # noqa: F401
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .modules.sparse import Embedding  # noqa: F401
from .modules.transformer import (  # noqa: F401
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .modules.upsampling import Upsample  # noqa: F401
from .parameter import Parameter, UninitializedParameter  # noqa: F401
