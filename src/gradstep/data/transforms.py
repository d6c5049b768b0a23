"""Image transforms with torchvision's names, arguments and per-sample results.

Images come in two layouts, as in torchvision: a NumPy array is an image as read from a file (HW or
HWC, usually uint8: what a PIL image is in torchvision), a gradstep ``Tensor`` is a tensor image
(..., C, H, W). ``ToTensor`` turns the first into the second. Random transforms draw from gradstep's
default generator (``gradstep.manual_seed``; reseeded per worker by the ``DataLoader``), as many
numbers and in the order torchvision draws them.

Deterministic transforms (``ToTensor``, ``Normalize``, ``Flatten`` and ``Compose`` of them) can also
run on a whole batch (``batch``), which datasets use to skip the per-sample loop; the result equals
applying the transform to each sample.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from .. import _dtype
from ..autograd import Tensor
from ..random import rng

__all__ = ["Transform", "Compose", "ToTensor", "Normalize", "Lambda", "Flatten", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomCrop", "RandomRotation", "RandomAffine", "Resize", "CenterCrop",
           "RandomResizedCrop", "Pad", "ToPILImage", "InterpolationMode", "functional", "ColorJitter"]


class Transform:
    """Base class: ``__call__`` transforms one sample; batchable transforms also define ``batch``."""

    batchable = False

    def __call__(self, img):
        raise NotImplementedError

    def batch(self, imgs):
        """The transform of each sample of ``imgs`` (stacked on a first axis), in one call."""
        raise TypeError(f"{type(self).__name__} cannot transform a whole batch at once")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Compose(Transform):
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)
        self.batchable = all(isinstance(t, Transform) and t.batchable for t in self.transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def batch(self, imgs):
        for t in self.transforms:
            imgs = t.batch(imgs)
        return imgs

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor(Transform):
    """A NumPy image (H, W) or (H, W, C) to a tensor (C, H, W); uint8 is scaled to floats in [0, 1].

    As torchvision: other dtypes are only transposed, not scaled.
    """

    batchable = True

    def __call__(self, pic) -> Tensor:
        pic = _from_pil(pic)
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a NumPy or PIL image (H, W) or (H, W, C), got "
                            f"{type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional (H, W) or (H, W, C), got shape "
                             f"{pic.shape}")
        return self.batch(pic[None])[0]

    def batch(self, pics) -> Tensor:
        arr = pics._data if isinstance(pics, Tensor) else np.asarray(pics)
        if arr.ndim == 3:
            arr = arr[..., None]
        if arr.ndim != 4:
            raise ValueError(f"ToTensor.batch: expected images (N, H, W) or (N, H, W, C), got shape "
                             f"{arr.shape}")
        arr = np.ascontiguousarray(arr.transpose(0, 3, 1, 2))
        if arr.dtype == np.uint8:
            arr = arr.astype(_dtype.get_default_dtype()) / 255
        return Tensor._make(arr)


def _tensor_image(x, who: str) -> np.ndarray:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: expected a tensor image (..., C, H, W), got {type(x).__name__}")
    return x._data


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` for every channel ``c`` of a float tensor image (..., C, H, W)."""

    batchable = True

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        arr = _tensor_image(tensor, "Normalize")
        if arr.dtype.kind != "f":
            raise TypeError(f"Normalize: input tensor should be a float tensor, got {arr.dtype}")
        if arr.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), got shape "
                             f"{arr.shape}")
        mean = np.asarray(self.mean, dtype=arr.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=arr.dtype).reshape(-1, 1, 1)
        if np.any(std == 0):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {arr.dtype}, leading to "
                             f"division by zero (std={self.std})")
        if mean.shape[0] not in (1, arr.shape[-3]) or std.shape[0] not in (1, arr.shape[-3]):
            raise ValueError(f"Normalize: {len(mean)} means and {len(std)} stds for an image with "
                             f"{arr.shape[-3]} channels")
        if self.inplace:
            np.subtract(arr, mean, out=arr)
            np.divide(arr, std, out=arr)
            return tensor
        return Tensor._make((arr - mean) / std)

    batch = __call__

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda(Transform):
    """Apply a user function."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class Flatten(Transform):
    """Flatten a sample into a vector (a tensor stays a tensor, an array an array): for MLPs."""

    batchable = True

    def __call__(self, x):
        return x.reshape(-1) if isinstance(x, (Tensor, np.ndarray)) else np.asarray(x).reshape(-1)

    def batch(self, xs):
        return xs.reshape(xs.shape[0], -1)


# ---------------------------------------------------------------------- geometry


def _from_pil(img):
    """A PIL image as the NumPy image that stands for it here, (H, W) or (H, W, C); anything else as
    it is. Transforms take PIL images (what torchvision code opens with ``Image.open``) and give
    NumPy images back."""
    if type(img).__module__.startswith("PIL.") and hasattr(img, "getbands"):
        return np.asarray(img)
    return img


def _hw_axes(img) -> tuple[np.ndarray, int, int]:
    """The array of an image and its height and width axes (tensor: last two; NumPy or PIL: first two)."""
    img = _from_pil(img)
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"expected a tensor image (..., H, W), got shape {img.shape}")
        return img._data, img.ndim - 2, img.ndim - 1
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"expected a NumPy image (H, W) or (H, W, C), got shape {img.shape}")
        return img, 0, 1
    raise TypeError(f"expected a tensor, NumPy or PIL image, got {type(img).__name__}")


def _like(img, arr: np.ndarray):
    return Tensor._make(arr) if isinstance(img, Tensor) else arr


class RandomHorizontalFlip(Transform):
    """Mirror left-right with probability ``p`` (one uniform draw per call)."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        arr, _, w_axis = _hw_axes(img)
        if rng().random() < self.p:
            return _like(img, np.flip(arr, axis=w_axis).copy())
        return img


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""

    def __call__(self, img):
        arr, h_axis, _ = _hw_axes(img)
        if rng().random() < self.p:
            return _like(img, np.flip(arr, axis=h_axis).copy())
        return img


def _pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name} should be an int or a sequence of one or two ints, got {size!r}")


def _padding(padding) -> tuple[int, int, int, int]:
    """torchvision's padding forms as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        if len(padding) == 1:
            return _padding(padding[0])
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        return tuple(int(p) for p in padding)
    raise ValueError(f"padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


class RandomCrop(Transform):
    """Crop a random ``size`` window, after optional ``padding`` (torchvision's draws and padding)."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = _pair(size, "size")
        self.padding = None if padding is None else _padding(padding)
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"padding_mode should be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """A random window ``(top, left, height, width)`` of ``output_size`` inside ``img``."""
        arr, ha, wa = _hw_axes(img)
        (h, w), (th, tw) = (arr.shape[ha], arr.shape[wa]), _pair(output_size, "output_size")
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the image size "
                             f"{(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        g = rng()
        return int(g.integers(0, h - th + 1)), int(g.integers(0, w - tw + 1)), th, tw

    def _pad(self, arr: np.ndarray, h_axis: int, w_axis: int, left, top, right, bottom) -> np.ndarray:
        widths = [(0, 0)] * arr.ndim
        widths[h_axis], widths[w_axis] = (top, bottom), (left, right)
        if self.padding_mode == "constant":
            return np.pad(arr, widths, mode="constant", constant_values=self.fill)
        return np.pad(arr, widths, mode=_PAD_MODES[self.padding_mode])

    def __call__(self, img):
        arr, ha, wa = _hw_axes(img)
        if self.padding is not None:
            arr = self._pad(arr, ha, wa, *self.padding)
        th, tw = self.size
        h, w = arr.shape[ha], arr.shape[wa]
        if self.pad_if_needed and (w < tw or h < th):
            arr = self._pad(arr, ha, wa, max(tw - w, 0), max(th - h, 0), max(tw - w, 0), max(th - h, 0))
            h, w = arr.shape[ha], arr.shape[wa]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the (padded) image "
                             f"size {(h, w)}")
        if (h, w) == (th, tw):
            return _like(img, arr)
        i, j, _, _ = self.get_params(_like(img, arr), self.size)
        index = [slice(None)] * arr.ndim
        index[ha], index[wa] = slice(i, i + th), slice(j, j + tw)
        return _like(img, arr[tuple(index)].copy())


def _inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list[float]:
    """torchvision's inverse affine matrix (output pixel -> input pixel), centred coordinates."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _warp_nearest(img, matrix: list[float], fill) -> object:
    """Resample with nearest neighbours where each output pixel reads the input at ``matrix``'s image
    of its centre (torchvision's affine grid and grid_sample, align_corners=False, in float32);
    pixels that fall outside take ``fill``."""
    arr, ha, wa = _hw_axes(img)
    chw = np.moveaxis(arr, (ha, wa), (-2, -1))
    h, w = chw.shape[-2], chw.shape[-1]
    f32 = np.float32
    theta = np.asarray(matrix, dtype=f32).reshape(2, 3)
    xs = np.linspace(-w * 0.5 + 0.5, w * 0.5 + 0.5 - 1, w, dtype=f32)
    ys = np.linspace(-h * 0.5 + 0.5, h * 0.5 + 0.5 - 1, h, dtype=f32)
    scale = np.array([0.5 * w, 0.5 * h], dtype=f32)
    rescaled = theta.T / scale  # (3, 2), as torchvision rescales theta
    gx = xs[None, :] * rescaled[0, 0] + ys[:, None] * rescaled[1, 0] + rescaled[2, 0]
    gy = xs[None, :] * rescaled[0, 1] + ys[:, None] * rescaled[1, 1] + rescaled[2, 1]
    ix = np.rint(((gx + f32(1)) * f32(w) - f32(1)) / f32(2))
    iy = np.rint(((gy + f32(1)) * f32(h) - f32(1)) / f32(2))
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    xi = np.clip(ix, 0, w - 1).astype(np.intp)
    yi = np.clip(iy, 0, h - 1).astype(np.intp)
    out = chw[..., yi, xi]
    fill_arr = np.asarray(0 if fill is None else fill, dtype=out.dtype)
    if fill_arr.ndim == 1 and chw.ndim >= 3:
        fill_arr = fill_arr.reshape(-1, 1, 1)
    out = np.where(inside, out, fill_arr)
    return _like(img, np.ascontiguousarray(np.moveaxis(out, (-2, -1), (ha, wa))))


def _degrees(degrees, name: str = "degrees") -> tuple[float, float]:
    if isinstance(degrees, numbers.Number):
        if degrees < 0:
            raise ValueError(f"If {name} is a single number, it must be positive, got {degrees}")
        return -float(degrees), float(degrees)
    if isinstance(degrees, Sequence) and len(degrees) == 2:
        return float(degrees[0]), float(degrees[1])
    raise ValueError(f"{name} should be a number or a sequence of two numbers, got {degrees!r}")


def _center(center, img) -> list[float]:
    if center is None:
        return [0.0, 0.0]
    arr, ha, wa = _hw_axes(img)
    return [float(c) - s * 0.5 for c, s in zip(center, (arr.shape[wa], arr.shape[ha]))]


def _check_nearest(interpolation) -> None:
    if str(interpolation).lower().rsplit(".", 1)[-1] != "nearest":
        raise ValueError(f"interpolation {interpolation!r} is not supported; gradstep rotates with 'nearest'")


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (counter-clockwise, about the centre)."""

    def __init__(self, degrees, interpolation="nearest", expand: bool = False, center=None, fill=0):
        self.degrees = _degrees(degrees)
        _check_nearest(interpolation)
        if expand:
            raise ValueError("RandomRotation: expand=True is not supported")
        self.center, self.fill = center, fill

    def __call__(self, img):
        angle = float(rng().uniform(self.degrees[0], self.degrees[1]))
        matrix = _inverse_affine_matrix(_center(self.center, img), -angle, (0.0, 0.0), 1.0, (0.0, 0.0))
        return _warp_nearest(img, matrix, self.fill)


class RandomAffine(Transform):
    """Random rotation (clockwise, as torchvision's affine), translation, scale and shear.

    Draws, in torchvision's order: angle, then (if ``translate``) dx and dy rounded to whole pixels,
    then (if ``scale``) the scale, then (if ``shear``) the shear angles.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="nearest", fill=0,
                 center=None):
        self.degrees = _degrees(degrees)
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError(f"translation values should be between 0 and 1, got {translate}")
        if scale is not None and not all(s > 0 for s in scale):
            raise ValueError(f"scale values should be positive, got {scale}")
        if isinstance(shear, numbers.Number):
            shear = _degrees(shear, "shear")
        elif shear is not None:
            if len(shear) not in (2, 4):
                raise ValueError(f"shear should be a number or a sequence of 2 or 4 numbers, got {shear!r}")
            shear = tuple(float(s) for s in shear)
        _check_nearest(interpolation)
        self.translate, self.scale, self.shear = translate, scale, shear
        self.fill, self.center = fill, center

    def __call__(self, img):
        arr, ha, wa = _hw_axes(img)
        height, width = arr.shape[ha], arr.shape[wa]
        g = rng()
        angle = float(g.uniform(self.degrees[0], self.degrees[1]))
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = float(self.translate[0] * width), float(self.translate[1] * height)
            tx = int(round(float(g.uniform(-max_dx, max_dx))))
            ty = int(round(float(g.uniform(-max_dy, max_dy))))
        scale = 1.0 if self.scale is None else float(g.uniform(self.scale[0], self.scale[1]))
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = float(g.uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                shear[1] = float(g.uniform(self.shear[2], self.shear[3]))
        center = _center(self.center, img)
        matrix = _inverse_affine_matrix(center, angle, (float(tx), float(ty)), scale, shear)
        return _warp_nearest(img, matrix, self.fill)


# the size transforms live beside their functional forms (torchvision's transforms.functional)
from . import transforms_functional as functional  # noqa: E402
from .transforms_functional import (  # noqa: E402
    CenterCrop,
    ColorJitter,
    InterpolationMode,
    Pad,
    RandomResizedCrop,
    Resize,
    ToPILImage,
)
