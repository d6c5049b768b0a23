"""Property-based shape tests: Linear over any leading dims and class losses over any spatial dims,
against PyTorch."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradstep as gs
from gradstep.kernels import loss as kloss

from .harness import FWD_TOL, GRAD_TOL

dims = st.lists(st.integers(1, 4), min_size=0, max_size=3)
# the torch fixture only hands over the module, so sharing it across examples is safe
_SETTINGS = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(lead=dims, fin=st.integers(1, 5), fout=st.integers(1, 5), bias=st.booleans())
def test_linear_any_leading_dims(lead, fin, fout, bias, torch):
    g = gs.nn.Linear(fin, fout, bias=bias)
    t = torch.nn.Linear(fin, fout, bias=bias)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in g.state_dict().items()})
    x = np.random.default_rng(len(lead)).standard_normal((*lead, fin)).astype(np.float32)
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = g(gx), t(tx)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), **FWD_TOL)
    (go * go).sum().backward()
    (to * to).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), **GRAD_TOL)
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), **GRAD_TOL)


@_SETTINGS
@given(n=st.integers(1, 3), c=st.integers(1, 4), spatial=dims, smoothing=st.sampled_from([0.0, 0.3]),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_any_spatial_dims(n, c, spatial, smoothing, reduction, torch):
    rng = np.random.default_rng(n * 10 + c)
    x = rng.standard_normal((n, c, *spatial)).astype(np.float32)
    y = rng.integers(0, c, (n, *spatial))
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go = gs.nn.functional.cross_entropy(gx, gs.tensor(y), label_smoothing=smoothing, reduction=reduction)
    to = torch.nn.functional.cross_entropy(tx, torch.tensor(y), label_smoothing=smoothing,
                                           reduction=reduction)
    assert go.shape == tuple(to.shape)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), **FWD_TOL)
    go.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), **GRAD_TOL)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=5))
def test_classes_last_round_trip(shape):
    a = np.arange(int(np.prod(shape))).reshape(shape)
    rows = kloss.classes_last(a)
    assert rows.shape[-1] == (shape[1] if len(shape) > 1 else shape[0])
    np.testing.assert_array_equal(kloss.classes_back(rows, a.shape), a)
