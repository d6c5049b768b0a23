"""How a tensor prints: PyTorch's format, so what a student sees matches the tutorials.

Floats get 4 decimals (``tensor([0.1000, 0.5000])``), whole numbers a trailing point
(``tensor([1., 2.])``), and scientific notation when values span more than three orders of
magnitude or leave [1e-4, 1e8]; columns are right-aligned to one width; more than 1000 elements
are summarised with 3 at each edge.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtype

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)}
_options = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """PyTorch's ``set_printoptions``: digits, summarising threshold and edge items, line width, a
    profile ("default", "short", "full") and ``sci_mode`` (None: chosen by the values)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        _options.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            _options[name] = value
    _options["sci_mode"] = sci_mode


class _Formatter:
    """One width and one format for all elements shown, chosen from the nonzero finite values."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = _options["precision"]
        if not self.floating:
            self.width = max([len(str(v)) for v in np.atleast_1d(values).ravel().tolist()], default=1)
            return
        flat = values.astype(np.float64).ravel()
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size:
            mags = np.abs(vals)
            lo, hi = mags.min(), mags.max()
            self.int_mode = bool(np.all(vals == np.ceil(vals)))
            wide = hi / lo > 1000.0 or hi > 1.0e8
            self.sci_mode = wide if self.int_mode else (wide or lo < 1.0e-4)
        if _options["sci_mode"] is not None:
            self.sci_mode = _options["sci_mode"]
        if vals.size:
            if self.sci_mode:
                strs = [f"{v:.{p}e}" for v in vals]
            else:
                strs = [f"{v:.0f}." if self.int_mode else f"{v:.{p}f}" for v in vals]
            self.width = max(len(x) for x in strs)

    def format(self, v) -> str:
        p = _options["precision"]
        if not self.floating:
            out = str(v)
        elif self.sci_mode:
            out = f"{v:.{p}e}"
        elif self.int_mode:
            out = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            out = f"{v:.{p}f}"
        return out.rjust(self.width)


class _ComplexFormatter:
    """PyTorch's complex format: the real parts with one formatter, the imaginary parts with another,
    joined as ``re+imj`` (``1.+0.j``, ``-0.7071+0.j``)."""

    def __init__(self, values: np.ndarray):
        self.re, self.im = _Formatter(values.real), _Formatter(values.imag)
        self.width = self.re.width + self.im.width + 2

    def format(self, v) -> str:
        im = (self.im.format(v.imag) + "j").lstrip()
        return self.re.format(v.real) + (im if im[0] in "+-" else "+" + im)


def _formatter(values: np.ndarray):
    return _ComplexFormatter(values) if values.dtype.kind == "c" else _Formatter(values)


def _vector(data: np.ndarray, indent: int, summarize: bool, f: _Formatter) -> str:
    edge = _options["edgeitems"]
    per_line = max(1, int((_options["linewidth"] - indent) // (f.width + 2)))
    if summarize and data.shape[0] > 2 * edge:
        items = [f.format(v) for v in data[:edge].tolist()] + [" ..."] + \
                [f.format(v) for v in data[-edge:].tolist()]
    else:
        items = [f.format(v) for v in data.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(data: np.ndarray, indent: int, summarize: bool, f: _Formatter) -> str:
    if data.ndim == 1:
        return _vector(data, indent, summarize, f)
    edge = _options["edgeitems"]
    if summarize and data.shape[0] > 2 * edge:
        n = data.shape[0]
        parts = [_nested(data[i], indent + 1, summarize, f) for i in range(edge)] + ["..."] + \
                [_nested(data[i], indent + 1, summarize, f) for i in range(n - edge, n)]
    else:
        parts = [_nested(data[i], indent + 1, summarize, f) for i in range(data.shape[0])]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (the first and last few along every axis)."""
    edge = _options["edgeitems"]
    for axis in range(data.ndim):
        n = data.shape[axis]
        if n > 2 * edge:
            data = np.concatenate([np.take(data, range(edge), axis), np.take(data, range(n - edge, n), axis)],
                                  axis)
    return data


def _body(data: np.ndarray) -> str:
    if data.ndim == 0:
        return _formatter(data).format(data.item())
    summarize = data.size > _options["threshold"]
    f = _formatter(_summarized(data) if summarize else data)
    return _nested(data, len("tensor("), summarize, f)


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
    default_complex = np.result_type(_dtype.get_default_dtype(), np.complex64)
    if dt not in (_dtype.get_default_dtype(), default_complex, np.dtype("int64"), np.dtype("bool")):
        extra.append(f"dtype={ns}.{dt.name}")
    if grad_fn_name is not None:
        extra.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        extra.append("requires_grad=True")
    out = "tensor(" + body
    line = len(out) - out.rfind("\n") + 1  # PyTorch's measure of the last line
    for e in extra:  # a suffix that would pass the line width goes on its own line
        if line + len(e) + 2 > _options["linewidth"]:
            out += ",\n       " + e
            line = 7 + len(e)
        else:
            out += ", " + e
            line += len(e) + 2
    return out + ")"
