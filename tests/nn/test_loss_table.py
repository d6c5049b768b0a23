"""Every loss of the table with every reduction: float64 gradcheck (input, and target where it is
differentiable) and PyTorch parity of the loss and of both gradients."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd.gradcheck import gradcheck

from .harness import FWD_TOL, GRAD_TOL, arrays, gs_inputs, torch_inputs
from .loss_table import CASES, REDUCTIONS

ROWS = [(c, r) for c in CASES for r in REDUCTIONS]
IDS = [f"{c.id}-{r}" for c, r in ROWS]


@pytest.mark.parametrize("case,reduction", ROWS, ids=IDS)
def test_gradcheck(case, reduction):
    loss = case.make(gs.nn, gs, reduction).double()
    x, t = gs_inputs(case.inputs, arrays(case.inputs, np.float64))
    assert gradcheck(loss, [x, t], eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("case,reduction", ROWS, ids=IDS)
def test_matches_torch(case, reduction, torch):
    arrs = arrays(case.inputs, np.float32, seed=1)
    gl = case.make(gs.nn, gs, reduction)
    tl = (case.torch_make or case.make)(torch.nn, torch, reduction)
    (gx, gt), (tx, tt) = gs_inputs(case.inputs, arrs), torch_inputs(torch, case.inputs, arrs)
    gout, tout = gl(gx, gt), tl(tx, tt)
    assert gout.shape == tuple(tout.shape)
    assert gout.dtype == np.float32
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), **FWD_TOL)
    proj = np.random.default_rng(7).standard_normal(gout.shape).astype(np.float32)
    gout.backward(gs.from_numpy(proj))
    tout.backward(torch.from_numpy(proj))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), **GRAD_TOL, err_msg="input gradient")
    assert gx.grad.dtype == np.float32
    if tt.grad is not None:
        np.testing.assert_allclose(gt.grad.numpy(), tt.grad.numpy(), **GRAD_TOL, err_msg="target gradient")


def test_every_loss_of_the_issue_is_in_the_table():
    names = {c.name.split("_")[0] for c in CASES}
    wanted = {"CrossEntropy", "NLL", "MSE", "L1", "SmoothL1", "Huber", "BCE", "BCEWithLogits", "L2"}
    assert wanted <= names, wanted - names
