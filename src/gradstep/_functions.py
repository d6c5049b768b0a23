"""The function forms of Tensor methods in the ``gradstep`` namespace (``gradstep.exp(x)``, ...)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._creation import _into
from ._dtype import get_default_dtype
from ._errors import ArgumentError, DTypeError, ShapeError
from .autograd import more_ops as _more_ops
from .autograd.more_math import bmm, dot, mv, outer
from .autograd.tensor import Tensor
from .autograd.tensor_math import _as_tensor_like, cat, maximum, minimum, stack, where
from .autograd.tensor_math import matmul as _matmul

__all__ = ["exp", "log", "sqrt", "rsqrt", "square", "abs", "sin", "cos", "tanh", "sigmoid", "relu",
           "clamp", "clip", "maximum", "minimum", "where", "sum", "mean", "var", "std", "max", "min",
           "argmax", "argmin", "logsumexp", "reshape", "flatten", "squeeze", "unsqueeze",
           "transpose", "permute", "cat", "concat", "concatenate", "stack", "softmax", "log_softmax",
           "matmul", "mm", "add", "sub", "mul", "div", "pow", "neg", "eq", "ne", "lt", "le", "gt",
           "ge", "isnan", "isinf", "isfinite", "sign", "all", "any", "allclose", "equal", "clone",
           "detach", "masked_fill", "sinh", "cosh", "tan", "atan", "arctan", "log1p", "expm1", "log2",
           "log10", "exp2", "reciprocal", "cumsum", "split", "tensor_split", "chunk", "unbind",
           "narrow", "dot", "mv", "outer", "ger", "bmm", "swapaxes"]


def _t(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return _as_tensor_like(x, Tensor._make(np.zeros((), get_default_dtype())))


def exp(input):
    return _t(input).exp()


def log(input):
    return _t(input).log()


def sqrt(input):
    return _t(input).sqrt()


def rsqrt(input):
    return _t(input).rsqrt()


def square(input):
    return _t(input).square()


def abs(input):
    return _t(input).abs()


def sin(input):
    return _t(input).sin()


def cos(input):
    return _t(input).cos()


def tanh(input):
    return _t(input).tanh()


def sigmoid(input):
    return _t(input).sigmoid()


def relu(input):
    return _t(input).relu()


def sinh(input):
    return _t(input).sinh()


def cosh(input):
    return _t(input).cosh()


def tan(input):
    return _t(input).tan()


def atan(input):
    return _t(input).atan()


arctan = atan


def log1p(input):
    return _t(input).log1p()


def expm1(input):
    return _t(input).expm1()


def log2(input):
    return _t(input).log2()


def log10(input):
    return _t(input).log10()


def exp2(input):
    return _t(input).exp2()


def reciprocal(input):
    return _t(input).reciprocal()


def clamp(input, min=None, max=None):
    return _t(input).clamp(min, max)


clip = clamp


def sum(input, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    return _t(input).sum(dim, keepdim, dtype, axis=axis, keepdims=keepdims)


def mean(input, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    return _t(input).mean(dim, keepdim, dtype, axis=axis, keepdims=keepdims)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    return _t(input).var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    return _t(input).std(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).max(dim, keepdim, axis=axis, keepdims=keepdims)


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).min(dim, keepdim, axis=axis, keepdims=keepdims)


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).argmax(dim, keepdim, axis=axis, keepdims=keepdims)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).argmin(dim, keepdim, axis=axis, keepdims=keepdims)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).logsumexp(dim, keepdim, axis=axis, keepdims=keepdims)


def reshape(input, shape):
    return _t(input).reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return _t(input).flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return _t(input).squeeze(dim)


def unsqueeze(input, dim):
    return _t(input).unsqueeze(dim)


def transpose(input, dim0, dim1):
    return _t(input).transpose(dim0, dim1)


swapaxes = transpose


def permute(input, dims):
    return _t(input).permute(dims)


concat = concatenate = cat


def softmax(input, dim):
    return _t(input).softmax(dim)


def log_softmax(input, dim):
    return _t(input).log_softmax(dim)


def matmul(input, other, *, out=None):
    return _into(_matmul(input, other), out)


def mm(input, mat2, *, out=None):
    return _into(_matmul(input, mat2), out)


def add(input, other, *, alpha=1, out=None):
    return _into(_t(input) + (other * alpha if alpha != 1 else other), out)


def sub(input, other, *, alpha=1, out=None):
    return _into(_t(input) - (other * alpha if alpha != 1 else other), out)


def mul(input, other, *, out=None):
    return _into(_t(input) * other, out)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return _into(_t(input) / other, out)
    if rounding_mode not in ("trunc", "floor"):
        raise ArgumentError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                            f"{rounding_mode!r}")
    q = _t(input) / other
    q = q.trunc() if rounding_mode == "trunc" else q.floor()
    a = _t(input)
    o = other._data.dtype if isinstance(other, Tensor) else np.asarray(other).dtype
    if a.dtype.kind in "iu" and o.kind in "iub":
        q = q.to(np.promote_types(a.dtype, o))
    return _into(q, out)


def pow(input, exponent):
    if isinstance(input, Tensor):
        return input ** exponent
    return _t(exponent).__rpow__(input)


def neg(input):
    return -_t(input)


def eq(input, other):
    return _t(input) == other


def ne(input, other):
    return _t(input) != other


def lt(input, other):
    return _t(input) < other


def le(input, other):
    return _t(input) <= other


def gt(input, other):
    return _t(input) > other


def ge(input, other):
    return _t(input) >= other


def isnan(input):
    return _t(input).isnan()


def isinf(input):
    return _t(input).isinf()


def isfinite(input):
    return _t(input).isfinite()


def sign(input):
    return _t(input).sign()


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).all(dim, keepdim, axis=axis, keepdims=keepdims)


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _t(input).any(dim, keepdim, axis=axis, keepdims=keepdims)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.allclose(_t(input)._data, _t(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    a, b = _t(input), _t(other)
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


def clone(input):
    return _t(input).clone()


def detach(input):
    return _t(input).detach()


def masked_fill(input, mask, value):
    return _t(input).masked_fill(mask, value)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    return _t(input).cumsum(dim, dtype=dtype, axis=axis)


def split(tensor, split_size_or_sections, dim=0):
    return _t(tensor).split(split_size_or_sections, dim)


def tensor_split(input, indices_or_sections, dim=0):
    return _t(input).tensor_split(indices_or_sections, dim)


def chunk(input, chunks, dim=0):
    return _t(input).chunk(chunks, dim)


def unbind(input, dim=0):
    return _t(input).unbind(dim)


def narrow(input, dim, start, length):
    return _t(input).narrow(dim, start, length)


ger = outer


def _method_form(name: str):
    """``gradstep.<name>(input, ...)``: the function form of the Tensor method of that name."""
    def fn(input, *args, **kwargs):
        return getattr(_t(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}(input, ...)`` is ``input.{name}(...)``."
    return fn


_METHOD_FORMS = ["asin", "arcsin", "acos", "arccos", "prod", "norm",
                 "amax", "amin", "median", "kthvalue", "trunc", "fix",
                 "frac", "fmod", "remainder", "floor", "ceil", "round", "clamp_min", "clamp_max", "lerp",
                 "addmm", "addcmul", "addcdiv", "logical_and", "logical_or", "logical_xor", "logical_not",
                 "isclose", "count_nonzero", "gather", "take_along_dim", "index_select", "masked_select",
                 "take", "select", "nonzero", "argwhere", "scatter", "scatter_add", "index_add", "flip",
                 "fliplr", "flipud", "roll", "movedim", "moveaxis", "sort", "argsort", "msort", "topk",
                 "unique", "repeat_interleave", "tile", "broadcast_to", "tril", "triu", "diagonal", "diag",
                 "diag_embed", "trace", "bernoulli", "t", "is_floating_point", "numel", "bitwise_and",
                 "bitwise_or", "bitwise_xor", "bitwise_not", "histc", "relu_", "sigmoid_", "tanh_", "exp_",
                 "sqrt_", "sin_", "cos_", "abs_", "neg_"]
for _name in _METHOD_FORMS:
    if _name not in globals():
        globals()[_name] = _method_form(_name)
__all__ += [n for n in _METHOD_FORMS if n != "numel"]
absolute = abs
true_divide = divide = div
multiply = mul
subtract = sub
negative = neg
__all__ += ["absolute", "true_divide", "divide", "multiply", "subtract", "negative", "inner", "hstack",
            "vstack", "column_stack", "broadcast_tensors", "broadcast_shapes", "logspace", "multinomial",
            "atan2", "arctan2", "var_mean", "std_mean", "cdist", "det", "inverse", "svd", "einsum",
            "histogram"]

HistogramResult = namedtuple("HistogramResult", ["hist", "bin_edges"])


def histogram(input, bins=100, *, range=None, weight=None, density: bool = False) -> HistogramResult:
    """Counts (or densities) of a floating tensor's values in ``bins`` equal bins (or at given edges)."""
    t = _t(input)
    if t.dtype.kind != "f":
        raise DTypeError(f"histogram expects a floating point tensor, got {t.dtype}")
    edges = bins._data if isinstance(bins, Tensor) else bins
    w = None if weight is None else _t(weight)._data.reshape(-1)
    hist, out_edges = np.histogram(t._data.reshape(-1), bins=edges, range=range, weights=w, density=density)
    return HistogramResult(Tensor._make(hist.astype(t.dtype)), Tensor._make(out_edges.astype(t.dtype)))


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products named by subscripts, as ``torch.einsum("ij,jk->ik", a, b)``; an implicit
    output (no ``->``) is the letters used once, sorted, as in NumPy and PyTorch."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [_t(x) for x in operands]
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise ArgumentError("einsum: ellipsis ('...') is not supported; name every dimension")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ts):
        raise ArgumentError(f"einsum(): {len(inputs)} operands in the equation but {len(ts)} given")
    for sub, t in zip(inputs, ts):
        if not sub.isalpha() or len(sub) != t.ndim:
            raise ArgumentError(f"einsum(): the subscripts {sub!r} do not match an operand with {t.ndim} "
                                f"dims")
    if not arrow:
        letters = "".join(inputs)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = np.promote_types(dt, t.dtype) if t.dtype != dt else dt
    try:
        return _more_ops.Einsum.apply(*[t.to(dt) for t in ts], inputs=tuple(inputs), output=out)
    except ValueError as e:
        raise ShapeError(f"einsum({equation!r}): operands of shapes {[t.shape for t in ts]} do not fit: "
                         f"{e}") from None


def det(input):
    from . import linalg  # linalg sits beside this module and loads on first use
    return linalg.det(input)


def inverse(input):
    from . import linalg
    return linalg.inv(input)


def svd(input, some: bool = True, compute_uv: bool = True):
    """``torch.svd``'s older form: ``(U, S, V)`` with V (not Vh), reduced unless ``some=False``."""
    from . import linalg
    u, s, vh = linalg.svd(input, full_matrices=not some)
    return u, s, vh.mT


def cdist(x1, x2, p: float = 2.0, compute_mode=None) -> Tensor:
    """The p-distances between every row of x1 (..., P, M) and of x2 (..., R, M): (..., P, R)."""
    x1, x2 = _t(x1), _t(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"cdist: expected (..., P, M) and (..., R, M) with the same M, got {x1.shape} and "
                         f"{x2.shape}")
    if not p >= 0:
        raise ArgumentError(f"cdist only supports non-negative p values, got {p}")
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    t = _t(input)
    return t.var(dim, unbiased, keepdim, correction=correction), t.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    t = _t(input)
    return t.std(dim, unbiased, keepdim, correction=correction), t.mean(dim, keepdim)


def inner(input, other):
    """Sum of products over the last dims (``dot`` for vectors)."""
    a, b = _t(input), _t(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    k = a.shape[-1]
    if b.shape[-1] != k:
        raise ShapeError(f"inner: the last dims must match, got shapes {a.shape} and {b.shape}")
    return matmul(a.reshape(-1, k), b.reshape(-1, k).t()).reshape(a.shape[:-1] + b.shape[:-1])


def hstack(tensors):
    ts = [_t(x) for x in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([x if x.ndim >= 2 else x.reshape(1, -1) for x in map(_t, tensors)], 0)


def column_stack(tensors):
    return cat([x.reshape(-1, 1) if x.ndim <= 1 else x for x in map(_t, tensors)], 1)


def broadcast_shapes(*shapes) -> tuple:
    return tuple(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


def broadcast_tensors(*tensors):
    ts = [_t(x) for x in tensors]
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    from ._creation import _finish, linspace
    exps = linspace(start, end, steps, dtype=np.float64, device=device)
    return _finish((base ** exps._data).astype(dtype or get_default_dtype()), requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to each row of ``input`` (1-D or 2-D)."""
    from .random import rng
    p = _t(input)._data.astype(np.float64)
    rows = p.reshape(1, -1) if p.ndim == 1 else p
    if p.ndim not in (1, 2) or np.any(rows < 0) or np.any(~np.isfinite(rows)) or np.any(rows.sum(1) <= 0):
        raise ArgumentError("multinomial expects a 1-D or 2-D tensor of non-negative, finite weights with a "
                            "positive sum in every row")
    if not replacement and num_samples > rows.shape[1]:
        raise ArgumentError(f"multinomial: cannot draw {num_samples} samples without replacement from "
                            f"{rows.shape[1]} categories")
    g = rng(generator)
    out = np.stack([g.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return Tensor._make(out.reshape(num_samples) if p.ndim == 1 else out.astype(np.int64)).long()


def atan2(input, other):
    """The angle of the point (other, input), in (-pi, pi]."""
    y, x = _t(input), _t(other)
    if y.dtype.kind != "f":
        y = y.to(x.dtype if x.dtype.kind == "f" else get_default_dtype())
    if x.dtype != y.dtype:
        x = x.to(y.dtype)
    return _more_ops.Atan2.apply(y, x)


arctan2 = atan2
