"""torchvision's ``utils`` for looking at image batches: ``make_grid`` and ``save_image``."""

from __future__ import annotations

import io
import math
import os
import tempfile

import numpy as np

from ..autograd import Tensor

__all__ = ["make_grid", "save_image"]


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False, value_range=None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a batch of images (B, C, H, W), or a list of (C, H, W), into one image (C, H', W') with
    ``nrow`` images per row; one-channel images become three, as torchvision does."""
    if isinstance(tensor, (list, tuple)):
        arr = np.stack([t.detach()._data if isinstance(t, Tensor) else np.asarray(t) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor.detach()._data
    else:
        raise TypeError(f"make_grid expects a tensor or a list of tensors, got {type(tensor).__name__}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[None] if arr.shape[0] != 1 else np.concatenate([arr] * 3)[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects images of shape (B, C, H, W), got {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    arr = arr.astype(np.float32 if arr.dtype.kind != "f" else arr.dtype)
    if normalize:
        arr = arr.copy()
        parts = arr if scale_each else arr[None]
        for img in parts:
            lo, hi = value_range if value_range is not None else (img.min(), img.max())
            np.clip(img, lo, hi, out=img)
            img -= lo
            img /= max(hi - lo, 1e-5)
    if arr.shape[0] == 1:
        return Tensor._make(arr[0])
    n, c, h, w = arr.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((c, (h + padding) * rows + padding, (w + padding) * cols + padding), pad_value, arr.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = arr[k]
    return Tensor._make(grid)


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """``make_grid(tensor, **kwargs)`` written as an image file (PNG unless ``format`` or the name says
    otherwise); values in [0, 1] map to 0..255. The file appears whole or not at all."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs)._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    buf = io.BytesIO()
    fmt = format or (None if isinstance(fp, (str, os.PathLike)) and os.path.splitext(fp)[1] else "PNG")
    if fmt is None:
        ext = os.path.splitext(fp)[1].lower()
        fmt = Image.registered_extensions().get(ext)
        if fmt is None:
            raise ValueError(f"save_image: unknown image file extension {ext!r}; give format= (e.g. 'PNG')")
    Image.fromarray(pixels).save(buf, format=fmt)
    if not isinstance(fp, (str, os.PathLike)):
        fp.write(buf.getvalue())
        return
    folder = os.path.dirname(os.path.abspath(fp))
    if not os.path.isdir(folder):  # as PIL's save: the folder must exist
        raise FileNotFoundError(f"save_image: no such folder {folder} for {fp}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(fp))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, fp)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
