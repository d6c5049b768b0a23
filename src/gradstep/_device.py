"""``gradstep.device``: PyTorch's device objects, on a library that runs on the CPU only.

Code written for PyTorch picks its device (``'cuda' if torch.cuda.is_available() else 'cpu'``) and
passes it around; here every check says no accelerator is present, so such code picks the CPU. A
device other than the CPU can be named (``device('cuda')``), as in PyTorch, but putting a tensor or
a module on it raises ``DeviceError`` with one line saying so.
"""

from __future__ import annotations

import builtins

from ._errors import NotSupportedError

# The device types PyTorch knows; naming one is allowed, using any but "cpu" is not.
_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "mkldnn", "vulkan", "hpu", "mtia",
          "privateuseone", "lazy", "maia", "opengl", "opencl", "ideep", "ve", "fpga")


class DeviceError(ValueError, RuntimeError, AssertionError, NotSupportedError):
    """A tensor or module was asked to live on a device other than the CPU.

    A ValueError for gradstep's convention; a RuntimeError and an AssertionError because PyTorch
    built without CUDA raises one or the other (``.cuda(1)``; ``.cuda()``, ``device='cuda'``).
    """


class device:
    """Where a tensor lives: ``device('cpu')``, ``device('cpu', 0)``, ``device('cuda:0')``.

    Equal devices compare equal and hash alike; ``str`` gives ``'cpu'``, ``repr``
    ``device(type='cpu')``, as in PyTorch (where a device never equals a string).
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type, index: builtins.int | None = None) -> None:  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(device, index): give the index in the string or the device, not both")
            type, index = type._type, type._index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            type, index = "cuda", type  # PyTorch reads a bare ordinal as an accelerator's
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {builtins.type(type).__name__}")
        name, _, ordinal = type.partition(":")
        if name not in _TYPES:
            raise DeviceError(f"unknown device type {name!r} in {type!r}; expected one of "
                              f"{', '.join(_TYPES)} (gradstep can use only 'cpu')")
        if ordinal:
            if index is not None:
                raise DeviceError(f"device string {type!r} has an index and index={index} was also given")
            if not ordinal.isdigit():
                raise DeviceError(f"invalid device string {type!r}: the index after ':' must be a "
                                  f"non-negative integer")
            index = builtins.int(ordinal)
        if index is not None and (not isinstance(index, builtins.int) or index < 0):
            raise DeviceError(f"device index must be a non-negative integer, got {index!r}")
        self._type, self._index = name, index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> builtins.int | None:
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __eq__(self, other) -> builtins.bool:
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> builtins.int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (self._type, self._index))

    def __enter__(self) -> device:
        check(self)
        return self

    def __exit__(self, *exc) -> None:
        return None


CPU = device("cpu")


def check(dev) -> None:
    """Raise ``DeviceError`` unless ``dev`` is None or names the CPU (a string, device or int)."""
    if dev is None or dev is CPU:
        return
    d = dev if isinstance(dev, device) else device(dev)
    if d._type != "cpu":
        raise DeviceError(f"gradstep runs on the CPU only; device {str(d)!r} is not available (code that "
                          f"picks its device with torch.cuda.is_available() gets 'cpu' here)")


def is_device(obj) -> builtins.bool:
    """Whether ``obj`` names a device (a ``device`` or a string such as ``'cpu'``/``'cuda:0'``)."""
    if isinstance(obj, device):
        return True
    return isinstance(obj, str) and obj.partition(":")[0] in _TYPES
