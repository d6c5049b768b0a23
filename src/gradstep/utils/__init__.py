"""``gradstep.utils``: PyTorch's ``torch.utils`` paths (``gradstep.utils.data``)."""

from . import data

__all__ = ["data"]
