"""Seed 003: what a gradient is, then gradient descent and per-sample SGD on y = 2x, in gradstep.

1. f(x, y) = x² + y²: its gradient on a grid by central differences (the tutorial's
   ``numerical_gradient``, here ``gradstep.autograd.numerical_gradient``) and by autograd, which
   agree; the 3-D surface and the quiver of the gradient (surface.png).
2. y = w x on x = [1, 2, 3, 4], y = [2, 4, 6, 8], from w = 1 with lr 0.01: full-batch gradient
   descent on the mean squared error, then per-sample SGD; both print w → 2 and the prediction
   for x = 5 → 10, as the tutorial does. Autograd's gradient is checked against the tutorial's
   hand-derived 2·x·(x·w − y) at every step.
3. A learning rate that is too large (0.2) makes per-sample SGD diverge: each epoch multiplies the
   error in w by the product of (1 − 2·lr·x²) over the samples, about −5. The loss per sample and
   its smoothed curve (the tutorial's advice for noisy losses) are in loss.png.

The tutorial is small already, so ``--full`` runs the same.
"""

import os

import numpy as np
from _common import figure, out_dir, parse_args, save, subplots

import gradstep as gs
from gradstep.autograd import numerical_gradient, rel_error
from gradstep.explore.functions import get_surface
from gradstep.explore.plots import smooth

x_data = [1.0, 2.0, 3.0, 4.0]
y_data = [2.0, 4.0, 6.0, 8.0]


def gradient_of_the_bowl() -> tuple:
    """The gradient of x² + y² on seed 003's grid, numerically and by autograd."""
    bowl = get_surface("quadratic")
    X, Y = np.meshgrid(np.arange(-4, 4, 0.25), np.arange(-4, 4, 0.25))
    P = np.stack([X.ravel(), Y.ravel()])           # (2, 1024): every grid point at once
    # the sum over the grid separates, so its gradient holds each point's gradient
    numeric = numerical_gradient(lambda p: bowl.values(p).sum(), P, h=1e-4)
    U, V = bowl.gradient_field(X, Y)                # autograd through gradstep
    autograd = np.stack([U.ravel(), V.ravel()])
    print(f"gradient of x² + y² on a {X.shape[0]}x{X.shape[1]} grid: numerical vs autograd "
          f"relative error {rel_error(numeric, autograd):.2e}")
    return bowl, X, Y, U, V


def gradient_descent(epochs: int = 100, lr: float = 0.01) -> float:
    """Full-batch gradient descent on cost(w) = mean((x w − y)²)."""
    x, y = gs.tensor(x_data), gs.tensor(y_data)
    w = gs.tensor(1.0, requires_grad=True)
    print(f"Predict (before training) input: 5, forward: {5 * w.item():g}")
    for epoch in range(1, epochs + 1):
        cost = ((x * w - y) ** 2).mean()
        cost.backward()
        with gs.no_grad():
            w -= lr * w.grad
        w.grad = None
        if epoch % 20 == 0:
            print(f"Epoch: {epoch}, w={w.item():.6f}, cost={cost.item():.3e}")
    print(f"gradient descent: w = {w.item():.6f}; Predict (after training) input: 5, "
          f"forward: {5 * w.item():.6f}")
    return w.item()


def sgd(epochs: int = 100, lr: float = 0.01):
    """Per-sample SGD: one update per sample, in order; returns w, its losses and the largest gap
    between autograd's gradient and the hand-derived 2·x·(x·w − y)."""
    w = gs.tensor(1.0, requires_grad=True)
    losses, worst = [], 0.0
    for epoch in range(1, epochs + 1):
        for x, y in zip(x_data, y_data):
            loss = (x * w - y) ** 2
            loss.backward()
            by_hand = 2 * x * (x * w.item() - y)
            worst = max(worst, abs(w.grad.item() - by_hand))
            with gs.no_grad():
                w -= lr * w.grad
            w.grad = None
            losses.append(loss.item())
        if not np.isfinite(w.item()) or abs(w.item()) > 1e6:
            break
        if epoch % 20 == 0 and lr == 0.01:
            print(f"Progress: epoch={epoch}, w={w.item():.6f}, loss={losses[-1]:.3e}")
    return w.item(), losses, worst, epoch


def plot_surface(bowl, X, Y, U, V):
    """The bowl's surface and its gradient field: a Figure."""

    fig = figure(figsize=(12, 5.2))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(X, Y, bowl.values(X, Y), cmap="coolwarm", linewidth=0)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("f(x, y)")
    ax.set_title("f(x, y) = x² + y²")
    ax = fig.add_subplot(1, 2, 2)
    inside = (np.abs(X) <= 2) & (np.abs(Y) <= 2)
    ax.quiver(X[inside], Y[inside], U[inside], V[inside])
    ax.set_xlim(-2.2, 2.2)
    ax.set_ylim(-2.2, 2.2)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("∇f by autograd: it points uphill, and grows away from the minimum")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_losses(good, bad):
    """The per-sample losses at lr 0.01 and at lr 0.2: a Figure."""

    fig, axes = subplots(1, 2, figsize=(12, 4.4))
    ax = axes[0]
    ax.semilogy(good, color="tab:blue", alpha=0.35, lw=0.8, label="loss of each sample")
    # the tutorial's weighted average, of log(loss): the loss falls geometrically
    ax.semilogy(10 ** smooth(np.log10(good), 0.1), color="tab:blue", lw=1.8,
                label="smoothed (weighted average of log loss)")
    ax.set_title("per-sample SGD, lr 0.01")
    ax = axes[1]
    ax.semilogy(bad, color="tab:red", lw=1.2, label="loss of each sample")
    ax.set_title("per-sample SGD, lr 0.2: too large, it diverges")
    for ax in axes:
        ax.set_xlabel("update (one sample each)")
        ax.set_ylabel("squared error (log scale)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def main() -> None:
    args = parse_args(__doc__, "the same (the tutorial is small already)")
    out = out_dir(args, __file__)
    bowl, X, Y, U, V = gradient_of_the_bowl()
    save(plot_surface(bowl, X, Y, U, V), os.path.join(out, "surface.png"))
    gradient_descent()
    w, losses, worst, _ = sgd()
    print(f"per-sample SGD: w = {w:.6f}; Predict (after training) input: 5, forward: {5 * w:.6f}")
    print(f"autograd vs the hand-derived gradient 2·x·(x·w − y): largest difference {worst:.1e}")
    lr = 0.2
    # each update multiplies the error w − 2 by (1 − 2·lr·x²); an epoch by the product of those
    factor = float(np.prod([1 - 2 * lr * x * x for x in x_data]))
    with np.errstate(over="ignore", invalid="ignore"):
        w_bad, bad, _, epochs = sgd(lr=lr)
    if np.isfinite(w_bad) and abs(w_bad) < 1e6:
        print(f"per-sample SGD with lr {lr}: w = {w_bad:.6f}")
    else:
        print(f"per-sample SGD with lr {lr}: diverged after {epochs} epochs (w = {w_bad:.3g}); each "
              f"epoch multiplies the error in w by {factor:.2f}")
    save(plot_losses(losses, bad), os.path.join(out, "loss.png"))
    print(f"wrote {out}/surface.png and {out}/loss.png")


if __name__ == "__main__":
    main()
