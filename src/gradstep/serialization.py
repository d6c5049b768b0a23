"""Saving and loading tensors safely: the safetensors format, atomic writes, strict validation.

``gradstep.save(state_dict, path)`` writes a safetensors file that ``safetensors.torch.load_file``
reads straight into the same architecture built in PyTorch. Nested objects (a training checkpoint
holding model, optimizer, scheduler, RNG and loader states) are stored in one file too: every
array becomes a tensor named by its path, and the structure, with the plain Python values, goes
into the file's metadata as JSON.

Writes are atomic: a temporary file in the same directory, flushed and fsynced, then
``os.replace``, so a crash at any moment leaves the previous file intact. Loading checks the
header (its size, the JSON, every dtype, shape and byte range) before any data is read and raises
``CheckpointError`` naming the file and the problem. Nothing is ever unpickled.
"""

from __future__ import annotations

import copy
import json
import math
import os
import struct
from collections.abc import Mapping

import numpy as np

from .autograd.tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "atomic_write_bytes"]

_STRUCTURE_KEY = "gradstep.structure"
_MAX_HEADER = 100_000_000  # the safetensors format's own limit
_MAX_DEPTH = 64  # JSON nesting allowed in a header (a training checkpoint needs about 12)
_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
           "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64}
_SEP = "/"


class CheckpointError(ValueError):
    """A file that is not a valid gradstep/safetensors file, or that does not fit what loads it."""


# ---------------------------------------------------------------------- flattening

def _flatten(obj, path: str, arrays: dict):
    """Replace every array in ``obj`` by a reference to its entry in ``arrays``; return the rest."""
    if isinstance(obj, Tensor):
        obj = obj.detach().numpy()
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"cannot save an array of dtype {obj.dtype} at {path or 'the top level'}")
        if path in arrays:
            raise TypeError(f"two entries would be saved under the name {path!r} (keys such as 1 and "
                            f"'1' in one dict); rename one")
        arrays[path] = obj if obj.flags.c_contiguous else obj.copy(order="C")
        return {"__tensor__": path}
    if isinstance(obj, np.generic):
        return _flatten(obj.item(), path, arrays)
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"cannot save key {k!r} at {path or 'the top level'}: keys must be "
                                f"ints or strings")
            # a key holding the separator ("lr/group0") is kept as it is; where it would give two
            # arrays one name, the second is refused
            sub = f"{path}{_SEP}{k}" if path else str(k)
            out[("i:" if isinstance(k, int) else "s:") + str(k)] = _flatten(v, sub, arrays)
        return {"__dict__": out}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, f"{path}{_SEP}{i}" if path else str(i), arrays) for i, v in enumerate(obj)]
        return {"__list__": items} if isinstance(obj, list) else {"__tuple__": items}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    raise TypeError(f"cannot save an object of type {type(obj).__name__} at {path or 'the top level'}; "
                    f"gradstep saves tensors, arrays, numbers, strings, lists and dicts")


def _unflatten(node, arrays: dict, where: str):
    try:
        return _rebuild(node, arrays, where)
    except CheckpointError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        kind = type(e).__name__
        raise CheckpointError(f"{where}: the saved structure is malformed ({kind}: {e})") from None


def _rebuild(node, arrays: dict, where: str):
    if isinstance(node, dict):
        if "__tensor__" in node:
            key = node["__tensor__"]
            if key not in arrays:
                raise CheckpointError(f"{where}: the structure names tensor {key!r}, which the file lacks")
            return Tensor._make(arrays[key])
        if "__dict__" in node:
            out = {}
            for k, v in node["__dict__"].items():
                if k[:2] not in ("i:", "s:"):
                    raise CheckpointError(f"{where}: unknown key {k!r} in the saved structure")
                out[int(k[2:]) if k.startswith("i:") else k[2:]] = _rebuild(v, arrays, where)
            return out
        if "__list__" in node:
            return [_rebuild(v, arrays, where) for v in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_rebuild(v, arrays, where) for v in node["__tuple__"])
        if "__float__" in node:
            return float(node["__float__"])
        raise CheckpointError(f"{where}: unknown entry in the saved structure: {sorted(node)}")
    return node


def copy_state(obj):
    """A deep copy of a state dict (a model's, an optimizer's, a loader's) that shares nothing with
    it: tensors become NumPy array copies, containers are rebuilt, other values deep-copied. What
    restoring to an earlier point in memory needs, without writing a file."""
    if isinstance(obj, Tensor):
        return obj._data.copy()
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: copy_state(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(copy_state(v) for v in obj)
    return copy.deepcopy(obj)


# ---------------------------------------------------------------------- writing

def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that the file is, at every moment, either the old or the new one."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    import tempfile  # here, not at import time: it pulls in shutil and random

    prefix = f".tmp-{os.path.basename(path)}."
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it an ordinary file's mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _remove_stale_temporaries(directory, os.path.basename(path))
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Remove temporaries of ``name`` left by writers that were killed before their rename (their
    process id, part of the name, no longer runs); a live writer's temporary is left alone."""
    prefix = f".tmp-{name}."
    for entry in os.listdir(directory):
        if not entry.startswith(prefix):
            continue
        pid = entry[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def save(obj, path, metadata: dict | None = None, require_finite: bool = False) -> None:
    """Save ``obj`` (a state dict, or any nesting of dicts/lists of tensors and plain values) to
    ``path`` in the safetensors format, atomically.

    A flat dict of tensors (``model.state_dict()``) is stored under its own keys, so PyTorch's
    ``safetensors.torch.load_file`` loads it into the same architecture. ``metadata`` adds
    string entries to the header. With ``require_finite``, a NaN or infinity anywhere raises
    ``ValueError`` naming the tensor, and nothing is written.
    """
    from safetensors.numpy import save as st_save

    arrays: dict = {}
    structure = _flatten(obj, "", arrays)
    if require_finite:
        for k, a in arrays.items():
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ValueError(f"refusing to save: tensor {k!r} holds NaN or infinite values")
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta[_STRUCTURE_KEY] = json.dumps(structure, allow_nan=False)  # also for a flat dict: its key order
    data = st_save(arrays, metadata=meta or None)
    atomic_write_bytes(path, data)


# ---------------------------------------------------------------------- reading

def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in the JSON ``text``, counted without recursion
    (strings stripped first), so that a hostile header cannot exhaust Python's stack."""
    import re

    bare = re.sub(r'"(?:[^"\\]|\\.)*"', "", text).encode("ascii", "replace")
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = np.isin(codes, (0x5B, 0x7B)).astype(np.int64) - np.isin(codes, (0x5D, 0x7D))
    return int(np.cumsum(steps).max()) if steps.size else 0


def _parse_json(path: str, text: str, what: str):
    depth = _json_depth(text)
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"{path}: {what} is nested {depth} levels deep; at most {_MAX_DEPTH} "
                              f"are allowed")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise CheckpointError(f"{path}: {what} is not JSON ({e})") from None


def _open_header(path: str, f) -> tuple[dict, int, int]:
    """Read and check the header of the open file ``f``: (header, data start, file size). Only the
    length field and the header are read, whatever the file's size."""
    size = os.fstat(f.fileno()).st_size
    head = f.read(8)
    if len(head) < 8:
        raise CheckpointError(f"{path}: not a safetensors file: only {len(head)} bytes")
    (n,) = struct.unpack("<Q", head)
    if n > _MAX_HEADER or n > size - 8:
        raise CheckpointError(f"{path}: not a safetensors file (or truncated): the header claims "
                              f"{n} bytes but the file has {size - 8} after the length field")
    try:
        text = f.read(n).decode("utf-8")
    except UnicodeDecodeError as e:
        raise CheckpointError(f"{path}: not a safetensors file: the header is not JSON (not UTF-8: "
                              f"{e})") from None
    header = _parse_json(path, text, "the header")
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the safetensors header must be a JSON object")
    return header, 8 + n, size


def _validate(path: str, header: dict, start: int, size: int) -> dict:
    """Check every entry's dtype, shape and byte range, and that the data end where the file ends;
    return name -> (dtype, shape, begin, end)."""
    entries = {}
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise CheckpointError(f"{path}: __metadata__ must map strings to strings")
            continue
        try:
            dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"{path}: tensor {name!r} has a malformed header entry: {info!r}") from None
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise CheckpointError(f"{path}: tensor {name!r} has unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise CheckpointError(f"{path}: tensor {name!r} has an invalid shape {shape!r}")
        if not (type(begin) is int and type(end) is int and 0 <= begin <= end):
            raise CheckpointError(f"{path}: tensor {name!r} has invalid offsets {[begin, end]!r}")
        nbytes = math.prod(shape) * np.dtype(_DTYPES[dtype]).itemsize
        if end - begin != nbytes:
            raise CheckpointError(f"{path}: tensor {name!r} of shape {shape} and dtype {dtype} needs "
                                  f"{nbytes} bytes but its offsets span {end - begin}")
        if start + end > size:
            raise CheckpointError(f"{path}: tensor {name!r} ends at byte {start + end} but the file has "
                                  f"only {size} bytes (truncated?)")
        entries[name] = (dtype, shape, begin, end)
    spans = sorted((b, e, n) for n, (_, _, b, e) in entries.items() if e > b)
    for (_, e0, n0), (b1, _, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise CheckpointError(f"{path}: the data of tensors {n0!r} and {n1!r} overlap")
    covered = sum(e - b for b, e, _ in spans)
    data_end = max((e for _, e, _ in spans), default=0)
    if covered != data_end or start + data_end != size:
        raise CheckpointError(f"{path}: the tensors' data cover {covered} bytes but {size - start} follow "
                              f"the header (bytes appended to the file, or gaps between tensors)")
    return entries


def _read_tensors(path: str, f, entries: dict, start: int) -> dict:
    """Each tensor read straight from the file into its own array, of exactly its declared size."""
    arrays = {}
    for name, (dtype, shape, begin, end) in entries.items():
        arr = np.empty(shape, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"))
        f.seek(start + begin)
        if end > begin and f.readinto(memoryview(arr).cast("B")) != end - begin:
            raise CheckpointError(f"{path}: tensor {name!r} is truncated (the file changed while it "
                                  f"was read?)")
        arrays[name] = arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
    return arrays


def load(path, map_location=None, weights_only: bool = True):
    """Load what ``save`` wrote: a dict of tensors, or the saved nesting of dicts and lists.

    The header is read and checked first (its size, JSON nesting, every dtype, shape and byte
    range, and that nothing follows the data); then each tensor is read into an array of its
    declared size, so no file makes this read more than it declares. ``map_location`` and
    ``weights_only`` are accepted for PyTorch compatibility (gradstep never unpickles).
    """
    if map_location not in (None, "cpu"):
        raise ValueError(f"gradstep runs on the CPU only; map_location={map_location!r} is not available")
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            header, start, size = _open_header(path, f)
            entries = _validate(path, header, start, size)
            meta = header.get("__metadata__") or {}
            structure = None
            if _STRUCTURE_KEY in meta:
                structure = _parse_json(path, meta[_STRUCTURE_KEY], "the saved structure")
            arrays = _read_tensors(path, f, entries, start)
    except IsADirectoryError:
        raise CheckpointError(f"cannot read {path}: it is a folder, not a file") from None
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    if structure is None:
        return {k: Tensor._make(v) for k, v in arrays.items()}
    return _unflatten(structure, arrays, path)


def load_metadata(path) -> dict:
    """The string metadata of a safetensors file's header, without reading its tensors."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            header, start, size = _open_header(path, f)
    except IsADirectoryError:
        raise CheckpointError(f"cannot read {path}: it is a folder, not a file") from None
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    _validate(path, header, start, size)
    meta = header.get("__metadata__") or {}
    return {k: v for k, v in meta.items() if k != _STRUCTURE_KEY}
