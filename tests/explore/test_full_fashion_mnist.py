"""The tutorials' accuracy on the full Fashion-MNIST (Debian's dataset-fashion-mnist; .ci/run
installs it). Seed 002's MLP with Adam reaches 87%, the small CNN 90%."""

import os

import pytest

from gradstep.explore import TrainConfig, train_run

FULL = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
pytestmark = pytest.mark.skipif(not os.path.exists(FULL), reason="the full Fashion-MNIST is not installed "
                                "(apt-get install dataset-fashion-mnist)")


def test_seed_002_mlp_with_adam_reaches_87_percent(tmp_path):
    # seed 002's recipe: 784-200-10, Adam lr 1e-3, batch 64, 5 epochs on all 60,000 training images
    cfg = TrainConfig(dataset="fashion-mnist", model="mlp", hidden=(200,), optimizer="adam", lr=1e-3,
                      batch_size=64, epochs=5, val_fraction=0.0, out=str(tmp_path), quiet=True)
    res = train_run(cfg)
    assert res.test["accuracy"] >= 0.87, res.test


def test_cnn_reaches_90_percent(tmp_path):
    cfg = TrainConfig(dataset="fashion-mnist", model="cnn", optimizer="adam", lr=1e-3, batch_size=64,
                      epochs=5, val_fraction=0.0, out=str(tmp_path), quiet=True)
    res = train_run(cfg)
    assert res.test["accuracy"] >= 0.90, res.test
