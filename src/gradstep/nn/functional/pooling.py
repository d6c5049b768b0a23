"""``max_pool2d``, ``avg_pool2d`` and ``adaptive_avg_pool2d`` as autograd operations over the
kernels in ``gradstep.kernels.pool``; inputs are (N, C, H, W) or (C, H, W)."""

from __future__ import annotations

import numpy as np

from ..._errors import ShapeError
from ...autograd import Function, Tensor
from ...autograd.function import call
from ...autograd.tensor_math import stack
from ...kernels import pool as kpool
from ._args import check_input, pair


class MaxPool2dFunction(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, out_hw):
        out, arg = kpool.max_pool2d_forward(x, kernel, stride, pads, dilation, out_hw)
        ctx.save_for_backward(arg)
        ctx.geometry = (x.shape, kernel, stride, pads, dilation)
        return out

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return call(MaxPool2dRoute, grad, arg, ctx.geometry)


class MaxPool2dRoute(Function):
    """Max pooling's backward as an op: each window's gradient to the input that won it. Linear in
    the gradient; its adjoint is the selection ``MaxPool2dSelect``."""

    @staticmethod
    def forward(ctx, grad, arg, geometry):
        ctx.save_for_backward(arg)
        ctx.geometry = geometry
        return kpool.max_pool2d_backward(grad, arg, *geometry)

    @staticmethod
    def backward(ctx, v):
        (arg,) = ctx.saved_tensors
        return call(MaxPool2dSelect, v, arg, ctx.geometry), None, None


class MaxPool2dSelect(Function):
    """The value at each window's winner, of an array shaped like max pooling's input."""

    @staticmethod
    def forward(ctx, v, arg, geometry):
        ctx.save_for_backward(arg)
        ctx.geometry = geometry
        return kpool.max_pool2d_gather(v, arg, *geometry[1:])

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return call(MaxPool2dRoute, grad, arg, ctx.geometry), None, None


class AvgPool2dFunction(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, pads, out_hw, divisor):
        ctx.geometry = (x.shape, kernel, stride, pads, divisor)
        ctx.out_hw = out_hw
        return kpool.avg_pool2d_forward(x, kernel, stride, pads, out_hw, divisor)

    @staticmethod
    def backward(ctx, grad):
        return call(AvgPool2dSpread, grad, ctx.geometry, ctx.out_hw)


class AvgPool2dSpread(Function):
    """Average pooling's backward as an op (each window's gradient spread over its taps); linear,
    its adjoint is average pooling itself."""

    @staticmethod
    def forward(ctx, grad, geometry, out_hw):
        ctx.geometry, ctx.out_hw = geometry, out_hw
        return kpool.avg_pool2d_backward(grad, *geometry)

    @staticmethod
    def backward(ctx, v):
        _, kernel, stride, pads, divisor = ctx.geometry
        return call(AvgPool2dFunction, v, kernel=kernel, stride=stride, pads=pads, out_hw=ctx.out_hw,
                    divisor=divisor), None, None


class AdaptiveAvgPool2dFunction(Function):
    @staticmethod
    def forward(ctx, x, out_hw):
        ctx.in_hw = x.shape[-2:]
        return kpool.adaptive_avg_pool2d_forward(x, out_hw)

    @staticmethod
    def backward(ctx, grad):  # two products with constant matrices: runs on tensors as it is
        return kpool.adaptive_avg_pool2d_backward(grad, ctx.in_hw)


def _geometry(fn: str, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """Validate pooling arguments as PyTorch does; return kernel, stride, padding, dilation,
    the output size and the padding to apply."""
    check_input(fn, input, (3, 4))
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else pair(stride, "stride")
    padding = pair(padding, "padding", minimum=0)
    dilation = pair(dilation, "dilation")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{fn}: padding should be at most half of kernel_size, got padding={padding} "
                         f"for kernel_size={kernel}")
    in_hw = tuple(input.shape[-2:])
    out_hw = tuple(kpool.pool_out_size(*a, ceil_mode) for a in zip(in_hw, kernel, stride, padding, dilation))
    if min(out_hw) < 1:
        raise ShapeError(f"{fn}: input of shape {tuple(input.shape)} is too small: the output size "
                         f"would be {out_hw} (kernel_size={kernel}, stride={stride}, padding={padding}, "
                         f"dilation={dilation})")
    pads = kpool.pool_pads(in_hw, kernel, stride, padding, dilation, out_hw)
    return kernel, stride, padding, dilation, out_hw, pads


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over each window, as ``torch.nn.functional.max_pool2d``; with ``return_indices``
    also each maximum's flat position ``h * W + w`` in its input plane."""
    kernel, stride, _, dilation, out_hw, pads = _geometry("max_pool2d", input, kernel_size, stride,
                                                          padding, dilation, ceil_mode)
    out = MaxPool2dFunction.apply(input, kernel=kernel, stride=stride, pads=pads, dilation=dilation,
                                  out_hw=out_hw)
    if not return_indices:
        return out
    # rare: run the window search again rather than thread the winners out of the autograd op
    _, arg = kpool.max_pool2d_forward(input._data, kernel, stride, pads, dilation, out_hw)
    idx = kpool.max_pool2d_indices(arg, tuple(input.shape[-2:]), kernel, stride, pads, dilation)
    return out, Tensor._make(idx)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each window, as ``torch.nn.functional.avg_pool2d``."""
    kernel, stride, padding, _, out_hw, pads = _geometry("avg_pool2d", input, kernel_size, stride,
                                                         padding, 1, ceil_mode)
    if divisor_override is not None:
        if (isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
                or divisor_override < 1):
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
        divisor = np.full(out_hw, divisor_override, dtype=input.dtype)
    else:
        divisor = kpool.avg_pool2d_divisor(tuple(input.shape[-2:]), kernel, stride, padding, out_hw,
                                           count_include_pad, input.dtype)
    return AvgPool2dFunction.apply(input, kernel=kernel, stride=stride, pads=pads, out_hw=out_hw,
                                   divisor=divisor)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``output_size`` (an int, or a pair whose None entries keep the
    input's size), with PyTorch's bins, as ``torch.nn.functional.adaptive_avg_pool2d``."""
    check_input("adaptive_avg_pool2d", input, (3, 4))
    in_hw = tuple(input.shape[-2:])
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(s if v is None else v for s, v in zip(in_hw, output_size))
    out_hw = pair(output_size, "output_size")
    return AdaptiveAvgPool2dFunction.apply(input, out_hw=out_hw)


# 1-D pooling: the 2-D operations on a unit height, as PyTorch's results for (N, C, L) inputs.

def _one(v):
    return v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    check_input("max_pool1d", input, (2, 3))
    stride = None if stride is None else (1, _one(stride))
    out = max_pool2d(input.unsqueeze(-2), (1, _one(kernel_size)), stride, (0, _one(padding)),
                     (1, _one(dilation)), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    check_input("avg_pool1d", input, (2, 3))
    stride = None if stride is None else (1, _one(stride))
    return avg_pool2d(input.unsqueeze(-2), (1, _one(kernel_size)), stride, (0, _one(padding)), ceil_mode,
                      count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    check_input("adaptive_avg_pool1d", input, (2, 3))
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _one(output_size))).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum of each of PyTorch's adaptive bins (rows floor(i * H / oh) to ceil((i + 1) * H / oh))."""
    if return_indices:
        raise ValueError("adaptive_max_pool2d: return_indices=True is not supported")
    check_input("adaptive_max_pool2d", input, (3, 4))
    h, w = input.shape[-2:]
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(s if v is None else v for s, v in zip((h, w), output_size))
    oh, ow = pair(output_size, "output_size")
    rows = [(i * h // oh, -(-(i + 1) * h // oh)) for i in range(oh)]
    cols = [(j * w // ow, -(-(j + 1) * w // ow)) for j in range(ow)]
    cells = [input[..., r0:r1, c0:c1].flatten(-2).max(-1).values for r0, r1 in rows for c0, c1 in cols]
    return stack(cells, -1).reshape(*input.shape[:-2], oh, ow)
