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


def _cuda(m):
    return m.zeros(2, device="cuda")


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
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_type_matches_torch(name, fn, torch):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as g_err:
        fn(gs)
    assert isinstance(g_err.value, t_err.type), (g_err.value, t_err.value)
    assert str(g_err.value).count("\n") == 0 and len(str(g_err.value)) > 20


@pytest.mark.parametrize("use", [
    lambda: gs.zeros(2, device="cuda"), lambda: gs.tensor([1.0], device=gs.device("cuda", 0)),
    lambda: gs.ones(2).to("cuda"), lambda: gs.ones(2).to(gs.device("mps")), lambda: gs.ones(2).cuda(),
    lambda: gs.randn(2, device="cuda:1"), lambda: gs.nn.Linear(2, 2).to("cuda"),
    lambda: gs.nn.Linear(2, 2).cuda(), lambda: gs.nn.Linear(2, 2, device="cuda"),
    lambda: gs.arange(3, device="mps"), lambda: gs.ones_like(gs.ones(1), device="cuda")])
def test_a_device_other_than_the_cpu_raises_one_clear_line(use):
    # PyTorch without CUDA raises AssertionError or RuntimeError here; gradstep raises DeviceError,
    # a ValueError and a RuntimeError (docs/differences.md)
    with pytest.raises(gs.DeviceError, match=r"^gradstep runs on the CPU only; device '(cuda|mps)(:\d)?' "
                                              r"is not available [^\n]*$"):
        use()


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
