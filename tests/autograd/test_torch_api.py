"""The torch API tutorials use beyond the op table (issue 14): factories and their keywords,
devices, dtype conversions, and the error each misuse raises, each row run on both libraries.

``RESULTS`` rows build a result from the module ``m`` (``gradstep`` or ``torch``); shapes, dtypes,
``requires_grad`` and, unless the row draws random numbers, the values must agree. ``ERRORS``
rows must raise, and gradstep's exception must be an instance of the type PyTorch raises.
"""

import warnings

import numpy as np
import pytest

import gradstep as gs

from ..parity import assert_raises_like_torch


def _a(m):
    return m.tensor([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]])


RESULTS = [
    # factories with PyTorch's keywords: device=, dtype=, requires_grad=
    ("zeros_device", lambda m: m.zeros(2, 3, device="cpu", requires_grad=True), True),
    ("ones_device_obj", lambda m: m.ones((2,), device=m.device("cpu"), dtype=m.float64), True),
    ("full_device", lambda m: m.full((2, 2), 1.5, device="cpu"), True),
    ("empty_like_device", lambda m: m.zeros_like(_a(m), device="cpu", requires_grad=True), True),
    ("ones_like_dtype", lambda m: m.ones_like(_a(m), dtype=m.int64, device=m.device("cpu")), True),
    ("full_like", lambda m: m.full_like(_a(m), 7.0, device="cpu"), True),
    ("arange_device", lambda m: m.arange(0, 5, 2, device="cpu", dtype=m.float32, requires_grad=True), True),
    ("linspace_device", lambda m: m.linspace(0, 1, 5, device="cpu", requires_grad=True), True),
    ("eye_device", lambda m: m.eye(3, device="cpu", requires_grad=True), True),
    ("tensor_device", lambda m: m.tensor([1.0, 2.0], device=m.device("cpu"), requires_grad=True), True),
    ("as_tensor_device", lambda m: m.as_tensor([1, 2], device="cpu"), True),
    ("rand_device", lambda m: m.rand(2, 3, device="cpu", requires_grad=True), False),
    ("randn_device", lambda m: m.randn((4,), device="cpu", dtype=m.float64, requires_grad=True), False),
    ("rand_like", lambda m: m.rand_like(_a(m), device="cpu", requires_grad=True), False),
    ("randn_like", lambda m: m.randn_like(_a(m), dtype=m.float64), False),
    ("randint_device", lambda m: m.randint(0, 5, (3, 2), device="cpu"), False),
    ("randperm_device", lambda m: m.randperm(6, device="cpu"), False),
    ("zeros_size_kw", lambda m: m.zeros(size=(2, 3), dtype=m.int64), True),
    ("ones_size_kw", lambda m: m.ones(size=[4]), True),
    ("empty_size_kw", lambda m: m.empty(size=(1, 2)).zero_(), True),
    ("rand_size_kw", lambda m: m.rand(size=(3, 2), requires_grad=True), False),
    ("randn_size_kw", lambda m: m.randn(size=(5,), generator=m.Generator(device="cpu")), False),
    ("rand_out_resized", lambda m: m.rand(2, 3, out=m.empty(0, dtype=m.float64)), False),
    ("randn_out_size_kw", lambda m: m.randn(size=(4,), out=m.zeros(4), dtype=m.float32), False),
    ("rand_out_requires_grad", lambda m: m.rand(2, out=m.empty(2), requires_grad=True), False),
    # torch.normal's forms
    ("normal_size_grad", lambda m: m.normal(0.0, 0.01, size=(3, 4), requires_grad=True), False),
    ("normal_size_pos", lambda m: m.normal(2.0, 3.0, (5,)), False),
    ("normal_tensor_mean", lambda m: m.normal(_a(m), 1.0), False),
    ("normal_tensor_std", lambda m: m.normal(0.0, _a(m).abs()), False),
    ("normal_both", lambda m: m.normal(m.zeros(2, 1), m.ones(3)), False),
    ("normal_grad_mean", lambda m: m.normal(_a(m).requires_grad_(), 1.0), False),
    # devices
    ("to_device", lambda m: _a(m).to("cpu"), True),
    ("to_device_obj_dtype", lambda m: _a(m).to(m.device("cpu"), m.float64), True),
    ("to_device_kw", lambda m: _a(m).to(device="cpu", dtype=m.int32), True),
    ("to_like", lambda m: _a(m).to(m.zeros(1, dtype=m.float64)), True),
    ("cpu", lambda m: _a(m).requires_grad_().cpu(), True),
    # Tensor.type
    ("type_dtype", lambda m: _a(m).type(m.float64), True),
    ("type_int", lambda m: _a(m).type(m.int64), True),
    ("type_name", lambda m: _a(m).type("torch.DoubleTensor"), True),
    ("type_grad", lambda m: _a(m).requires_grad_().type(m.float64), True),
    # integer and bool running sums are int64
    ("cumsum_bool", lambda m: (_a(m) > 0).cumsum(0), True),
    ("cumsum_int32", lambda m: m.tensor([1, 2, 3], dtype=m.int32).cumsum(0), True),
    ("cumsum_0d", lambda m: m.tensor(2.5).cumsum(0), True),
    ("split_empty", lambda m: m.stack([p.sum() for p in m.zeros(0, 2).split(2)]), True),
    # new tensors like an existing one: its dtype unless given
    ("new_zeros", lambda m: _a(m).double().new_zeros(2, 3), True),
    ("new_ones", lambda m: _a(m).new_ones((2,), dtype=m.int64), True),
    ("new_full", lambda m: _a(m).new_full((2, 2), 3.0, requires_grad=True), True),
    ("new_tensor", lambda m: _a(m).double().new_tensor([1, 2]), True),
    ("new_empty_shape", lambda m: _a(m).new_empty(3).zero_(), True),
    ("byte", lambda m: (_a(m) * 3).byte(), True),
    ("char", lambda m: (_a(m) * 3).char(), True),
    ("short", lambda m: (_a(m) * 3).short(), True),
    # logic, counting and sets (no gradient)
    ("logical_and", lambda m: m.logical_and(_a(m) > 0, _a(m) < 1), True),
    ("logical_or", lambda m: (_a(m) > 2).logical_or(_a(m) < 0), True),
    ("logical_xor", lambda m: m.logical_xor(_a(m) > 0, _a(m) > 1), True),
    ("logical_not", lambda m: m.logical_not(_a(m) > 0), True),
    ("isclose", lambda m: m.isclose(_a(m), _a(m) + 1e-6), True),
    ("count_nonzero", lambda m: m.count_nonzero(m.relu(_a(m))), True),
    ("count_nonzero_dim", lambda m: m.relu(_a(m)).count_nonzero(dim=1), True),
    ("nonzero", lambda m: m.nonzero(m.relu(_a(m))), True),
    ("nonzero_tuple", lambda m: m.stack(m.nonzero(m.relu(_a(m)), as_tuple=True)), True),
    ("argwhere", lambda m: m.argwhere(_a(m) > 1), True),
    ("unique", lambda m: m.unique(m.tensor([3, 1, 3, 2, 1])), True),
    ("unique_inverse", lambda m: m.tensor([[3, 1], [3, 2]]).unique(return_inverse=True)[1], True),
    ("unique_counts", lambda m: m.unique(m.tensor([3, 1, 3, 2, 1]), return_counts=True)[1], True),
    ("logspace", lambda m: m.logspace(0, 2, 5, requires_grad=True), True),
    ("logspace_base", lambda m: m.logspace(-1, 1, 3, base=2.0, dtype=m.float64), True),
    ("trunc_int", lambda m: m.tensor([3, -2]).trunc(), True),
    ("prod_int", lambda m: m.tensor([3, -2, 4]).prod(), True),
    ("prod_bool", lambda m: (_a(m) > 0).prod(1), True),
    ("cumsum_fn_dtype", lambda m: m.cumsum(m.tensor([1, 2, 3]), 0, dtype=m.float32), True),
    ("median_even", lambda m: m.tensor([4.0, 1.0, 3.0, 2.0]).median(), True),
    ("sort_stable", lambda m: m.tensor([2, 1, 2, 1, 2]).sort(stable=True).indices, True),
    ("amax_int", lambda m: m.tensor([[3, 1], [0, 5]]).amax(0), True),
    ("norm_int_dtype", lambda m: _a(m).norm(dtype=m.float64), True),
    ("diag_int", lambda m: m.diag(m.tensor([1, 2])), True),
    # legacy tensor types, constants, out=
    ("FloatTensor_sizes", lambda m: m.FloatTensor(2, 3).zero_(), True),
    ("FloatTensor_data", lambda m: m.FloatTensor([1, 2.5]), True),
    ("LongTensor_data", lambda m: m.LongTensor([1.7, -2.2]), True),
    ("LongTensor_empty", lambda m: m.LongTensor(), True),
    ("BoolTensor", lambda m: m.BoolTensor([1, 0]), True),
    ("DoubleTensor_of_tensor", lambda m: m.DoubleTensor(m.ones(2, dtype=m.float64)), True),
    ("constants", lambda m: m.tensor([m.pi, m.e, m.inf]), True),
    ("matmul_out", lambda m: m.matmul(_a(m), m.ones(3, 2), out=m.empty(2, 2)), True),
    ("mm_out", lambda m: m.mm(_a(m), m.ones(3, 2), out=m.zeros(0)), True),
    ("mul_out", lambda m: m.mul(_a(m), 2, out=m.zeros(2, 3)), True),
    ("add_out_alpha", lambda m: m.add(_a(m), _a(m), alpha=2, out=m.zeros(2, 3, dtype=m.float64)), True),
    ("div_int_floor", lambda m: m.div(m.tensor([7, -7]), 2, rounding_mode="floor"), True),
    ("one_hot", lambda m: m.nn.functional.one_hot(m.tensor([0, 2, 1])), True),
    ("one_hot_classes", lambda m: m.nn.functional.one_hot(m.tensor([[0], [2]]), 4), True),
    ("inference_mode", lambda m: _inference(m), True),
    ("bitwise", lambda m: m.stack([m.bitwise_and(m.tensor([12, 10]), 6), m.tensor([12, 10]).bitwise_or(3),
                                   m.bitwise_xor(m.tensor([12, 10]), m.tensor([5, 5])),
                                   m.bitwise_not(m.tensor([1, -3]))]), True),
    ("histc", lambda m: m.histc(m.tensor([0.0, 0.5, 1.0, 2.5, 3.0, 9.0]), bins=4, min=0, max=3), True),
    ("histc_range", lambda m: m.tensor([1.0, 2.0, 2.0, 4.0]).histc(bins=3), True),
    ("histogram", lambda m: m.histogram(m.tensor([0.0, 0.5, 1.0, 2.5, 3.0]), bins=4).hist, True),
    ("histogram_edges", lambda m: m.histogram(m.tensor([1.0, 2.0, 2.0, 4.0]), 3, range=(0.0, 6.0)).bin_edges,
     True),
    ("histogram_weight", lambda m: m.histogram(m.tensor([1.0, 2.0, 2.0]), 2, weight=m.tensor([1.0, 0.5, 2.0]),
                                               density=True)[0], True),
    ("relu_fn", lambda m: m.nn.functional.relu_(m.tensor([-1.0, 2.0])), True),
    # eigendecompositions: complex results, read through .real / .imag / abs()
    ("eig_values", lambda m: m.linalg.eig(m.tensor([[2, 1], [2, 3]], dtype=m.float64))[0].real, True),
    ("eig_vectors", lambda m: m.linalg.eig(m.tensor([[2, 1], [2, 3]], dtype=m.float64))[1].real, True),
    ("eig_rotation", lambda m: m.linalg.eig(m.tensor([[0.0, -1.0], [1.0, 0.0]])).eigenvalues.imag, True),
    ("eigvals_real", lambda m: m.linalg.eigvals(m.tensor([[1.0, 2.0], [-3.0, 0.5]])).real, True),
    ("eig_vectors_imag", lambda m: m.linalg.eig(m.tensor([[1.0, 2.0], [-3.0, 0.5]]))[1].imag, True),
    # random draws: shapes and dtypes
    ("bernoulli", lambda m: m.bernoulli(m.full((3, 4), 0.5)), False),
    ("bernoulli_p", lambda m: m.zeros(5).bernoulli(0.2), False),
    ("bernoulli_", lambda m: m.zeros(5).bernoulli_(0.3), False),
    ("exponential_", lambda m: m.zeros(2, 2).exponential_(), False),
    ("random_", lambda m: m.zeros(4).random_(0, 10), False),
    ("random_int", lambda m: m.zeros(4, dtype=m.int64).random_(5), False),
    ("multinomial", lambda m: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 2), False),
    ("multinomial_rows", lambda m: m.multinomial(m.ones(2, 4), 6, replacement=True), False),
    # a tensor inside tensor()'s data is read as one number (d2l's multivariable calculus section)
    ("tensor_of_one_element_tensors", lambda m: m.tensor([m.exp(m.tensor([0.5])), m.tensor(2.0)]), True),
    ("tensor_of_nested_tensors", lambda m: m.tensor([[m.tensor([1.0])], [m.tensor([2.0])]]), True),
    ("tensor_keeps_float64", lambda m: m.tensor([m.tensor(1.0, dtype=m.float64), m.tensor(2.0)]), True),
    ("tensor_of_int_tensors_and_float", lambda m: m.tensor([m.tensor(1), 2.5]), True),
    ("tensor_of_int_tensors", lambda m: m.tensor((m.tensor(1), m.tensor([2]))), True),
    # torch.Tensor / FloatTensor take data or sizes (NYU's tensor tutorial: torch.Tensor(2, 3, 4));
    # PyTorch leaves a sized tensor uninitialised, so only shape and dtype are compared
    ("Tensor_sizes", lambda m: m.Tensor(2, 3, 4), False),
    ("Tensor_one_size", lambda m: m.Tensor(5).random_(10), False),
    ("Tensor_Size", lambda m: m.Tensor(m.Size([2, 1])), False),
    ("FloatTensor_Size", lambda m: m.FloatTensor(m.Size([3])), False),
    ("Tensor_tuple_is_data", lambda m: m.Tensor((2, 3)), True),
    ("Tensor_empty", lambda m: m.Tensor(), True),
    ("resize_shrink", lambda m: m.arange(6.0).resize_(2, 2), True),
    ("resize_Size", lambda m: m.arange(6.0).resize_(m.Size([3])), True),
    ("resize_grow", lambda m: m.arange(2.0).resize_(3), False),
    ("Variable_leaf", lambda m: m.autograd.Variable(m.ones(2) * 3, requires_grad=True), True),
    ("Variable_plain", lambda m: m.autograd.Variable(m.ones(2, requires_grad=True)), True),
    ("tensor_of_graph_tensors", lambda m: m.tensor([m.ones(1, requires_grad=True) * 2, 3.0]), True),
]


@pytest.mark.parametrize("name,fn,deterministic", RESULTS, ids=[r[0] for r in RESULTS])
def test_result_matches_torch(name, fn, deterministic, torch):
    g, t = fn(gs), fn(torch)
    assert g.shape == tuple(t.shape)
    assert g.dtype.name == str(t.dtype).replace("torch.", "")
    assert g.requires_grad == t.requires_grad
    assert g.is_leaf == t.is_leaf
    if deterministic:
        np.testing.assert_array_equal(g.detach().numpy(), t.detach().numpy())


def test_rand_and_randn_write_into_out(torch):
    for m in (gs, torch):
        out = m.empty(0, dtype=m.float64)
        assert m.rand(3, 4, out=out) is out and out.shape == (3, 4) and out.dtype == m.float64
        assert 0.0 <= out.min().item() and out.max().item() < 1.0
        assert m.randn(size=(500,), out=out) is out and out.shape == (500,) and abs(out.mean().item()) < 0.3


def test_normal_draws_follow_mean_and_std():
    x = gs.normal(gs.full((20000,), 2.0), gs.full((20000,), 0.5))
    assert abs(x.mean().item() - 2.0) < 0.02 and abs(x.std().item() - 0.5) < 0.02
    y = gs.normal(-1.0, 3.0, size=(20000,))
    assert abs(y.mean().item() + 1.0) < 0.1 and abs(y.std().item() - 3.0) < 0.1


def test_normal_is_in_the_graph_with_zero_gradients(torch):
    # PyTorch does not reparameterise normal(): the draw is in the graph with zero gradients
    for m in (gs, torch):
        mean = m.zeros(4, requires_grad=True)
        std = m.ones(4, requires_grad=True)
        out = m.normal(mean, std)
        out.sum().backward()
        np.testing.assert_array_equal(mean.grad.numpy(), np.zeros(4, np.float32))
        np.testing.assert_array_equal(std.grad.numpy(), np.zeros(4, np.float32))
        assert out.grad_fn is not None


def _inference(m):
    x = m.ones(2, requires_grad=True)
    with m.inference_mode():
        y = x * 2
    return y


ERRORS = [
    ("device_unknown", lambda m: m.device("gpu")),
    ("device_bad_index", lambda m: m.device("cpu:x")),
    ("device_not_a_string", lambda m: m.device(1.5)),
    ("type_unknown_name", lambda m: _a(m).type("torch.ComplexTensor")),
    ("normal_negative_std", lambda m: m.normal(0.0, -1.0, size=(2,))),
    ("normal_negative_std_tensor", lambda m: m.normal(m.zeros(2), -m.ones(2))),
    ("randint_requires_grad", lambda m: m.randint(0, 3, (2,), requires_grad=True)),
    ("cumsum_dim_out_of_range", lambda m: _a(m).cumsum(2)),
    ("split_sizes_do_not_sum", lambda m: _a(m).split([1, 3], 1)),
    ("split_dim_out_of_range", lambda m: _a(m).split(1, 2)),
    ("chunk_zero", lambda m: _a(m).chunk(0)),
    ("narrow_too_long", lambda m: _a(m).narrow(1, 2, 2)),
    ("dot_2d", lambda m: m.dot(_a(m), _a(m))),
    ("dot_lengths", lambda m: m.dot(m.ones(3), m.ones(4))),
    ("dot_dtypes", lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64))),
    ("mv_shapes", lambda m: m.mv(_a(m), m.ones(2))),
    ("mv_dims", lambda m: m.mv(m.ones(3), m.ones(3))),
    ("outer_2d", lambda m: m.outer(_a(m), m.ones(2))),
    ("bmm_dims", lambda m: m.bmm(_a(m), _a(m))),
    ("bmm_batch", lambda m: m.bmm(m.ones(2, 3, 4), m.ones(3, 4, 5))),
    ("meshgrid_2d", lambda m: m.meshgrid(_a(m), m.ones(2), indexing="ij")),
    ("meshgrid_indexing", lambda m: m.meshgrid(m.ones(2), m.ones(2), indexing="ji")),
    ("argmax_dim_and_axis", lambda m: _a(m).argmax(1, axis=1)),
    ("sum_axis_out_of_range", lambda m: _a(m).sum(axis=3)),
    ("to_bad_kwarg", lambda m: _a(m).to(foo=1)),
    ("gather_out_of_range", lambda m: _a(m).gather(1, m.tensor([[3], [0]]))),
    ("gather_float_index", lambda m: _a(m).gather(1, m.ones(2, 1))),
    ("gather_ndim", lambda m: _a(m).gather(1, m.tensor([0]))),
    ("index_select_out_of_range", lambda m: _a(m).index_select(0, m.tensor([2]))),
    ("index_select_2d_index", lambda m: _a(m).index_select(0, m.tensor([[0]]))),
    ("scatter_out_of_range", lambda m: _a(m).scatter(0, m.tensor([[2, 0, 0]]), 1.0)),
    ("masked_select_not_bool", lambda m: _a(m).masked_select(m.ones(2, 3))),
    ("topk_too_many", lambda m: _a(m).topk(4)),
    ("kthvalue_zero", lambda m: _a(m).kthvalue(0)),
    ("repeat_too_few", lambda m: _a(m).repeat(2)),
    ("roll_lengths", lambda m: _a(m).roll((1, 2), 0)),
    ("tril_1d", lambda m: m.ones(3).tril()),
    ("diag_3d", lambda m: m.ones(2, 2, 2).diag()),
    ("trace_3d", lambda m: m.ones(2, 2, 2).trace()),
    ("multinomial_too_many", lambda m: m.multinomial(m.ones(3), 4)),
    ("multinomial_negative", lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1)),
    ("bernoulli_p_range", lambda m: m.zeros(2).bernoulli(1.5)),
    ("movedim_repeat", lambda m: _a(m).movedim((0, 0), (0, 1))),
    ("inner_shapes", lambda m: m.inner(m.ones(2, 3), m.ones(2, 2))),
    ("norm_nuc", lambda m: m.ones(3).norm(p="nuc")),
    ("amax_empty", lambda m: m.ones(0).amax()),
    ("one_hot_float", lambda m: m.nn.functional.one_hot(m.tensor([0.0, 1.0]))),
    ("one_hot_too_large", lambda m: m.nn.functional.one_hot(m.tensor([0, 5]), 3)),
    ("matmul_out_grad", lambda m: m.matmul(_a(m).requires_grad_(), m.ones(3, 2), out=m.empty(2, 2))),
    ("div_rounding_mode", lambda m: m.div(_a(m), 2, rounding_mode="round")),
    ("FloatTensor_of_double", lambda m: m.FloatTensor(m.ones(2, dtype=m.float64))),
    ("einsum_operands", lambda m: m.einsum("ij,jk->ik", m.ones(2, 3))),
    ("einsum_shapes", lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 2))),
    ("rand_size_twice", lambda m: m.rand(2, size=(2, 3))),
    ("rand_out_dtype_mismatch", lambda m: m.rand(2, out=m.empty(2, dtype=m.float64), dtype=m.float32)),
    ("randn_out_requires_grad", lambda m: m.randn(2, out=m.empty(2, requires_grad=True))),
    ("det_not_square", lambda m: m.linalg.det(m.ones(2, 3))),
    ("cross_not_3", lambda m: m.linalg.cross(m.ones(2), m.ones(2))),
    ("eig_not_square", lambda m: m.linalg.eig(m.ones(2, 3))),
    ("imag_of_real", lambda m: m.ones(2).imag),
    ("cdist_dims", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 4))),
    ("grid_sample_mode", lambda m: m.nn.functional.grid_sample(m.ones(1, 1, 3, 3), m.zeros(1, 2, 2, 2),
                                                               mode="bicubic_typo", align_corners=False)),
    ("grid_sample_padding", lambda m: m.nn.functional.grid_sample(m.ones(1, 1, 3, 3), m.zeros(1, 2, 2, 2),
                                                                  padding_mode="wrap", align_corners=False)),
    ("grid_sample_batch", lambda m: m.nn.functional.grid_sample(m.ones(2, 1, 3, 3), m.zeros(1, 2, 2, 2),
                                                                align_corners=False)),
    ("grid_sample_dtypes", lambda m: m.nn.functional.grid_sample(
        m.ones(1, 1, 3, 3), m.zeros(1, 2, 2, 2, dtype=m.float64), align_corners=False)),
    ("resize_requires_grad", lambda m: m.ones(2, requires_grad=True).resize_(3)),
    ("Tensor_of_float", lambda m: m.Tensor(3.5)),
    ("FloatTensor_of_float", lambda m: m.FloatTensor(2.5)),
    ("Tensor_data_and_size", lambda m: m.Tensor([1.0], 2)),
    ("Variable_of_list", lambda m: m.autograd.Variable([1.0])),
    ("tensor_of_vectors", lambda m: m.tensor([m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0])])),
    ("affine_grid_theta_shape", lambda m: m.nn.functional.affine_grid(m.ones(1, 3, 3), (1, 1, 4, 4),
                                                                      align_corners=False)),
    ("affine_grid_int_theta", lambda m: m.nn.functional.affine_grid(m.ones(1, 2, 3, dtype=m.int64),
                                                                    (1, 1, 4, 4), align_corners=False)),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_type_matches_torch(name, fn, torch):
    assert_raises_like_torch(torch, gs, fn)


@pytest.mark.parametrize("use", [
    lambda: gs.zeros(2, device="cuda"), lambda: gs.tensor([1.0], device=gs.device("cuda", 0)),
    lambda: gs.ones(2).to("cuda"), lambda: gs.ones(2).to(gs.device("mps")), lambda: gs.ones(2).cuda(),
    lambda: gs.randn(2, device="cuda:1"), lambda: gs.nn.Linear(2, 2).to("cuda"),
    lambda: gs.nn.Linear(2, 2).cuda(), lambda: gs.nn.Linear(2, 2, device="cuda"),
    lambda: gs.arange(3, device="mps"), lambda: gs.ones_like(gs.ones(1), device="cuda")])
def test_a_device_other_than_the_cpu_raises_one_clear_line(use):
    # PyTorch without CUDA raises AssertionError or RuntimeError here; gradstep raises DeviceError,
    # a ValueError, a RuntimeError and an AssertionError (docs/differences.md)
    with pytest.raises(gs.DeviceError, match=r"^gradstep runs on the CPU only; device '(cuda|mps)(:\d)?' "
                                              r"is not available [^\n]*$"):
        use()


@pytest.mark.parametrize("use", [
    lambda m: m.ones(2).cuda(1), lambda m: m.ones(2).cuda(), lambda m: m.ones(2, device="cuda"),
    lambda m: m.ones(2).to("cuda"), lambda m: m.nn.Linear(2, 2).cuda()])
def test_a_cpu_only_torch_s_device_error_type_catches_gradstep_s(use, torch):
    # d2l's use-gpu section runs X.cuda(1) on a machine without a GPU; an except clause written
    # against PyTorch's error there must catch gradstep's as well
    assert_raises_like_torch(torch, gs, use)


def test_every_tensor_is_a_variable(torch):
    for m in (gs, torch):
        t = m.ones(2)
        assert isinstance(t, m.autograd.Variable) and not isinstance(3.0, m.autograd.Variable)
        v = m.autograd.Variable(t)
        assert v is not t and type(v) is type(t)
        v[0] = 5.0  # shares t's memory, as in PyTorch
        assert t[0].item() == 5.0


def test_devices_behave_like_torch(torch):
    for m in (gs, torch):
        d = m.device("cpu")
        assert (str(d), repr(d), d.type, d.index) == ("cpu", "device(type='cpu')", "cpu", None)
        assert d == m.device("cpu") and hash(d) == hash(m.device("cpu")) and d != m.device("cpu", 0)
        assert str(m.device("cuda:1")) == "cuda:1" and m.device("cuda", 1).index == 1
        assert repr(m.device("cpu", 0)) == "device(type='cpu', index=0)"
        assert m.device(m.device("cpu")) == d
        assert not d == "cpu"  # a device never equals a string, in either library
        t = m.ones(2)
        assert t.device == d and str(t.device) == "cpu" and t.is_cuda is False and t.get_device() == -1
        assert t.to(d) is t and t.cpu() is t and t.type() == "torch.FloatTensor"
        assert m.tensor([1], dtype=m.int64).type() == "torch.LongTensor"
        assert m.cuda.is_available() is False and m.cuda.device_count() == 0
        assert isinstance(t, m.FloatTensor) and not isinstance(t, m.DoubleTensor)
        assert isinstance(t.long(), m.LongTensor) and not isinstance(t, m.LongTensor)
        assert m.backends.mps.is_available() is False
        m.cuda.manual_seed_all(0)
        m.cuda.manual_seed(0)
        device = m.device("cuda" if m.cuda.is_available() else "cpu")
        net = m.nn.Linear(2, 1).to(device)
        assert next(net.parameters()).device == device
    assert gs.accelerator.is_available() is False and gs.accelerator.current_accelerator() is None
    assert torch.accelerator.is_available() is False


def test_meshgrid_without_indexing_warns_and_uses_ij(torch):
    for m in (gs, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            x, y = m.meshgrid(m.arange(3), m.arange(2))
        assert any("indexing" in str(e.message) for e in w)
        assert tuple(x.shape) == (3, 2) and x[2, 0].item() == 2 and y[0, 1].item() == 1


def test_scheduler_classes_belong_to_the_lr_scheduler_module():
    sched = gs.optim.lr_scheduler
    opt = gs.optim.SGD([gs.zeros(1, requires_grad=True)], lr=0.1)
    for s in (sched.StepLR(opt, 2), sched.ReduceLROnPlateau(opt), sched.OneCycleLR(opt, 1.0, total_steps=3)):
        assert type(s).__module__ == sched.__name__ == "gradstep.optim.lr_scheduler"
    assert all(getattr(sched, n).__module__ == sched.__name__ for n in sched.__all__)


def test_every_added_name_is_a_torch_name(torch):
    # the wider API copies PyTorch's names; none is invented
    from gradstep import _functions
    from gradstep.autograd.more_index import MoreIndex
    from gradstep.autograd.more_math import MoreMath
    methods = [n for cls in (MoreMath, MoreIndex) for n in vars(cls) if not n.startswith("_")]
    assert len(methods) > 100
    assert [n for n in methods if not hasattr(torch.Tensor, n)] == []
    assert [n for n in _functions.__all__ if not hasattr(torch, n)] == []


def test_a_singular_matrix_raises_linalg_error(torch):
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.ones(2, 2))
    # PyTorch's LinAlgError is a RuntimeError; gradstep's is one too (and a ValueError)
    with pytest.raises(gs.linalg.LinAlgError, match="singular") as e:
        gs.linalg.inv(gs.ones(2, 2))
    assert isinstance(e.value, RuntimeError) and issubclass(torch.linalg.LinAlgError, RuntimeError)


def test_eig_of_a_matrix_that_requires_grad_is_refused_in_one_line():
    a = gs.tensor([[2.0, 1.0], [2.0, 3.0]], requires_grad=True)
    with pytest.raises(ValueError, match="no gradient for eigendecompositions.*no_grad"):
        gs.linalg.eig(a)
    with gs.no_grad():
        w = gs.linalg.eig(a).eigenvalues
    np.testing.assert_allclose(np.sort(w.real.numpy()), [1.0, 4.0], rtol=1e-6)
    assert w.is_complex() and not w.requires_grad
