"""How a tensor prints: PyTorch's format, so what a student sees matches the tutorials.

Floats get 4 decimals (``tensor([0.1000, 0.5000])``), whole numbers a trailing point
(``tensor([1., 2.])``), and scientific notation when values span more than three orders of
magnitude or leave [1e-4, 1e8]; columns are right-aligned to one width; more than 1000 elements
are summarised with 3 at each edge.
"""

from __future__ import annotations

import numpy as np

from . import _dtype

_THRESHOLD = 1000
_EDGE = 3
_LINEWIDTH = 80


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
    wide = bool(nonzero.size) and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    if whole:
        if wide:
            fmt = "{:.4e}"
        else:
            def fmt_whole(v):
                return f"{v:.0f}." if np.isfinite(v) else str(v)
            return fmt_whole
    elif wide or (nonzero.size and nonzero.min() < 1e-4):
        fmt = "{:.4e}"
    else:
        fmt = "{:.4f}"

    def fmt_one(v):
        return fmt.format(v) if np.isfinite(v) else str(v)
    return fmt_one


def _body(data: np.ndarray) -> str:
    # PyTorch writes a summary's gap as " ..." between elements: one more space than NumPy
    return _numpy_body(data).replace(", ..., ", ",  ..., ")


def _numpy_body(data: np.ndarray) -> str:
    if data.dtype.kind != "f":
        return np.array2string(data, separator=", ", prefix="tensor(", threshold=_THRESHOLD,
                               edgeitems=_EDGE, max_line_width=_LINEWIDTH)
    shown = data if data.size <= _THRESHOLD else _edges(data)
    one = _float_formatter(shown.astype(np.float64).ravel())
    width = max((len(one(v)) for v in shown.astype(np.float64).ravel()), default=0)

    def fmt(v):
        return one(float(v)).rjust(width)
    return np.array2string(data, separator=", ", prefix="tensor(", threshold=_THRESHOLD,
                           edgeitems=_EDGE, max_line_width=_LINEWIDTH,
                           formatter={"float_kind": fmt})


def _edges(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (the first and last few along every axis)."""
    for axis in range(data.ndim):
        if data.shape[axis] > 2 * _EDGE:
            data = np.concatenate([np.take(data, range(_EDGE), axis),
                                   np.take(data, range(-_EDGE, 0), axis)], axis)
    return data


def tensor_repr(data: np.ndarray, requires_grad: bool, grad_fn_name: str | None) -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` as PyTorch prints it."""
    ns = _dtype.print_namespace()
    extra = []
    if data.size == 0:
        body = "[]"
        if data.shape != (0,):
            extra.append(f"size={tuple(data.shape)}")
    else:
        body = _body(data)
    dt = data.dtype
    if dt not in (_dtype.get_default_dtype(), np.dtype("int64"), np.dtype("bool")):
        extra.append(f"dtype={ns}.{dt.name}")
    if grad_fn_name is not None:
        extra.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        extra.append("requires_grad=True")
    out = "tensor(" + body
    line = len(out) - out.rfind("\n") + 1  # PyTorch's measure of the last line
    for e in extra:  # a suffix that would pass the line width goes on its own line
        if line + len(e) + 2 > _LINEWIDTH:
            out += ",\n       " + e
            line = 7 + len(e)
        else:
            out += ", " + e
            line += len(e) + 2
    return out + ")"
