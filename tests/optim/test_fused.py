"""The compiled one-pass updates of Adam, AdamW and SGD (``kernels.fused``), which run by default when
compiled kernels are on: they give the NumPy rule's bits, for every option."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.kernels import fused, jit
from gradstep.optim import optimizer

MAKE = {"adam": gs.optim.Adam, "adamw": gs.optim.AdamW, "sgd": gs.optim.SGD}
CONFIGS = [
    ("adam", {}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"amsgrad": True, "weight_decay": 0.05}),
    ("adam", {"maximize": True, "lr": 0.05}),
    ("adam", {"betas": (0.3, 0.99)}),  # 1 - beta1 >= 0.5: lerp computed from its end
    ("adam", {"flat": False}),
    ("adamw", {"amsgrad": True}),
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "maximize": True}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "flat": False}),
]


def _train(name: str, kwargs: dict, fused_arg=None, compiled: bool = True, dtype=np.float32,
           steps: int = 4):
    """Parameters and optimizer state after a few steps of a small network, one parameter left
    without a gradient at the second step (skipped, as PyTorch skips it)."""
    rng = np.random.default_rng(0)
    params = [gs.from_numpy(rng.standard_normal(s).astype(dtype)).requires_grad_()
              for s in ((5, 7), (7,), (3,))]
    opt = MAKE[name](params, fused=fused_arg, **kwargs)
    jit.use(compiled)
    try:
        for k in range(steps):
            x = gs.from_numpy(rng.standard_normal((4, 5)).astype(dtype))
            loss = ((x @ params[0] + params[1]) ** 2).mean()
            if k != 1:
                loss = loss + (params[2] * params[2]).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        jit.use(None)
    state = [v for p in params for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    return [p.detach().numpy().copy() for p in params] + [s.copy() for s in state]


def _assert_same_bits(reference: list, other: list, dtype) -> None:
    assert len(reference) == len(other)
    ints = np.int32 if dtype == np.float32 else np.int64
    for a, b in zip(reference, other):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a.view(ints), b.view(ints))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_the_compiled_default_gives_the_numpy_rules_bits(name, kwargs, dtype):
    reference = _train(name, kwargs, compiled=False, dtype=dtype)
    _assert_same_bits(reference, _train(name, kwargs, dtype=dtype), dtype)
    _assert_same_bits(reference, _train(name, kwargs, fused_arg=True, dtype=dtype), dtype)


def _calls(monkeypatch, kernel: str) -> list:
    calls = []
    original = getattr(fused, kernel)
    monkeypatch.setattr(fused, kernel, lambda *a, **k: calls.append(a[0].size) or original(*a, **k))
    return calls


@pytest.mark.parametrize("name, kwargs, kernel", [("adam", {}, "adam"), ("adamw", {}, "adam"),
                                                  ("sgd", {"momentum": 0.9}, "sgd")])
def test_the_compiled_loop_runs_on_the_flat_buffers_by_default(monkeypatch, name, kwargs, kernel):
    calls = _calls(monkeypatch, kernel)
    _train(name, kwargs, steps=2)
    assert calls == [5 * 7 + 7 + 3, 5 * 7 + 7]  # one call for the whole flat buffer; then without p[2]


@pytest.mark.parametrize("fused_arg, compiled", [(False, True), (None, False), (True, False)])
def test_fused_false_or_compiled_kernels_off_run_the_numpy_rule(monkeypatch, fused_arg, compiled):
    calls = _calls(monkeypatch, "adam")
    _train("adam", {}, fused_arg=fused_arg, compiled=compiled, steps=2)
    assert calls == []


def test_fused_is_kept_in_the_groups_and_state_dict_as_given_and_refused_with_foreach():
    p = gs.zeros(3, requires_grad=True)
    for make in MAKE.values():
        opt = make([p], lr=0.1)
        p.grad = gs.ones(3)
        opt.step()
        assert opt.param_groups[0]["fused"] is None
        assert opt.state_dict()["param_groups"][0]["fused"] is None
    assert gs.optim.AdamW([p], fused=True).param_groups[0]["fused"] is True
    assert gs.optim.SGD([p], fused=False).state_dict()["param_groups"][0]["fused"] is False
    with pytest.raises(ValueError, match="`fused` and `foreach` cannot be `True` together"):
        gs.optim.Adam([p], fused=True, foreach=True)


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_without_numba_fused_warns_once_and_runs_the_numpy_rule(monkeypatch, name):
    monkeypatch.setattr(jit, "_numba", [None])  # numba looked for and not found
    monkeypatch.setattr(jit, "_decided", [])
    monkeypatch.setattr(optimizer, "_warned_no_numba", [])
    calls = _calls(monkeypatch, name)
    with pytest.warns(UserWarning, match="fused=True needs numba .*running the NumPy update") as record:
        fallback = _train(name, {"lr": 0.1}, fused_arg=True)
        _train(name, {"lr": 0.1}, fused_arg=True)
    assert len(record) == 1 and calls == []
    _assert_same_bits(_train(name, {"lr": 0.1}, compiled=False), fallback, np.float32)
