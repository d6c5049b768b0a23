"""The table of differentiable operations: one row per op and input configuration.

Each row's ``fn(m, *inputs)`` is written once and runs on both libraries: ``m`` is the module
(``gradstep`` or ``torch``) and the inputs are that library's tensors. The gradcheck test and the
PyTorch comparison test both run over ``CASES``; adding an op means adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Input:
    shape: tuple
    domain: str = "any"          # "any": U(-2, 2); "positive": U(0.5, 2); "nonzero": |x| in [0.5, 2]
    transposed: bool = False     # a non-contiguous view: the transpose of a C-ordered array
    grad: bool = True            # whether the input requires grad

    def make(self, rng: np.random.Generator, dtype) -> np.ndarray:
        shape = self.shape[::-1] if self.transposed else self.shape
        if self.domain == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        elif self.domain == "nonzero":
            a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        else:
            a = rng.uniform(-2.0, 2.0, shape)
        a = a.astype(dtype)
        return a.T if self.transposed else a


@dataclass(frozen=True)
class Case:
    name: str
    fn: object
    inputs: tuple
    differentiable: bool = True
    tags: tuple = field(default=())

    @property
    def id(self) -> str:
        shapes = ",".join("x".join(map(str, i.shape)) + ("T" if i.transposed else "") for i in self.inputs)
        return f"{self.name}[{shapes}]"


def I(*shape, **kw) -> Input:  # noqa: E743 - short name keeps the table readable
    return Input(tuple(shape), **kw)


def _setitem(m, x, v):
    y = x * 1.0
    y[1] = v
    return y


def _setitem_mask(m, x):
    y = x * 1.0
    y[y > 0.5] = 0.0
    return y


def _svd_rebuilt(m, a):
    # U and Vh are defined up to signs: compare sign-free products of them (and S) instead
    u, s, vh = m.linalg.svd(a, full_matrices=False)
    return m.cat([(u * u * s.unsqueeze(-2)).flatten(), (u @ u.mT).flatten(), (vh.mT @ vh).flatten(),
                  (vh * vh).flatten(), s.flatten()])


def _inplace_add(m, x, y):
    z = x * 2.0
    z.add_(y)
    z.mul_(y)
    return z


def _grid_sample(mode: str, pad: str, align: bool):
    return lambda m, x, g: m.nn.functional.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=align)


def _affine_grid(align: bool):
    return lambda m, t: m.nn.functional.affine_grid(t, (2, 3, 5, 4), align_corners=align)


CASES = [
    # arithmetic, broadcasting both ways, size-1 and zero-size dims, non-contiguous inputs
    *[Case(op, f, ins) for op, f in [("add", lambda m, a, b: a + b), ("sub", lambda m, a, b: a - b),
                                     ("mul", lambda m, a, b: a * b)]
      for ins in [(I(3, 4), I(3, 4)), (I(3, 4), I(4)), (I(4), I(3, 4)), (I(3, 1), I(1, 4)),
                  (I(2, 3, 4), I(3, 1)), (I(2, 0, 3), I(3)), (I(3, 4, transposed=True), I(3, 4)),
                  (I(), I(2, 3))]],
    Case("add_scalar", lambda m, a: 2.5 + a - 1, (I(3, 4),)),
    Case("rsub_scalar", lambda m, a: 1.5 - a, (I(3, 4),)),
    Case("mul_scalar", lambda m, a: a * 3 * -0.5, (I(2, 3),)),
    Case("div", lambda m, a, b: a / b, (I(3, 4), I(3, 4, domain="nonzero"))),
    Case("div", lambda m, a, b: a / b, (I(3, 4), I(4, domain="nonzero"))),
    Case("div", lambda m, a, b: a / b, (I(1, 4), I(3, 1, domain="nonzero"))),
    Case("rdiv_scalar", lambda m, a: 2.0 / a, (I(3, 4, domain="nonzero"),)),
    Case("pow_scalar", lambda m, a: a ** 2, (I(3, 4),)),
    Case("pow_scalar", lambda m, a: a ** 3, (I(5,),)),
    Case("pow_frac", lambda m, a: a ** 0.5, (I(3, 4, domain="positive"),)),
    Case("pow_tensor", lambda m, a, b: a ** b, (I(3, 4, domain="positive"), I(3, 4))),
    Case("pow_tensor", lambda m, a, b: a ** b, (I(3, 4, domain="positive"), I(4))),
    Case("rpow", lambda m, a: 2.0 ** a, (I(3, 4),)),
    Case("neg", lambda m, a: -a, (I(3, 4),)),
    Case("matmul", lambda m, a, b: a @ b, (I(3, 4), I(4, 5))),
    Case("matmul", lambda m, a, b: a @ b, (I(3, 4, transposed=True), I(4, 5, transposed=True))),
    Case("matmul", lambda m, a, b: a @ b, (I(4), I(4, 5))),
    Case("matmul", lambda m, a, b: a @ b, (I(3, 4), I(4))),
    Case("matmul", lambda m, a, b: a @ b, (I(4), I(4))),
    Case("matmul", lambda m, a, b: a @ b, (I(2, 3, 4), I(4, 5))),
    Case("matmul", lambda m, a, b: a @ b, (I(2, 3, 4), I(2, 4, 5))),
    Case("matmul", lambda m, a, b: a @ b, (I(1, 3, 4), I(2, 4, 5))),
    Case("matmul", lambda m, a, b: a @ b, (I(2, 3, 4), I(4))),
    Case("matmul", lambda m, a, b: a @ b, (I(0, 4), I(4, 5))),
    Case("matmul_fn", lambda m, a, b: m.matmul(a, b), (I(3, 4), I(4, 2))),
    # elementwise functions, as methods and as module functions
    Case("exp", lambda m, a: m.exp(a), (I(3, 4),)),
    Case("exp", lambda m, a: a.exp(), (I(3, 4, transposed=True),)),
    Case("log", lambda m, a: m.log(a), (I(3, 4, domain="positive"),)),
    Case("sqrt", lambda m, a: m.sqrt(a), (I(3, 4, domain="positive"),)),
    Case("abs", lambda m, a: m.abs(a), (I(3, 4),)),
    Case("sin", lambda m, a: m.sin(a), (I(3, 4),)),
    Case("cos", lambda m, a: a.cos(), (I(3, 4),)),
    Case("tanh", lambda m, a: m.tanh(a), (I(3, 4),)),
    Case("sigmoid", lambda m, a: m.sigmoid(a), (I(3, 4),)),
    Case("sigmoid_large", lambda m, a: (a * 50).sigmoid(), (I(3, 4),)),
    Case("relu", lambda m, a: m.relu(a), (I(3, 4),)),
    Case("relu", lambda m, a: a.relu(), (I(2, 0, 3),)),
    Case("clamp", lambda m, a: m.clamp(a, -0.5, 0.7), (I(3, 4),)),
    Case("clamp_min", lambda m, a: a.clamp(min=0.1), (I(3, 4),)),
    Case("clamp_max", lambda m, a: a.clamp(max=-0.1), (I(3, 4),)),
    Case("maximum", lambda m, a, b: m.maximum(a, b), (I(3, 4), I(3, 4))),
    Case("maximum", lambda m, a, b: m.maximum(a, b), (I(3, 4), I(4))),
    Case("minimum", lambda m, a, b: m.minimum(a, b), (I(3, 1), I(1, 4))),
    Case("where", lambda m, a, b: m.where(a > b, a, b * 2), (I(3, 4), I(3, 4))),
    Case("where", lambda m, a, b: m.where(a > 0, a, b), (I(3, 4), I(4))),
    Case("masked_fill", lambda m, a: a.masked_fill(a > 0.5, 0.0), (I(3, 4),)),
    # reductions
    Case("sum", lambda m, a: a.sum(), (I(3, 4),)),
    Case("sum", lambda m, a: a.sum(0), (I(3, 4),)),
    Case("sum", lambda m, a: a.sum(dim=-1, keepdim=True), (I(3, 4),)),
    Case("sum", lambda m, a: a.sum(dim=(0, 2)), (I(2, 3, 4),)),
    Case("sum", lambda m, a: m.sum(a, 1), (I(2, 0, 3),)),
    Case("sum", lambda m, a: a.sum(1), (I(3, 4, transposed=True),)),
    Case("mean", lambda m, a: a.mean(), (I(3, 4),)),
    Case("mean", lambda m, a: m.mean(a, dim=1, keepdim=True), (I(3, 4),)),
    Case("mean", lambda m, a: a.mean((0, 1)), (I(2, 3, 4),)),
    Case("var", lambda m, a: a.var(), (I(3, 4),)),
    Case("var", lambda m, a: a.var(dim=0), (I(3, 4),)),
    Case("var", lambda m, a: a.var(1, unbiased=False, keepdim=True), (I(3, 4),)),
    Case("var", lambda m, a: m.var(a, dim=(0, 2), correction=0), (I(2, 3, 4),)),
    Case("std", lambda m, a: a.std(dim=1), (I(3, 4),)),
    Case("max", lambda m, a: a.max(), (I(3, 4),)),
    Case("max_dim", lambda m, a: a.max(dim=1)[0], (I(3, 4),)),
    Case("max_dim", lambda m, a: a.max(0, keepdim=True).values, (I(3, 4),)),
    Case("min", lambda m, a: m.min(a), (I(3, 4),)),
    Case("min_dim", lambda m, a: m.min(a, dim=-1).values, (I(2, 3, 4),)),
    Case("max_indices", lambda m, a: a.max(dim=1)[1], (I(3, 4),), differentiable=False),
    Case("argmax", lambda m, a: a.argmax(), (I(3, 4),), differentiable=False),
    Case("argmax", lambda m, a: m.argmax(a, dim=1), (I(3, 4),), differentiable=False),
    Case("argmin", lambda m, a: a.argmin(dim=0, keepdim=True), (I(3, 4),), differentiable=False),
    Case("logsumexp", lambda m, a: m.logsumexp(a, dim=1), (I(3, 4),)),
    # shape
    Case("reshape", lambda m, a: a.reshape(4, 3), (I(3, 4),)),
    Case("reshape", lambda m, a: a.reshape(-1), (I(3, 4, transposed=True),)),
    Case("view", lambda m, a: a.view(2, -1, 2), (I(3, 4),)),
    Case("flatten", lambda m, a: a.flatten(1), (I(2, 3, 4),)),
    Case("flatten", lambda m, a: m.flatten(a), (I(2, 3, 4),)),
    Case("squeeze", lambda m, a: a.squeeze(), (I(3, 1, 4, 1),)),
    Case("squeeze", lambda m, a: a.squeeze(1), (I(3, 1, 4),)),
    Case("unsqueeze", lambda m, a: a.unsqueeze(-1), (I(3, 4),)),
    Case("unsqueeze", lambda m, a: m.unsqueeze(a, 0), (I(3, 4),)),
    Case("transpose", lambda m, a: a.transpose(0, 1), (I(3, 4),)),
    Case("transpose", lambda m, a: m.transpose(a, -1, 0), (I(2, 3, 4),)),
    Case("permute", lambda m, a: a.permute(2, 0, 1), (I(2, 3, 4),)),
    Case("T", lambda m, a: a.T, (I(3, 4),)),
    Case("expand", lambda m, a: a.expand(2, 3, 4), (I(3, 1),)),
    # indexing (repeated indices accumulate)
    Case("index_int", lambda m, a: a[1], (I(3, 4),)),
    Case("index_slice", lambda m, a: a[1:, ::2], (I(3, 4),)),
    Case("index_none_ellipsis", lambda m, a: a[None, ..., 1], (I(2, 3, 4),)),
    Case("index_array_repeats", lambda m, a: a[m.tensor([0, 2, 0, 0])], (I(3, 4),)),
    Case("index_2d_arrays", lambda m, a: a[m.tensor([0, 1, 1]), m.tensor([3, 3, 0])], (I(3, 4),)),
    Case("index_mixed", lambda m, a: a[1:, m.tensor([2, 2, 0])], (I(3, 4),)),
    Case("index_mask", lambda m, a: a[a > 0], (I(3, 4),)),
    Case("index_transposed", lambda m, a: a[m.tensor([1, 1])], (I(3, 4, transposed=True),)),
    Case("setitem", _setitem, (I(3, 4), I(4))),
    Case("setitem_mask", _setitem_mask, (I(3, 4),)),
    Case("inplace_on_nonleaf", _inplace_add, (I(3, 4), I(4))),
    # joining
    Case("cat", lambda m, a, b: m.cat([a, b]), (I(2, 3), I(4, 3))),
    Case("cat", lambda m, a, b, c: m.cat([a, b, c], dim=1), (I(2, 3), I(2, 1), I(2, 0))),
    Case("stack", lambda m, a, b: m.stack([a, b]), (I(2, 3), I(2, 3))),
    Case("stack", lambda m, a, b: m.stack((a, b), dim=-1), (I(2, 3), I(2, 3, transposed=True))),
    # softmax family
    Case("softmax", lambda m, a: m.softmax(a, dim=-1), (I(3, 4),)),
    Case("softmax", lambda m, a: a.softmax(0), (I(3, 4),)),
    Case("log_softmax", lambda m, a: m.log_softmax(a, dim=1), (I(3, 4),)),
    Case("log_softmax", lambda m, a: a.log_softmax(0), (I(2, 3, 4),)),
    # comparisons and logic: values only
    *[Case(name, f, (I(3, 4), I(4)), differentiable=False) for name, f in [
        ("gt", lambda m, a, b: a > b), ("ge", lambda m, a, b: a >= b), ("lt", lambda m, a, b: a < b),
        ("le", lambda m, a, b: a <= b), ("eq", lambda m, a, b: a == a), ("ne", lambda m, a, b: a != b),
        ("and", lambda m, a, b: (a > 0) & (b > 0)), ("or", lambda m, a, b: (a > 0) | (b < 0)),
        ("invert", lambda m, a, b: ~(a > b))]],
    Case("detach", lambda m, a: a.detach() * 2, (I(3,),), differentiable=False),
    # the wider torch API (issue 14): elementwise functions, as methods and as module functions
    Case("sinh", lambda m, a: m.sinh(a), (I(3, 4),)),
    Case("cosh", lambda m, a: a.cosh(), (I(3, 4),)),
    Case("tan", lambda m, a: m.tan(a * 0.6), (I(3, 4),)),
    Case("atan", lambda m, a: m.atan(a), (I(3, 4),)),
    Case("arctan", lambda m, a: a.arctan(), (I(5,),)),
    Case("asin", lambda m, a: m.asin(a * 0.45), (I(3, 4),)),
    Case("arcsin", lambda m, a: (a * 0.45).arcsin(), (I(3,),)),
    Case("acos", lambda m, a: m.acos(a * 0.45), (I(3, 4),)),
    Case("arccos", lambda m, a: (a * 0.45).arccos(), (I(3,),)),
    Case("log1p", lambda m, a: m.log1p(a), (I(3, 4, domain="positive"),)),
    Case("expm1", lambda m, a: a.expm1(), (I(3, 4),)),
    Case("log2", lambda m, a: m.log2(a), (I(3, 4, domain="positive"),)),
    Case("log10", lambda m, a: a.log10(), (I(3, 4, domain="positive"),)),
    Case("exp2", lambda m, a: m.exp2(a), (I(3, 4),)),
    Case("reciprocal", lambda m, a: a.reciprocal(), (I(3, 4, domain="nonzero"),)),
    # NumPy-style keyword aliases PyTorch accepts: axis= for dim=, keepdims= for keepdim=
    Case("sum_axis", lambda m, a: a.sum(axis=1), (I(3, 4),)),
    Case("sum_axis", lambda m, a: m.sum(a, axis=0, keepdims=True), (I(3, 4),)),
    Case("mean_axis", lambda m, a: a.mean(axis=(0, 2), keepdims=True), (I(2, 3, 4),)),
    Case("mean_axis", lambda m, a: m.mean(a, axis=-1), (I(3, 4),)),
    Case("var_axis", lambda m, a: a.var(axis=1, keepdims=True), (I(3, 4),)),
    Case("std_axis", lambda m, a: m.std(a, axis=0), (I(3, 4),)),
    Case("max_axis", lambda m, a: a.max(axis=1).values, (I(3, 4),)),
    Case("min_axis", lambda m, a: m.min(a, axis=0, keepdims=True)[0], (I(3, 4),)),
    Case("logsumexp_axis", lambda m, a: m.logsumexp(a, axis=1, keepdims=True), (I(3, 4),)),
    Case("argmax_axis", lambda m, a: a.argmax(axis=1), (I(3, 4),), differentiable=False),
    Case("argmax_axis", lambda m, a: m.argmax(a, axis=0, keepdims=True), (I(3, 4),), differentiable=False),
    Case("argmin_axis", lambda m, a: m.argmin(a, axis=-1), (I(3, 4),), differentiable=False),
    Case("cat_axis", lambda m, a, b: m.cat([a, b], axis=1), (I(2, 3), I(2, 2))),
    Case("stack_axis", lambda m, a, b: m.stack([a, b], axis=1), (I(2, 3), I(2, 3))),
    # running sums
    Case("cumsum", lambda m, a: a.cumsum(1), (I(3, 4),)),
    Case("cumsum", lambda m, a: m.cumsum(a, dim=0), (I(3, 4, transposed=True),)),
    Case("cumsum", lambda m, a: a.cumsum(-1), (I(5,),)),
    Case("cumsum", lambda m, a: a.cumsum(axis=0, dtype=m.float64), (I(2, 3),)),
    Case("cumsum_int", lambda m, a: (a > 0).cumsum(1), (I(3, 4),), differentiable=False),
    # splitting: every piece is scaled differently, so each gradient lands in its own place
    Case("split", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(a.split(3, dim=1))], 1), (I(3, 7),)),
    Case("split", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(m.split(a, [1, 2], 0))]), (I(3, 4),)),
    Case("chunk", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(a.chunk(3, 1))], 1), (I(2, 5),)),
    Case("chunk", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(m.chunk(a, 4))]), (I(6, 2),)),
    Case("tensor_split", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(a.tensor_split(3, 1))], 1),
         (I(2, 7),)),
    Case("tensor_split", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(m.tensor_split(a, [1, 3]))]),
         (I(4, 2),)),
    Case("unbind", lambda m, a: m.stack([p * (i + 1) for i, p in enumerate(a.unbind(1))]), (I(3, 4),)),
    Case("narrow", lambda m, a: a.narrow(1, 1, 2), (I(3, 4),)),
    Case("narrow", lambda m, a: m.narrow(a, 0, -2, 2), (I(3, 4),)),
    # vector and matrix products
    Case("dot", lambda m, a, b: m.dot(a, b), (I(5), I(5))),
    Case("dot", lambda m, a, b: a.dot(b), (I(4), I(4))),
    Case("mv", lambda m, a, b: m.mv(a, b), (I(3, 4), I(4))),
    Case("mv", lambda m, a, b: a.mv(b), (I(3, 4, transposed=True), I(4))),
    Case("outer", lambda m, a, b: m.outer(a, b), (I(3), I(4))),
    Case("outer", lambda m, a, b: a.outer(b), (I(2), I(5))),
    Case("bmm", lambda m, a, b: m.bmm(a, b), (I(2, 3, 4), I(2, 4, 5))),
    Case("bmm", lambda m, a, b: a.bmm(b), (I(3, 1, 2), I(3, 2, 2))),
    # grids
    Case("meshgrid", lambda m, a, b: m.stack(m.meshgrid(a, b * 2, indexing="ij")), (I(3), I(4))),
    Case("meshgrid", lambda m, a, b: m.stack(m.meshgrid(a, b * 2, indexing="xy")), (I(3), I(4))),
    Case("meshgrid", lambda m, a, b, c: m.stack(m.meshgrid([a, b * 2, c * 3], indexing="xy")),
         (I(2), I(3), I(4))),
    # reductions of the wider API; ties and zeros where the gradient has a rule for them
    Case("prod", lambda m, a: a.prod(), (I(2, 3),)),
    Case("prod", lambda m, a: m.prod(a, 1), (I(3, 4),)),
    Case("prod", lambda m, a: a.prod(dim=0, keepdim=True), (I(3, 4, transposed=True),)),
    Case("prod_zeros", lambda m, a: (a * m.tensor([1.0, 0.0, 1.0, 0.0])).prod(1), (I(3, 4),)),
    Case("prod_zeros", lambda m, a: (a * m.tensor([1.0, 0.0, 1.0])).prod(), (I(3),)),
    Case("norm", lambda m, a: a.norm(), (I(3, 4),)),
    Case("norm", lambda m, a: m.norm(a, dim=1), (I(3, 4),)),
    Case("norm", lambda m, a: a.norm(2, dim=(0, 1), keepdim=True), (I(2, 3, 4),)),
    Case("norm", lambda m, a: a.norm(p=1, dim=0), (I(3, 4, domain="nonzero"),)),
    Case("norm", lambda m, a: a.norm(p=3, dim=-1), (I(3, 4, domain="nonzero"),)),
    Case("norm_inf", lambda m, a: a.norm(p=float("inf"), dim=1), (I(3, 4),)),
    Case("norm_zero_vector", lambda m, a: (a * m.tensor([[0.0], [1.0]])).norm(dim=1), (I(2, 3),)),
    Case("amax", lambda m, a: a.amax(), (I(3, 4),)),
    Case("amax", lambda m, a: m.amax(a, dim=1, keepdim=True), (I(3, 4),)),
    Case("amax_ties", lambda m, a: m.cat([a, a], 1).amax(1), (I(3, 2),)),
    Case("amin", lambda m, a: m.amin(a, (0, 1)), (I(2, 3, 4),)),
    Case("amin_ties", lambda m, a: m.stack([a, a]).amin(0), (I(3, 2),)),
    Case("median", lambda m, a: a.median(), (I(3, 4),)),
    Case("median", lambda m, a: m.median(a, dim=1).values, (I(3, 4),)),
    Case("median_indices", lambda m, a: a.median(0, keepdim=True).indices, (I(3, 4),), differentiable=False),
    Case("kthvalue", lambda m, a: a.kthvalue(2, 1).values, (I(3, 4),)),
    Case("var_mean", lambda m, a: m.stack(m.var_mean(a, 1)), (I(3, 4),)),
    Case("std_mean", lambda m, a: m.stack(m.std_mean(a, 0, keepdim=True)), (I(3, 4),)),
    # more elementwise forms
    Case("frac", lambda m, a: m.frac(a * 3), (I(3, 4),)),
    Case("trunc", lambda m, a: m.trunc(a * 3), (I(3, 4),), differentiable=False),
    Case("fmod", lambda m, a: m.fmod(a * 3, 1.5), (I(3, 4),)),
    Case("remainder", lambda m, a: a.remainder(0.7), (I(3, 4),)),
    Case("clamp_min", lambda m, a: m.clamp_min(a, 0.2), (I(3, 4),)),
    Case("clamp_max", lambda m, a: a.clamp_max(0.2), (I(3, 4),)),
    Case("lerp", lambda m, a, b: m.lerp(a, b, 0.3), (I(3, 4), I(3, 4))),
    Case("lerp", lambda m, a, b, c: a.lerp(b, c), (I(3, 4), I(4), I(3, 4))),
    Case("addmm", lambda m, a, b, c: m.addmm(a, b, c), (I(3, 5), I(3, 4), I(4, 5))),
    Case("addmm", lambda m, a, b, c: a.addmm(b, c, beta=0.5, alpha=2.0), (I(5), I(3, 4), I(4, 5))),
    Case("addcmul", lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), (I(3, 4), I(3, 4), I(4))),
    Case("addcdiv", lambda m, a, b, c: a.addcdiv(b, c, value=-2),
         (I(3, 4), I(3, 4), I(3, 4, domain="nonzero"))),
    Case("atan2", lambda m, a, b: m.atan2(a, b), (I(3, 4), I(3, 4, domain="nonzero"))),
    Case("atan2", lambda m, a, b: m.arctan2(a, b), (I(3, 4), I(4, domain="nonzero"))),
    Case("inner", lambda m, a, b: m.inner(a, b), (I(4), I(4))),
    Case("cdist", lambda m, a, b: m.cdist(a, b), (I(3, 4), I(5, 4))),
    # linear algebra (torch.linalg and the older torch forms); matrices made well conditioned
    Case("det", lambda m, a: m.linalg.det(a + 3 * m.eye(3)), (I(3, 3),)),
    Case("det", lambda m, a: m.det(a + 3 * m.eye(2)), (I(4, 2, 2),)),
    Case("det", lambda m, a: (a + 3 * m.eye(3)).det(), (I(3, 3),)),
    Case("slogdet", lambda m, a: m.linalg.slogdet(a - 3 * m.eye(3)).logabsdet, (I(3, 3),)),
    Case("inv", lambda m, a: m.linalg.inv(a + 3 * m.eye(3)), (I(3, 3),)),
    Case("inverse", lambda m, a: m.inverse(a + 3 * m.eye(2)), (I(2, 2, 2),)),
    Case("solve", lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3), b), (I(3, 3), I(3, 2))),
    Case("svdvals", lambda m, a: m.linalg.svdvals(a), (I(4, 3),)),
    Case("svd_reduced", lambda m, a: _svd_rebuilt(m, a), (I(4, 3),)),
    Case("svd_reduced", lambda m, a: _svd_rebuilt(m, a), (I(2, 3, 5),)),
    Case("svd_fn", lambda m, a: m.svd(a)[1], (I(3, 4),)),
    Case("vector_norm", lambda m, a: m.linalg.vector_norm(a, dim=1), (I(3, 4),)),
    Case("linalg_norm", lambda m, a: m.linalg.norm(a), (I(3, 4),)),
    Case("matrix_norm", lambda m, a: m.linalg.matrix_norm(a), (I(2, 3, 4),)),
    Case("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc"), (I(3, 4),)),
    Case("cross", lambda m, a, b: m.linalg.cross(a, b), (I(4, 3), I(4, 3))),
    Case("cdist", lambda m, a, b: m.cdist(a, b, p=1.0), (I(2, 3, 4), I(2, 2, 4))),
    Case("div_rounding", lambda m, a, b: m.div(a * 3, b, rounding_mode="floor"),
         (I(3, 4), I(4, domain="nonzero")), differentiable=False),
    Case("div_rounding", lambda m, a: m.div(a * 3, 2, rounding_mode="trunc"), (I(3, 4),),
         differentiable=False),
    Case("inner", lambda m, a, b: m.inner(a, b), (I(2, 4), I(3, 4))),
    Case("inner", lambda m, a, b: m.inner(a, b), (I(2, 4), I(2, 3, 4))),
    # selecting and scattering
    Case("gather", lambda m, a: a.gather(1, m.tensor([[0, 0], [3, 1], [2, 2]])), (I(3, 4),)),
    Case("gather", lambda m, a: m.gather(a, 0, m.tensor([[2, 0, 1, 1]])), (I(3, 4),)),
    Case("take_along_dim", lambda m, a: m.take_along_dim(a, a.argsort(1), 1), (I(3, 4),)),
    Case("index_select", lambda m, a: a.index_select(1, m.tensor([3, 0, 3])), (I(3, 4),)),
    Case("index_select", lambda m, a: m.index_select(a, 0, m.tensor([1])), (I(3, 4, transposed=True),)),
    Case("masked_select", lambda m, a: a.masked_select(a > 0), (I(3, 4),)),
    Case("masked_select", lambda m, a, b: m.masked_select(a, b > 0), (I(3, 4), I(4, grad=False))),
    Case("take", lambda m, a: m.take(a, m.tensor([[0, 11], [5, 5]])), (I(3, 4),)),
    Case("select", lambda m, a: a.select(1, -1), (I(3, 4),)),
    Case("scatter", lambda m, a, b: a.scatter(1, m.tensor([[0, 2], [3, 1], [1, 2]]), b), (I(3, 4), I(3, 2))),
    Case("scatter_value", lambda m, a: m.scatter(a, 0, m.tensor([[2, 0, 1, 0]]), 5.0), (I(3, 4),)),
    Case("scatter_add", lambda m, a, b: a.scatter_add(0, m.tensor([[0, 1, 2, 0], [0, 0, 2, 2]]), b),
         (I(3, 4), I(2, 4))),
    Case("index_add", lambda m, a, b: a.index_add(1, m.tensor([0, 0, 3]), b), (I(3, 4), I(3, 3))),
    Case("index_add", lambda m, a, b: m.index_add(a, 0, m.tensor([1, 1]), b, alpha=2.0), (I(3, 4), I(2, 4))),
    # reordering and repeating
    Case("flip", lambda m, a: a.flip(0), (I(3, 4),)),
    Case("flip", lambda m, a: m.flip(a, (0, 2)), (I(2, 3, 4),)),
    Case("fliplr", lambda m, a: m.fliplr(a), (I(3, 4),)),
    Case("roll", lambda m, a: a.roll(1, 1), (I(3, 4),)),
    Case("roll", lambda m, a: m.roll(a, (-1, 2), (0, 1)), (I(3, 4),)),
    Case("roll", lambda m, a: m.roll(a, 5), (I(3, 4),)),
    Case("movedim", lambda m, a: a.movedim(0, -1), (I(2, 3, 4),)),
    Case("moveaxis", lambda m, a: m.moveaxis(a, (0, 1), (2, 0)), (I(2, 3, 4),)),
    Case("sort", lambda m, a: a.sort().values, (I(3, 4),)),
    Case("sort", lambda m, a: m.sort(a, 0, descending=True)[0], (I(3, 4),)),
    Case("sort_indices", lambda m, a: a.sort(1).indices, (I(3, 4),), differentiable=False),
    Case("argsort", lambda m, a: m.argsort(a, 0, descending=True), (I(3, 4),), differentiable=False),
    Case("topk", lambda m, a: a.topk(2).values, (I(3, 4),)),
    Case("topk", lambda m, a: m.topk(a, 2, dim=0, largest=False)[0], (I(3, 4),)),
    Case("topk_indices", lambda m, a: a.topk(3, 1).indices, (I(3, 4),), differentiable=False),
    Case("repeat", lambda m, a: a.repeat(2, 3), (I(3, 4),)),
    Case("repeat", lambda m, a: a.repeat(2, 1, 2), (I(3,),)),
    Case("tile", lambda m, a: m.tile(a, (2,)), (I(3, 4),)),
    Case("repeat_interleave", lambda m, a: a.repeat_interleave(2), (I(3, 2),)),
    Case("repeat_interleave", lambda m, a: m.repeat_interleave(a, m.tensor([1, 0, 3]), dim=0), (I(3, 2),)),
    Case("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), (I(3, 4), I(4, 2))),
    Case("einsum", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), (I(2, 3, 4), I(2, 4, 5))),
    Case("einsum", lambda m, a: m.einsum("ij->j", a), (I(3, 4),)),
    Case("einsum", lambda m, a: m.einsum("ii->i", a), (I(3, 3),)),
    Case("einsum", lambda m, a, b: m.einsum("i,j", a, b), (I(3), I(4))),
    Case("einsum", lambda m, a, b, c: m.einsum("ij,jk,kl->il", [a, b, c]), (I(2, 3), I(3, 4), I(4, 2))),
    Case("einsum", lambda m, a, b: m.einsum("nchw,oc->nohw", a, b), (I(2, 3, 2, 2), I(4, 3))),
    Case("unfold", lambda m, a: a.unfold(1, 2, 1), (I(3, 4),)),
    Case("unfold", lambda m, a: a.unfold(0, 3, 2), (I(7, 2),)),
    Case("relu_fn_", lambda m, a: m.relu_(a * 1.0), (I(3, 4),)),
    Case("sigmoid_fn_", lambda m, a: m.sigmoid_(a * 1.0), (I(3, 4),)),
    Case("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3, 4)), (I(3, 1),)),
    Case("broadcast_tensors", lambda m, a, b: m.stack(m.broadcast_tensors(a, b)), (I(3, 1), I(4))),
    Case("hstack", lambda m, a, b: m.hstack([a, b]), (I(3, 4), I(3, 2))),
    Case("vstack", lambda m, a, b: m.vstack([a, b]), (I(4), I(2, 4))),
    Case("column_stack", lambda m, a, b: m.column_stack([a, b]), (I(3), I(3, 2))),
    # triangles and diagonals
    Case("tril", lambda m, a: a.tril(), (I(3, 4),)),
    Case("tril", lambda m, a: m.tril(a, -1), (I(2, 3, 3),)),
    Case("triu", lambda m, a: m.triu(a, 1), (I(4, 3),)),
    Case("diag", lambda m, a: m.diag(a), (I(3, 4),)),
    Case("diag", lambda m, a: a.diag(-1), (I(4, 3),)),
    Case("diag", lambda m, a: m.diag(a), (I(3),)),
    Case("diag", lambda m, a: a.diag(2), (I(3),)),
    Case("diagonal", lambda m, a: a.diagonal(1, 1, 2), (I(2, 3, 4),)),
    Case("diag_embed", lambda m, a: m.diag_embed(a), (I(2, 3),)),
    Case("trace", lambda m, a: m.trace(a), (I(3, 4),)),
    # in-place variants on tensors in the graph (recorded, so the gradient flows)
    *[Case(f"{name}_", (lambda n: lambda m, a: getattr(a * 1.0, n + "_")())(name), (I(3, 4, domain=dom),))
      for name, dom in [("exp", "any"), ("log", "positive"), ("sqrt", "positive"), ("abs", "nonzero"),
                        ("neg", "any"), ("relu", "nonzero"), ("sigmoid", "any"), ("tanh", "any"),
                        ("sin", "any"), ("cos", "any"), ("reciprocal", "nonzero")]],
    Case("pow_", lambda m, a: (a * 1.0).pow_(2), (I(3, 4),)),
    Case("masked_fill_", lambda m, a: (a * 1.0).masked_fill_(a > 0.5, 0.0), (I(3, 4),)),
    Case("addcmul_", lambda m, a, b: (a * 1.0).addcmul_(b, b, value=0.1), (I(3, 4), I(3, 4))),
    Case("addcdiv_", lambda m, a, b: (a * 1.0).addcdiv_(a, b, value=0.1), (I(3, 4), I(4, domain="nonzero"))),
    Case("lerp_", lambda m, a, b: (a * 1.0).lerp_(b, 0.25), (I(3, 4), I(3, 4))),
    Case("clamp_min_", lambda m, a: (a * 1.0).clamp_min_(0.0), (I(3, 4),)),
    Case("scatter_", lambda m, a, b: (a * 1.0).scatter_(0, m.tensor([[1, 0, 2, 1]]), b), (I(3, 4), I(1, 4))),
    Case("scatter_add_", lambda m, a, b: (a * 1.0).scatter_add_(1, m.tensor([[0, 0]] * 3), b),
         (I(3, 4), I(3, 2))),
    Case("index_add_", lambda m, a, b: (a * 1.0).index_add_(0, m.tensor([2, 2]), b), (I(3, 4), I(2, 4))),
    Case("tril_", lambda m, a: (a * 1.0).tril_(), (I(3, 3),)),
    Case("unsqueeze_", lambda m, a: (a * 1.0).unsqueeze_(1), (I(3, 4),)),
    Case("squeeze_", lambda m, a: (a * 1.0).squeeze_(), (I(3, 1),)),
    Case("t_", lambda m, a: (a * 1.0).t_(), (I(3, 4),)),
    Case("transpose_", lambda m, a: (a * 1.0).transpose_(0, 2), (I(2, 3, 4),)),
    Case("cumsum_", lambda m, a: (a * 1.0).cumsum_(0), (I(3, 4),)),
    # the spatial transformer's sampling: gradients to the image and to the grid (U(-2, 2), so some
    # points fall outside the image and meet the padding)
    *[Case(f"grid_sample_{mode}_{pad}_{'aligned' if align else 'centres'}", _grid_sample(mode, pad, align),
           (I(2, 3, 5, 4), I(2, 4, 6, 2)))
      for mode in ("bilinear", "nearest") for pad in ("zeros", "border", "reflection")
      for align in (False, True)],
    *[Case(f"affine_grid_{'aligned' if align else 'centres'}", _affine_grid(align), (I(2, 2, 3),))
      for align in (False, True)],
]
