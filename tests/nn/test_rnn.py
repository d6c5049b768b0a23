"""Recurrent layers beyond the layer table: misuse raises the error type PyTorch raises, dropout
acts between layers only in training, and a small sequence task trains."""

import numpy as np
import pytest

import gradstep as gs
import gradstep.nn as nn

from ..parity import assert_raises_like_torch

ERRORS = [
    ("input_size", lambda m: m.nn.LSTM(3, 4)(m.ones(5, 2, 2))),
    ("hidden_shape", lambda m: m.nn.GRU(3, 4)(m.ones(5, 2, 3), m.zeros(2, 2, 4))),
    ("input_dims", lambda m: m.nn.RNN(3, 4)(m.ones(5, 2, 3, 1))),
    ("nonlinearity", lambda m: m.nn.RNN(3, 4, nonlinearity="sigmoid")),
    ("cell_input", lambda m: m.nn.GRUCell(3, 4)(m.ones(2, 5))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch_types(name, fn, torch):
    assert_raises_like_torch(torch, gs, fn)


def test_dropout_between_layers_only_in_training():
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = gs.randn(4, 2, 3)
    lstm.eval()
    a, b = lstm(x)[0], lstm(x)[0]
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.train()
    assert not np.array_equal(lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())


def test_a_gru_learns_to_sum_a_sequence():
    gs.manual_seed(0)
    gru, head = nn.GRU(1, 16, batch_first=True), nn.Linear(16, 1)
    opt = gs.optim.Adam([*gru.parameters(), *head.parameters()], lr=0.02)
    x = gs.rand(64, 6, 1)
    y = x.sum(1)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((head(gru(x)[1][-1]) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
