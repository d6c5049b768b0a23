"""Every row of the convolution, pooling, normalisation, dropout and embedding table: float64
gradcheck of input and parameters in train and eval mode, and outputs, gradients and state
(running statistics after three training steps) against PyTorch with weights copied through
``state_dict``."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd.gradcheck import gradcheck

from .conv_norm_table import LAYERS
from .harness import FWD_TOL as FWD
from .harness import GRAD_TOL as GRAD
from .harness import assert_same_state_dict_layout

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def _gs_input(layer, arr):
    if layer.indices is not None:
        return gs.from_numpy(arr)
    return gs.from_numpy(arr).requires_grad_()


CHECKABLE = [c for c in LAYERS if c.true_gradient]


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("layer", CHECKABLE, ids=[c.id for c in CHECKABLE])
def test_gradcheck(layer, mode):
    module = layer.build(gs.nn).double()
    module.train(mode == "train")
    arr = layer.make_input(np.random.default_rng(0), np.float64)
    padding_idx = getattr(module, "padding_idx", None)
    if padding_idx is not None:
        # by design the padding row gets no gradient although the output reads it: keep it out of
        # this check (the PyTorch comparison covers it)
        arr[arr == padding_idx] = (padding_idx + 1) % layer.indices
    x = _gs_input(layer, arr)
    params = list(module.parameters())
    inputs = [x, *params] if x.requires_grad else params
    if not inputs:
        pytest.skip(f"{layer.id} has no input or parameter to differentiate")

    def run(*_):
        gs.manual_seed(3)        # the same dropout mask for every evaluation
        return module(x)

    out = run()
    assert out.dtype == np.float64
    assert gradcheck(run, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def _copy_torch_weights(torch, t_mod, g_mod):
    """PyTorch's weights (and buffers) into gradstep, through state_dict and NumPy only."""
    assert_same_state_dict_layout(torch, g_mod, t_mod)
    g_mod.load_state_dict({k: v.detach().numpy().copy() for k, v in t_mod.state_dict().items()})


def _step(torch, layer, t_mod, g_mod, seed):
    rng = np.random.default_rng(seed)
    arr = layer.make_input(rng, np.float32)
    g_x = _gs_input(layer, arr)
    t_x = torch.from_numpy(arr.copy())
    if layer.indices is None:
        t_x.requires_grad_()
    g_out, t_out = g_mod(g_x), t_mod(t_x)
    assert g_out.dtype == np.float32 and tuple(g_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), **FWD)
    proj = rng.standard_normal(tuple(t_out.shape)).astype(np.float32)
    g_out.backward(gs.from_numpy(proj))
    t_out.backward(torch.from_numpy(proj))
    if layer.indices is None:
        assert g_x.grad.dtype == np.float32
        np.testing.assert_allclose(g_x.grad.numpy(), t_x.grad.numpy(), **GRAD, err_msg="input gradient")
    t_params = dict(t_mod.named_parameters())
    for name, p in g_mod.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), **GRAD, err_msg=name)
    g_mod.zero_grad()
    t_mod.zero_grad()


@pytest.mark.parametrize("layer", LAYERS, ids=[c.id for c in LAYERS])
def test_matches_torch(layer, torch):
    t_mod = layer.build(torch.nn)
    g_mod = layer.build(gs.nn)
    _copy_torch_weights(torch, t_mod, g_mod)
    if not layer.random:
        for step in range(3):               # training mode: batch statistics, running updates
            _step(torch, layer, t_mod, g_mod, seed=step)
        t_state = t_mod.state_dict()
        for k, v in g_mod.state_dict().items():   # running statistics after three steps
            np.testing.assert_allclose(v.numpy(), t_state[k].numpy(), **FWD, err_msg=k)
    t_mod.eval()
    g_mod.eval()
    _step(torch, layer, t_mod, g_mod, seed=10)


@pytest.mark.parametrize("layer", LAYERS, ids=[c.id for c in LAYERS])
def test_repr_matches_torch(layer, torch):
    assert repr(layer.build(gs.nn)) == repr(layer.build(torch.nn))


@pytest.mark.parametrize("layer", [c for c in LAYERS if c.indices is None], ids=lambda c: c.id)
def test_float32_stays_float32(layer):
    module = layer.build(gs.nn)
    x = _gs_input(layer, layer.make_input(np.random.default_rng(0), np.float32))
    out = module(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    for name, p in module.named_parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32, name
    for name, b in module.named_buffers():
        assert b.dtype == (np.int64 if name == "num_batches_tracked" else np.float32), name


def test_every_layer_of_this_part_is_in_the_table():
    names = {c.name.split("(")[0] for c in LAYERS}
    assert names == {"Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d",
                     "LayerNorm", "Dropout", "Embedding"}
