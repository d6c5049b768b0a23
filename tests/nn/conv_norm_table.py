"""The table of convolution, pooling, normalisation, dropout and embedding layers: one row per
configuration and input shape (``layer_table.py`` holds the linear layers and activations).

``build(nn)`` is written once and runs on both libraries (``gradstep.nn`` or ``torch.nn``), so
the gradcheck test and the PyTorch comparison test in ``test_conv_norm_table.py`` both run over
``LAYERS``; adding a layer configuration means adding a row. These rows need more than the
linear table's harness: several training steps with the running statistics compared after them,
integer inputs, random training outputs (dropout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layer:
    name: str
    build: object                  # build(nn) -> module
    shape: tuple                   # input shape
    indices: int | None = None     # integer inputs in [0, indices) (Embedding) instead of floats
    random: bool = False           # training output is random (Dropout): compare with torch in eval only
    true_gradient: bool = True     # False where the layer's gradient is not d(output) by design

    @property
    def id(self) -> str:
        return f"{self.name}[{'x'.join(map(str, self.shape))}]"

    def make_input(self, rng: np.random.Generator, dtype) -> np.ndarray:
        if self.indices is not None:
            # repeated indices on purpose: their gradients must accumulate
            return rng.integers(0, self.indices, self.shape)
        return rng.uniform(-2.0, 2.0, self.shape).astype(dtype)


def conv(in_c, out_c, k, shape, **kw) -> Layer:
    args = ",".join(f"{a}={v}" for a, v in kw.items())
    return Layer(f"Conv2d({in_c},{out_c},{k},{args})", lambda nn: nn.Conv2d(in_c, out_c, k, **kw), shape)


CONV = [
    conv(3, 4, 3, (2, 3, 7, 7)),
    conv(3, 4, (3, 2), (2, 3, 8, 7), stride=(2, 1), padding=(1, 0)),
    conv(4, 6, 3, (2, 4, 9, 9), stride=2, padding=1, dilation=2, groups=2, bias=False),
    conv(3, 5, (2, 3), (1, 3, 6, 7), padding="same", dilation=(2, 1)),
    conv(2, 4, 4, (2, 2, 5, 6), padding="same", groups=2),
    conv(4, 4, 3, (2, 4, 5, 6), padding="valid", groups=4),
    conv(2, 3, 1, (2, 2, 7, 5), stride=3),
    conv(3, 6, 5, (1, 3, 11, 9), stride=(2, 3), padding=2, groups=3),
    conv(2, 3, 3, (2, 6, 5), padding=1),                      # unbatched (C, H, W)
]

POOL = [
    Layer("MaxPool2d(2)", lambda nn: nn.MaxPool2d(2), (2, 3, 6, 6)),
    Layer("MaxPool2d(3,2,1)", lambda nn: nn.MaxPool2d(3, 2, 1), (2, 2, 7, 9)),
    Layer("MaxPool2d((3,2),(2,1),1,dil(1,2))", lambda nn: nn.MaxPool2d((3, 2), (2, 1), 1, (1, 2)),
          (1, 2, 8, 9)),
    Layer("MaxPool2d(3,2,ceil)", lambda nn: nn.MaxPool2d(3, 2, ceil_mode=True), (2, 2, 8, 7)),
    Layer("MaxPool2d(2,unbatched)", lambda nn: nn.MaxPool2d(2), (3, 5, 5)),
    Layer("AvgPool2d(2)", lambda nn: nn.AvgPool2d(2), (2, 3, 6, 6)),
    Layer("AvgPool2d(3,2,1)", lambda nn: nn.AvgPool2d(3, 2, 1), (2, 2, 7, 9)),
    Layer("AvgPool2d(3,2,1,no_pad_count)", lambda nn: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
          (2, 2, 7, 8)),
    Layer("AvgPool2d(3,2,1,ceil)", lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True), (1, 2, 8, 8)),
    Layer("AvgPool2d((2,3),divisor3)", lambda nn: nn.AvgPool2d((2, 3), divisor_override=3), (2, 2, 6, 7)),
    Layer("AdaptiveAvgPool2d(1)", lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 6)),
    Layer("AdaptiveAvgPool2d((2,3))", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 6, 9)),
    Layer("AdaptiveAvgPool2d((3,4))", lambda nn: nn.AdaptiveAvgPool2d((3, 4)), (2, 2, 7, 9)),
    Layer("AdaptiveAvgPool2d((None,2))", lambda nn: nn.AdaptiveAvgPool2d((None, 2)), (1, 2, 5, 5)),
]

NORM = [
    Layer("BatchNorm1d(5)", lambda nn: nn.BatchNorm1d(5), (6, 5)),
    Layer("BatchNorm1d(3)", lambda nn: nn.BatchNorm1d(3), (4, 3, 5)),
    Layer("BatchNorm1d(4,momentum=None)", lambda nn: nn.BatchNorm1d(4, momentum=None), (5, 4)),
    Layer("BatchNorm1d(4,affine=False)", lambda nn: nn.BatchNorm1d(4, affine=False), (5, 4, 2)),
    Layer("BatchNorm1d(4,bias=False)", lambda nn: nn.BatchNorm1d(4, bias=False), (3, 4)),
    Layer("BatchNorm2d(3)", lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    Layer("BatchNorm2d(3,momentum=0.5,eps=1e-3)", lambda nn: nn.BatchNorm2d(3, eps=1e-3, momentum=0.5),
          (2, 3, 4, 3)),
    Layer("BatchNorm2d(2,no_running_stats)", lambda nn: nn.BatchNorm2d(2, track_running_stats=False),
          (3, 2, 4, 4)),
    Layer("LayerNorm(5)", lambda nn: nn.LayerNorm(5), (3, 5)),
    Layer("LayerNorm((4,5))", lambda nn: nn.LayerNorm((4, 5)), (2, 3, 4, 5)),
    Layer("LayerNorm(6,no_affine)", lambda nn: nn.LayerNorm(6, elementwise_affine=False), (2, 3, 6)),
    Layer("LayerNorm(6,no_bias)", lambda nn: nn.LayerNorm(6, bias=False), (4, 6)),
]

OTHER = [
    Layer("Dropout(0.3)", lambda nn: nn.Dropout(0.3), (4, 6), random=True),
    Layer("Dropout(0.5)", lambda nn: nn.Dropout(), (2, 3, 4, 4), random=True),
    Layer("Embedding(10,4)", lambda nn: nn.Embedding(10, 4), (3, 5), indices=10),
    Layer("Embedding(6,3,padding_idx=1)", lambda nn: nn.Embedding(6, 3, padding_idx=1), (4, 4), indices=6),
    # scale_grad_by_freq divides the gradient on purpose; max_norm rescales the weight in forward
    Layer("Embedding(7,3,scale_grad_by_freq)", lambda nn: nn.Embedding(7, 3, scale_grad_by_freq=True),
          (2, 6), indices=7, true_gradient=False),
    Layer("Embedding(8,5,max_norm=1)", lambda nn: nn.Embedding(8, 5, max_norm=1.0), (2, 3), indices=8,
          true_gradient=False),
]

LAYERS = CONV + POOL + NORM + OTHER


def assert_raises_naming(call, error, words) -> None:
    """``call()`` raises ``error`` whose message contains every one of ``words``."""
    try:
        call()
    except error as e:
        for w in words:
            assert w in str(e), (w, str(e))
    else:
        raise AssertionError(f"expected {error.__name__}")
