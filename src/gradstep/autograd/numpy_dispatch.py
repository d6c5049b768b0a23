"""NumPy's functions on Tensors: what lets a backward written on arrays run on Tensors.

Backward bodies are written once, with NumPy's operators and functions on arrays. To build the graph
of a gradient (``create_graph=True``) the engine calls the same body with Tensors in place of the
arrays; NumPy hands each call to ``Tensor.__array_ufunc__`` / ``Tensor.__array_function__``
(NEP 13 and NEP 18), and these run gradstep's differentiable op of the same meaning
(``np.exp`` -> ``Tensor.exp``, ``np.broadcast_to`` -> ``Tensor.expand``, ...).

Ufuncs dispatch always (before, a ufunc on a Tensor was an error). The other functions dispatch
only while the engine builds the graph of a gradient; elsewhere ``np.where(t, ...)`` and friends
keep working on the tensors' values as before. A NumPy call without a derivative here, on a tensor
that requires grad, raises a TypeError naming the function, which the engine reports with the op.
"""

from __future__ import annotations

import numpy as np

from . import grad_mode

_state = grad_mode._state


def _requires_grad(x) -> bool:
    return isinstance(x, Tensor) and x._requires_grad and _state.enabled


def _values(x):
    """Arrays for tensors, recursively through lists and tuples."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_values(v) for v in x)
    if isinstance(x, dict):
        return {k: _values(v) for k, v in x.items()}
    return x


def _binary(name: str, rname: str):
    def call(a, b):
        r = getattr(a, name)(b) if isinstance(a, Tensor) else getattr(b, rname)(a)
        if r is NotImplemented:
            raise TypeError(f"unsupported operands {type(a).__name__} and {type(b).__name__}")
        return r
    return call


def _unary(name: str):
    return lambda a: getattr(a, name)()


_UFUNCS = {
    np.add: _binary("__add__", "__radd__"),
    np.subtract: _binary("__sub__", "__rsub__"),
    np.multiply: _binary("__mul__", "__rmul__"),
    np.true_divide: _binary("__truediv__", "__rtruediv__"),
    np.power: _binary("__pow__", "__rpow__"),
    np.matmul: lambda a, b: tensor_math.matmul(a, b),
    np.maximum: lambda a, b: tensor_math.maximum(a, b),
    np.minimum: lambda a, b: tensor_math.minimum(a, b),
    np.negative: _unary("__neg__"),
    np.positive: lambda a: a,
    np.exp: _unary("exp"),
    np.log: _unary("log"),
    np.sqrt: _unary("sqrt"),
    np.sin: _unary("sin"),
    np.cos: _unary("cos"),
    np.tanh: _unary("tanh"),
    np.absolute: _unary("abs"),
    np.square: _unary("square"),
    np.log1p: lambda a: (a + 1).log(),
    np.expm1: lambda a: a.exp() - 1,
}

_ALIASES = {"arctan": "atan", "arcsin": "asin", "arccos": "acos", "arctanh": "atanh",
            "arcsinh": "asinh", "arccosh": "acosh"}

# piecewise constant: their derivative is zero, so they run on the values
_CONSTANT = {np.sign, np.floor, np.ceil, np.rint, np.trunc, np.isnan, np.isinf, np.isfinite,
             np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
             np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.bitwise_and,
             np.bitwise_or, np.bitwise_xor, np.invert, np.signbit}


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """``Tensor.__array_ufunc__``: the differentiable op for a NumPy ufunc."""
    out = kwargs.get("out")
    grads = any(_requires_grad(x) for x in inputs)
    if method == "__call__" and set(kwargs) <= {"out", "dtype"}:
        fn = _UFUNCS.get(ufunc)
        if fn is not None and (out is None or (len(out) == 1 and isinstance(out[0], Tensor))):
            result = fn(*inputs)
            dtype = kwargs.get("dtype")
            if dtype is not None and result.dtype != np.dtype(dtype):
                result = result.to(np.dtype(dtype))
            return result if out is None else _write(out[0], result)
        name = _ALIASES.get(ufunc.__name__, ufunc.__name__)
        if ufunc.nin == 1 and ufunc not in _CONSTANT and callable(getattr(Tensor, name, None)):
            return getattr(inputs[0], name)()  # a Tensor method of the same name (np.sinh: .sinh)
    if grads and (method != "__call__" or ufunc not in _CONSTANT or out is not None):
        raise TypeError(f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} has no "
                        f"derivative on gradstep tensors (or writes into out=); use an operation that "
                        f"has one")
    if out is not None:
        kwargs["out"] = _values(out)
    result = getattr(ufunc, method)(*_values(inputs), **kwargs)
    if out is not None or result is None:
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return Tensor._make(result) if isinstance(result, (np.ndarray, np.generic)) else result


def _write(t, result):
    """``out=t``: ``t`` made to hold ``result``, as an in-place op (recorded when it must be)."""
    if t._records_inplace(result):
        return t._rebase(result)
    t._data[...] = result._data
    t._version += 1
    return t


def _dims(axis):
    return axis if axis is None or isinstance(axis, int) else tuple(axis)


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return a.sum(_dims(axis), keepdim=keepdims, dtype=dtype)


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return a.mean(_dims(axis), keepdim=keepdims, dtype=dtype)


def _transpose(a, axes=None):
    return a.permute(*(range(a.ndim)[::-1] if axes is None else [int(d) for d in axes]))


def _moveaxis(a, source, destination):
    src = [int(d) % a.ndim for d in np.atleast_1d(source)]
    dst = [int(d) % a.ndim for d in np.atleast_1d(destination)]
    order = [d for d in range(a.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return a.permute(*order)


def _expand_dims(a, axis):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = a.ndim + len(axes)
    axes = sorted(ax % ndim for ax in axes)
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return a.reshape(tuple(shape))


def _split(a, indices_or_sections, axis=0):
    n = a.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        step = n // int(indices_or_sections)
        bounds = [i * step for i in range(1, int(indices_or_sections))]
    else:
        bounds = [int(i) for i in indices_or_sections]
    edges = [0, *bounds, n]
    lead = (slice(None),) * (axis % a.ndim)
    return [a[(*lead, slice(lo, hi))] for lo, hi in zip(edges[:-1], edges[1:])]


def _flip(a, axis=None):
    axes = range(a.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    index = tuple(slice(None, None, -1) if d in {ax % a.ndim for ax in axes} else slice(None)
                  for d in range(a.ndim))
    return ops.Index.apply(a, index, True)


def _like(fn):
    return lambda a, *args, **kwargs: Tensor._make(fn(_values(a), *args, **kwargs))


_FUNCTIONS = {
    np.where: lambda cond, a, b: tensor_math.where(cond, a, b),
    np.sum: _sum,
    np.mean: _mean,
    np.broadcast_to: lambda a, shape, subok=False: a.expand(tuple(shape)),
    np.swapaxes: lambda a, i, j: a.transpose(i, j),
    np.transpose: _transpose,
    np.moveaxis: _moveaxis,
    np.expand_dims: _expand_dims,
    np.reshape: lambda a, shape, **_: a.reshape(shape),
    np.squeeze: lambda a, axis=None: a.squeeze(axis),
    np.split: _split,
    np.clip: lambda a, lo, hi, **_: a.clamp(lo, hi),
    np.flip: _flip,
    np.cumsum: lambda a, axis=None, dtype=None, out=None: a.cumsum(axis),
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: a.numel() if axis is None else a.shape[axis],
    np.zeros_like: _like(np.zeros_like),
    np.ones_like: _like(np.ones_like),
    np.full_like: _like(np.full_like),
}


def array_function(self, func, types, args, kwargs):
    """``Tensor.__array_function__``: the differentiable op for a NumPy function while the engine
    builds the graph of a gradient; the function on the values otherwise."""
    if _state.graph_of_grad:
        fn = _FUNCTIONS.get(func)
        if fn is not None and (func is np.where or isinstance(args[0], Tensor)):
            return fn(*args, **kwargs)
        if any(_requires_grad(a) for a in (*args, *kwargs.values())):
            raise TypeError(f"numpy.{func.__name__} has no derivative on gradstep tensors; use an "
                            f"operation that has one")
        return func(*_values(args), **_values(kwargs))  # constants: on their values
    impl = getattr(func, "_implementation", None)
    if impl is None:  # as without this protocol: the tensors' arrays (numpy() refuses grad ones)
        return func(*_arrays(args), **{k: _arrays(v) for k, v in kwargs.items()})
    return impl(*args, **kwargs)


def _arrays(x):
    if isinstance(x, Tensor):
        return x.__array__()
    if isinstance(x, (list, tuple)):
        return type(x)(_arrays(v) for v in x)
    return x


from . import ops, tensor_math  # noqa: E402

Tensor = None  # bound by tensor.py once the class exists (it imports this module)
