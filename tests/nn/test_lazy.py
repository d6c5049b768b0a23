"""Lazy layers infer their input size from the first input, as PyTorch's do, and an optimizer
built before that first call trains them (d2l builds its optimizer before the first forward)."""

import numpy as np
import pytest

import gradstep as gs
import gradstep.nn as nn

CASES = [
    ("LazyLinear", lambda m: m.nn.LazyLinear(5), (4, 3)),
    ("LazyLinear_nobias", lambda m: m.nn.LazyLinear(2, bias=False), (2, 6, 3)),
    ("LazyConv2d", lambda m: m.nn.LazyConv2d(4, 3, padding=1), (2, 3, 5, 5)),
    ("LazyConv2d_groups", lambda m: m.nn.LazyConv2d(4, (1, 2), stride=2, groups=2, bias=False), (1, 6, 4, 4)),
    ("LazyBatchNorm1d", lambda m: m.nn.LazyBatchNorm1d(), (4, 3)),
    ("LazyBatchNorm2d", lambda m: m.nn.LazyBatchNorm2d(momentum=0.2), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_lazy_layer_matches_torch(name, make, shape, torch):
    g, t = make(gs), make(torch)
    assert repr(g) == repr(t)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    g_out = g(gs.tensor(x))
    t_out = t(torch.tensor(x))
    assert repr(g) == repr(t) and type(g).__name__ == type(t).__name__
    g_state, t_state = g.state_dict(), t.state_dict()
    assert list(g_state) == list(t_state)
    assert [v.shape for v in g_state.values()] == [tuple(v.shape) for v in t_state.values()]
    # with torch's initial values the two layers compute the same thing
    g.load_state_dict({k: gs.tensor(v.detach().numpy()) for k, v in t_state.items()})
    g_out = g(gs.tensor(x))
    t_out = t(torch.tensor(x))
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert g_out.shape == tuple(t_out.shape)


def test_lazy_linear_initialises_like_linear():
    layer = nn.LazyLinear(50)
    layer(gs.ones(2, 400))
    bound = 1 / np.sqrt(400)
    w = layer.weight.detach().numpy()
    assert w.shape == (50, 400) and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert isinstance(layer.weight, nn.Parameter) and not isinstance(layer.weight, nn.UninitializedParameter)


@pytest.mark.parametrize("flat", [True, False])
def test_an_optimizer_built_before_the_first_forward_trains_the_layer(flat):
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    opt = gs.optim.Adam(net.parameters(), lr=0.01, flat=flat)
    x, y = gs.randn(32, 3), gs.randn(32, 1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]
    assert [tuple(p.shape) for p in opt.param_groups[0]["params"]] == [(8, 3), (8,), (1, 8), (1,)]


def test_lazy_conv_rejects_channels_that_do_not_fit_groups():
    with pytest.raises(ValueError, match="multiple of groups"):
        nn.LazyConv2d(4, 3, groups=2)(gs.ones(1, 3, 5, 5))


@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_a_state_dict_loads_into_an_uninitialised_lazy_layer(name, make, shape, torch):
    # PyTorch's lazy load hook: the checkpoint's shapes materialise the parameters (d2l's read-write)
    src = make(torch)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    src.train()
    src(torch.tensor(x))  # sizes it and moves BatchNorm's running statistics off their start
    state = src.state_dict()
    for m, sd in ((gs, {k: gs.tensor(v.numpy()) for k, v in state.items()}), (torch, state)):
        layer = make(m)
        assert type(layer).__name__ == name.split("_")[0]
        keys = layer.load_state_dict(sd)
        assert (keys.missing_keys, keys.unexpected_keys) == ([], [])
        layer.eval()
        src.eval()
        out = layer(m.tensor(x))
        assert type(layer).__name__ == type(src).__name__
        np.testing.assert_allclose(out.detach().numpy(), src(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
