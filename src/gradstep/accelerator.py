"""``gradstep.accelerator``: PyTorch's device-agnostic accelerator queries; there is none here."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False) -> None:
    """None: no accelerator (so ``current_accelerator() or 'cpu'`` picks the CPU)."""
    return None


def set_device_index(device) -> None:
    from ._device import DeviceError
    raise DeviceError("gradstep runs on the CPU only; there is no accelerator to select "
                      "(gradstep.accelerator.is_available() is False)")
