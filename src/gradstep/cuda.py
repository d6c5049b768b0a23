"""``gradstep.cuda``: what PyTorch code asks about CUDA, answered for a CPU-only library.

``is_available()`` is False and ``device_count()`` 0, so code that picks its device picks the CPU;
seeding and synchronising are no-ops, as PyTorch's are when no GPU is present.
"""

from __future__ import annotations

from ._device import DeviceError


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed (PyTorch ignores the call too when CUDA is absent)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (PyTorch ignores the call too when CUDA is absent)."""


def synchronize(device=None) -> None:
    """Nothing to wait for on the CPU."""


def empty_cache() -> None:
    """No GPU memory to release."""


def current_device() -> int:
    raise DeviceError("gradstep runs on the CPU only; there is no current CUDA device "
                      "(gradstep.cuda.is_available() is False)")
