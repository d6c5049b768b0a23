"""PyTorch's names for gradstep's graph nodes, so ``grad_fn`` prints as in the tutorials
(``<AddBackward0>``, ``<MmBackward0>``) and ``next_functions`` ends in ``AccumulateGrad`` leaves."""

from __future__ import annotations

import weakref

# gradstep op class -> PyTorch's node name (a function of the node where it depends on its use)
_NAMES = {
    "Add": "AddBackward0", "Sub": "SubBackward0", "Mul": "MulBackward0", "Div": "DivBackward0",
    "Neg": "NegBackward0", "Pow": "PowBackward0", "Exp": "ExpBackward0", "Log": "LogBackward0",
    "Sqrt": "SqrtBackward0", "Abs": "AbsBackward0", "Sin": "SinBackward0", "Cos": "CosBackward0",
    "Tanh": "TanhBackward0", "Sigmoid": "SigmoidBackward0", "Relu": "ReluBackward0",
    "MatMul": "MmBackward0", "Sum": "SumBackward0", "Mean": "MeanBackward0", "Var": "VarBackward0",
    "MaxAll": "MaxBackward1", "MaxDim": "MaxBackward0", "Maximum": "MaximumBackward0",
    "Minimum": "MinimumBackward0", "Clamp": "ClampBackward1", "Where": "WhereBackward0",
    "Reshape": "ViewBackward0", "Permute": "PermuteBackward0", "Expand": "ExpandBackward0",
    "Index": "IndexBackward0", "IndexPut": "IndexPutBackward0", "Cat": "CatBackward0",
    "Stack": "StackBackward0", "Clone": "CloneBackward0", "Cast": "ToCopyBackward0",
    "Softmax": "SoftmaxBackward0", "LogSoftmax": "LogSoftmaxBackward0",
    "LinearFunction": "AddmmBackward0", "Conv2dFunction": "ConvolutionBackward0",
    "MaxPool2dFunction": "MaxPool2DWithIndicesBackward0", "AvgPool2dFunction": "AvgPool2DBackward0",
    "AdaptiveAvgPool2dFunction": "AdaptiveAvgPool2DBackward0",
    "BatchNormFunction": "NativeBatchNormBackward0", "LayerNormFunction": "NativeLayerNormBackward0",
    "DropoutFunction": "NativeDropoutBackward0", "EmbeddingFunction": "EmbeddingBackward0",
    "_Gelu": "GeluBackward0", "_ClassLoss": "NllLossBackward0",
}


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_") if part)


def _loss_names() -> dict:
    from ..kernels import loss as k
    return {id(k.SQUARED): "MseLossBackward0", id(k.HALF_SQUARED): "MseLossBackward0",
            id(k.ABSOLUTE): "L1LossBackward0", id(k.SMOOTH_L1): "SmoothL1LossBackward0",
            id(k.HUBER): "HuberLossBackward0", id(k.BINARY_CROSS_ENTROPY): "BinaryCrossEntropyBackward0",
            id(k.BINARY_CROSS_ENTROPY_WITH_LOGITS): "BinaryCrossEntropyWithLogitsBackward0"}


def torch_name(node) -> str | None:
    """PyTorch's name for one of gradstep's own nodes; None for a user's ``Function`` subclass."""
    cls = type(node)
    if not cls.__module__.startswith("gradstep."):
        return None
    if cls.__name__ == "_Pointwise":  # an activation: named by its kernel (leaky_relu_backward)
        return _camel(node.df.__name__.removesuffix("_backward")) + "Backward0"
    if cls.__name__ == "_PointwiseLoss":  # a loss: named by its kernel
        return _loss_names().get(id(node.kernel), "LossBackward0")
    if cls.__name__ == "Index" and node.basic:
        return _basic_index_name(node.index, node.shape)
    return _NAMES.get(cls.__name__)


def _basic_index_name(index, shape) -> str:
    """PyTorch applies a basic index one dimension at a time and names the node after the last view
    that did something: an integer selects, ``None`` unsqueezes, a slice that is not the whole
    dimension slices (``x[:]`` alone slices too); when nothing did, the node is an alias."""
    parts = index if isinstance(index, tuple) else (index,)
    consuming = sum(1 for p in parts if p is not None and p is not Ellipsis)
    dim, last = 0, None
    for p in parts:
        if p is Ellipsis:
            dim += len(shape) - consuming
        elif p is None:
            last = "UnsqueezeBackward0"
        elif isinstance(p, slice):
            if p.indices(shape[dim]) != (0, shape[dim], 1):
                last = "SliceBackward0"
            dim += 1
        else:
            last = "SelectBackward0"
            dim += 1
    if last is None:
        return "SliceBackward0" if len(parts) == 1 and isinstance(parts[0], slice) else "AliasBackward0"
    return last


class AccumulateGrad:
    """The node at a leaf of the graph that accumulates into the leaf's ``.grad``; ``variable`` is
    the leaf (one node per leaf, as in PyTorch)."""

    __slots__ = ("_variable", "__weakref__")
    _of: dict = {}  # id(leaf) -> node, dropped when the leaf dies (tensors compare elementwise,
    #                 so they cannot key a WeakKeyDictionary)

    def __init__(self, variable):
        key = id(variable)
        self._variable = weakref.ref(variable, lambda _: AccumulateGrad._of.pop(key, None))

    @classmethod
    def of(cls, leaf) -> AccumulateGrad:
        node = cls._of.get(id(leaf))
        if node is None or node.variable is not leaf:
            node = cls._of[id(leaf)] = cls(leaf)
        return node

    @property
    def variable(self):
        return self._variable()

    def name(self) -> str:
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"
