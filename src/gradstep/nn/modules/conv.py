"""``Conv2d``: a 2-D convolution layer over ``functional.conv2d``."""

from __future__ import annotations

import math

from ... import _creation
from ...autograd.tensor import Tensor
from .. import init
from ..functional._args import pair
from ..functional.conv import _single, conv1d, conv2d, conv_transpose2d
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Conv2d: {name} must be a positive int, got {value!r}")
    return value


class Conv2d(Module):
    """2-D convolution with ``torch.nn.Conv2d``'s arguments, attributes and state_dict.

    ``weight`` has shape (out_channels, in_channels / groups, kH, kW) and ``bias`` (out_channels,).
    Default initialisation is PyTorch's: ``kaiming_uniform_(weight, a=sqrt(5))`` (that is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with
    fan_in = in_channels / groups * kH * kW. ``padding`` may be an int, a pair, ``'valid'`` or
    ``'same'`` (stride 1 only). Only ``padding_mode='zeros'`` is implemented.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__()
        _positive_int("in_channels", in_channels)
        _positive_int("out_channels", out_channels)
        _positive_int("groups", groups)
        if in_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"Conv2d: out_channels ({out_channels}) must be divisible by groups ({groups})")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2d: invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = pair(padding, "padding", minimum=0)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r} is not implemented; "
                                      f"gradstep supports padding_mode='zeros'")
        self.padding_mode = padding_mode
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        _add_parameters(self, (out_channels, in_channels // groups) + self.kernel_size, bias, dtype, device)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = init.default_bias_bound(self.weight)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self)


class ConvTranspose2d(Module):
    """The transposed ("fractionally strided") 2-D convolution, with ``torch.nn.ConvTranspose2d``'s
    arguments, attributes, state_dict and initialisation. ``weight`` has shape
    (in_channels, out_channels / groups, kH, kW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        _check_channels("ConvTranspose2d", in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for ConvTranspose2d, got '
                             f'{padding_mode!r}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride, self.dilation = pair(stride, "stride"), pair(dilation, "dilation")
        self.padding = pair(padding, "padding", minimum=0)
        self.output_padding = pair(output_padding, "output_padding", minimum=0)
        self.padding_mode = padding_mode
        _add_parameters(self, (in_channels, out_channels // groups) + self.kernel_size, bias, dtype, device)

    reset_parameters = Conv2d.reset_parameters

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        out_pad = self.output_padding
        if output_size is not None:
            base = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in
                    zip(input.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size)]
            out_pad = tuple(int(o) - b for o, b in zip(tuple(output_size)[-2:], base))
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, out_pad,
                                self.groups, self.dilation)

    def extra_repr(self) -> str:
        return _conv_repr(self)


class Conv1d(Module):
    """1-D convolution with ``torch.nn.Conv1d``'s arguments, state_dict and initialisation;
    ``weight`` has shape (out_channels, in_channels / groups, kW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__()
        _check_channels("Conv1d", in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv1d: padding_mode={padding_mode!r} is not implemented; "
                                      f"gradstep supports padding_mode='zeros'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (_single(kernel_size, "kernel_size"),)
        self.stride, self.dilation = (_single(stride, "stride"),), (_single(dilation, "dilation"),)
        self.padding = padding if isinstance(padding, str) else (_single(padding, "padding"),)
        self.padding_mode = padding_mode
        _add_parameters(self, (out_channels, in_channels // groups) + self.kernel_size, bias, dtype, device)

    reset_parameters = Conv2d.reset_parameters

    def forward(self, input: Tensor) -> Tensor:
        pad = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d(input, self.weight, self.bias, self.stride[0], pad, self.dilation[0], self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self)


def _check_channels(name: str, in_channels: int, out_channels: int, groups: int) -> None:
    for what, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        _positive_int(what, v)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                         f"divisible by groups ({groups})")


def _add_parameters(m: Module, shape: tuple, bias: bool, dtype, device) -> None:
    """A convolution's ``weight`` of ``shape`` and ``bias`` (out_channels,), initialised as PyTorch's."""
    m.weight = Parameter(_creation.empty(*shape, dtype=dtype, device=device))
    if bias:
        m.bias = Parameter(_creation.empty(m.out_channels, dtype=dtype, device=device))
    else:
        m.register_parameter("bias", None)
    m.reset_parameters()


def _conv_repr(m) -> str:
    """PyTorch's repr of a convolution: the settings that differ from the defaults."""
    zeros, ones = (0,) * len(m.kernel_size), (1,) * len(m.kernel_size)
    s = f"{m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size}, stride={m.stride}"
    if m.padding != zeros:
        s += f", padding={m.padding}"
    if m.dilation != ones:
        s += f", dilation={m.dilation}"
    if getattr(m, "output_padding", zeros) != zeros:
        s += f", output_padding={m.output_padding}"
    if m.groups != 1:
        s += f", groups={m.groups}"
    if m.bias is None:
        s += ", bias=False"
    return s
