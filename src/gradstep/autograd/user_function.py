"""A user's ``Function`` subclass sees Tensors, as in PyTorch.

gradstep's own ops run ``forward``/``backward`` on NumPy arrays. A subclass written outside
gradstep is PyTorch code: its ``forward`` gets Tensors (gradients off, as in PyTorch) and may call
any tensor method or ``torch.nn.functional``; its ``backward`` gets the gradient and the saved
values as Tensors and returns Tensors. These adapters wrap the user's two methods once, when the
class is defined, so the engine keeps calling every node the same way: on arrays for a first
derivative, on graph tensors when ``create_graph=True`` (where the user's backward runs unwrapped).
"""

from __future__ import annotations

import functools

import numpy as np

from . import grad_mode
from .tensor import Tensor


def _tensor(x):
    return Tensor._make(x) if isinstance(x, np.ndarray) else x


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def _wrap_forward(forward, setup_context):
    @functools.wraps(forward)
    def run(ctx, *args, **kwargs):
        inputs = tuple(_tensor(a) for a in args)  # views of the same arrays: saving one is saving the input
        with grad_mode.no_grad():
            if setup_context is None:
                out = forward(ctx, *inputs, **kwargs)
            else:
                out = forward(*inputs, **kwargs)
                setup_context(ctx, inputs, out)
        if isinstance(out, tuple):
            raise TypeError(f"{forward.__qualname__} returned {len(out)} outputs; gradstep's Function "
                            f"supports one output tensor")
        ctx.saved_tensors = tuple(_array(s) for s in ctx.saved_tensors)
        return _array(out)
    return run


def _wrap_backward(backward):
    @functools.wraps(backward)
    def run(ctx, grad):
        if isinstance(grad, Tensor):  # create_graph=True: the engine already gives graph tensors
            return backward(ctx, grad)
        arrays = ctx.saved_tensors
        ctx.saved_tensors = tuple(_tensor(s) for s in arrays)
        try:
            with grad_mode.no_grad():
                grads = backward(ctx, Tensor._make(grad))
        finally:
            ctx.saved_tensors = arrays
        if isinstance(grads, tuple):
            return tuple(_array(g) for g in grads)
        return _array(grads)
    if getattr(backward, "_once_differentiable", False):
        run._once_differentiable = True
    return run


def adapt(cls) -> None:
    """Give ``cls`` (a Function subclass defined outside gradstep) PyTorch's Tensor-level methods."""
    own = cls.__dict__
    setup = own.get("setup_context")
    if "forward" in own:
        setup_fn = setup.__func__ if isinstance(setup, staticmethod) else setup
        fwd = own["forward"]
        cls.forward = staticmethod(_wrap_forward(fwd.__func__ if isinstance(fwd, staticmethod) else fwd,
                                                 setup_fn))
    if "backward" in own:
        bwd = own["backward"]
        cls.backward = staticmethod(_wrap_backward(bwd.__func__ if isinstance(bwd, staticmethod) else bwd))
