"""VGG (Simonyan and Zisserman, `Very Deep Convolutional Networks <https://arxiv.org/abs/1409.1556>`_)
and AlexNet (Krizhevsky, `One weird trick <https://arxiv.org/abs/1404.5997>`_), as
``torchvision.models.vgg`` / ``alexnet``: the same module names, so ``state_dict`` keys and shapes
are torchvision's. ``weights=None`` only (see ``weights``).
"""

from __future__ import annotations

from .. import nn
from .weights import refuse_weights, weights_enum

__all__ = ["VGG", "AlexNet", "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn", "AlexNet_Weights", "VGG11_Weights", "VGG11_BN_Weights",
           "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights",
           "VGG19_BN_Weights"]

# the paper's configurations A, B, D, E: output channels of each 3x3 convolution, "M" a 2x2 max-pool
CFGS: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512,
          "M"],
}


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """The convolutional part of a VGG: {Conv 3x3 - [BatchNorm2d] - ReLU} per number, MaxPool per "M"."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(int(v)))
        layers.append(nn.ReLU(inplace=True))
        in_channels = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features``, a 7x7 adaptive average pool, and three linear layers with dropout."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


class AlexNet(nn.Module):
    """Five convolutions with max-pools, a 6x6 adaptive average pool, three linear layers."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


AlexNet_Weights = weights_enum("AlexNet_Weights", "IMAGENET1K_V1")
VGG11_Weights = weights_enum("VGG11_Weights", "IMAGENET1K_V1")
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", "IMAGENET1K_V1")
VGG13_Weights = weights_enum("VGG13_Weights", "IMAGENET1K_V1")
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", "IMAGENET1K_V1")
VGG16_Weights = weights_enum("VGG16_Weights", "IMAGENET1K_V1", "IMAGENET1K_FEATURES")
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", "IMAGENET1K_V1")
VGG19_Weights = weights_enum("VGG19_Weights", "IMAGENET1K_V1")
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", "IMAGENET1K_V1")


def alexnet(*, weights=None, progress: bool = True, pretrained=None, **kwargs) -> AlexNet:
    """AlexNet, in the one-GPU form torchvision builds."""
    refuse_weights(weights, "alexnet", pretrained)
    return AlexNet(**kwargs)


def _builder(name: str, cfg: str, batch_norm: bool):
    """torchvision's builder ``name``: ``weights=None`` only, keyword arguments to ``VGG``."""
    def build(*, weights=None, progress: bool = True, pretrained=None, **kwargs) -> VGG:
        refuse_weights(weights, name, pretrained)
        return VGG(make_layers(CFGS[cfg], batch_norm=batch_norm), **kwargs)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"VGG configuration {cfg}{' with batch normalization' if batch_norm else ''}."
    return build


vgg11, vgg11_bn = _builder("vgg11", "A", False), _builder("vgg11_bn", "A", True)
vgg13, vgg13_bn = _builder("vgg13", "B", False), _builder("vgg13_bn", "B", True)
vgg16, vgg16_bn = _builder("vgg16", "D", False), _builder("vgg16_bn", "D", True)
vgg19, vgg19_bn = _builder("vgg19", "E", False), _builder("vgg19_bn", "E", True)
