"""Helpers shared by parity tests against PyTorch."""

import pytest


def assert_raises_like_torch(torch, gs, fn) -> BaseException:
    """``fn(torch)`` and ``fn(gradstep)`` both raise, gradstep an instance of PyTorch's type, in one
    line that says something; returns gradstep's exception."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as g_err:
        fn(gs)
    assert isinstance(g_err.value, t_err.type), (g_err.value, t_err.value)
    assert str(g_err.value).count("\n") == 0 and len(str(g_err.value)) > 20
    return g_err.value
