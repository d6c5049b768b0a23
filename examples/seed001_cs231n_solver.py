"""Seed 001: cs231n's FullyConnectedNet with batch normalisation and dropout, trained by the Solver.

1. Gradient check, as the assignment does: a small ``FullyConnectedNet`` in float64 with batch
   normalisation, dropout (its masks fixed by ``seed``) and L2 regularisation; every parameter's
   analytic gradient from ``model.loss(X, y)`` against the numerical one, with cs231n's
   ``rel_error``. Errors around 1e-6 or below mean the backward passes are right (the biases in
   front of batch norm have a zero gradient, so their relative error only compares rounding).
2. Training: ``{affine - batchnorm - relu - dropout} x L - affine - softmax`` trained by
   ``Solver(update_rule='adam', optim_config={'learning_rate': 1e-3}, lr_decay=0.95)`` on CIFAR-10
   when its binary files are installed (the tutorial's 49,000 / 1,000 split), else on the
   Fashion-MNIST sample that ships with gradstep. The Solver prints its losses and accuracies and
   keeps the parameters with the best validation accuracy; the test accuracy of those is printed
   at the end. solver.png holds the loss history and the train / validation accuracies, as the
   tutorial plots them.

By default two hidden layers of 100, 2,000 training images and 4 epochs; ``--full``: the
tutorial's four hidden layers of 100, every training image and 10 epochs with batch 25.
"""

import os

import numpy as np
from _common import out_dir, parse_args, save, subplots

import gradstep as gs
from gradstep.autograd import numerical_gradient, rel_error
from gradstep.models import FullyConnectedNet
from gradstep.train import Solver


def gradient_check() -> None:
    rng = np.random.default_rng(231)
    N, D, H1, H2, C = 4, 10, 12, 8, 10
    X = rng.standard_normal((N, D))
    y = rng.integers(C, size=N)
    for reg in (0.0, 3.14):
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization="batchnorm",
                                  dropout=0.25, seed=123, reg=reg, weight_scale=5e-2, dtype=np.float64)
        loss, grads = model.loss(X, y)
        print(f"gradient check with reg = {reg}: initial loss {loss:.4f}")
        for name in sorted(grads):
            numeric = numerical_gradient(lambda _, m=model: m.loss(X, y)[0], model.params[name], h=1e-5)
            line = f"  {name} relative error: {rel_error(numeric, grads[name]):.2e}"
            largest = max(np.abs(numeric).max(), np.abs(grads[name]).max())
            if largest < 1e-8:  # a bias in front of batch norm, which subtracts it right away
                line += f" (both gradients ≤ {largest:.0e}: zero in theory, so this compares rounding)"
            print(line)


def load_data(full: bool) -> tuple[dict, str]:
    """X_train, y_train, X_val, y_val, X_test, y_test as float32 arrays with the mean image removed."""
    from gradstep.data.datasets import CIFAR10, DatasetNotFoundError, FashionMNIST

    try:
        train, test, name, n_val = CIFAR10(train=True), CIFAR10(train=False), "CIFAR-10", 1000
    except DatasetNotFoundError:
        train, test = FashionMNIST(sample=True, train=True), FashionMNIST(sample=True, train=False)
        name, n_val = "the Fashion-MNIST sample", 1000
    X = np.asarray(train.data).reshape(len(train), -1).astype(np.float32)
    X_test = np.asarray(test.data).reshape(len(test), -1).astype(np.float32)
    y, y_test = np.asarray(train.targets), np.asarray(test.targets)
    n_train = len(X) - n_val if full else 2000
    data = {"X_train": X[:n_train], "y_train": y[:n_train],
            "X_val": X[len(X) - n_val:], "y_val": y[len(X) - n_val:],
            "X_test": X_test, "y_test": y_test}
    mean_image = data["X_train"].mean(axis=0)
    for k in ("X_train", "X_val", "X_test"):
        data[k] = (data[k] - mean_image) / 255
    return data, name


def plot(solver, title: str):
    """The Solver's loss and accuracy histories: a Figure."""

    fig, (ax, bx) = subplots(2, 1, figsize=(8, 7))
    ax.plot(solver.loss_history, lw=0.8)
    ax.set_title(f"Loss history ({title})")
    ax.set_xlabel("Iteration")
    ax.set_ylabel("Loss")
    ax.grid(alpha=0.3)
    epochs = np.arange(len(solver.train_acc_history))
    bx.plot(epochs, solver.train_acc_history, "o-", label="train")
    bx.plot(epochs, solver.val_acc_history, "o-", label="val")
    bx.set_title("Classification accuracy history")
    bx.set_xticks(epochs)
    bx.set_xlabel("Epoch (0: after the first iteration)")
    bx.set_ylabel("Classification accuracy")
    bx.grid(alpha=0.3)
    bx.legend()
    fig.tight_layout()
    return fig


def main() -> None:
    args = parse_args(__doc__, "four hidden layers, every training image, 10 epochs of batch 25")
    out = out_dir(args, __file__)
    gradient_check()

    data, name = load_data(args.full)
    print(f"data: {name}; " + ", ".join(f"{k}: {v.shape}" for k, v in data.items()))
    gs.manual_seed(0)
    hidden = [100, 100, 100, 100] if args.full else [100, 100]
    model = FullyConnectedNet(hidden, input_dim=data["X_train"].shape[1], normalization="batchnorm",
                              dropout=0.1, reg=1e-2, weight_scale=1e-2)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3}, lr_decay=0.95,
                    num_epochs=10 if args.full else 4, batch_size=25 if args.full else 100,
                    print_every=500 if args.full else 40)
    solver.train()
    scores = model.loss(data["X_test"])
    test_acc = float(np.mean(np.argmax(scores, axis=1) == data["y_test"]))
    print(f"best validation accuracy: {solver.best_val_acc:.4f}")
    print(f"test accuracy with the best parameters: {test_acc:.4f}")
    save(plot(solver, f"{name}, hidden {hidden}, Adam"), os.path.join(out, "solver.png"))
    print(f"wrote {os.path.join(out, 'solver.png')}")


if __name__ == "__main__":
    main()
