"""``gradstep.accelerator``: PyTorch's device-agnostic accelerator queries; there is none here."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False) -> None:
    """None: no accelerator (so ``current_accelerator() or 'cpu'`` picks the CPU)."""
    return None
