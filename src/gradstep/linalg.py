"""``gradstep.linalg``: the ``torch.linalg`` functions tutorials use (norms, ``det``, ``inv``,
``solve``, ``svd``, ``cross``), differentiable, on (..., M, N) batches of matrices.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._dtype import print_namespace
from ._errors import ArgumentError, ShapeError
from .autograd import Function
from .autograd.function import call
from .autograd.grad_mode import is_grad_enabled
from .autograd.tensor import Tensor
from .autograd.tensor_math import matmul

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "solve", "svd",
           "svdvals", "eig", "eigvals", "cross", "matmul"]



class LinAlgError(ArgumentError):
    """A matrix the operation cannot handle (singular for ``inv``); a RuntimeError, as PyTorch's."""


SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
class EigResult(namedtuple("EigResult", ["eigenvalues", "eigenvectors"])):
    """``(eigenvalues, eigenvectors)``, printed as PyTorch prints ``torch.return_types.linalg_eig``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return (f"{print_namespace()}.return_types.linalg_eig(\neigenvalues={self.eigenvalues!r},\n"
                f"eigenvectors={self.eigenvectors!r})")


def _square(a: Tensor, name: str) -> None:
    if not isinstance(a, Tensor) or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                         f"{getattr(a, 'shape', type(a).__name__)}")
    if a.dtype.kind != "f":
        raise TypeError(f"linalg.{name}: expected a floating point tensor, got {a.dtype}")


def _mT(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class _Det(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d det(A) / dA = det(A) * inv(A)^T
        a, out = ctx.saved_tensors
        scale = grad * out
        if not isinstance(scale, Tensor):
            scale = np.asarray(scale)
        return _cast(scale[..., None, None] * _mT(call(_Inv, a)), a.dtype)


class _Inv(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d inv(A) = -inv(A) dA inv(A)
        (out,) = ctx.saved_tensors
        return -_mT(out) @ grad @ _mT(out)


class _Svd(Function):
    """The reduced SVD ``A = U diag(S) Vh``, packed along the last axis as [U | S | Vh] (one output,
    which ``svd`` slices); the gradient assumes distinct singular values, as PyTorch's."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, s, vh, a)
        batch = a.shape[:-2]
        return np.concatenate([u.reshape(*batch, -1), s, vh.reshape(*batch, -1)], -1)

    @staticmethod
    def backward(ctx, grad):
        u, s, vh, a = ctx.saved_tensors
        if isinstance(grad, Tensor):  # building the gradient's graph: U, S, Vh as ops of A
            u, s, vh = _unpack(_Svd.apply(a), a.shape)
        m, k, n = u.shape[-2], s.shape[-1], vh.shape[-1]
        batch = grad.shape[:-1]
        gu = grad[..., :m * k].reshape(*batch, m, k)
        gs = grad[..., m * k:m * k + k]
        gv = _mT(grad[..., m * k + k:].reshape(*batch, k, n))
        v = _mT(vh)
        eye = np.eye(k, dtype=bool)
        s2 = s[..., None, :] ** 2 - s[..., :, None] ** 2  # s_j^2 - s_i^2
        f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, s2))
        ut_gu, vt_gv = _mT(u) @ gu, _mT(v) @ gv
        sd = s[..., None, :]
        inner = (f * (ut_gu - _mT(ut_gu))) * sd + _mT(sd) * (f * (vt_gv - _mT(vt_gv)))
        inner = inner + np.eye(k) * gs[..., None, :]
        ga = u @ inner @ vh
        if m > k:  # the part of gu outside U's span
            ga = ga + ((gu - u @ ut_gu) / sd) @ vh
        if n > k:
            ga = ga + u @ _mT((gv - v @ vt_gv) / sd)
        return _cast(ga, u.dtype)


def _cast(x, dtype):
    return x.to(dtype) if isinstance(x, Tensor) else x.astype(dtype, copy=False)


def _unpack(packed: Tensor, shape: tuple):
    """(U, S, Vh) from ``_Svd``'s output for an A of ``shape``."""
    m, n = shape[-2:]
    k = min(m, n)
    batch = shape[:-2]
    return (packed[..., :m * k].reshape(*batch, m, k), packed[..., m * k:m * k + k],
            packed[..., m * k + k:].reshape(*batch, k, n))


def det(A: Tensor) -> Tensor:
    _square(A, "det")
    return _Det.apply(A)


def slogdet(A: Tensor) -> SlogdetResult:
    _square(A, "slogdet")
    d = det(A)
    return SlogdetResult(Tensor._make(np.sign(d._data)), d.abs().log())


def inv(A: Tensor) -> Tensor:
    _square(A, "inv")
    try:
        return _Inv.apply(A)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.inv: the matrix is singular (not invertible)") from None


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B with ``left=False``)."""
    _square(A, "solve")
    return matmul(inv(A), B) if left else matmul(B, inv(A))


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """``(U, S, Vh)`` with A = U diag(S) Vh; only the reduced form (``full_matrices=False``) is
    differentiable, as PyTorch's gradient for the full one is defined on the reduced part."""
    if not isinstance(A, Tensor) or A.ndim < 2:
        raise ShapeError(f"linalg.svd: A must have at least 2 dimensions, got "
                         f"{getattr(A, 'shape', type(A).__name__)}")
    if full_matrices and A.shape[-1] != A.shape[-2]:
        if A.requires_grad:
            raise ArgumentError("linalg.svd: the gradient of full_matrices=True is not supported for "
                                "non-square matrices; use full_matrices=False")
        u, s, vh = np.linalg.svd(A._data, full_matrices=True)
        return SVDResult(Tensor._make(u), Tensor._make(s), Tensor._make(vh))
    return SVDResult(*_unpack(_Svd.apply(A), A.shape))


def svdvals(A: Tensor) -> Tensor:
    return svd(A, full_matrices=False).S


def eig(A: Tensor) -> EigResult:
    """Eigenvalues and unit eigenvectors (columns) of square matrices, as complex tensors (complex64
    for float32, complex128 for float64), in LAPACK's order as PyTorch's. Not differentiable: the
    results are for reading (``.real``, ``.imag``, ``abs()``, printing), not for further autograd."""
    _square(A, "eig")
    if A.requires_grad and is_grad_enabled():
        raise ArgumentError("linalg.eig: gradstep has no gradient for eigendecompositions (complex tensors "
                            "take no part in autograd); call it on A.detach() or under no_grad()")
    values, vectors = np.linalg.eig(A._data)
    complex_dtype = np.result_type(A.dtype, np.complex64)
    return EigResult(Tensor._make(values.astype(complex_dtype)), Tensor._make(vectors.astype(complex_dtype)))


def eigvals(A: Tensor) -> Tensor:
    """The eigenvalues of ``eig``."""
    return eig(A).eigenvalues


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    return x.norm(ord, dim, keepdim, dtype)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    if ord == "fro":
        return A.norm("fro", dim, keepdim, dtype)
    if ord == "nuc":
        s = svdvals(A if dtype is None else A.to(dtype))
        return s.sum(-1)
    raise ArgumentError(f"linalg.matrix_norm: ord={ord!r} is not supported; use 'fro' or 'nuc'")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The 2-norm of a vector (or of all elements), or a matrix norm when ``ord`` is 'fro'/'nuc'."""
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim``."""
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise ShapeError(f"linalg.cross: inputs dimension {dim} must have length 3, got {input.shape} and "
                         f"{other.shape}")
    a = input.unbind(dim)
    b = other.unbind(dim)
    from .autograd.tensor_math import stack
    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]],
                 dim if dim >= 0 else dim + max(input.ndim, other.ndim))
