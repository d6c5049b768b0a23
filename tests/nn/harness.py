"""Shared machinery of the nn tests: build a layer in gradstep and in PyTorch with the same
weights (copied through ``state_dict``), run both, and compare outputs and gradients; gradcheck a
layer's inputs and parameters together in float64.

A case supplies ``make(nn)`` (called with ``gradstep.nn`` and ``torch.nn``), input specs with
``make(rng, dtype) -> ndarray`` and ``grad``, and optionally ``forward(module, *inputs)``.
"""

from __future__ import annotations

import numpy as np

import gradstep as gs
from gradstep.autograd.gradcheck import gradcheck

FWD_TOL = dict(atol=1e-5, rtol=1e-4)
GRAD_TOL = dict(atol=1e-4, rtol=1e-3)


def arrays(specs, dtype, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [s.make(rng, dtype) for s in specs]


def gs_inputs(specs, arrs) -> list:
    return [gs.from_numpy(a.copy()).requires_grad_(s.grad and a.dtype.kind == "f")
            for a, s in zip(arrs, specs)]


def torch_inputs(torch, specs, arrs) -> list:
    return [torch.from_numpy(a.copy()).requires_grad_(s.grad and a.dtype.kind == "f")
            for a, s in zip(arrs, specs)]


def call(case, module, inputs):
    return case.forward(module, *inputs) if case.forward is not None else module(*inputs)


def copy_to_torch(torch, gs_module, torch_module) -> None:
    """Load gradstep's weights into the torch module through state_dict (keys must match)."""
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in gs_module.state_dict().items()}
    torch_module.load_state_dict(sd, strict=True)


def assert_same_state_dict_layout(torch, gs_module, torch_module) -> None:
    g = {k: tuple(v.shape) for k, v in gs_module.state_dict().items()}
    t = {k: tuple(v.shape) for k, v in torch_module.state_dict().items()}
    assert list(g) == list(t), f"state_dict keys differ: {list(g)} vs {list(t)}"
    assert g == t


def check_gradcheck(case, mode_train: bool = True) -> None:
    """Float64 gradcheck of every input and parameter that requires grad."""
    module = case.make(gs.nn).double().train(mode_train)
    specs = case.inputs
    xs = gs_inputs(specs, arrays(specs, np.float64))
    params = [p for p in module.parameters() if p.requires_grad]
    n = len(xs)
    assert gradcheck(lambda *args: call(case, module, args[:n]), [*xs, *params],
                     eps=1e-6, atol=1e-5, rtol=1e-3)


def check_against_torch(torch, case, mode_train: bool = True, steps: int = 1) -> tuple:
    """Outputs and gradients (inputs, parameters) of gradstep vs torch, float32; returns the two
    modules for further checks (e.g. buffers)."""
    gm = case.make(gs.nn).train(mode_train)
    tm = case.make(torch.nn).train(mode_train)
    assert_same_state_dict_layout(torch, gm, tm)
    copy_to_torch(torch, gm, tm)
    for step in range(steps):
        arrs = arrays(case.inputs, np.float32, seed=1 + step)
        gx, tx = gs_inputs(case.inputs, arrs), torch_inputs(torch, case.inputs, arrs)
        gout, tout = call(case, gm, gx), call(case, tm, tx)
        assert gout.shape == tuple(tout.shape), f"output shape {gout.shape} vs {tuple(tout.shape)}"
        assert gout.dtype == np.float32
        np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), **FWD_TOL)
        if not tout.requires_grad:
            continue
        proj = np.random.default_rng(100 + step).standard_normal(gout.shape).astype(np.float32)
        gm.zero_grad()
        tm.zero_grad()
        gout.backward(gs.from_numpy(proj))
        tout.backward(torch.from_numpy(proj))
        for i, (g, t) in enumerate(zip(gx, tx)):
            if t.grad is not None:
                assert g.grad.dtype == np.float32, f"input {i}: no promotion to float64"
                np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), **GRAD_TOL,
                                           err_msg=f"gradient of input {i}")
        tparams = dict(tm.named_parameters())
        for name, p in gm.named_parameters():
            tg = tparams[name].grad
            if tg is None:
                assert p.grad is None, name
                continue
            assert p.grad.dtype == p.dtype == np.float32, f"{name}: no promotion to float64"
            np.testing.assert_allclose(p.grad.numpy(), tg.numpy(), **GRAD_TOL,
                                       err_msg=f"gradient of parameter {name}")
    return gm, tm
