"""Reverse-mode automatic differentiation: Tensor, Function, the engine and gradient checks."""

from . import tensor_math  # noqa: F401  (first: it defines Tensor's base class)
from .function import Function, backward, grad, once_differentiable  # noqa: I001
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_gradient, rel_error
from .tensor import Tensor
from .variable import Variable

__all__ = ["Function", "Tensor", "backward", "grad", "gradcheck", "gradgradcheck", "numerical_gradient",
           "rel_error", "once_differentiable", "functional", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "Variable"]

# last, once the engine is loaded: MoreMath reaches these primitives through the package
from . import functional, more_ops  # noqa: E402,F401
