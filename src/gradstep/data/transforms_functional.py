"""torchvision's ``transforms.functional`` for the size of an image: ``resize``, ``crop``,
``center_crop``, ``resized_crop``, ``pad``, and the ``Resize``/``CenterCrop``/``RandomResizedCrop``/
``Pad``/``ToPILImage`` transforms built on them (re-exported by ``gradstep.data.transforms``).

Images are NumPy arrays (H, W[, C], what a PIL image is in torchvision) or tensors (..., C, H, W).
Resizing uses the same resampling matrices as ``nn.functional.interpolate`` (bilinear with
antialiasing by default, as torchvision); a uint8 image is rounded back to uint8.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Sequence

import numpy as np

from ..autograd import Tensor
from ..kernels.resize import resize_weights
from ..random import rng
from .transforms import _PAD_MODES, Transform, _hw_axes, _like, _padding, _pair

__all__ = ["InterpolationMode", "resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip",
           "Resize", "CenterCrop", "RandomResizedCrop", "Pad", "ToPILImage", "ColorJitter",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue"]

_MODES = {"bilinear": "bilinear", "nearest": "nearest", "nearest-exact": "nearest-exact"}


class InterpolationMode(enum.Enum):
    """torchvision's interpolation names; gradstep resizes with the first three."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _mode(interpolation) -> str:
    name = getattr(interpolation, "value", interpolation)  # an InterpolationMode-like enum or a string
    if name not in _MODES:
        raise ValueError(f"interpolation {interpolation!r} is not supported; expected 'bilinear', 'nearest' "
                         f"or 'nearest-exact'")
    return _MODES[name]


def _target_size(size, h: int, w: int, max_size) -> tuple[int, int]:
    """torchvision's rule: an int (or one-element sequence) sets the smaller edge, keeping the ratio."""
    if isinstance(size, Sequence) and len(size) == 2:
        if max_size is not None:
            raise ValueError("max_size is only allowed when size is an int or a one-element sequence")
        return int(size[0]), int(size[1])
    s = int(size[0] if isinstance(size, Sequence) else size)
    short, long = (h, w) if h <= w else (w, h)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None:
        if max_size <= s:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size "
                             f"for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if h <= w else (new_long, new_short)


def resize(img, size, interpolation="bilinear", max_size=None, antialias: bool = True):
    arr, ha, wa = _hw_axes(img)
    h, w = arr.shape[ha], arr.shape[wa]
    oh, ow = _target_size(size, h, w, max_size)
    if (oh, ow) == (h, w):
        return img
    mode = _mode(interpolation)
    wh = resize_weights(h, oh, mode, antialias=antialias)
    ww = resize_weights(w, ow, mode, antialias=antialias)
    x = np.moveaxis(arr.astype(np.float64) if arr.dtype.kind != "f" else arr, (ha, wa), (-2, -1))
    out = np.moveaxis(wh.astype(x.dtype) @ x @ ww.T.astype(x.dtype), (-2, -1), (ha, wa))
    if arr.dtype.kind in "ui":
        info = np.iinfo(arr.dtype)
        out = np.clip(np.floor(out + 0.5), info.min, info.max)
    return _like(img, np.ascontiguousarray(out.astype(arr.dtype, copy=False)))


def crop(img, top: int, left: int, height: int, width: int):
    """The window at (top, left) of that size; parts outside the image are zeros, as torchvision."""
    arr, ha, wa = _hw_axes(img)
    h, w = arr.shape[ha], arr.shape[wa]
    pads = (max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0))
    if any(pads):
        arr = _pad_array(arr, ha, wa, pads, 0, "constant")
        top, left = top + pads[1], left + pads[0]
    index = [slice(None)] * arr.ndim
    index[ha], index[wa] = slice(top, top + height), slice(left, left + width)
    return _like(img, arr[tuple(index)].copy())


def center_crop(img, output_size):
    arr, ha, wa = _hw_axes(img)
    th, tw = _pair(output_size, "output_size")
    h, w = arr.shape[ha], arr.shape[wa]
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img, top: int, left: int, height: int, width: int, size, interpolation="bilinear",
                 antialias: bool = True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _pad_array(arr, ha, wa, padding, fill, padding_mode):
    left, top, right, bottom = padding
    widths = [(0, 0)] * arr.ndim
    widths[ha], widths[wa] = (top, bottom), (left, right)
    if padding_mode == "constant":
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode=_PAD_MODES[padding_mode])


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode should be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
    arr, ha, wa = _hw_axes(img)
    return _like(img, _pad_array(arr, ha, wa, _padding(padding), fill, padding_mode))


def hflip(img):
    arr, _, wa = _hw_axes(img)
    return _like(img, np.flip(arr, axis=wa).copy())


def vflip(img):
    arr, ha, _ = _hw_axes(img)
    return _like(img, np.flip(arr, axis=ha).copy())


class Resize(Transform):
    """Resize to ``size`` ((h, w), or the smaller edge to an int keeping the aspect ratio)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias: bool = True):
        if not isinstance(size, (numbers.Integral, Sequence)) or (isinstance(size, Sequence)
                                                                  and len(size) not in (1, 2)):
            raise TypeError(f"Resize: size should be an int or a sequence of one or two ints, got "
                            f"{size!r}")
        _mode(interpolation)
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"Resize(size={self.size}, interpolation={_mode(self.interpolation)}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(Transform):
    """The central ``size`` window (zero-padded where the image is smaller)."""

    def __init__(self, size):
        self.size = _pair(size, "size")

    def __call__(self, img):
        return center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomResizedCrop(Transform):
    """A random window of random area (``scale``) and aspect ratio (``ratio``), resized to ``size``;
    torchvision's draws (up to ten tries, then a central crop)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear",
                 antialias: bool = True):
        self.size = _pair(size, "size")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale {scale} and ratio {ratio} should be of kind "
                             f"(min, max)")
        _mode(interpolation)
        self.scale, self.ratio, self.interpolation, self.antialias = scale, ratio, interpolation, antialias

    @staticmethod
    def get_params(img, scale, ratio) -> tuple[int, int, int, int]:
        arr, ha, wa = _hw_axes(img)
        height, width = arr.shape[ha], arr.shape[wa]
        area = height * width
        g = rng()
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * g.uniform(scale[0], scale[1])
            aspect = math.exp(g.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = int(g.integers(0, height - h + 1))
                j = int(g.integers(0, width - w + 1))
                return i, j, h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)

    def __repr__(self) -> str:
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


class Pad(Transform):
    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        _padding(padding)
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"padding_mode should be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class ToPILImage(Transform):
    """A tensor image (C, H, W) to the NumPy image (H, W, C) that stands for a PIL image here;
    floats are scaled by 255 to uint8, as torchvision; a single channel gives (H, W)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        arr = pic.detach()._data if isinstance(pic, Tensor) else np.asarray(pic)
        if arr.ndim == 3:
            arr = np.moveaxis(arr, 0, -1) if isinstance(pic, Tensor) else arr
        elif arr.ndim != 2:
            raise ValueError(f"ToPILImage: pic should be 2 or 3 dimensional, got {arr.ndim} dimensions")
        if arr.dtype.kind == "f":
            arr = (arr * 255).astype(np.uint8)  # truncation, as torchvision's mul(255).byte()
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        return np.ascontiguousarray(arr)


# ---------------------------------------------------------------------- colour


def _channels_last(img) -> tuple[np.ndarray, bool]:
    """The image as float64 (..., H, W, 3) in [0, bound], and whether it was a tensor (C first)."""
    if isinstance(img, Tensor):
        arr = np.moveaxis(img.detach()._data, -3, -1)
        return arr.astype(np.float64), True
    arr = np.asarray(img)
    return arr.astype(np.float64), False


def _back(img, x: np.ndarray, is_tensor: bool):
    arr = img.detach()._data if is_tensor else np.asarray(img)
    if arr.dtype.kind in "ui":
        x = np.floor(x + 0.5)
    x = x.astype(arr.dtype)
    return Tensor._make(np.ascontiguousarray(np.moveaxis(x, -1, -3))) if is_tensor else x


def _bound(img) -> float:
    arr = img._data if isinstance(img, Tensor) else np.asarray(img)
    return 1.0 if arr.dtype.kind == "f" else float(np.iinfo(arr.dtype).max)


def _gray(x: np.ndarray) -> np.ndarray:
    if x.shape[-1] == 1:
        return x
    return (0.2989 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2])[..., None]


def _blend(a: np.ndarray, b, ratio: float, bound: float) -> np.ndarray:
    return np.clip(ratio * a + (1.0 - ratio) * b, 0, bound)


def adjust_brightness(img, brightness_factor: float):
    x, t = _channels_last(img)
    return _back(img, _blend(x, 0.0, brightness_factor, _bound(img)), t)


def adjust_contrast(img, contrast_factor: float):
    x, t = _channels_last(img)
    mean = _gray(x).mean(axis=(-3, -2, -1), keepdims=True)
    if not t and np.asarray(img).dtype.kind in "ui":
        mean = np.floor(mean + 0.5)
    return _back(img, _blend(x, mean, contrast_factor, _bound(img)), t)


def adjust_saturation(img, saturation_factor: float):
    x, t = _channels_last(img)
    return _back(img, _blend(x, _gray(x), saturation_factor, _bound(img)), t)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` of a turn (in [-0.5, 0.5]) through HSV, as torchvision."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5]")
    x, t = _channels_last(img)
    if x.shape[-1] == 1:
        return img
    bound = _bound(img)
    h, s, v = _rgb_to_hsv(x / bound)
    return _back(img, _hsv_to_rgb((h + hue_factor) % 1.0, s, v) * bound, t)


def _rgb_to_hsv(x: np.ndarray):
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    maxc, minc = x.max(-1), x.min(-1)
    cr = maxc - minc
    s = cr / np.where(maxc == 0, 1.0, maxc)
    safe = np.where(cr == 0, 1.0, cr)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(cr == 0, 0.0, (h / 6.0) % 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v) -> np.ndarray:
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(h.shape + (3,))
    for k, (r, g, b) in enumerate(table):
        mask = i == k
        out[mask] = np.stack([r, g, b], -1)[mask]
    return out


def _jitter_range(value, name: str, center: float = 1.0, bound=(0, float("inf"))) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = (center - value, center + value)
        if name != "hue":
            value = (max(value[0], 0.0), value[1])
    elif not (isinstance(value, Sequence) and len(value) == 2):
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order
    (torchvision's draws: a permutation of the four, then one uniform factor for each)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5))

    def __call__(self, img):
        g = rng()
        order = g.permutation(4)
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        factors = [None if r is None else float(g.uniform(r[0], r[1])) for r in ranges]
        ops = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        for k in order:
            if factors[k] is not None:
                img = ops[k](img, factors[k])
        return img

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")
