"""Seed 004: the Gluon linear-regression study, batch sizes and learning rates, in gradstep.

y = 2 x1 - 3.4 x2 + 4.2 + 0.01 noise, 1,000 samples. A one-unit Dense layer (``nn.Linear(2, 1)``,
weights drawn from N(0, 1) as the tutorial's ``mx.init.Normal(sigma=1)``) is trained with Gluon's
``L2Loss`` and plain SGD for 3 epochs; after epoch 2 the learning rate is cut tenfold through
``optimizer.set_learning_rate(optimizer.learning_rate * 0.1)``, Gluon's ``Trainer`` calls. The five
runs of the tutorial:

    batch 1,    lr 0.2     stochastic gradient descent: noisy, then settles
    batch 1000, lr 0.999   full-batch gradient descent
    batch 10,   lr 0.2     mini-batch SGD
    batch 10,   lr 5       too large: the loss overshoots to inf and nan (diverged)
    batch 10,   lr 0.002   too small: far from the answer after 3 epochs

Why lr 5 diverges and lr 0.999 does not: the loss is a quadratic whose Hessian (the same at every
weight) has the largest eigenvalue lambda_max ~ 1.1, and a full-batch gradient step multiplies the
error along its eigenvector by |1 - lr lambda_max|: below 1 for lr < 2 / lambda_max ~ 1.8 (0.999
gives ~0.09), above 1 beyond (5 gives ~4.4, so the error grows geometrically until it overflows).
The script measures lambda_max with ``gradstep.explore.curvature`` and prints this.

Prints each epoch as the tutorial does, w and b per run, and a summary; writes loss.png. The study
is small already, so ``--full`` runs the same.
"""

import math
import os

import numpy as np
from _common import out_dir, parse_args, save, subplots

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader
from gradstep.data.datasets import LinearRegression
from gradstep.explore.curvature import LossHessian

RUNS = [(1, 0.2, 10), (1000, 0.999, 1000), (10, 0.2, 10), (10, 5.0, 10), (10, 0.002, 10)]  # batch, lr, period


def train(net, dataset, batch_size: int, lr: float, epochs: int, period: int) -> list[float]:
    """The tutorial's ``train``: returns the loss on all the data, before training and every
    ``period`` samples."""
    nn.init.normal_(net[0].weight, std=1.0)
    nn.init.zeros_(net[0].bias)
    trainer = optim.SGD(net.parameters(), lr=lr)
    square_loss = nn.L2Loss()
    data_iter = DataLoader(dataset, batch_size=batch_size, shuffle=True)

    def full_loss() -> float:
        with gs.no_grad():
            return square_loss(net(dataset.X), dataset.y).item()

    total_loss = [full_loss()]
    for epoch in range(1, epochs + 1):
        if epoch > 2:  # the learning rate decays after epoch 2
            trainer.set_learning_rate(trainer.learning_rate * 0.1)
        for batch_i, (data, label) in enumerate(data_iter):
            loss = square_loss(net(data), label)
            trainer.zero_grad()
            loss.backward()
            trainer.step()
            if batch_i * batch_size % period == 0:
                total_loss.append(full_loss())
        print(f"Batch size {batch_size}, Learning rate {trainer.learning_rate:f}, Epoch {epoch}, "
              f"loss {total_loss[-1]:.4e}")
    return total_loss


def plot(curves):
    """The loss on all the data of every run (log scale): a Figure."""

    top = 1e3  # a diverging run leaves the plot here, on its way to inf and nan
    fig, ax = subplots(figsize=(8, 4.8))
    for (batch_size, lr, _), (losses, status) in zip(RUNS, curves):
        a = np.asarray(losses, dtype=float)
        a[~np.isfinite(a)] = np.nan
        x = np.linspace(0, 3, len(a))
        line, = ax.semilogy(x, a, lw=1.4, label=f"batch {batch_size}, lr {lr:g}: {status}")
        above = np.flatnonzero(~(a <= top))
        if status == "diverged" and len(above):
            ax.annotate(f"lr {lr:g}: loss → inf → nan", (x[above[0]], top), xytext=(8, -14),
                        textcoords="offset points", color=line.get_color(), fontsize=8)
    ax.set_ylim(top=top)
    ax.axvline(2, color="gray", ls=":", lw=1)
    ax.text(2.03, 0.03, "lr × 0.1 from here", transform=ax.get_xaxis_transform(), fontsize=8,
            color="gray")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss on all 1,000 samples (log scale)")
    ax.set_title("Seed 004: batch size and learning rate (L2Loss, SGD, decay after epoch 2)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def main() -> None:
    args = parse_args(__doc__, "the same study (it is small already)")
    out = out_dir(args, __file__)
    gs.manual_seed(1)
    dataset = LinearRegression(num_examples=1000, true_w=(2.0, -3.4), true_b=4.2, noise=0.01)
    net = nn.Sequential(nn.Linear(2, 1))
    curves, rows = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # lr = 5 overflows; we report it below
        for batch_size, lr, period in RUNS:
            losses = train(net, dataset, batch_size, lr, epochs=3, period=period)
            w, b = net[0].weight.detach().numpy().ravel().copy(), net[0].bias.item()
            print("w:", np.array2string(w, precision=4), "b:", f"{b:.4f}", "\n")
            finite = math.isfinite(losses[-1]) and np.all(np.isfinite(w))
            close = finite and np.allclose(w, [2, -3.4], atol=0.05) and abs(b - 4.2) < 0.05
            status = "converged" if close else ("diverged" if not finite else "too slow")
            curves.append((losses, status))
            rows.append((batch_size, lr, losses[-1], w, b, status))
    print("summary (true w = [2, -3.4], b = 4.2)")
    print(f"{'batch':>5}  {'lr':>6}  {'final loss':>10}  {'w':<20}  {'b':>7}  result")
    for batch_size, lr, loss, w, b, status in rows:
        w_text = f"[{w[0]:.4f}, {w[1]:.4f}]"
        print(f"{batch_size:>5}  {lr:>6g}  {loss:>10.3e}  {w_text:<20}  {b:>7.4f}  {status}")
    save(plot(curves), os.path.join(out, "loss.png"))
    print(f"wrote {os.path.join(out, 'loss.png')}")
    explain(net, dataset)


def explain(net, dataset) -> None:
    """The stability threshold 2 / lambda_max of full-batch gradient descent on this quadratic."""
    net = net.double()
    data = (dataset.X.double(), dataset.y.double())
    top = LossHessian(net, nn.L2Loss(), data).eigenvalues(k=1)
    lam = float(top.eigenvalues[0])
    print(f"\nsharpness lambda_max = {lam:.4f} (largest Hessian eigenvalue, {top.hvp_count} Hessian-vector "
          f"products): full-batch gradient descent is stable for lr < 2/lambda_max = {2 / lam:.4f}")
    for lr in sorted({lr for _, lr, _ in RUNS}):
        factor = abs(1 - lr * lam)
        verdict = "diverges" if factor > 1 else "converges"
        print(f"  lr {lr:<6g} error along the top eigenvector x {factor:.4f} per full-batch step: {verdict}")


if __name__ == "__main__":
    main()
