"""2-D max and average pooling over the last two axes, and adaptive average pooling.

Each pooling kernel loops over the kh * kw offsets of the window (never over output pixels): at
offset (i, j) the strided slice ``xp[..., i*dh :: sh, j*dw :: sw]`` holds tap (i, j) of every window.

``pads`` is ``((top, bottom), (left, right))``; with ``ceil_mode`` the caller adds on the bottom
and right the extra rows and columns the last, partial windows reach into. Max pooling pads with
-inf so padding never wins; average pooling pads with zeros and divides by ``divisor``.

With ``jit.enabled()`` the common 2 x 2, stride 2 max pooling of an unpadded, even-sized input
runs compiled loops over image planes (split over threads by planes): the forward finds each
window's maximum and winning offset in one pass, the backward writes every input once. Both are
bit for bit the NumPy kernels' results (the same comparisons; the backward multiplies by the
0/1 mask as the reference does); a window holding a NaN sends the forward to the NumPy kernel.
"""

from __future__ import annotations

import numpy as np

from .. import _threads
from . import jit
from .im2col import Pads, crop2d, offset_slices, pad2d
from .parallel import parallel_for

Pair = tuple[int, int]


def pool_out_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size; with ``ceil_mode`` a last, partial window is kept when it
    starts inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def pool_pads(size_hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, out_hw: Pair) -> Pads:
    """``padding`` on both sides, plus at the end whatever the last (ceil mode) window reaches past it."""
    pads = []
    for size, k, s, p, d, o in zip(size_hw, kernel, stride, padding, dilation, out_hw):
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
        pads.append((p, p + extra))
    return tuple(pads)


def max_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair,
                       out_hw: Pair) -> tuple[np.ndarray, np.ndarray]:
    """The window maxima and, for each, the flat offset ``i * kw + j`` of the tap that won.

    Ties go to the first tap in row-major order; a NaN wins (the last NaN), as in PyTorch. Three
    passes per tap (compare, maximum, copy of the winners' offset); only when a window holds a
    NaN (its maximum is NaN) are the offsets found again with the NaN rule.
    """
    if _compiled_2x2(x, kernel, stride, pads, dilation, out_hw):
        found = _max_2x2_compiled(x)
        if found is not None:
            return found
    xp = pad2d(x, pads, value=-np.inf)
    tiles = (tuple(kernel) == tuple(stride) == (2, 2) and tuple(dilation) == (1, 1)
             and xp.shape[-2:] == (2 * out_hw[0], 2 * out_hw[1]))
    if tiles:
        best, arg = _max_and_offset_2x2(xp)
    else:
        best, arg = _max_and_offset(xp, kernel, stride, dilation, out_hw, nan_wins=False)
    if np.isnan(best).any():
        best, arg = _max_and_offset(xp, kernel, stride, dilation, out_hw, nan_wins=True)
    return best, arg


def _max_and_offset_2x2(xp: np.ndarray):
    """The common 2 x 2, stride 2 pooling of an even-sized image as a tournament: the maximum of
    each row pair (a, b) of a window, then of the two rows. Offsets ``2 * row + column``; ties go
    to the left and to the top, which is the first tap in row-major order. Half the passes of the
    general loop."""
    x6 = xp.reshape(xp.shape[:-2] + (xp.shape[-2] // 2, 2, xp.shape[-1] // 2, 2))
    a, b = x6[..., 0, :, 0], x6[..., 0, :, 1]          # top row of every window
    c, d = x6[..., 1, :, 0], x6[..., 1, :, 1]          # bottom row
    top, bottom = np.maximum(a, b), np.maximum(c, d)
    right_top, right_bottom = (b > a).view(np.int8), (d > c).view(np.int8)
    lower = (bottom > top).view(np.int8)
    # where(lower, 2 + right_bottom, right_top) in int8 arithmetic (np.where is 4x slower here)
    arg = right_bottom + np.int8(2)
    arg -= right_top
    arg *= lower
    arg += right_top
    return np.maximum(top, bottom), arg


def _compiled_2x2(a, kernel, stride, pads, dilation, out_hw, x_shape=None) -> bool:
    """Whether the compiled loops take this pooling: 2 x 2 windows, stride 2, no padding or
    dilation, an input of exactly twice the output's size, float32 or float64."""
    hw = (a.shape if x_shape is None else x_shape)[-2:]
    return (tuple(kernel) == tuple(stride) == (2, 2) and tuple(dilation) == (1, 1)
            and pads == ((0, 0), (0, 0)) and tuple(hw) == (2 * out_hw[0], 2 * out_hw[1])
            and isinstance(a, np.ndarray) and a.dtype in (np.float32, np.float64) and jit.enabled())


def _planes(fn, planes: int, elements: int) -> list:
    """``fn`` over ranges of planes; a pooling pass counts twice a plain elementwise pass (its
    time per input element, measured in ``benchmarks.loops``)."""
    return parallel_for(fn, planes, 2 * elements, _threads.LOOP_MIN_ELEMENTS)


def _max_2x2_compiled(x: np.ndarray):
    """``(best, arg)`` of ``_max_and_offset_2x2``, or None when a window holds a NaN."""
    h, w = x.shape[-2:]
    x3 = np.ascontiguousarray(x).reshape(-1, h, w)
    best = np.empty((x3.shape[0], h // 2, w // 2), x.dtype)
    arg = np.empty(best.shape, np.int8)
    if sum(_planes(lambda i, j: _max_2x2_loop(x3[i:j], best[i:j], arg[i:j]), x3.shape[0], x.size)):
        return None
    out_shape = x.shape[:-2] + best.shape[-2:]
    return best.reshape(out_shape), arg.reshape(out_shape)


def _route_2x2_compiled(grad: np.ndarray, arg: np.ndarray, x_shape: tuple) -> np.ndarray:
    oh, ow = grad.shape[-2:]
    g3 = np.ascontiguousarray(grad).reshape(-1, oh, ow)
    a3 = np.ascontiguousarray(arg).reshape(-1, oh, ow)
    dx = np.empty((g3.shape[0], 2 * oh, 2 * ow), grad.dtype)
    _planes(lambda i, j: _route_2x2_loop(g3[i:j], a3[i:j], dx[i:j]), g3.shape[0], dx.size)
    return dx.reshape(x_shape)


@jit.compiled
def _max_2x2_loop(x, best, arg):  # pragma: no cover - compiled, so coverage cannot see it
    """The tournament of ``_max_and_offset_2x2`` window by window (NumPy's maximum of equal
    values is its second argument); returns how many windows hold a NaN (then nothing is valid)."""
    nans = 0
    for p in range(best.shape[0]):
        for i in range(best.shape[1]):
            for j in range(best.shape[2]):
                a, b = x[p, 2 * i, 2 * j], x[p, 2 * i, 2 * j + 1]
                c, d = x[p, 2 * i + 1, 2 * j], x[p, 2 * i + 1, 2 * j + 1]
                nans += (a != a) | (b != b) | (c != c) | (d != d)
                top = a if a > b else b          # selects, not branches: the data decide them
                right_top = 1 if b > a else 0
                bottom = c if c > d else d
                right_bottom = 3 if d > c else 2
                lower = bottom > top
                best[p, i, j] = top if top > bottom else bottom   # np.maximum(top, bottom) on ties
                arg[p, i, j] = right_bottom if lower else right_top
    return nans


@jit.compiled
def _route_2x2_loop(grad, arg, dx):  # pragma: no cover
    """Each window's gradient times the 0/1 mask of each tap, as ``max_pool2d_backward``."""
    for p in range(grad.shape[0]):
        for i in range(grad.shape[1]):
            for r in range(2):
                for j in range(grad.shape[2]):
                    g, k = grad[p, i, j], arg[p, i, j]
                    dx[p, 2 * i + r, 2 * j] = g * (1.0 if k == 2 * r else 0.0)
                    dx[p, 2 * i + r, 2 * j + 1] = g * (1.0 if k == 2 * r + 1 else 0.0)


def _max_and_offset(xp, kernel, stride, dilation, out_hw, nan_wins: bool):
    best = arg = None
    for i, j, index in offset_slices(kernel, stride, dilation, out_hw):
        tap = xp[index]
        if best is None:
            best = tap.copy()
            arg = np.zeros(best.shape, dtype=np.min_scalar_type(-kernel[0] * kernel[1]))
            continue
        wins = tap > best
        if nan_wins:
            wins |= np.isnan(tap)
        np.maximum(best, tap, out=best)
        np.copyto(arg, i * kernel[1] + j, where=wins)
    return best, arg


def max_pool2d_backward(grad: np.ndarray, arg: np.ndarray, x_shape: tuple, kernel: Pair, stride: Pair,
                        pads: Pads, dilation: Pair) -> np.ndarray:
    """Route each window's gradient to the input that won it; inputs winning several windows
    collect the sum. When windows do not overlap (stride = kernel, no dilation) every input is
    in at most one window and is written once, without a temporary."""
    if _compiled_2x2(grad, kernel, stride, pads, dilation, grad.shape[-2:], x_shape) and arg.dtype == np.int8:
        return _route_2x2_compiled(grad, arg, x_shape)
    (pt, pb), (pl, pr) = pads
    padded = x_shape[:-2] + (x_shape[-2] + pt + pb, x_shape[-1] + pl + pr)
    disjoint = tuple(stride) == tuple(kernel) and tuple(dilation) == (1, 1)
    tiled = disjoint and padded[-2:] == (grad.shape[-2] * kernel[0], grad.shape[-1] * kernel[1])
    dxp = (np.empty if tiled else np.zeros)(padded, dtype=grad.dtype)  # tiled: every input written
    for i, j, index in offset_slices(kernel, stride, dilation, grad.shape[-2:]):
        if disjoint:
            np.multiply(grad, arg == i * kernel[1] + j, out=dxp[index])
        else:
            dxp[index] += grad * (arg == i * kernel[1] + j)
    return np.ascontiguousarray(crop2d(dxp, pads))


def max_pool2d_gather(v: np.ndarray, arg: np.ndarray, kernel: Pair, stride: Pair, pads: Pads,
                      dilation: Pair) -> np.ndarray:
    """The value of ``v`` at each window's winning tap ``arg``: the forward's selection applied to
    another array of the input's shape (the adjoint of ``max_pool2d_backward``)."""
    vp = pad2d(v, pads)
    out = np.zeros(arg.shape, dtype=v.dtype)
    for i, j, index in offset_slices(kernel, stride, dilation, arg.shape[-2:]):
        out += vp[index] * (arg == i * kernel[1] + j)
    return out


def max_pool2d_indices(arg: np.ndarray, in_hw: Pair, kernel: Pair, stride: Pair, pads: Pads,
                       dilation: Pair) -> np.ndarray:
    """PyTorch's ``return_indices``: each maximum's position as ``h * W + w`` in its input plane."""
    oh, ow = arg.shape[-2:]
    i, j = np.divmod(arg.astype(np.int64), kernel[1])
    h = np.arange(oh).reshape(oh, 1) * stride[0] - pads[0][0] + i * dilation[0]
    w = np.arange(ow) * stride[1] - pads[1][0] + j * dilation[1]
    return h * in_hw[1] + w


def avg_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair, pads: Pads, out_hw: Pair,
                       divisor: np.ndarray) -> np.ndarray:
    """Window sums divided by ``divisor`` (an (OH, OW) array, see ``avg_pool2d_divisor``)."""
    xp = pad2d(x, pads)
    total = None
    for _, _, index in offset_slices(kernel, stride, (1, 1), out_hw):
        total = xp[index].copy() if total is None else np.add(total, xp[index], out=total)
    total /= divisor
    return total


def avg_pool2d_backward(grad: np.ndarray, x_shape: tuple, kernel: Pair, stride: Pair, pads: Pads,
                        divisor: np.ndarray) -> np.ndarray:
    """Each window's gradient, divided by its divisor, spread evenly over the window's taps."""
    (pt, pb), (pl, pr) = pads
    padded = x_shape[:-2] + (x_shape[-2] + pt + pb, x_shape[-1] + pl + pr)
    dxp = np.zeros(padded, dtype=grad.dtype)
    share = grad / divisor
    for _, _, index in offset_slices(kernel, stride, (1, 1), grad.shape[-2:]):
        dxp[index] += share
    return np.ascontiguousarray(crop2d(dxp, pads))


def avg_pool2d_divisor(in_hw: Pair, kernel: Pair, stride: Pair, padding: Pair, out_hw: Pair,
                       count_include_pad: bool, dtype) -> np.ndarray:
    """The (OH, OW) divisors of PyTorch's average pooling.

    A window starting at ``s = o * stride - padding`` counts the taps inside the zero-padded
    input (``min(s + k, size + padding) - s``) with ``count_include_pad``, otherwise only those
    inside the input itself (``min(s + k, size) - max(s, 0)``). Taps that ``ceil_mode`` lets run
    past the padding are never counted.
    """
    counts = []
    for size, k, s, p, o in zip(in_hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        if count_include_pad:
            counts.append(np.minimum(start + k, size + p) - start)
        else:
            counts.append(np.minimum(start + k, size) - np.maximum(start, 0))
    return np.multiply.outer(counts[0], counts[1]).astype(dtype)


def adaptive_pool_matrix(size: int, out: int, dtype) -> np.ndarray:
    """The (out, size) averaging matrix of adaptive pooling along one axis.

    Bin ``i`` covers inputs ``floor(i * size / out)`` to ``ceil((i + 1) * size / out)`` (exclusive),
    PyTorch's bins; they overlap when ``out`` does not divide ``size``.
    """
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d_forward(x: np.ndarray, out_hw: Pair) -> np.ndarray:
    """Average over each bin; averaging a rectangle is averaging rows then columns, so this is
    two small matrix products: ``A_h @ x @ A_w.T``."""
    ah = adaptive_pool_matrix(x.shape[-2], out_hw[0], x.dtype)
    aw = adaptive_pool_matrix(x.shape[-1], out_hw[1], x.dtype)
    return np.matmul(np.matmul(ah, x), aw.T)


def adaptive_avg_pool2d_backward(grad: np.ndarray, in_hw: Pair) -> np.ndarray:
    """The transpose of the forward's linear map: ``A_h.T @ grad @ A_w``."""
    ah = adaptive_pool_matrix(in_hw[0], grad.shape[-2], grad.dtype)
    aw = adaptive_pool_matrix(in_hw[1], grad.shape[-1], grad.dtype)
    return np.matmul(np.matmul(ah.T, grad), aw)
