"""The edge of stability (Cohen et al., ICLR 2021, https://arxiv.org/abs/2103.00065) in gradstep.

Full-batch gradient descent with step size lr on a quadratic diverges once the sharpness (the
largest eigenvalue of the loss's Hessian) exceeds 2 / lr. On a neural network, the paper finds, the
sharpness rises during training until it reaches 2 / lr, then hovers just above it while the loss
keeps falling, non-monotonically. Here: a tanh MLP (784-32-32-10) with the squared loss on one-hot
labels, trained by full-batch gradient descent on 500 Fashion-MNIST images at three step sizes;
every few steps ``explore.curvature`` measures the sharpness by Lanczos (a handful of
Hessian-vector products). Prints, per step size, the sharpness over the last third of training
against 2 / lr; writes edge_of_stability.png (loss and sharpness per step, 2 / lr dashed).
``--full``: 2,000 images, 64 hidden units, 600 steps (about two minutes on two cores).
"""

import os

import numpy as np
from _common import out_dir, parse_args, save, subplots

import gradstep as gs
from gradstep import nn, optim
from gradstep.data.datasets import FashionMNIST
from gradstep.explore.curvature import LossHessian

LRS = (0.3, 0.4, 0.5)


def data(n: int):
    """The first ``n`` images of the Fashion-MNIST sample, standardised, and one-hot targets."""
    ds = FashionMNIST(sample=True, train=True)
    x = np.stack([np.asarray(ds[i][0], dtype=np.float32).reshape(-1) for i in range(n)])
    x = (x - x.mean()) / x.std()
    labels = np.array([int(ds[i][1]) for i in range(n)])
    return gs.from_numpy(x), gs.from_numpy(np.eye(10, dtype=np.float32)[labels])


def train(x, y, lr: float, hidden: int, steps: int, every: int):
    """Full-batch gradient descent; (loss per step, [(step, sharpness)] every ``every`` steps)."""
    gs.manual_seed(0)  # the same initial network for every step size
    model = nn.Sequential(nn.Linear(784, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                          nn.Linear(hidden, 10))
    opt = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    hessian = LossHessian(model, loss_fn, (x, y))
    losses, sharpness = [], []
    for step in range(steps + 1):
        if step % every == 0:
            sharpness.append((step, hessian.eigenvalues(k=1, tol=1e-3).eigenvalues[0]))
        if step == steps:
            break
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, sharpness


def plot(runs):
    """Loss and sharpness per step for every step size, 2 / lr dashed: a Figure."""
    fig, (top, bottom) = subplots(2, 1, figsize=(8, 6.4), sharex=True)
    for lr, (losses, sharpness) in runs.items():
        line, = top.plot(losses, lw=1.2, label=f"lr {lr:g}")
        steps, values = zip(*sharpness)
        bottom.plot(steps, values, lw=1.2, color=line.get_color(), label=f"lr {lr:g}")
        bottom.axhline(2 / lr, color=line.get_color(), ls="--", lw=1)
        bottom.text(steps[-1], 2 / lr, f" 2/lr = {2 / lr:.3g}", va="bottom", ha="right", fontsize=8,
                    color=line.get_color())
    top.set_yscale("log")
    top.set_ylabel("training loss (MSE)")
    top.set_title("Full-batch gradient descent: the sharpness rises to 2 / lr and stays there")
    bottom.set_ylabel("sharpness (largest Hessian eigenvalue)")
    bottom.set_xlabel("step")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def main() -> None:
    args = parse_args(__doc__, "2,000 images, 64 hidden units, 600 steps")
    out = out_dir(args, __file__)
    n, hidden, steps, every = (2000, 64, 600, 10) if args.full else (500, 32, 300, 5)
    x, y = data(n)
    runs = {}
    for lr in LRS:
        runs[lr] = train(x, y, lr, hidden, steps, every)
        losses, sharpness = runs[lr]
        late = [s for step, s in sharpness if step >= 2 * steps // 3]
        print(f"lr {lr:g}: loss {losses[0]:.4f} -> {losses[-1]:.4f}; sharpness {sharpness[0][1]:.2f} at "
              f"the start, {np.mean(late):.2f} over the last third = {np.mean(late) * lr / 2:.3f} x 2/lr "
              f"({2 / lr:.3g})")
    save(plot(runs), os.path.join(out, "edge_of_stability.png"))
    print(f"wrote {os.path.join(out, 'edge_of_stability.png')}")


if __name__ == "__main__":
    main()
