"""``Adam(fused=True)``: the compiled one-pass update gives the NumPy rule's bits, for every option."""

import sys

import numpy as np
import pytest

import gradstep as gs

CONFIGS = [
    ("adam", {}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"amsgrad": True, "weight_decay": 0.05}),
    ("adam", {"maximize": True, "lr": 0.05}),
    ("adam", {"betas": (0.3, 0.99)}),  # 1 - beta1 >= 0.5: lerp computed from its end
    ("adam", {"flat": False}),
    ("adamw", {"amsgrad": True}),
]


def _train(name: str, kwargs: dict, fused, dtype, steps: int = 4):
    """Parameters and optimizer state after a few steps of a small network, one parameter left
    without a gradient at the second step (skipped, as PyTorch skips it)."""
    rng = np.random.default_rng(0)
    params = [gs.from_numpy(rng.standard_normal(s).astype(dtype)).requires_grad_()
              for s in ((5, 7), (7,), (3,))]
    make = gs.optim.Adam if name == "adam" else gs.optim.AdamW
    opt = make(params, fused=fused, **kwargs)
    for k in range(steps):
        x = gs.from_numpy(rng.standard_normal((4, 5)).astype(dtype))
        loss = ((x @ params[0] + params[1]) ** 2).mean()
        if k != 1:
            loss = loss + (params[2] * params[2]).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = [v for p in params for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    return [p.detach().numpy().copy() for p in params] + [s.copy() for s in state]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_fused_adam_gives_the_numpy_rules_bits(name, kwargs, dtype):
    reference = _train(name, kwargs, None, dtype)
    fused = _train(name, kwargs, True, dtype)
    assert len(reference) == len(fused)
    ints = np.int32 if dtype == np.float32 else np.int64
    for a, b in zip(reference, fused):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a.view(ints), b.view(ints))


def test_fused_runs_the_compiled_loop_on_the_flat_buffers(monkeypatch):
    from gradstep.kernels import fused

    calls = []
    original = fused.adam
    monkeypatch.setattr(fused, "adam", lambda *a, **k: calls.append(a[0].size) or original(*a, **k))
    _train("adam", {}, True, np.float32, steps=2)
    assert calls == [5 * 7 + 7 + 3, 5 * 7 + 7]  # one call for the whole flat buffer; then without p[2]


def test_fused_is_kept_in_the_groups_and_refused_with_foreach():
    p = gs.zeros(3, requires_grad=True)
    assert gs.optim.Adam([p]).param_groups[0]["fused"] is None
    assert gs.optim.AdamW([p], fused=True).param_groups[0]["fused"] is True
    with pytest.raises(ValueError, match="`fused` and `foreach` cannot be `True` together"):
        gs.optim.Adam([p], fused=True, foreach=True)


def test_without_numba_fused_warns_once_and_runs_the_numpy_rule(monkeypatch):
    from gradstep.optim import optimizer

    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "gradstep.kernels.fused", raising=False)
    monkeypatch.delattr(gs.kernels, "fused", raising=False)
    monkeypatch.setattr(optimizer, "_fused", [])
    with pytest.warns(UserWarning, match="fused=True needs numba.*running the NumPy update"):
        fallback = _train("adam", {}, True, np.float32)
    assert optimizer._fused == [None]
    for a, b in zip(_train("adam", {}, None, np.float32), fallback):
        np.testing.assert_array_equal(a, b)
