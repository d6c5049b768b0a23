"""What students see: tensors, shapes and graph nodes print as PyTorch prints them."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import _dtype

VALUES = [
    [0.1, 0.5], [1.0, 2.0], 3.0, 0.5, -2.0, 1e-5, [1e-5, 1.0], [[1.0, 2.5], [3, 4]], [1, 2], 7,
    [True, False], [float("nan"), 1.5, float("inf")], [1e9, 1.0], [123456.5, 1.25], [1e-12, 1e-13],
    [[1e-5, 2.0], [3.0, 4e3]], [100.0, 2000.0], [0.001, 0.002],
    np.linspace(-3, 3, 30).tolist(), list(range(2000)), np.linspace(0, 1, 1500).tolist(),
    np.random.RandomState(0).randn(3, 4, 5).tolist(), np.random.RandomState(1).randn(60, 60).tolist(),
    [-0.0, 0.0], [0.0, 0.0], [1.0, float("nan")], [[1, 200], [3, -4]],
    np.arange(3000).reshape(30, 100).tolist(),
    [True] * 1200, (np.random.RandomState(2).randn(4, 300) * 1e5).tolist(), [2.5e-7, -1.0],
]


@pytest.fixture
def torch_names():
    _dtype.set_print_namespace("torch")
    yield
    _dtype.set_print_namespace("gradstep")


CASES = [(v, None) for v in VALUES] + [(v, "float64") for v in VALUES if np.asarray(v).dtype.kind == "f"]


@pytest.mark.parametrize("value, dtype", CASES, ids=range(len(CASES)))
def test_tensor_repr_matches_pytorch(torch, torch_names, value, dtype):
    ours = gs.tensor(value, dtype=getattr(gs, dtype) if dtype else None)
    theirs = torch.tensor(value, dtype=getattr(torch, dtype) if dtype else None)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def test_empty_and_autograd_suffixes_match_pytorch(torch, torch_names):
    assert repr(gs.zeros(0, 3)) == repr(torch.zeros(0, 3)) == "tensor([], size=(0, 3))"
    x, tx = gs.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == repr(tx)
    for f in (lambda a: a + 1, lambda a: a * 3, lambda a: a.sum(), lambda a: a.mean(),
              lambda a: a.exp(), lambda a: a.relu(), lambda a: a.tanh(), lambda a: a.sigmoid(),
              lambda a: -a, lambda a: a / 2, lambda a: a.pow(2)):
        assert repr(f(x)) == repr(f(tx))


def test_shape_prints_as_torch_size(torch, torch_names):
    x = gs.zeros(2, 3)
    assert repr(x.shape) == repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert str(x.size()) == "torch.Size([2, 3])" and f"{x.shape}" == "torch.Size([2, 3])"
    assert x.shape == (2, 3) and x.shape[1:] == (3,) and repr(x.shape[1:]) == "torch.Size([3])"
    assert x.shape.numel() == 6 and x.size(1) == 3


def test_shape_is_a_plain_tuple_in_gradsteps_own_messages():
    assert repr(gs.zeros(2, 3).shape) == "(2, 3)" and isinstance(gs.zeros(2, 3).shape, tuple)


def _graph(node, depth=0):
    """The graph below ``node`` as nested (name, [children]), inputs without grad left out."""
    name = "AccumulateGrad" if hasattr(node, "variable") else node.name()
    return (name, [_graph(n, depth + 1) for n, i in node.next_functions if n is not None])


@pytest.mark.parametrize("build", [
    lambda m, x, w: (x @ w).relu().sum(),
    lambda m, x, w: m.nn.functional.mse_loss(x @ w, m.zeros(1, 2)),
    lambda m, x, w: (x * 2 + w).tanh().mean(),
    lambda m, x, w: (x @ w).sigmoid().pow(2).exp().sum() / 3 - x.sum(),
    lambda m, x, w: m.cat([x, w]).abs().max(),
])
def test_grad_fn_graphs_match_pytorch(torch, build):
    xv, wv = [[1.0, -2.0]], [[0.5, -1.0], [2.0, 0.25]]
    ours = build(gs, gs.tensor(xv, requires_grad=True), gs.tensor(wv, requires_grad=True))
    theirs = build(torch, torch.tensor(xv, requires_grad=True), torch.tensor(wv, requires_grad=True))
    assert _graph(ours.grad_fn) == _graph(theirs.grad_fn)
    assert all(isinstance(p, tuple) and p[1] == 0 for p in ours.grad_fn.next_functions)


@pytest.mark.parametrize("build", [
    lambda m, x, w: m.nn.functional.cross_entropy(x @ w, m.tensor([1])),
    lambda m, x, w: m.nn.functional.linear(x, w).softmax(1),
    lambda m, x, w: m.nn.functional.binary_cross_entropy_with_logits(x, m.ones(1, 2)),
])
def test_fused_nodes_carry_pytorchs_name(torch, build):
    """Nodes gradstep fuses (cross-entropy is one node here, two in PyTorch) still carry the name
    PyTorch gives the operation's last node."""
    xv, wv = [[1.0, -2.0]], [[0.5, -1.0], [2.0, 0.25]]
    ours = build(gs, gs.tensor(xv, requires_grad=True), gs.tensor(wv, requires_grad=True))
    theirs = build(torch, torch.tensor(xv, requires_grad=True), torch.tensor(wv, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_accumulate_grad_leaves_name_their_variable():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (node, index), (none, _) = y.grad_fn.next_functions
    assert index == 0 and none is None
    assert node.name() == "AccumulateGrad" and node.variable is x and node.next_functions == ()
    assert (x + 1).grad_fn.next_functions[0][0] is node  # one node per leaf, as in PyTorch


def test_a_number_on_the_left_is_recorded_as_pytorch_records_it(torch):
    def chain(node):
        names = []
        while node is not None and not hasattr(node, "variable"):
            names.append(node.name())
            node = node.next_functions[0][0]
        return names + (["AccumulateGrad"] if node is not None else [])

    for m in (gs, torch):
        a = m.tensor([0.5, 1.0], requires_grad=True)
        d = 1 + 2 * m.sin(a)
        assert chain(d.grad_fn) == ["AddBackward0", "MulBackward0", "SinBackward0", "AccumulateGrad"]


@pytest.mark.parametrize("options", [dict(precision=2), dict(sci_mode=True), dict(sci_mode=False),
                                     dict(threshold=5, edgeitems=2), dict(linewidth=40),
                                     dict(profile="short"), dict(profile="full")])
def test_set_printoptions_matches_pytorch(torch, torch_names, options):
    values = [np.linspace(-3, 3, 30).tolist(), [1e-5, 2.0, 3.5], [[1.0, 2.0], [3.0, 4.0]],
              np.random.RandomState(0).randn(40, 40).tolist()]
    try:
        gs.set_printoptions(**options)
        torch.set_printoptions(**options)
        for v in values:
            assert repr(gs.tensor(v)) == repr(torch.tensor(v)), (options, v)
    finally:
        gs.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_set_printoptions_rejects_an_unknown_profile():
    with pytest.raises(ValueError, match="profile must be one of"):
        gs.set_printoptions(profile="long")


def test_float64_from_python_floats_keeps_every_digit(torch):
    v = [-41675.78474054706, 0.1, 1 / 3]
    for make in (gs.tensor, gs.as_tensor):
        assert make(v, dtype=gs.float64).tolist() == torch.tensor(v, dtype=torch.float64).tolist() == v


@pytest.mark.parametrize("matrix, dtype", [
    ([[2, 1], [2, 3]], "float64"),  # d2l's eigendecomposition example
    ([[0.0, -1.0], [1.0, 0.0]], "float32"),
    (np.random.RandomState(3).randn(4, 4).round(3).tolist(), "float32"),
], ids=["real", "rotation", "random"])
def test_complex_results_print_as_pytorch(torch, torch_names, matrix, dtype):
    ours = gs.linalg.eig(gs.tensor(matrix, dtype=getattr(gs, dtype)))
    theirs = torch.linalg.eig(torch.tensor(matrix, dtype=getattr(torch, dtype)))
    assert repr(ours) == repr(theirs)
    assert str(ours.eigenvalues) == str(theirs.eigenvalues)


@pytest.mark.parametrize("index", [
    np.s_[:2], np.s_[0], np.s_[1:3, 0], np.s_[0, 1:], np.s_[:], np.s_[:, 1], np.s_[None], np.s_[:2, None],
    np.s_[..., 0], np.s_[[0, 1]], np.s_[::2], np.s_[:, :], np.s_[0, 1], np.s_[-1]], ids=repr)
def test_indexing_nodes_carry_pytorchs_name(torch, index):
    # d2l prints net[0].weight.data[:2]-style slices of graph tensors: <SliceBackward0>, not Index
    ours = (gs.ones(4, 3, requires_grad=True) * 1)[index]
    theirs = (torch.ones(4, 3, requires_grad=True) * 1)[index]
    assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("make", [
    lambda m: m.tensor(0.7944855690002441), lambda m: m.tensor(3), lambda m: m.tensor(True),
    lambda m: m.tensor(0.5, dtype=m.float64), lambda m: m.tensor(0.5, requires_grad=True) * 2,
    lambda m: m.tensor([0.5]), lambda m: m.tensor([[1.0, 2.0]]), lambda m: m.nn.Parameter(m.tensor(0.5))])
def test_f_strings_format_tensors_as_pytorch_does(torch, torch_names, make):
    # d2l's integral-calculus section prints f'approximation: {approx}' of a 0-d tensor: a number
    assert f"{make(gs)}" == f"{make(torch)}"
    if make(torch).ndim == 0 and type(make(torch)) is torch.Tensor:
        assert f"{make(gs):.3f}|{make(gs):>8}" == f"{make(torch):.3f}|{make(torch):>8}"
