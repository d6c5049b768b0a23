"""gradstep's optimizers against torch.optim (and Lion against the paper), step for step."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs

from .harness import Run, assert_close, problem
from .registry import cases

STEPS = 20


@pytest.fixture
def torch64(torch):
    """PyTorch with float64 as its default dtype, so that its scalar state (``step``, NAdam's
    ``mu_product``, ASGD's ``eta``) is float64 like gradstep's Python floats."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-param"])
@pytest.mark.parametrize("info,cfg", **cases(lambda info, cfg: info.reference == "torch" and not cfg.chaotic))
def test_matches_torch_step_for_step(torch64, info, cfg, flat):
    ours, theirs = Run(gs, info, cfg, flat=flat), Run(torch64, info, cfg)
    for t in range(STEPS):
        loss, loss_t = ours.step(), theirs.step()
        where = f"{info.name} step {t + 1}"
        assert_close(loss, loss_t, f"{where} loss")
        assert_close(ours.weights(), theirs.weights(), f"{where} params")
        assert_close(ours.states(), theirs.states(), f"{where} state")
    groups, groups_t = ours.opt.state_dict()["param_groups"], theirs.opt.state_dict()["param_groups"]
    for g, gt in zip(groups, groups_t):
        for k, v in g.items():
            assert k in gt and (list(v) if isinstance(v, tuple) else v) == (
                list(gt[k]) if isinstance(gt[k], tuple) else gt[k]), (k, v, gt.get(k))


def lion_reference(weights, grads, moments, lr, betas, weight_decay, maximize):
    """The update of Chen et al. (2023), Algorithm 2, written directly from the paper."""
    beta1, beta2 = betas
    new_w, new_m = [], []
    for w, g, m in zip(weights, grads, moments):
        g = -g if maximize else g
        c = beta1 * m + (1 - beta1) * g
        new_w.append(w - lr * (np.sign(c) + weight_decay * w))
        new_m.append(beta2 * m + (1 - beta2) * g)
    return new_w, new_m


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-param"])
@pytest.mark.parametrize("info,cfg", **cases(lambda info, cfg: info.name == "Lion"))
def test_lion_matches_the_paper(info, cfg, flat):
    ours = Run(gs, info, cfg, flat=flat)
    ref = Run(gs, info, cfg)  # only its model: its weights are updated by the reference
    weights = ref.weights()
    moments = [np.zeros_like(w) for w in weights]
    defaults = {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 1e-3, "maximize": False}
    hyper = [{**defaults, **cfg.kwargs, **(cfg.groups[i // 2] if cfg.groups else {})} for i in range(4)]
    for t in range(STEPS):
        ours.step()
        for p, w in zip(ref.params, weights):
            p.data = gs.tensor(w, dtype=gs.float64)
        ref.loss().backward()
        grads = [p.grad.numpy().copy() for p in ref.params]
        for p in ref.params:
            p.grad = None
        for i in range(4):
            h = hyper[i]
            (weights[i],), (moments[i],) = lion_reference(
                [weights[i]], [grads[i]], [moments[i]], h["lr"], h["betas"], h["weight_decay"], h["maximize"])
        assert_close(ours.weights(), weights, f"Lion step {t + 1} params", atol=1e-12)
        assert_close([s["exp_avg"] for s in ours.states()], moments, f"Lion step {t + 1} exp_avg",
                     atol=1e-12)


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-param"])
@pytest.mark.parametrize("info,cfg", **cases(lambda info, cfg: cfg.chaotic))
def test_chaotic_configurations_match_torch_as_long_as_torch_matches_itself(torch64, info, cfg, flat):
    """The configurations marked chaotic (short L-BFGS histories amplify rounding exponentially):
    started one ulp apart, PyTorch's own two runs drift past the parity tolerance within the test's
    steps, so gradstep cannot be held to PyTorch for all of them. Its loss and parameters are held
    to PyTorch's at every step before PyTorch's own drift exceeds the tolerance; and that drift must
    happen within the steps, or the configuration is not chaotic and belongs to the test above.
    (The state is left out here: L-BFGS's history scalars ``al``/``ro`` amplify the rounding a step
    or two before the parameters show it. Every state entry is compared in the non-chaotic
    configurations, strong Wolfe included.)"""
    weights = [np.nextafter(w, np.inf) for w in problem()[2]]
    theirs, nudged, ours = Run(torch64, info, cfg), Run(torch64, info, cfg, weights=weights), \
        Run(gs, info, cfg, flat=flat)
    for t in range(STEPS):
        loss_t, _, loss = theirs.step(), nudged.step(), ours.step()
        drift = max(np.max(np.abs(x - y) / (1e-10 + 1e-7 * np.abs(y)))
                    for x, y in zip(nudged.weights(), theirs.weights()))
        if drift > 1:
            break
        where = f"{info.name} step {t + 1}"
        assert_close(loss, loss_t, f"{where} loss")
        assert_close(ours.weights(), theirs.weights(), f"{where} params")
    else:
        pytest.fail(f"{info.name} {cfg.kwargs}: PyTorch against itself stayed within the tolerance for "
                    f"{STEPS} steps; this configuration is not chaotic")
    assert t >= 3, f"PyTorch drifted from itself already at step {t + 1}: nothing compared"

