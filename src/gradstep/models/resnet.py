"""ResNet (He et al., `Deep Residual Learning for Image Recognition <https://arxiv.org/abs/1512.03385>`_),
as ``torchvision.models.resnet``: the same module names, so ``state_dict`` keys and shapes are
torchvision's and weights move between the two unchanged. ``weights=None`` only (see ``weights``).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import nn
from .weights import refuse_weights, weights_enum

__all__ = ["ResNet", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2", "wide_resnet101_2",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
           "ResNet152_Weights", "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights",
           "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=dilation, groups=groups, bias=False,
                     dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and the identity (or ``downsample``) added: ResNet-18 and -34."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided, grouped for ResNeXt), 1x1 expand by 4: ResNet-50 and deeper."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A 7x7 stem, four stages of residual blocks (``layers`` blocks each), global average pooling
    and a linear classifier."""

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation: list[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes, self.dilation = 64, 1
        replace = replace_stride_with_dilation or [False, False, False]
        if len(replace) != 3:
            raise ValueError(f"replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace}")
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:  # each block starts as the identity (Goyal et al., 2017)
            for m in self.modules():
                last = getattr(m, "bn3", None) if isinstance(m, Bottleneck) else getattr(m, "bn2", None)
                if isinstance(m, (BasicBlock, Bottleneck)) and last is not None and last.weight is not None:
                    nn.init.constant_(last.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1, dilate: bool = False):
        norm_layer, downsample, previous_dilation = self._norm_layer, None, self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


ResNet18_Weights = weights_enum("ResNet18_Weights", "IMAGENET1K_V1")
ResNet34_Weights = weights_enum("ResNet34_Weights", "IMAGENET1K_V1")
ResNet50_Weights = weights_enum("ResNet50_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
ResNet101_Weights = weights_enum("ResNet101_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
ResNet152_Weights = weights_enum("ResNet152_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
ResNeXt50_32X4D_Weights = weights_enum("ResNeXt50_32X4D_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
ResNeXt101_32X8D_Weights = weights_enum("ResNeXt101_32X8D_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
Wide_ResNet50_2_Weights = weights_enum("Wide_ResNet50_2_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
Wide_ResNet101_2_Weights = weights_enum("Wide_ResNet101_2_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")


def _builder(name: str, block, layers: list[int], doc: str, **defaults):
    """torchvision's builder ``name``: ``weights=None`` only, keyword arguments to ``ResNet``."""
    def build(*, weights=None, progress: bool = True, pretrained=None, **kwargs) -> ResNet:
        refuse_weights(weights, name, pretrained)
        return ResNet(block, layers, **{**defaults, **kwargs})
    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    return build


resnet18 = _builder("resnet18", BasicBlock, [2, 2, 2, 2], "ResNet-18: BasicBlocks [2, 2, 2, 2].")
resnet34 = _builder("resnet34", BasicBlock, [3, 4, 6, 3], "ResNet-34: BasicBlocks [3, 4, 6, 3].")
resnet50 = _builder("resnet50", Bottleneck, [3, 4, 6, 3], "ResNet-50: Bottlenecks [3, 4, 6, 3].")
resnet101 = _builder("resnet101", Bottleneck, [3, 4, 23, 3], "ResNet-101: Bottlenecks [3, 4, 23, 3].")
resnet152 = _builder("resnet152", Bottleneck, [3, 8, 36, 3], "ResNet-152: Bottlenecks [3, 8, 36, 3].")
resnext50_32x4d = _builder("resnext50_32x4d", Bottleneck, [3, 4, 6, 3],
                           "ResNeXt-50 32x4d: ResNet-50 with 32 groups of width 4 in each 3x3.",
                           groups=32, width_per_group=4)
resnext101_32x8d = _builder("resnext101_32x8d", Bottleneck, [3, 4, 23, 3], "ResNeXt-101 32x8d.",
                            groups=32, width_per_group=8)
wide_resnet50_2 = _builder("wide_resnet50_2", Bottleneck, [3, 4, 6, 3],
                           "Wide ResNet-50-2: ResNet-50 with twice the bottleneck width.",
                           width_per_group=128)
wide_resnet101_2 = _builder("wide_resnet101_2", Bottleneck, [3, 4, 23, 3], "Wide ResNet-101-2.",
                            width_per_group=128)
