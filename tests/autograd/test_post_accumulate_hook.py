"""``Tensor.register_post_accumulate_grad_hook``: called with the leaf once its ``.grad`` holds
the whole gradient of the backward pass, as in PyTorch."""

import numpy as np
import pytest

import gradstep as gs


def _run(lib, seen):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.register_hook(lambda g: g * 2)                      # runs before accumulation
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    ((w * w).sum() + (3 * w).sum()).backward()            # w used twice: one accumulation
    ((w * w).sum()).backward()                            # a second backward adds to .grad
    return w


def test_called_once_per_backward_after_accumulation(torch):
    ours, theirs = [], []
    w = _run(gs, ours)
    _run(torch, theirs)
    assert ours == theirs == [[10.0, 14.0, 18.0], [14.0, 22.0, 30.0]]
    assert w.grad.tolist() == [14.0, 22.0, 30.0]


def test_the_hook_sees_the_gradient_in_a_grad_buffer():
    buf = np.zeros(2, np.float32)
    w = gs.tensor([1.0, 1.0], requires_grad=True)
    w._grad_buffer = buf
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (w * 4).sum().backward()
    assert seen[0].tolist() == [4.0, 4.0] and np.shares_memory(w.grad.numpy(), buf)


def test_remove_and_errors():
    w = gs.tensor([1.0], requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    (w * 2).sum().backward()
    handle.remove()
    (w * 2).sum().backward()
    assert calls == [1]
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gs.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
