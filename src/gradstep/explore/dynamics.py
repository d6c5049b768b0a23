"""``TrainingDynamics``: what happens inside each layer while a network trains.

At a few recording steps (the first step, then the last step of every epoch; or every
``every_n_steps`` steps) it records, for every parameter tensor:

- the gradient norm ``‖g‖`` (before any clipping) and the weight norm ``‖θ‖``;
- the update-to-weight ratio ``‖Δθ‖ / ‖θ‖`` of that step (the weights are copied just before the
  optimizer step and compared just after it). Around 1e-3 is the usual rule of thumb for a
  healthy rate of learning; far below, the layer hardly learns; near 1, it is thrown around;
- the distribution over the tensor's elements of the effective step size of that step: the
  factor P in θ ← θ − P ⊙ d that the optimizer itself reports (``Optimizer.step_size``, computed
  by the same kernel functions as its update), e.g. ``lr / (√v̂ + ε)`` for Adam and NAdam, ``lr``
  everywhere for SGD. Percentiles 5, 25, 50, 75 and 95 are kept. Elements whose gradient has
  always been zero (dead ReLU units, pixels that are constant) sit at ``lr / ε``. It is taken
  before the step, with the gradient before any clipping.

With ``sharpness_every=N`` it also estimates, every N optimizer steps and before the step, the
sharpness of the loss on the current batch (a few Lanczos iterations, warm-started from the last
top eigenvector) and the stability threshold it is compared with: λ_max(H) against 2/lr (or
(2+2β)/lr with momentum β) for SGD, the preconditioned λ_max(P^½ H P^½) against 2 (or the
momentum form) for optimizers with a step size P; see ``gradstep.explore.sharpness``.

Between recording steps it does nothing, so it costs almost nothing.

    dyn = TrainingDynamics()
    trainer = Trainer(model, optimizer, loss_fn, callbacks=[dyn])
    trainer.fit(loader, epochs=5)
    dyn.save("runs/mine")            # dynamics.json and dynamics.png

``gradstep train --dynamics`` adds it to a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..train import Callback
from ..train.figures import FONT, label, new_figure
from .plots import get_cmap, plain_log_ticks
from .report import finite_or_none
from .result import Result

PERCENTILES = (5, 25, 50, 75, 95)
QUANTITIES = ("grad_norm", "weight_norm", "update_ratio")


# --------------------------------------------------------------------------- the callback

class TrainingDynamics(Callback):
    """Record per-parameter gradient norms, weight norms, update-to-weight ratios and effective
    step sizes at a few steps; see the module docstring.

    Args:
        every_n_steps: record every this many optimizer steps; None (default): at the first step
            and at the last step of every epoch.
        sharpness_every: estimate the (preconditioned) sharpness every this many steps; None
            (default): never.
        sharpness_steps: Lanczos iterations (Hessian-vector products) per estimate, at most.
    """

    def __init__(self, every_n_steps: int | None = None, sharpness_every: int | None = None,
                 sharpness_steps: int = 20):
        for name, v in (("every_n_steps", every_n_steps), ("sharpness_every", sharpness_every)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {v!r}")
        self.every_n_steps = every_n_steps
        self.sharpness_every = sharpness_every
        self.sharpness_steps = sharpness_steps
        self.records: list[dict] = []   # one per recording step
        self.sharpness: list[dict] = []  # one per sharpness estimate
        self._pending: dict | None = None
        self._vector = None  # the last top eigenvector: the next estimate's warm start

    def _due(self, trainer) -> bool:
        if self.every_n_steps is not None:
            return trainer.global_step % self.every_n_steps == 0
        if trainer.global_step == 0:
            return True
        try:
            return trainer.batch_in_epoch >= len(trainer.train_loader)
        except TypeError:  # a loader without a length: the first step of every epoch instead
            return trainer.batch_in_epoch == 1

    def on_before_optimizer_step(self, trainer) -> None:
        self._pending = None
        if trainer.stop_reason is not None:
            return
        if self.sharpness_every is not None and trainer.global_step % self.sharpness_every == 0:
            self._record_sharpness(trainer)
        if not self._due(trainer):
            return
        before, grad_norm, weight_norm, sizes = {}, {}, {}, {}
        for name, p in trainer.named_parameters:
            if p.grad is None:
                continue
            w = p.detach().numpy()
            before[name] = w.copy()
            grad_norm[name] = finite_or_none(float(np.linalg.norm(p.grad.numpy())))
            weight_norm[name] = float(np.linalg.norm(w))
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                eff = trainer.optimizer.step_size(p)
            if eff is not None:
                q = np.percentile(eff, PERCENTILES)
                sizes[name] = {f"p{k}": finite_or_none(float(v)) for k, v in zip(PERCENTILES, q)}
        try:
            n = len(trainer.train_loader)
        except TypeError:
            n = None
        epoch = trainer.epoch + (trainer.batch_in_epoch / n if n else 0.0)
        self._pending = {"step": trainer.global_step + 1, "epoch": epoch, "grad_norm": grad_norm,
                         "weight_norm": weight_norm, "_before": before}
        if sizes:
            self._pending["step_size"] = sizes

    def _record_sharpness(self, trainer) -> None:
        from .sharpness import sharpness
        with np.errstate(all="ignore"):
            s = sharpness(trainer.model, trainer.loss_fn, trainer._batch, trainer.optimizer,
                          steps=self.sharpness_steps, start=self._vector)
        if s is None:
            return
        self._vector = s.vector
        lr = float(trainer.optimizer.param_groups[0]["lr"])
        self.sharpness.append({"step": trainer.global_step + 1, "lr": lr,
                               "sharpness": finite_or_none(s.value),
                               "threshold": finite_or_none(s.threshold), "threshold_text": s.threshold_text,
                               "preconditioned": s.preconditioned, "hvps": s.hvp_count})

    def on_after_optimizer_step(self, trainer) -> None:
        rec, self._pending = self._pending, None
        if rec is None:
            return
        ratio = {}
        params = dict(trainer.named_parameters)
        for name, old in rec.pop("_before").items():
            change = float(np.linalg.norm(params[name].detach().numpy() - old))
            w = rec["weight_norm"][name]
            ratio[name] = finite_or_none(change / w) if w > 0 else None
        rec["update_ratio"] = ratio
        rec["lr"] = float(trainer.optimizer.param_groups[0]["lr"])
        self.records.append(rec)

    def state_dict(self) -> dict:
        return {"records": self.records, "sharpness": self.sharpness}

    def load_state_dict(self, state: dict) -> None:
        self.records = list(state["records"])
        self.sharpness = list(state.get("sharpness", []))

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict:
        """``{"steps", "epochs", "lr", "layers": {name: {quantity: [value per step]}}}``."""
        names: list[str] = []
        for rec in self.records:
            names += [n for n in rec["grad_norm"] if n not in names]
        layers = {}
        for name in names:
            entry = {q: [rec[q].get(name) for rec in self.records] for q in QUANTITIES}
            if any(name in rec.get("step_size", {}) for rec in self.records):
                entry["step_size"] = {f"p{k}": [rec.get("step_size", {}).get(name, {}).get(f"p{k}")
                                                for rec in self.records] for k in PERCENTILES}
            layers[name] = entry
        out = {"steps": [rec["step"] for rec in self.records],
               "epochs": [rec["epoch"] for rec in self.records],
               "lr": [rec["lr"] for rec in self.records], "percentiles": list(PERCENTILES),
               "layers": layers}
        if self.sharpness:
            out["sharpness"] = {k: [rec[k] for rec in self.sharpness] for k in self.sharpness[0]}
        return out

    def result(self, title: str | None = None) -> DynamicsResult:
        """What was recorded so far, as a result to plot or write."""
        return DynamicsResult(self.to_dict(), title)

    def save(self, directory, title: str | None = None) -> list[str]:
        """Write ``dynamics.json`` and ``dynamics.png`` into ``directory``; return their paths."""
        return self.result(title).write(directory)


@dataclass
class DynamicsResult(Result):
    """Recorded training dynamics (``TrainingDynamics.to_dict()``): dynamics.json, dynamics.png."""
    data: dict
    title: str | None = None

    def documents(self) -> dict:
        return {"dynamics.json": self.data}

    def figures(self) -> dict:
        return {"dynamics.png": plot_dynamics(self.data, title=self.title)}


# --------------------------------------------------------------------------- the figure

def _style(names: list[str]) -> dict:
    """A colour per layer (the part of the name before the last dot), solid for weights and
    dashed for biases and other tensors."""
    layers = list(dict.fromkeys(n.rsplit(".", 1)[0] for n in names))
    cmap = get_cmap("tab10" if len(layers) <= 10 else "tab20")
    return {n: {"color": cmap(layers.index(n.rsplit(".", 1)[0]) % cmap.N),
                "ls": "-" if n.endswith("weight") else "--"} for n in names}


def _values(xs) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in xs], dtype=float)


def plot_dynamics(data: dict, title: str | None = None):
    """``dynamics.png``: gradient norm, weight norm, update-to-weight ratio and (for adaptive
    optimizers) the effective step size per parameter tensor against the step; with sharpness
    estimates, the sharpness against its stability threshold."""
    layers = data["layers"]
    adaptive = any("step_size" in v for v in layers.values())
    sharp = data.get("sharpness")
    # a report's text width: a grid of two columns, the legend of the parameters below; the
    # sharpness takes the next free panel (the fourth when the optimizer has no step size)
    panels = len(QUANTITIES) + adaptive + bool(sharp)
    rows = (panels + 1) // 2
    fig, grid = new_figure(2, rows, height=2.8 * rows)
    axes = list(grid.flat)
    for ax in axes[panels:]:
        ax.set_visible(False)
    steps = np.asarray(data["steps"], dtype=float)
    style = _style(list(layers))
    labels = {"grad_norm": ("gradient norm ‖g‖", "gradient norm"),
              "weight_norm": ("weight norm ‖θ‖", "weight norm"),
              "update_ratio": ("update / weight  ‖Δθ‖ / ‖θ‖", "update-to-weight ratio")}
    for ax, q in zip(axes, QUANTITIES):
        for name, v in layers.items():
            ax.plot(steps, _values(v[q]), marker="o", ms=3, label=name, **style[name])
        ylabel, heading = labels[q]
        label(ax, heading, None, ylabel)
    axes[2].axhline(1e-3, color="0.5", lw=0.8, ls=":")
    axes[2].annotate("1e-3", (0.01, 1e-3), xycoords=("axes fraction", "data"), color="0.4",
                     fontsize=8, va="bottom")
    if adaptive:
        ax = axes[3]
        for name, v in layers.items():
            if "step_size" not in v:
                continue
            s = v["step_size"]
            ax.plot(steps, _values(s["p50"]), marker="o", ms=3, label=name, **style[name])
            ax.fill_between(steps, _values(s["p5"]), _values(s["p95"]), color=style[name]["color"],
                            alpha=0.12, lw=0)
        label(ax, "effective step size: median, 5–95% band", None, "effective step size")
    for ax in axes[:len(QUANTITIES) + adaptive]:
        ax.set_yscale("log")
        plain_log_ticks(ax)
        label(ax, xlabel="optimizer step")
    if sharp:
        _plot_sharpness(axes[len(QUANTITIES) + adaptive], sharp)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(len(names), 4), fontsize=FONT["legend"],
               title="parameter (log scales throughout)", title_fontsize=FONT["legend"], frameon=False)
    if title:
        fig.suptitle(title, fontsize=FONT["title"] + 1)
    return fig


def _plot_sharpness(ax, sharp: dict) -> None:
    """The (preconditioned) sharpness per estimate against its stability threshold."""
    steps = np.asarray(sharp["step"], dtype=float)
    pre = bool(sharp["preconditioned"][0])
    name = "λ_max(P^½ H P^½)" if pre else "λ_max(H)"
    ax.plot(steps, _values(sharp["sharpness"]), marker="o", ms=3, color="C3", label=f"sharpness {name}")
    ax.plot(steps, _values(sharp["threshold"]), color="0.3", ls="--", lw=1,
            label=f"stability threshold {sharp['threshold_text'][0]}")
    ax.legend(fontsize=FONT["legend"], frameon=False)
    label(ax, "preconditioned sharpness, current batch" if pre else "sharpness, current batch",
          "optimizer step", name)
