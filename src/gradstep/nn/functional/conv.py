"""``conv2d``: the autograd operation over the im2col kernel in ``gradstep.kernels.conv``."""

from __future__ import annotations

import numpy as np

from ..._errors import ShapeError
from ...autograd import Function, Tensor
from ...autograd.function import call
from ...kernels import conv as kconv
from ...kernels.im2col import out_size
from ._args import check_input, check_same_dtype, pair


class Conv2dFunction(Function):
    """y = conv2d(x, w) + b; saves the im2col matrix and the weight for the backward pass."""

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        out, cols = kconv.conv2d_forward(x, w, b, stride, pads, dilation, groups)
        ctx.save_for_backward(cols, w, x)
        ctx.geometry = (x.shape, stride, pads, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, grad):
        cols, w, x = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if not isinstance(grad, Tensor):  # one kernel call on the saved im2col matrix
            return kconv.conv2d_backward(grad, cols, w, *ctx.geometry, need_x=need_x, need_w=need_w,
                                         need_b=need_b, dw_out=ctx.grad_buffer(1) if need_w else None,
                                         db_out=ctx.grad_buffer(2) if need_b else None)
        # building the gradient's graph: the same kernel, as two ops that are each other's adjoint
        geometry = ctx.geometry
        return (Conv2dInputGrad.apply(grad, w, geometry) if need_x else None,
                Conv2dWeightGrad.apply(grad, x, tuple(w.shape), geometry) if need_w else None,
                grad.sum((0, 2, 3)) if need_b else None)


def _conv(x, w, geometry):
    """conv2d(x, w) without bias (an op on tensors, the kernel alone on arrays)."""
    return call(Conv2dFunction, x, w, None, *geometry[1:])


class Conv2dInputGrad(Function):
    """dx = conv2d's input gradient for output gradient g and weight w; linear in each, so its own
    backward is conv2d (for g) and the weight gradient (for w)."""

    @staticmethod
    def forward(ctx, g, w, geometry):
        ctx.save_for_backward(g, w)
        ctx.geometry = geometry
        return kconv.conv2d_backward(g, None, w, *geometry, need_x=True, need_w=False, need_b=False)[0]

    @staticmethod
    def backward(ctx, v):
        g, w = ctx.saved_tensors
        need_g, need_w, _ = ctx.needs_input_grad
        return (_conv(v, w, ctx.geometry) if need_g else None,
                call(Conv2dWeightGrad, g, v, tuple(w.shape), ctx.geometry) if need_w else None, None)


class Conv2dWeightGrad(Function):
    """dw = conv2d's weight gradient for output gradient g and input x; its backward is conv2d
    (for g) and the input gradient (for x)."""

    @staticmethod
    def forward(ctx, g, x, w_shape, geometry):
        ctx.save_for_backward(g, x)
        ctx.geometry = geometry
        cols = kconv.conv2d_cols(x, w_shape, *geometry[1:])
        w = np.broadcast_to(np.zeros((), g.dtype), w_shape)  # the kernel reads only its shape
        return kconv.conv2d_backward(g, cols, w, *geometry, need_x=False, need_w=True, need_b=False)[1]

    @staticmethod
    def backward(ctx, u):
        g, x = ctx.saved_tensors
        need_g, need_x, _, _ = ctx.needs_input_grad
        return (_conv(x, u, ctx.geometry) if need_g else None,
                call(Conv2dInputGrad, g, u, ctx.geometry) if need_x else None, None, None)


def conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """PyTorch's ``padding`` (int, pair, ``'valid'`` or ``'same'``) as ``((top, bottom), (left, right))``.

    ``'same'`` pads ``dilation * (kernel - 1)`` in total per axis, the odd one extra at the end,
    as PyTorch does; it needs stride 1.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"padding must be an int, a pair of ints, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"padding='same' is not supported for strided convolutions (stride={stride})")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    ph, pw = pair(padding, "padding", minimum=0)
    return ((ph, ph), (pw, pw))


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution of an (N, C, H, W) or (C, H, W) input with a (O, C/groups, KH, KW) weight,
    as ``torch.nn.functional.conv2d``."""
    check_input("conv2d", input, (3, 4))
    check_same_dtype("conv2d", input, weight=weight, bias=bias)
    if weight.ndim != 4:
        raise ShapeError(f"conv2d: weight must be 4-D (out_channels, in_channels/groups, kH, kW), "
                         f"got shape {tuple(weight.shape)}")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    o, cg, kh, kw = weight.shape
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    if cg * groups != c:
        raise ShapeError(f"conv2d: given groups={groups}, weight of shape {tuple(weight.shape)} expects "
                         f"input with {cg * groups} channels, but the input of shape "
                         f"{tuple(input.shape)} has {c}")
    if o % groups:
        raise ValueError(f"conv2d: out_channels ({o}) must be divisible by groups ({groups})")
    if bias is not None and tuple(bias.shape) != (o,):
        raise ShapeError(f"conv2d: bias must have shape ({o},), got {tuple(bias.shape)}")
    pads = conv_padding(padding, (kh, kw), stride, dilation)
    oh = out_size(h, kh, stride[0], *pads[0], dilation[0])
    ow = out_size(w, kw, stride[1], *pads[1], dilation[1])
    if oh < 1 or ow < 1:
        raise ShapeError(f"conv2d: input of spatial size ({h}, {w}) with padding {pads} is smaller than "
                         f"the kernel's extent ({dilation[0] * (kh - 1) + 1}, {dilation[1] * (kw - 1) + 1})")
    out = Conv2dFunction.apply(x, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transpose (gradient) of ``conv2d``: an (N, C_in, H, W) input and a
    (C_in, C_out/groups, kH, kW) weight give (N, C_out, H_out, W_out) with
    H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1, as
    ``torch.nn.functional.conv_transpose2d``. Computed as a stride-1 ``conv2d`` of the input spread
    ``stride`` apart and padded, with the weight flipped and its channel axes swapped."""
    check_input("conv_transpose2d", input, (3, 4))
    check_same_dtype("conv_transpose2d", input, weight=weight, bias=bias)
    if weight.ndim != 4:
        raise ShapeError(f"conv_transpose2d: weight must be 4-D (in_channels, out_channels/groups, kH, kW), "
                         f"got shape {tuple(weight.shape)}")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    pad, out_pad = pair(padding, "padding", minimum=0), pair(output_padding, "output_padding", minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(out_pad, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {out_pad} must be smaller than either stride "
                         f"{stride} or dilation {dilation}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    cin, cog, kh, kw = weight.shape
    if cin != c or c % groups:
        raise ShapeError(f"conv_transpose2d: weight of shape {tuple(weight.shape)} expects {cin} input "
                         f"channels (divisible by groups={groups}), but the input of shape "
                         f"{tuple(input.shape)} has {c}")
    # the input spread `stride` apart inside a frame of d * (k - 1) - padding zeros (+ output_padding)
    edge = [d * (k - 1) - p for d, k, p in zip(dilation, (kh, kw), pad)]
    lo = [max(e, 0) for e in edge]
    size = [(n_ - 1) * s + 1 + 2 * lo_ + op for n_, s, lo_, op in zip((h, w), stride, lo, out_pad)]
    spread = x.new_zeros(n, c, *size)
    spread[:, :, lo[0]:lo[0] + (h - 1) * stride[0] + 1:stride[0],
           lo[1]:lo[1] + (w - 1) * stride[1] + 1:stride[1]] = x
    crop = [max(-e, 0) for e in edge]
    if any(crop):
        spread = spread[:, :, crop[0]:size[0] - crop[0], crop[1]:size[1] - crop[1]]
    # (C_in, C_out/g, kh, kw) -> (C_out, C_in/g, kh, kw), flipped in space
    wt = weight.reshape(groups, cin // groups, cog, kh, kw).transpose(1, 2)
    wt = wt.reshape(groups * cog, cin // groups, kh, kw).flip(-2, -1)
    out = conv2d(spread, wt, bias, 1, 0, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution of an (N, C, L) or (C, L) input with an (O, C/groups, K) weight: ``conv2d``
    on a unit height, as ``torch.nn.functional.conv1d``."""
    check_input("conv1d", input, (2, 3))
    if weight.ndim != 3:
        raise ShapeError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, kW), got shape "
                         f"{tuple(weight.shape)}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, _single(stride, "stride")), pad,
                 (1, _single(dilation, "dilation")), groups)
    return out.squeeze(-2)


def _single(v, name: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{name} must be an int or a one-element tuple, got {v!r}")
        v = v[0]
    return v
