"""Creation functions, tensor methods, and the one seeded generator."""

import json

import numpy as np
import pytest

import gradstep as gs


def test_manual_seed_reproduces_every_random_op():
    def draw():
        return [gs.rand(3).numpy(), gs.randn(2, 2).numpy(), gs.randint(0, 10, (5,)).numpy(),
                gs.randperm(6).numpy(), gs.empty(4).uniform_(-1, 1).numpy()]
    gs.manual_seed(123)
    a = draw()
    gs.manual_seed(123)
    b = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    gs.manual_seed(124)
    assert not np.array_equal(draw()[0], a[0])


def test_generator_state_round_trips_through_json():
    g = gs.Generator(7)
    g.numpy.random(5)
    state = json.loads(json.dumps(g.get_state()))
    x = gs.randn(4, generator=g).numpy()
    g2 = gs.Generator().set_state(state)
    np.testing.assert_array_equal(gs.randn(4, generator=g2).numpy(), x)
    assert g2.initial_seed() == 7
    with pytest.raises(ValueError, match="generator state"):
        gs.Generator().set_state({"bit_generator": "PCG64"})


def test_separate_generator_does_not_touch_default_stream():
    gs.manual_seed(1)
    a = gs.rand(3).numpy()
    gs.manual_seed(1)
    gs.rand(5, generator=gs.Generator(99))
    np.testing.assert_array_equal(gs.rand(3).numpy(), a)


def test_creation_functions():
    assert gs.zeros(2, 3).shape == (2, 3) and gs.zeros((2, 3)).shape == (2, 3)
    assert gs.ones([4]).tolist() == [1, 1, 1, 1]
    assert gs.full((2,), 7).dtype == gs.int64 and gs.full((2,), 0.5).dtype == gs.float32
    assert gs.eye(3).numpy().trace() == 3
    assert gs.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert gs.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    x = gs.randn(2, 3, dtype=gs.float64)
    assert gs.zeros_like(x).dtype == gs.float64 and gs.ones_like(x).shape == (2, 3)
    assert gs.full_like(x, 2.0).numpy().sum() == 12
    assert gs.empty(3).shape == (3,)
    r = gs.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1


def test_tensor_methods():
    x = gs.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.size() == (2, 2) and x.size(1) == 2 and x.numel() == 4 and x.dim() == 2
    assert x.ndim == 2 and len(x) == 2
    assert x.tolist() == [[1, 2], [3, 4]]
    assert x.sum().item() == 10.0
    assert float(x[0, 0]) == 1.0 and int(x[1, 1]) == 4
    assert [row.tolist() for row in x] == [[1, 2], [3, 4]]
    assert x.T.tolist() == [[1, 3], [2, 4]]
    assert x.clone().numpy() is not x.numpy()
    assert x.to(gs.float64).dtype == gs.float64 and x.to("cpu") is x
    assert f"{x.mean():.2f}" == "2.50"
    assert repr(gs.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(gs.ones(1, requires_grad=True))
    assert "dtype=gradstep.float64" in repr(gs.ones(1, dtype=gs.float64))
    assert np.asarray(x).shape == (2, 2)
    assert bool(gs.tensor([True])) and not bool(gs.tensor(0.0))
    assert gs.equal(x, x.clone()) and gs.allclose(x, x + 1e-9)
    v, i = x.max(dim=1)
    assert v.tolist() == [2, 4] and i.tolist() == [1, 1]


def test_inplace_ops_without_grad():
    x = gs.zeros(3)
    x.add_(1).mul_(3).sub_(1).div_(2)
    assert x.tolist() == [1, 1, 1]
    x.copy_(gs.tensor([1.0, 2.0, 3.0]))
    x[1:] = 0.0
    assert x.tolist() == [1, 0, 0]
    x.fill_(4).clamp_(max=2)
    assert x.tolist() == [2, 2, 2]
    x.zero_()
    assert x.tolist() == [0, 0, 0]


def test_ndarray_on_the_left_gives_a_tensor():
    y = np.ones(3, np.float32) + gs.ones(3, requires_grad=True)
    assert isinstance(y, gs.Tensor) and y.requires_grad
    assert isinstance(np.ones(3) * gs.ones(3), gs.Tensor)
