"""``linear``: the fused affine map of ``nn.Linear``, one autograd node for ``x W^T + b``."""

from __future__ import annotations

from ..._errors import ShapeError
from ...autograd.function import Function
from ...autograd.tensor import Tensor
from ...kernels import linear as klinear


class LinearFunction(Function):
    """y = x W^T + b in one node: one matmul forward, at most two matmuls and a sum backward."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return klinear.linear_forward(x, w, b)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        # dW and db go straight into the parameters' gradient buffers when they can
        dw_out = ctx.grad_buffer(1) if nw else None
        db_out = ctx.grad_buffer(2) if nb else None
        return klinear.linear_backward(grad, x, w, nx, nw, nb, dw_out=dw_out, db_out=db_out)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` for input (..., in_features), weight (out_features, in_features)."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear expects tensors, got input {type(input).__name__} and weight "
                        f"{type(weight).__name__}")
    x, w = input._data, weight._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ShapeError(f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} "
                         f"features in its last dimension, but the weight of shape {w.shape} "
                         f"expects (..., {w.shape[-1]})")
    if x.dtype != w.dtype:
        raise TypeError(f"linear: input dtype {x.dtype} and weight dtype {w.dtype} differ; cast "
                        f"the input (x.to(...)) or the module (model.double() / model.float())")
    if bias is not None:
        b = bias._data
        if b.shape != (w.shape[0],):
            raise ShapeError(f"linear: bias has shape {b.shape}, expected ({w.shape[0]},)")
        if b.dtype != w.dtype:
            raise TypeError(f"linear: bias dtype {b.dtype} and weight dtype {w.dtype} differ")
    return LinearFunction.apply(input, weight, bias)
