"""``affine_grid`` and ``grid_sample``: warp images by a sampling grid, as the spatial transformer does
(``torch.nn.functional.affine_grid`` / ``grid_sample``, 4-D inputs).

Both are written with autograd's primitives, so their gradients (with respect to ``theta``, the
input and the grid) come from the ops' own backwards: the grid is a matrix product; sampling
gathers the four (bilinear) or one (nearest) neighbouring pixels and weights them by the distances
to the sampling point, which are linear in the grid. Where PyTorch's kernel treats a coordinate as
constant (a coordinate clipped to the border, the integer corner of a cell), the constant is
computed from the detached values.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..._errors import ArgumentError, DTypeError, ShapeError
from ...autograd.function import Function
from ...autograd.tensor import Tensor
from ...autograd.tensor_math import where

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                  "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                  "documentation of grid_sample for details.")


def _align(align_corners) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base_coordinates(n: int, align_corners: bool) -> np.ndarray:
    """The n pixel centres (or, with ``align_corners``, the corner pixels' centres) in [-1, 1]."""
    if n <= 1:
        return np.zeros(max(n, 0))
    c = np.linspace(-1.0, 1.0, n)
    return c if align_corners else c * (n - 1) / n


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The (N, H, W, 2) grid of (x, y) sampling points that the affine maps ``theta`` (N, 2, 3)
    take the output's pixel coordinates to, for an output of ``size`` (N, C, H, W)."""
    align = _align(align_corners)
    if not isinstance(theta, Tensor) or theta.dtype.kind != "f":
        raise ArgumentError(f"Expected theta to have floating point type, but got "
                        f"{getattr(theta, 'dtype', type(theta).__name__)}")
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise ArgumentError(f"affine_grid only supports 4D sizes (N, C, H, W) here, got size {list(size)}")
    n, _, h, w = size
    if theta.ndim != 3 or tuple(theta.shape) != (n, 2, 3):
        raise ShapeError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {list(size)}. "
                         f"Got {list(theta.shape)}.")
    if min(size) <= 0:
        raise ArgumentError(f"Expected non-zero, positive output size. Got {list(size)}")
    ys, xs = np.meshgrid(_base_coordinates(h, align), _base_coordinates(w, align), indexing="ij")
    base = np.stack([xs, ys, np.ones_like(xs)], -1).reshape(1, h * w, 3).astype(theta.dtype)
    # each output point [x, y, 1] is mapped by theta: (1, HW, 3) @ (N, 3, 2) -> (N, HW, 2)
    return (Tensor._make(base) @ theta.transpose(1, 2)).reshape(n, h, w, 2)


def _reflect(x: np.ndarray, low2: float, high2: float) -> tuple[np.ndarray, np.ndarray]:
    """Reflection of the coordinates ``x`` into [low2/2, high2/2] as (sign, offset): reflected =
    sign * x + offset, piecewise linear with slope ±1 (PyTorch's reflect_coordinates)."""
    if low2 == high2:
        return np.zeros_like(x), np.zeros_like(x)
    lo, span = low2 / 2, (high2 - low2) / 2
    d = x - lo
    sign_in = np.where(d < 0, -1.0, 1.0)
    flips = np.floor(np.abs(d) / span)
    even = (flips % 2) == 0
    # even: extra + lo = sign_in*(x - lo) - flips*span + lo;  odd: span - extra + lo
    sign = np.where(even, sign_in, -sign_in)
    offset = np.where(even, -sign_in * lo - flips * span + lo, span + flips * span + sign_in * lo + lo)
    return sign, offset


def _source_coordinate(g: Tensor, size: int, padding_mode: str, align: bool) -> Tensor:
    """A grid coordinate in [-1, 1] as a pixel coordinate of an axis of ``size``, padded."""
    x = ((g + 1) / 2) * (size - 1) if align else ((g + 1) * size - 1) / 2
    if padding_mode == "zeros":
        return x
    if padding_mode == "reflection":
        v = x.detach()._data
        sign, offset = _reflect(v, 0.0, 2.0 * (size - 1)) if align else _reflect(v, -1.0, 2.0 * size - 1)
        x = x * Tensor._make(sign.astype(x.dtype)) + Tensor._make(offset.astype(x.dtype))
    # clip to [0, size - 1]; the border counts as outside (no gradient there), as PyTorch's kernel
    v = x.detach()._data
    inside = (v > 0) & (v < size - 1)
    return where(Tensor._make(inside), x, Tensor._make(np.clip(v, 0, size - 1).astype(x.dtype)))


class _ZeroFromGrid(Function):
    """Zeros of shape (N, 1, Ho, Wo) whose gradient to the grid is zero: nearest sampling gives the
    grid a gradient of zeros, as PyTorch does, rather than none."""

    @staticmethod
    def forward(ctx, g):
        ctx.grid_shape = g.shape
        return np.zeros((g.shape[0], 1, g.shape[1], g.shape[2]), g.dtype)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros(ctx.grid_shape, grad.dtype)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the points ``grid`` (N, Ho, Wo, 2) holds, (x, y) in [-1, 1]
    (-1 the left/top edge); the result is (N, C, Ho, Wo). ``mode`` 'bilinear' or 'nearest';
    ``padding_mode`` 'zeros', 'border' or 'reflection' decides what lies outside the image."""
    if mode not in ("bilinear", "nearest"):
        raise ArgumentError(f"nn.functional.grid_sample(): expected mode to be 'bilinear' or 'nearest', "
                            f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ArgumentError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', "
                            f"or 'reflection', but got: '{padding_mode}'")
    align = _align(align_corners)
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sample: {name} must be a Tensor, got {type(t).__name__}")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ShapeError(f"grid_sample: expected a 4-D input (N, C, H, W) and a grid (N, H_out, W_out, 2) "
                         f"with the same N, got input {list(input.shape)} and grid {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise DTypeError(f"grid_sample(): expected input and grid to have same dtype, but input has "
                        f"{input.dtype} and grid has {grid.dtype}")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    x = _source_coordinate(grid[..., 0], w, padding_mode, align)
    y = _source_coordinate(grid[..., 1], h, padding_mode, align)
    flat = input.reshape(n, c, h * w)

    def pixels(yi: np.ndarray, xi: np.ndarray) -> Tensor:
        """input at integer (yi, xi) of shape (N, Ho, Wo), zero outside: (N, C, Ho, Wo)."""
        valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        index = (np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1)).reshape(n, 1, ho * wo)
        values = flat.gather(2, Tensor._make(np.broadcast_to(index, (n, c, ho * wo)).astype(np.int64)))
        mask = Tensor._make(valid.reshape(n, 1, ho * wo).astype(input.dtype))
        return (values * mask).reshape(n, c, ho, wo)

    if mode == "nearest":  # round half to even, as PyTorch's nearbyint; no gradient to the grid
        nearest = pixels(*(np.rint(c.detach()._data).astype(np.int64) for c in (y, x)))
        return nearest + _ZeroFromGrid.apply(grid) if grid.requires_grad else nearest
    x0 = np.floor(x.detach()._data)
    y0 = np.floor(y.detach()._data)
    wx1 = (x - Tensor._make(x0)).unsqueeze(1)  # the weights are linear in the grid
    wy1 = (y - Tensor._make(y0)).unsqueeze(1)
    wx0, wy0 = 1 - wx1, 1 - wy1
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (pixels(y0, x0) * (wy0 * wx0) + pixels(y0, x0 + 1) * (wy0 * wx1)
            + pixels(y0 + 1, x0) * (wy1 * wx0) + pixels(y0 + 1, x0 + 1) * (wy1 * wx1))
