"""How a batch crosses the pipe between a worker and the main process, without pickling.

The two ends of a stream socket (``socket.socketpair``) carry messages made of an 8-byte length, a
JSON header (the structure: lists, tuples, dicts, Python values, and for every array its dtype and
shape) and the raw bytes of each array in turn, sent from the array's memory and received straight
into a freshly allocated array. Only plain data can travel this way; nothing on the receiving side
ever reconstructs arbitrary objects.
"""

from __future__ import annotations

import json
import socket
import struct

import numpy as np

from ..autograd import Tensor

_UNSUPPORTED = ("a DataLoader worker can send back only tensors, NumPy arrays and scalars, numbers, "
                "strings, bytes, None, and lists, tuples and dicts of these (nothing is pickled); "
                "got {}")


def _array_leaf(kind: str, arr: np.ndarray, arrays: list) -> dict:
    if arr.dtype.kind not in "biufcSU":
        raise TypeError(_UNSUPPORTED.format(f"an array of dtype {arr.dtype}"))
    arrays.append(np.ascontiguousarray(arr))
    return {"k": kind, "dtype": arr.dtype.str, "shape": list(arr.shape)}


def encode(obj, arrays: list):
    """The JSON-able structure of ``obj``; its arrays are appended to ``arrays`` in order."""
    if isinstance(obj, Tensor):
        leaf = _array_leaf("tensor", obj._data, arrays)
        leaf["grad"] = obj.requires_grad
        return leaf
    if isinstance(obj, np.ndarray):
        return _array_leaf("ndarray", obj, arrays)
    if isinstance(obj, np.generic):
        return _array_leaf("scalar", np.asarray(obj), arrays)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"k": "value", "v": obj}
    if isinstance(obj, bytes):
        return _array_leaf("bytes", np.frombuffer(obj, dtype=np.uint8), arrays)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        raise TypeError(_UNSUPPORTED.format(f"the namedtuple {type(obj).__name__} (use a dict)"))
    if isinstance(obj, (list, tuple)):
        return {"k": type(obj).__name__, "items": [encode(x, arrays) for x in obj]}
    if isinstance(obj, dict):
        return {"k": "dict", "keys": [encode(k, arrays) for k in obj],
                "values": [encode(v, arrays) for v in obj.values()]}
    raise TypeError(_UNSUPPORTED.format(type(obj).__name__))


def _recv_into(sock: socket.socket, buf: memoryview) -> None:
    """Fill ``buf`` from ``sock``; ``EOFError`` if the other end closes first."""
    while len(buf):
        n = sock.recv_into(buf)
        if n == 0:
            raise EOFError("the other end of the pipe was closed")
        buf = buf[n:]


def _receive_array(conn: socket.socket, leaf: dict) -> np.ndarray:
    dtype = np.dtype(leaf["dtype"])
    if dtype.kind not in "biufcSU":
        raise RuntimeError(f"DataLoader: a worker announced an array of dtype {dtype}, which is not "
                           "plain data")
    arr = np.empty([int(s) for s in leaf["shape"]], dtype=dtype)
    _recv_into(conn, memoryview(arr.reshape(-1).view(np.uint8)))
    return arr


def decode(tree: dict, conn: socket.socket):
    """Rebuild the object described by ``tree``, reading its arrays from ``conn`` in order."""
    kind = tree["k"]
    if kind == "value":
        return tree["v"]
    if kind == "list":
        return [decode(x, conn) for x in tree["items"]]
    if kind == "tuple":
        return tuple(decode(x, conn) for x in tree["items"])
    if kind == "dict":
        keys = [decode(k, conn) for k in tree["keys"]]
        return dict(zip(keys, [decode(v, conn) for v in tree["values"]]))
    arr = _receive_array(conn, tree)
    if kind == "tensor":
        return Tensor._make(arr, requires_grad=bool(tree.get("grad")) and arr.dtype.kind == "f")
    if kind == "scalar":
        return arr[()]
    if kind == "bytes":
        return arr.tobytes()
    if kind == "ndarray":
        return arr
    raise RuntimeError(f"DataLoader: unknown item kind {kind!r} in a worker's message")


def send(conn: socket.socket, header: dict, obj=None) -> None:
    """Send ``header`` (JSON-able) and ``obj``'s structure and arrays."""
    arrays: list = []
    head = json.dumps(dict(header, tree=encode(obj, arrays))).encode()
    conn.sendall(struct.pack("<Q", len(head)) + head)
    for a in arrays:
        conn.sendall(memoryview(a.reshape(-1).view(np.uint8)))


def receive(conn: socket.socket) -> tuple[dict, object]:
    """The header and the object of one message sent with ``send``."""
    size = bytearray(8)
    _recv_into(conn, memoryview(size))
    head = bytearray(struct.unpack("<Q", size)[0])
    _recv_into(conn, memoryview(head))
    header = json.loads(head)
    return header, decode(header["tree"], conn)
