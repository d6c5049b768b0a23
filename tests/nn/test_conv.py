"""Conv2d beyond the layer table: random geometries against PyTorch, errors, initialisation, and
the small Fashion-MNIST CNN end to end."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradstep as gs
from gradstep import nn
from gradstep.nn import functional as F

from .conv_norm_table import assert_raises_naming

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@st.composite
def conv_geometry(draw):
    groups = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if stride == (1, 1) and draw(st.booleans()):
        padding = draw(st.sampled_from(["same", "valid"]))
    else:
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(dilation[0] * (kh - 1) + 1, 9))
    w = draw(st.integers(dilation[1] * (kw - 1) + 1, 9))
    return dict(n=draw(st.integers(1, 3)), c=groups * draw(st.integers(1, 2)),
                o=groups * draw(st.integers(1, 2)), k=(kh, kw), hw=(h, w), stride=stride,
                padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()))


# the torch fixture only hands over the module: nothing to reset between examples
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=conv_geometry())
def test_random_geometries_match_torch(g, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((g["n"], g["c"]) + g["hw"])
    w = rng.standard_normal((g["o"], g["c"] // g["groups"]) + g["k"])
    b = rng.standard_normal(g["o"]) if g["bias"] else None
    kw = dict(stride=g["stride"], padding=g["padding"], dilation=g["dilation"], groups=g["groups"])
    gx, gw = gs.tensor(x, requires_grad=True), gs.tensor(w, requires_grad=True)
    gb = None if b is None else gs.tensor(b, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    g_out = F.conv2d(gx, gw, gb, **kw)
    t_out = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), atol=1e-10)
    proj = rng.standard_normal(tuple(t_out.shape))
    g_out.backward(gs.tensor(proj))
    t_out.backward(torch.tensor(proj))
    for g_t, t_t in ((gx, tx), (gw, tw), (gb, tb)):
        if g_t is not None:
            np.testing.assert_allclose(g_t.grad.numpy(), t_t.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True), (False, False, True),
                                   (True, False, True), (True, True, False), (False, True, False)])
@pytest.mark.parametrize("groups", [1, 2])
def test_each_subset_of_gradients_matches_torch(needs, groups, torch):
    """The bias rides in the products as a row of ones when the weight's gradient is computed, and
    is summed apart when it is not: every subset of wanted gradients gives PyTorch's."""
    rng = np.random.default_rng(4)
    x, w, b = (rng.standard_normal(s) for s in ((3, 4, 7, 6), (6, 4 // groups, 3, 2), (6,)))
    proj = rng.standard_normal((3, 6, 7, 7))
    found = []
    for lib in (gs, torch):
        ts = [lib.tensor(a, requires_grad=need) for a, need in zip((x, w, b), needs)]
        out = lib.nn.functional.conv2d(*ts, padding=1, groups=groups)
        out.backward(lib.tensor(proj))
        found.append([out.detach().numpy()] + [t.grad.numpy() if t.requires_grad else None for t in ts])
    for a, e in zip(*found):
        assert (a is None) == (e is None)
        if a is not None:
            np.testing.assert_allclose(a, e, atol=1e-10)


def test_gradient_skips_unneeded_inputs():
    x = gs.randn(2, 3, 5, 5)                       # no grad for the input: only dw, db computed
    conv = nn.Conv2d(3, 2, 3)
    conv(x).sum().backward()
    assert x.grad is None and conv.weight.grad is not None and conv.bias.grad is not None


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.conv2d(gs.randn(1, 2, 5, 5), gs.randn(4, 3, 3, 3)), ValueError, ["3 channels", "has 2"]),
    (lambda: F.conv2d(gs.randn(1, 3, 5, 5), gs.randn(4, 3, 3, 3, dtype=gs.float64)), TypeError,
     ["float32", "float64"]),
    (lambda: F.conv2d(gs.randn(1, 3, 5, 5), gs.randn(4, 3, 3, 3), gs.randn(3)), ValueError, ["bias", "(4,)"]),
    (lambda: F.conv2d(gs.randn(1, 3, 2, 2), gs.randn(4, 3, 3, 3)), ValueError, ["(2, 2)", "(3, 3)"]),
    (lambda: F.conv2d(gs.randn(1, 3, 5, 5), gs.randn(4, 3, 3, 3), stride=2, padding="same"), ValueError,
     ["same", "strided"]),
    (lambda: F.conv2d(gs.randn(3, 5, 5, 5, 5), gs.randn(4, 3, 3, 3)), ValueError, ["3-D or 4-D"]),
    (lambda: F.conv2d(gs.randn(1, 3, 5, 5), gs.randn(4, 3, 3, 3), padding="full"), ValueError, ["'full'"]),
    (lambda: F.conv2d(gs.randn(1, 3, 5, 5), gs.randn(4, 3, 3, 3), stride=0), ValueError, ["stride"]),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, ["in_channels (3)", "groups (2)"]),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, ["out_channels (3)", "groups (2)"]),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError, ["strided"]),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="reflect"), NotImplementedError, ["reflect"]),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), ValueError, ["mirror"]),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), TypeError, ["kernel_size"]),
])
def test_errors_name_the_problem(call, error, words):
    assert_raises_naming(call, error, words)


def test_default_init_is_pytorchs():
    conv = nn.Conv2d(16, 64, (3, 5), groups=2)
    fan_in = 8 * 3 * 5
    bound = 1 / math.sqrt(fan_in)                   # kaiming_uniform_(a=sqrt(5)) and the bias rule
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (64, 8, 3, 5)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound
    gs.manual_seed(5)
    first = nn.Conv2d(2, 3, 3).weight.detach().numpy().copy()
    gs.manual_seed(5)
    assert np.array_equal(nn.Conv2d(2, 3, 3).weight.detach().numpy(), first)


def fashion_cnn(nn):
    """The small Fashion-MNIST CNN the benchmark times."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def test_fashion_cnn_matches_torch(torch):
    # seeded: with some initial weights two taps of a max-pool window differ by a rounding error
    # and the two libraries route that window's gradient to different inputs
    torch.manual_seed(0)
    t_net, g_net = fashion_cnn(torch.nn), fashion_cnn(gs.nn)
    t_state = t_net.state_dict()
    assert list(g_net.state_dict()) == list(t_state) == ["0.weight", "0.bias", "3.weight", "3.bias",
                                                        "7.weight", "7.bias"]
    g_net.load_state_dict({k: v.numpy() for k, v in t_state.items()})
    x = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    y = np.arange(8) % 10
    g_loss = gs.nn.CrossEntropyLoss()(g_net(gs.from_numpy(x)), gs.tensor(y))
    t_loss = torch.nn.CrossEntropyLoss()(t_net(torch.from_numpy(x)), torch.from_numpy(y))
    np.testing.assert_allclose(g_loss.item(), t_loss.item(), rtol=1e-5)
    g_loss.backward()
    t_loss.backward()
    t_params = dict(t_net.named_parameters())
    for name, p in g_net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), atol=1e-5, rtol=1e-3,
                                   err_msg=name)


# geometries (x shape, w shape, stride, pads, dilation, groups) for both layouts of the kernel
LAYOUT_CASES = [((2, 3, 9, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
                ((1, 4, 7, 10), (6, 2, 2, 3), (1, 1), ((0, 1), (2, 0)), (2, 1), 2),
                ((3, 1, 6, 6), (2, 1, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
                ((2, 6, 8, 9), (3, 2, 3, 2), (1, 1), ((1, 2), (0, 1)), (1, 2), 3),
                ((2, 4, 11, 9), (6, 2, 3, 2), (2, 3), ((1, 0), (2, 1)), (1, 2), 2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, stride, pads, dilation, groups", LAYOUT_CASES)
def test_compiled_col2im_gives_the_numpy_bits(x_shape, w_shape, stride, pads, dilation, groups, dtype):
    """The convolution with its compiled col2im loop and with the NumPy body: the same additions
    in the same order, so the same bits (forward and every gradient)."""
    from gradstep.kernels import conv as kconv
    from gradstep.kernels import jit
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, w_shape[:1]))
    found = []
    try:
        for on in (False, True):
            jit.use(on)
            out, cols = kconv.conv2d_forward(x, w, b, stride, pads, dilation, groups)
            grad = np.cos(out)
            found.append((out, cols) + kconv.conv2d_backward(grad, cols, w, x_shape, stride, pads, dilation,
                                                             groups))
    finally:
        jit.use(None)
    for a, e in zip(*found):
        np.testing.assert_array_equal(a, e)


def test_first_layer_never_computes_the_input_gradient(monkeypatch):
    """A convolution on the data (no grad) asks the kernel for dw and db only."""
    from gradstep.kernels import conv as kconv
    asked, real = [], kconv.conv2d_backward
    monkeypatch.setattr(kconv, "conv2d_backward",
                        lambda *a, **k: (asked.append(k["need_x"]), real(*a, **k))[1])
    conv = nn.Conv2d(1, 4, 3, padding=1)
    conv(gs.randn(2, 1, 28, 28)).sum().backward()
    assert asked == [False] and conv.weight.grad is not None


@pytest.fixture
def two_threads(monkeypatch):
    """Two threads, and every product and loop split however small (the crossovers set to one)."""
    from gradstep import _threads
    from gradstep.kernels import parallel
    before, real, splits = gs.get_num_threads(), parallel._split, []
    monkeypatch.setattr(_threads, "MATMUL_MIN_MACS", 1)
    monkeypatch.setattr(_threads, "SPLIT_MIN_ELEMENTS", 1)
    monkeypatch.setattr(_threads, "free_cpus", lambda: 64)  # as on an idle machine
    monkeypatch.setattr(parallel, "feedback", False)        # split whenever allowed, however splits fare

    def split(fn, bounds, t, work=0):                       # records the threads of each loop cut in parts
        splits.append(t if len(bounds) > 2 else 1)
        return real(fn, bounds, t, work)

    monkeypatch.setattr(parallel, "_split", split)
    gs.set_num_threads(2)
    yield splits
    gs.set_num_threads(before)


@pytest.mark.parametrize("x_shape, w_shape, groups", [((4, 3, 26, 26), (6, 3, 3, 3), 1),   # per image
                                                      ((4, 4, 26, 26), (6, 2, 3, 3), 2),
                                                      ((70, 2, 12, 12), (6, 2, 3, 3), 1),
                                                      ((40, 4, 10, 10), (6, 2, 3, 3), 2)])
def test_threaded_convolution_matches_one_thread(two_threads, x_shape, w_shape, groups, monkeypatch):
    """Fixed chunks of images split over threads: the same bits as one thread, as the chunks and
    the order of every sum depend on the shapes alone."""
    from gradstep.kernels import conv as kconv
    monkeypatch.setattr(kconv, "CHUNK_IMAGES", 3)       # several chunks, the last one shorter
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = rng.standard_normal(w_shape[0], dtype=np.float32)

    def run():
        xt, wt, bt = (gs.tensor(a, requires_grad=True) for a in (x, w, b))
        out = gs.nn.functional.conv2d(xt, wt, bt, padding=1, groups=groups)
        out.backward(gs.tensor(np.cos(out.detach().numpy())))
        return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()

    threaded = run()
    assert two_threads.count(2) >= 2                 # the forward and the backward pass were split
    gs.set_num_threads(1)
    for got, want in zip(threaded, run()):
        np.testing.assert_array_equal(got, want)
