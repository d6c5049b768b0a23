"""torchvision.io's image reading: ``read_image`` / ``decode_image`` give a uint8 tensor (C, H, W).

Files are decoded with Pillow (as ``ImageFolder`` does); nothing in a file is run.
"""

from __future__ import annotations

import enum
import os

import numpy as np

from ..autograd import Tensor

__all__ = ["ImageReadMode", "read_image", "decode_image"]


class ImageReadMode(enum.Enum):
    """How to convert the channels of a decoded image, as torchvision.io.ImageReadMode."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def _as_mode(mode) -> ImageReadMode:
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str) and mode.upper() in ImageReadMode.__members__:
        return ImageReadMode[mode.upper()]
    raise ValueError(f"mode must be an ImageReadMode or one of {', '.join(ImageReadMode.__members__)}, "
                     f"got {mode!r}")


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False) -> Tensor:
    """An image file (a path) as a uint8 tensor (C, H, W); ``mode`` converts its channels."""
    if isinstance(input, Tensor):
        raise TypeError("decode_image: gradstep decodes image files, not tensors of encoded bytes; pass the "
                        "file's path")
    mode = _as_mode(mode)
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError("reading image files needs Pillow (pip install pillow)") from None
    path = os.fspath(input)
    try:
        with Image.open(path) as img:
            if apply_exif_orientation:
                img = ImageOps.exif_transpose(img)
            if mode is not ImageReadMode.UNCHANGED:
                img = img.convert(_PIL_MODES[mode])
            elif img.mode not in ("L", "LA", "RGB", "RGBA"):
                img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
            arr = np.asarray(img, dtype=np.uint8)
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read the image {path}: {e}") from None
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return Tensor._make(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False) -> Tensor:
    """The image file at ``path`` as a uint8 tensor (C, H, W), as torchvision.io.read_image."""
    return decode_image(path, mode, apply_exif_orientation)
