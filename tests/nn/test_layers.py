"""Every layer of the table: float64 gradcheck of inputs and parameters, and PyTorch parity of
outputs and gradients with weights copied through state_dict, in each training mode."""

import pytest

from .harness import check_against_torch, check_gradcheck
from .layer_table import CASES

ROWS = [(c, mode) for c in CASES for mode in c.modes]
IDS = [f"{c.id}-{'train' if mode else 'eval'}" for c, mode in ROWS]


@pytest.mark.parametrize("case,mode", ROWS, ids=IDS)
def test_gradcheck(case, mode):
    check_gradcheck(case, mode)


@pytest.mark.parametrize("case,mode", ROWS, ids=IDS)
def test_matches_torch(case, mode, torch):
    check_against_torch(torch, case, mode)


def test_every_layer_of_this_part_is_in_the_table():
    names = {c.name.split("_")[0] for c in CASES}
    wanted = {"Linear", "Identity", "Flatten", "Unflatten", "ReLU", "LeakyReLU", "ELU", "GELU",
              "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Sequential"}
    assert wanted <= names, wanted - names
