"""``lr_find``: the learning-rate range test (``gradstep.optim.find_lr``) on the model, data and
optimizer a ``TrainConfig`` describes, built by the same builders as ``gradstep train``.

    result = lr_find(TrainConfig(optimizer="sgd", momentum=0.9), out="runs/lr-find")
    result.suggested_lr

writes ``lr_find.png`` (the smoothed loss against the learning rate, the suggestion marked) and
``lr_find.json`` (the curve and the suggestion) into ``out``.
"""

from __future__ import annotations

import os

from .. import random as _random
from ..optim.lr_finder import LRFinderResult, find_lr
from .builders import build_data, build_loaders, build_loss, build_model, build_optimizer, model_name
from .config import ConfigError, TrainConfig
from .plots import _pyplot, save_figure
from .report import write_json


def lr_find(cfg: TrainConfig, start_lr: float = 1e-7, end_lr: float = 10.0, num_iter: int = 100,
            out: str | None = None) -> LRFinderResult:
    """Run the range test for ``cfg``'s model and optimizer on its training data; with ``out``,
    write the plot and the numbers there. Arguments as ``find_lr``."""
    _random.manual_seed(cfg.seed)
    data = build_data(cfg)
    train_loader, _, _ = build_loaders(cfg, data)
    model = build_model(cfg, data)
    optimizer = build_optimizer(cfg, model.parameters())
    try:
        result = find_lr(model, optimizer, build_loss(data), train_loader, start_lr=start_lr,
                         end_lr=end_lr, num_iter=num_iter)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if out is not None:
        os.makedirs(out, exist_ok=True)
        write_json(os.path.join(out, "lr_find.json"),
                   {"config": cfg.to_dict(), "start_lr": start_lr, "end_lr": end_lr, "num_iter": num_iter,
                    "suggested_lr": result.suggested_lr, "diverged": result.diverged, "lrs": result.lrs,
                    "losses": result.losses, "raw_losses": result.raw_losses})
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 5))
        result.plot(ax=ax)
        suggestion = ("no clear descent: try a wider range or more iterations" if result.suggested_lr is None
                      else f"suggested lr {result.suggested_lr:.3g}")
        ax.set_title(f"LR range test: {type(optimizer).__name__} ({cfg.optimizer}), {model_name(cfg)} on "
                     f"{cfg.dataset}, batch {cfg.batch_size}: {suggestion}", fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        save_figure(fig, os.path.join(out, "lr_find.png"))
    return result
