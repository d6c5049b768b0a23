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


def _none(what: str):
    raise DeviceError(f"gradstep runs on the CPU only; there is no CUDA device {what} "
                      f"(gradstep.cuda.is_available() is False)")


def current_device() -> int:
    _none("to ask for")


def set_device(device) -> None:
    _none(f"{device!r} to select")


def get_device_name(device=None) -> str:
    _none("to name")


def memory_allocated(device=None) -> int:
    """0: no GPU memory is in use."""
    return 0


def max_memory_allocated(device=None) -> int:
    """0: no GPU memory is in use."""
    return 0


def reset_peak_memory_stats(device=None) -> None:
    """Nothing to reset."""
