"""The networks of the tutorials and of ``gradstep train --model``, as ``nn.Sequential`` builders.

``mlp(784, [200], 10)`` is seed 002's ``Sequential(Linear(784, 200), ReLU(), Linear(200, 10))``
with the same ``state_dict`` keys, so its weights move to and from PyTorch unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn


def mlp(in_features: int, hidden: Sequence[int], out_features: int, batchnorm: bool = False,
        dropout: float = 0.0) -> nn.Sequential:
    """{Linear - [BatchNorm1d] - ReLU - [Dropout]} per hidden size, then a last Linear."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"hidden sizes must be positive, got {list(hidden)}")
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers.append(nn.Linear(width, int(h)))
        if batchnorm:
            layers.append(nn.BatchNorm1d(int(h)))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = int(h)
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def linear(in_features: int, out_features: int) -> nn.Sequential:
    """One affine layer: softmax regression with a cross-entropy loss (seed 000), linear regression
    with a squared loss (seed 004)."""
    return nn.Sequential(nn.Linear(in_features, out_features))


def cnn(in_channels: int, num_classes: int, image_size: int = 28, channels: Sequence[int] = (16, 32),
        hidden: int = 128, batchnorm: bool = True, dropout: float = 0.0) -> nn.Sequential:
    """A small convolutional net: {Conv 3x3 - [BatchNorm2d] - ReLU - MaxPool 2} per entry of
    ``channels``, then Flatten - Linear(hidden) - ReLU - [Dropout] - Linear(num_classes)."""
    layers: list[nn.Module] = []
    c, size = in_channels, image_size
    for out in channels:
        layers.append(nn.Conv2d(c, int(out), 3, padding=1))
        if batchnorm:
            layers.append(nn.BatchNorm2d(int(out)))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        c, size = int(out), size // 2
    layers += [nn.Flatten(), nn.Linear(c * size * size, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, num_classes))
    return nn.Sequential(*layers)


MODELS = {"mlp": mlp, "linear": linear, "cnn": cnn}
