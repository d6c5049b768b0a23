"""A researcher's own model, data and test function, as ``--model tests.explore.user_model:tiny_net``,
``--data tests.explore.user_model:blobs`` and ``--function tests.explore.user_model:tilted_bowl``."""

import numpy as np

import gradstep as gs
from gradstep import nn
from gradstep.data import TensorDataset
from gradstep.explore.functions import Surface


def tiny_net() -> nn.Module:
    """2 inputs, 3 classes, with dropout so that fairness covers the random stream too."""
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Dropout(0.1), nn.Linear(16, 3))


def blobs():
    """Three Gaussian blobs in the plane, labelled 0, 1, 2: (train, val, test)."""
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]], np.float32)
    labels = rng.integers(0, 3, 360)
    x = (centres[labels] + rng.normal(0, 0.8, (360, 2))).astype(np.float32)

    def split(lo, hi):
        return TensorDataset(gs.tensor(x[lo:hi]), gs.tensor(labels[lo:hi].astype(np.int64)))

    return split(0, 240), split(240, 300), split(300, 360)


def tilted_bowl() -> Surface:
    """½ (x² + 4 y²) + x y / 2, minimum at the origin."""
    return Surface("tilted-bowl", "½ (x² + 4 y²) + xy/2", _tilted_bowl, minima=((0.0, 0.0),), xlim=(-3, 3),
                   ylim=(-3, 3), start=(-2.5, 2.0), lr_gd=0.1, lr_adaptive=0.1)


def _tilted_bowl(p):
    return 0.5 * (p[0] ** 2 + 4 * p[1] ** 2) + 0.5 * p[0] * p[1]


def not_a_model():
    return 3


def not_data():
    return "train.csv"


def no_parameters() -> nn.Module:
    """A model with nothing to train: it has no Hessian."""
    return nn.Sequential(nn.ReLU())
