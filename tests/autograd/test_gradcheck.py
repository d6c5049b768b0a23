"""gradcheck itself: it accepts a right backward and rejects a wrong one, in slow and fast mode,
as torch.autograd.gradcheck does on the same function."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs
from gradstep.autograd.gradcheck import GradcheckError, gradcheck

# how the backward of x -> x**3 is wrong: not at all, by 1% everywhere, or only at one element
FLAWS = {"right": np.ones, "one_percent": lambda shape: np.full(shape, 1.01),
         "one_element": lambda shape: (np.arange(int(np.prod(shape))) > 0).reshape(shape).astype(float)}


def cube(m, flaw: str):
    """x**3 as a custom Function of the library ``m``, its backward multiplied by ``FLAWS[flaw]``."""
    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            g = grad * 3 * x ** 2
            return g * m.from_numpy(FLAWS[flaw](tuple(g.shape)))  # both libraries' backwards see tensors
    return Cube.apply


@pytest.mark.parametrize("fast_mode", [False, True], ids=["slow", "fast"])
@pytest.mark.parametrize("flaw", list(FLAWS))
def test_accepts_and_rejects_as_torch_does(torch, flaw, fast_mode):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (3, 4))
    ours = gradcheck(cube(gs, flaw), (gs.tensor(x, requires_grad=True),), fast_mode=fast_mode,
                     raise_exception=False)
    theirs = torch.autograd.gradcheck(cube(torch, flaw), (torch.tensor(x, requires_grad=True),),
                                      fast_mode=fast_mode, raise_exception=False)
    assert ours == theirs == (flaw == "right")


def test_fast_mode_failure_is_one_line_that_points_to_slow_mode():
    x = gs.tensor(np.linspace(0.5, 2.0, 6), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 .* fast mode: v\^T J u .*fast_mode=False"):
        gradcheck(cube(gs, "one_percent"), (x,), fast_mode=True)
    np.testing.assert_array_equal(x.detach().numpy(), np.linspace(0.5, 2.0, 6))  # restored


def test_fast_mode_evaluates_the_function_a_constant_number_of_times():
    """Two evaluations per input (plus the first), however many elements: what makes it fast."""
    calls = []

    def f(x):
        calls.append(1)
        return (x * x).sum()
    gradcheck(f, (gs.tensor(np.ones(50), requires_grad=True),), fast_mode=True)
    assert len(calls) == 3
    calls.clear()
    gradcheck(f, (gs.tensor(np.ones(50), requires_grad=True),))
    assert len(calls) == 1 + 2 * 50
