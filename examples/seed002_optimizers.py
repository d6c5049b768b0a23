"""Seed 002: the 784-200-10 MLP trained with each optimizer, timed, with its loss curves.

The network is the tutorial's ``nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10))``
with ``nn.CrossEntropyLoss``, on MNIST when its files are installed, else on the Fashion-MNIST
sample that ships with gradstep, with the tutorial's ``data_tf`` ((x / 255 − 0.5) / 0.5, flattened).
Every run starts from the same weights and sees the same batches (batch 64), so the optimizer is
the only difference:

- the tutorial's hand-written ``sgd_update`` (``param.data = param.data - lr * param.grad.data``)
  and ``sgd_adagrad`` (a running sum of squared gradients in ``sqrs``), lr 1e-2;
- ``optim.SGD`` (lr 1e-2), with momentum 0.9, ``optim.Adagrad`` (1e-2), ``optim.RMSprop`` (1e-3,
  alpha 0.9), ``optim.Adam`` (1e-3) and ``optim.Adadelta`` (rho 0.9): the tutorial's settings.

Prints, per run, the mean training loss of each epoch, the test accuracy and the time; checks that
the hand-written SGD and ``optim.SGD`` end with the same weights and how far the hand-written
Adagrad (ε inside the root) is from ``optim.Adagrad`` (ε outside); writes loss.png. By default 3,000
training images and one epoch; ``--full`` trains on the whole training set for the tutorial's 5
epochs and adds its batch-size-1 run of ``sgd_update``.
"""

import os
import time

import numpy as np
from _common import mnist_or_sample, out_dir, parse_args, save, subplots

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, Subset
from gradstep.data import transforms as T
from gradstep.explore.plots import smooth


def sgd_update(parameters, lr):
    """The tutorial's SGD, written by hand."""
    for param in parameters:
        param.data = param.data - lr * param.grad.data


def sgd_adagrad(parameters, sqrs, lr):
    """The tutorial's Adagrad, written by hand (ε inside the square root)."""
    eps = 1e-10
    for param, sqr in zip(parameters, sqrs):
        sqr[:] = sqr + param.grad.data ** 2
        div = lr / gs.sqrt(sqr + eps) * param.grad.data
        param.data = param.data - div


def build_net():
    gs.manual_seed(0)  # the same initial weights for every run
    return nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10))


def hand_written(rule: str, lr: float = 1e-2):
    """A step function for ``train`` from the tutorial's hand-written rules."""
    def make(params):
        sqrs = [gs.zeros_like(p) for p in params]
        if rule == "sgd_update":
            return lambda: sgd_update(params, lr)
        return lambda: sgd_adagrad(params, sqrs, lr)
    return make


RUNS = {  # name -> a function of the parameters that returns a step function
    "sgd_update (by hand)": hand_written("sgd_update"),
    "sgd_adagrad (by hand)": hand_written("sgd_adagrad"),
    "SGD": lambda ps: optim.SGD(ps, lr=1e-2).step,
    "SGD momentum 0.9": lambda ps: optim.SGD(ps, lr=1e-2, momentum=0.9).step,
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=1e-2).step,
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=1e-3, alpha=0.9).step,
    "Adam": lambda ps: optim.Adam(ps, lr=1e-3).step,
    "Adadelta": lambda ps: optim.Adadelta(ps, rho=0.9).step,
}


def train(name, make_step, train_set, test_loader, epochs: int, batch_size: int = 64):
    """Train a fresh net; returns (losses per iteration, test accuracy, seconds, final weights)."""
    net = build_net()
    params = list(net.parameters())
    step = make_step(params)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=gs.Generator(1))
    losses = []
    start = time.perf_counter()
    for e in range(epochs):
        train_loss, n = 0.0, 0
        for im, label in loader:
            out = net(im)
            loss = criterion(out, label)
            net.zero_grad()
            loss.backward()
            step()
            losses.append(loss.item())
            train_loss, n = train_loss + losses[-1], n + 1
        print(f"{name:<22} epoch {e + 1}: train loss {train_loss / n:.4f}")
    seconds = time.perf_counter() - start
    correct = total = 0
    with gs.no_grad():
        for im, label in test_loader:
            correct += int((net(im).argmax(1) == label).sum().item())
            total += len(label)
    weights = np.concatenate([p.detach().numpy().ravel() for p in params])
    return losses, correct / total, seconds, weights


def plot(results, data_name: str, batch_size: int, epochs_run: int):
    """Smoothed loss curves (log scale) and wall times: a Figure."""

    fig, (ax, bx) = subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1.6, 1]})
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    for name, (losses, acc, _, _) in results.items():
        # the hand-written rules, dashed and on top: they retrace optim.SGD and optim.Adagrad
        style = {"ls": "--", "lw": 1.8, "zorder": 3, "color": "black" if "sgd_update" in name else "0.5"} \
            if "by hand" in name else {"lw": 1.5}
        epochs = np.linspace(0, epochs_run, len(losses) + 1)[1:]  # as the tutorial: loss against epochs
        weight = min(0.1, max(0.001, 30 / len(losses)))           # smooth over ~30 points whatever the batch
        ax.plot(epochs, smooth(losses, weight), label=f"{name} (test acc {acc:.3f})", **style)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0), numticks=20))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss, smoothed (log scale)")
    ax.set_title(f"seed 002's MLP on {data_name}, batch {batch_size} unless noted")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    names = list(results)
    bx.barh(names, [results[n][2] for n in names], color="tab:gray")
    bx.invert_yaxis()
    bx.set_xlabel("wall time (s)")
    bx.set_title("time to train")
    bx.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def main() -> None:
    args = parse_args(__doc__, "the whole training set, 5 epochs, plus the batch-size-1 run")
    out = out_dir(args, __file__)
    data_tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.Flatten()])
    train_set, data_name = mnist_or_sample(data_tf, train=True)
    test_set, _ = mnist_or_sample(data_tf, train=False)
    epochs = 5 if args.full else 1
    if not args.full:
        train_set, test_set = Subset(train_set, range(3000)), Subset(test_set, range(1000))
    print(f"data: {data_name}, {len(train_set)} training and {len(test_set)} test images; "
          f"{epochs} epoch(s) per optimizer")
    test_loader = DataLoader(test_set, batch_size=1000)

    results = {}
    if args.full:  # the tutorial's first run: the hand-written SGD, one image at a time
        results["sgd_update, batch 1"] = train("sgd_update, batch 1", hand_written("sgd_update"),
                                               train_set, test_loader, epochs, batch_size=1)
    for name, make_step in RUNS.items():
        results[name] = train(name, make_step, train_set, test_loader, epochs)

    print(f"\n{'optimizer':<22} {'final loss':>10} {'test acc':>9} {'time (s)':>9}")
    for name, (losses, acc, seconds, _) in results.items():
        print(f"{name:<22} {np.mean(losses[-20:]):>10.4f} {acc:>9.4f} {seconds:>9.2f}")
    w = {name: r[3] for name, r in results.items()}
    print(f"\nsgd_update by hand vs optim.SGD: largest weight difference "
          f"{np.abs(w['sgd_update (by hand)'] - w['SGD']).max():.1e}")
    print(f"sgd_adagrad by hand vs optim.Adagrad: largest weight difference "
          f"{np.abs(w['sgd_adagrad (by hand)'] - w['Adagrad']).max():.1e} (ε inside vs outside the root)")
    save(plot(results, data_name, 64, epochs), os.path.join(out, "loss.png"))
    print(f"wrote {os.path.join(out, 'loss.png')}")


if __name__ == "__main__":
    main()
