"""Embedding: lookup, repeated indices accumulating, padding_idx, index errors, from_pretrained."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.kernels.embedding import embedding_backward
from gradstep.nn import functional as F

from .conv_norm_table import assert_raises_naming


def test_lookup_and_repeated_indices_accumulate():
    emb = nn.Embedding(6, 3)
    idx = np.array([[0, 2, 2], [5, 2, 0]])
    out = emb(gs.tensor(idx))
    np.testing.assert_array_equal(out.detach().numpy(), emb.weight.detach().numpy()[idx])
    g = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    out.backward(gs.from_numpy(g))
    expected = np.zeros((6, 3), np.float32)
    np.add.at(expected, idx.reshape(-1), g.reshape(-1, 3))
    np.testing.assert_allclose(emb.weight.grad.numpy(), expected, rtol=1e-6)


def test_scatter_kernel_on_many_repeats():
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 50, (64, 30))
    g = rng.standard_normal((64, 30, 8))
    expected = np.zeros((50, 8))
    np.add.at(expected, idx.reshape(-1), g.reshape(-1, 8))
    np.testing.assert_allclose(embedding_backward(g, idx, 50), expected, atol=1e-12)
    assert embedding_backward(g[:0], idx[:0], 50).shape == (50, 8)


def test_padding_idx_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(5, 4, padding_idx=-1)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(emb.weight.detach().numpy()[4], np.zeros(4))
    emb(gs.tensor([4, 4, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[4], np.zeros(4))
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], np.ones(4))


def test_default_init_is_standard_normal():
    w = nn.Embedding(1000, 50).weight.detach().numpy()
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.Embedding(5, 2)(gs.tensor([1, 5])), IndexError, ["index 5", "5 rows"]),
    (lambda: nn.Embedding(5, 2)(gs.tensor([-1])), IndexError, ["index -1"]),
    (lambda: nn.Embedding(5, 2)(gs.tensor([1.0])), TypeError, ["integers", "float32"]),
    (lambda: nn.Embedding(5, 2, padding_idx=5), ValueError, ["padding_idx", "5"]),
    (lambda: nn.Embedding(0, 2), ValueError, ["num_embeddings"]),
    (lambda: F.embedding(gs.tensor([0]), gs.randn(4)), ValueError, ["2-D"]),
    (lambda: F.embedding(gs.tensor([0]), gs.randn(4, 2), sparse=True), NotImplementedError, ["sparse"]),
])
def test_errors_name_the_problem(call, error, words):
    assert_raises_naming(call, error, words)


def test_from_pretrained_shares_and_freezes():
    table = gs.randn(4, 3)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(gs.tensor([3])).numpy()[0], table.numpy()[3])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert list(emb.state_dict()) == ["weight"]
