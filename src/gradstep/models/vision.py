"""The architectures of ``torchvision.models`` that tutorials build from scratch, under torchvision's
names: ``import torchvision.models`` through the ``gradstep.torch`` doorway gives this module.

Each builder takes ``weights=None`` (the default) and builds the network with torchvision's module
names and initialisation, so a ``state_dict`` has torchvision's keys and shapes; pretrained
``weights=`` are refused in one line (``weights``).
"""

from __future__ import annotations

from . import mobilenet, resnet, vgg
from .mobilenet import (  # noqa: F401 - torchvision.models' namespace
    MobileNet_V2_Weights,
    MobileNetV2,
    mobilenet_v2,
)
from .resnet import (  # noqa: F401 - torchvision.models' namespace
    ResNet,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    ResNeXt50_32X4D_Weights,
    ResNeXt101_32X8D_Weights,
    Wide_ResNet50_2_Weights,
    Wide_ResNet101_2_Weights,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from .vgg import (  # noqa: F401 - torchvision.models' namespace
    VGG,
    AlexNet,
    AlexNet_Weights,
    VGG11_BN_Weights,
    VGG11_Weights,
    VGG13_BN_Weights,
    VGG13_Weights,
    VGG16_BN_Weights,
    VGG16_Weights,
    VGG19_BN_Weights,
    VGG19_Weights,
    alexnet,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)
from .weights import WeightsEnum

BUILDERS = {f.__name__: f for f in (
    alexnet, mobilenet_v2, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d,
    resnext101_32x8d, wide_resnet50_2, wide_resnet101_2, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn,
    vgg19, vgg19_bn)}


def list_models() -> list[str]:
    """The architectures this module builds, sorted (torchvision's ``list_models`` lists its own)."""
    return sorted(BUILDERS)


def get_model(name: str, **config):
    """The network ``name`` built with ``config`` (``weights=None`` only), as torchvision's."""
    if name.lower() not in BUILDERS:
        raise ValueError(f"Unknown model {name!r}: gradstep builds {', '.join(list_models())}")
    return BUILDERS[name.lower()](**config)


__all__ = ["WeightsEnum", "list_models", "get_model", *resnet.__all__, *vgg.__all__, *mobilenet.__all__]
