"""Seed 000: a softmax classifier trained with mini-batch SGD and a step learning-rate schedule.

The tutorial writes its own ``Dataloader`` (``__getitem__``, ``__iter__``, ``__len__``, shuffling),
a ``Linear`` layer with its backward, a cross-entropy loss and an ``lr_scheduler``; here they are
``gradstep.data.DataLoader``, ``nn.Linear``, ``nn.CrossEntropyLoss`` and
``optim.lr_scheduler.StepLR``. The data are MNIST when its files are installed, else the
Fashion-MNIST sample that ships with gradstep, normalised as the tutorial does: (x − 127) / 255.
Batches of 120, SGD with lr 0.1, divided by 10 every ``step_size`` epochs.

Prints the loader's sizes, then per epoch the learning rate, the mean training loss and the test
accuracy, and the best test accuracy (the tutorial reports ~96.7% on MNIST); writes loss.png.
By default 3 epochs with a step every 2; ``--full``: 9 epochs with a step every 4 (the
tutorial's 900 iterations with a step every 400, in proportion).
"""

import os

import numpy as np
from _common import mnist_or_sample, out_dir, parse_args, save, subplots

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader
from gradstep.data import transforms as T
from gradstep.explore.plots import smooth


def main() -> None:
    args = parse_args(__doc__, "9 epochs, the learning rate divided by 10 every 4")
    out = out_dir(args, __file__)
    epochs, step_size = (9, 4) if args.full else (3, 2)
    gs.manual_seed(1)  # the tutorial's np.random.seed(1): fixed initial weights

    # (x - 127) / 255 as the tutorial: ToTensor gives x / 255, Normalize subtracts 127 / 255
    tf = T.Compose([T.ToTensor(), T.Normalize((127 / 255,), (1.0,)), T.Flatten()])
    train_data, name = mnist_or_sample(tf, train=True)
    test_data, _ = mnist_or_sample(tf, train=False)
    batch_size = 120
    train_loader = DataLoader(train_data, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_data, batch_size=batch_size, shuffle=False)
    image, label = train_data[0]
    print(f"data: {name}; train_data[0] is an image of shape {tuple(image.shape)} with label {label}; "
          f"len(train_data) = {len(train_data)}, len(train_loader) = {len(train_loader)} batches of "
          f"{batch_size}, len(test_data) = {len(test_data)}")

    D, C = 784, 10
    linear_classifier = nn.Linear(D, C)
    loss_layer = nn.CrossEntropyLoss()          # softmax + cross-entropy
    optimizer = optim.SGD(linear_classifier.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=0.1)

    loss_list, best_acc, lrs = [], 0.0, []
    for epoch in range(1, epochs + 1):
        lr = scheduler.get_last_lr()[0]
        total = 0.0
        for data, labels in train_loader:
            loss = loss_layer(linear_classifier(data), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_list.append(loss.item())
            total += loss_list[-1]
        scheduler.step()
        correct = 0
        with gs.no_grad():
            for data, labels in test_loader:
                correct += int((linear_classifier(data).argmax(1) == labels).sum().item())
        acc = correct / len(test_data)
        best_acc = max(best_acc, acc)
        lrs.append(lr)
        print(f"epoch {epoch}/{epochs}: lr {lr:g}, train loss {total / len(train_loader):.4f}, "
              f"test accuracy {acc:.4f}")
    print(f"best test accuracy: {best_acc:.4f}")
    save(plot(loss_list, lrs, len(train_loader), name), os.path.join(out, "loss.png"))
    print(f"wrote {os.path.join(out, 'loss.png')}")


def plot(losses, lrs, per_epoch: int, name: str):
    """The loss per mini-batch, smoothed, and the learning rate: a Figure."""

    fig, ax = subplots(figsize=(8.5, 4.6))
    it = np.arange(1, len(losses) + 1)
    ax.plot(it, losses, color="tab:blue", alpha=0.3, lw=0.7, label="loss per mini-batch")
    ax.plot(it, smooth(losses, 0.1), color="tab:blue", lw=1.8, label="smoothed")
    ax.set_xlabel("iteration (mini-batch of 120)")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(f"softmax classifier on {name}: SGD with a step schedule")
    ax.grid(alpha=0.3)
    lx = ax.twinx()
    lx.step(np.arange(len(lrs) + 1) * per_epoch, [lrs[0], *lrs], where="pre", color="tab:red", lw=1.2,
            label="learning rate")
    lx.set_yscale("log")
    lx.set_ylabel("learning rate (log scale)", color="tab:red")
    lines = ax.get_legend_handles_labels()
    more = lx.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    main()
