"""``save``/``load`` as PyTorch code calls them: ``torch.save(model.state_dict(), "model.pth")``.

The file is safetensors (written and read by ``serialization``), never pickle. What tutorials pass
is accepted: a path or an open binary file, ``map_location`` ("cpu", a CPU device, a dict or a
function mapping storages), ``weights_only`` (always true in effect: only tensors and plain values
are stored). A dict comes back in the order it was saved. A real PyTorch checkpoint (a zip archive
or a pickle) is recognised and refused with one line saying how to convert it; it is never unpickled.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping

import numpy as np

from . import serialization
from ._errors import NotSupportedError, NotSupportedTypeError
from .serialization import CheckpointError

__all__ = ["save", "load", "CheckpointError", "add_safe_globals", "safe_globals", "get_safe_globals"]

_NUMPY = "gradstep.numpy"  # metadata: where the saved object held NumPy arrays
_CONVERT = ("load it in PyTorch and save its state dict with safetensors: `from safetensors.torch "
            "import save_file; save_file(torch.load(path), 'model.safetensors')`, then load that file")


class PickleFileError(CheckpointError, NotSupportedError):
    """A PyTorch pickle (or zip of pickles) given to ``load``: refused, never unpickled."""


def _what_is(head: bytes) -> str | None:
    """What a file that starts with ``head`` (9 bytes) is, if it is one of the formats gradstep
    refuses. A safetensors file's 8-byte header length is followed by its JSON header's ``{``."""
    if head[8:9] == b"{":
        return None
    if head.startswith(b"PK\x03\x04"):
        return "a PyTorch checkpoint (a zip archive of pickled objects, torch.save's format)"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a pickle (PyTorch's legacy torch.save format)"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy array (load it with numpy.load and pass it to torch.tensor)"
    return None


def _hint_for(obj) -> str | None:
    from .nn.modules.module import Module
    from .optim.optimizer import Optimizer

    if isinstance(obj, Module):
        return (f"cannot save a whole {type(obj).__name__} module (that needs pickle, which gradstep "
                f"never uses): save model.state_dict() and restore it with model.load_state_dict(...)")
    if isinstance(obj, Optimizer):
        return (f"cannot save a whole {type(obj).__name__} optimizer: save optimizer.state_dict() "
                f"and restore it with optimizer.load_state_dict(...)")
    return None


def save(obj, f, metadata: dict | None = None, require_finite: bool = False, **_torch_options) -> None:
    """Save ``obj`` (a state dict, or nested dicts/lists/tuples of tensors and plain values) to
    ``f``, a path or a binary file, as safetensors. Writing a path is atomic.

    PyTorch's ``pickle_module``/``pickle_protocol``/``_use_new_zipfile_serialization`` options are
    accepted and have no effect: nothing is pickled.
    """
    hint = _hint_for(obj)
    if hint:
        raise NotSupportedTypeError(hint)
    meta = dict(metadata or {})
    arrays = list(_array_paths(obj, ()))
    if arrays:  # NumPy arrays come back as NumPy arrays, as PyTorch's pickles give them back
        meta[_NUMPY] = json.dumps(arrays)
    if isinstance(f, (str, os.PathLike)):
        serialization.save(obj, f, metadata=meta, require_finite=require_finite)
        return
    if not hasattr(f, "write"):
        raise TypeError(f"save(obj, f): f must be a path or a binary file, got {type(f).__name__}")
    with tempfile.TemporaryDirectory() as d:
        tmp = os.path.join(d, "obj.safetensors")
        serialization.save(obj, tmp, metadata=meta, require_finite=require_finite)
        with open(tmp, "rb") as src:
            f.write(src.read())


def _array_paths(obj, path: tuple):
    """The paths (keys and indices from the top) of the NumPy arrays inside ``obj``."""
    if isinstance(obj, np.ndarray):
        yield list(path)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _array_paths(v, (*path, k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _array_paths(v, (*path, i))


def _restore_arrays(obj, paths: list):
    """``obj`` with the tensors at ``paths`` turned back into NumPy arrays."""
    for path in paths:
        if not path:
            return obj.numpy()
        *head, last = path
        parent = obj
        for k in head:
            parent = parent[k]
        if isinstance(parent, tuple):  # rebuilt tuples are immutable: rebuild along the path
            obj = _replace(obj, path, parent[last].numpy())
        else:
            parent[last] = parent[last].numpy()
    return obj


def _replace(obj, path: list, value):
    if not path:
        return value
    k, rest = path[0], path[1:]
    if isinstance(obj, tuple):
        return tuple(_replace(v, rest, value) if i == k else v for i, v in enumerate(obj))
    obj[k] = _replace(obj[k], rest, value)
    return obj


def _check_location(map_location) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return  # storages are on the CPU already; a mapping or function has nothing to move
    where = str(map_location)
    if where != "cpu" and not where.startswith("cpu:"):
        raise ValueError(f"gradstep runs on the CPU only; map_location={where!r} is not available "
                         f"(use map_location='cpu' or leave it out)")


def load(f, map_location=None, weights_only: bool | None = None, mmap: bool | None = None, **_options):
    """Load what ``save`` wrote (or any safetensors file) from a path or a binary file.

    ``weights_only`` is accepted for PyTorch compatibility; gradstep's files hold only tensors and
    plain values, so every load is weights-only. A dict comes back in its saved key order.
    """
    _check_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        try:
            with open(path, "rb") as fh:
                head = fh.read(9)
        except OSError as e:
            raise CheckpointError(f"cannot read {path}: {e.strerror}") from None
        return _load_path(path, head)
    if not hasattr(f, "read"):
        raise TypeError(f"load(f): f must be a path or a binary file, got {type(f).__name__}")
    data = f.read()
    with tempfile.TemporaryDirectory() as d:
        tmp = os.path.join(d, "obj.safetensors")
        with open(tmp, "wb") as out:
            out.write(data)
        name = getattr(f, "name", None)
        return _load_path(tmp, data[:9], shown=name if isinstance(name, str) else "the file object")


def _load_path(path: str, head: bytes, shown: str | None = None):
    kind = _what_is(head)
    if kind:
        raise PickleFileError(f"{shown or path} is not a safetensors file: it is {kind}, and gradstep "
                              f"never unpickles. To use it, {_CONVERT}")
    obj = serialization.load(path)
    paths = serialization.load_metadata(path).get(_NUMPY)
    if paths:
        try:
            obj = _restore_arrays(obj, json.loads(paths))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise CheckpointError(f"{shown or path}: the list of NumPy arrays in its metadata does not fit "
                                  f"what it holds") from None
    return obj



# PyTorch's allow-list for unpickling with weights_only=True. gradstep unpickles nothing, so there is
# nothing to allow: these accept what code passes them and change nothing.
_safe: list = []


def add_safe_globals(safe_globals: list) -> None:
    """Accepted for PyTorch compatibility; gradstep's files hold no pickled objects to allow."""
    _safe.extend(safe_globals)


def get_safe_globals() -> list:
    return list(_safe)


class safe_globals:  # noqa: N801 - PyTorch's name
    """``with torch.serialization.safe_globals([...]):`` — accepted, with nothing to allow."""

    def __init__(self, safe_globals: list):
        self._globals = list(safe_globals)

    def __enter__(self):
        _safe.extend(self._globals)
        return self

    def __exit__(self, *exc):
        for g in self._globals:
            _safe.remove(g)
        return False
