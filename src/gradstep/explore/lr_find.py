"""``lr-find``: the learning-rate range test (``gradstep.explore.lr_finder.find_lr``) on the model,
data and optimizer a ``TrainConfig`` describes, built by the same builders as ``gradstep train``.

    result = run_lr_find(LRFindConfig(TrainConfig(optimizer="sgd", momentum=0.9)))
    result.suggested_lr
    result.write("runs/lr-find")     # lr_find.png and lr_find.json
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..train import RunsProgress
from .builders import build_data, build_loaders, build_loss, build_model, build_optimizer, model_name
from .config import TEXT, Config, ConfigError, Number, TrainConfig, bad, check_fields, option
from .lr_finder import LRFinderResult, find_lr
from .result import Result


@dataclass
class LRFindConfig(Config):
    """Every option of ``gradstep lr-find``: the model, data and optimizer, and the range."""
    _nested = {"train": TrainConfig}

    train: TrainConfig = field(default_factory=TrainConfig)
    start_lr: float = option(1e-7, Number(lo=0, lo_open=True), "the first learning rate")
    end_lr: float = option(10.0, Number(lo=0, lo_open=True), "the last learning rate")
    num_iter: int = option(100, Number(integer=True, lo=2), "mini-batches to run")
    out: str | None = option(None, TEXT, "output directory (default runs/lr-find-<time>)")

    def validate(self) -> None:
        check_fields(self)
        if self.end_lr <= self.start_lr:
            raise bad("end_lr", self.end_lr, f"a learning rate above --start-lr {self.start_lr:g}")

    def run(self) -> LRFindResult:
        return run_lr_find(self)


@dataclass
class LRFindResult(Result):
    """The range test's curve and suggestion (``test``), with the config it ran."""
    config: LRFindConfig
    test: LRFinderResult
    optimizer: str            # the optimizer's class name

    # the range test's numbers, under the names its own result gives them
    suggested_lr = property(lambda self: self.test.suggested_lr)
    lrs = property(lambda self: self.test.lrs)
    losses = property(lambda self: self.test.losses)
    raw_losses = property(lambda self: self.test.raw_losses)
    diverged = property(lambda self: self.test.diverged)

    def documents(self) -> dict:
        c, t = self.config, self.test
        return {"lr_find.json": {"config": c.train.to_dict(), "start_lr": c.start_lr, "end_lr": c.end_lr,
                                 "num_iter": c.num_iter, "suggested_lr": t.suggested_lr,
                                 "diverged": t.diverged,
                                 "lrs": t.lrs, "losses": t.losses, "raw_losses": t.raw_losses}}

    def figures(self) -> dict:
        """lr_find.png: the smoothed loss against the learning rate, the suggestion marked."""
        cfg = self.config.train
        ax = self.test.plot()
        suggestion = ("no clear descent: try a wider range or more iterations" if self.suggested_lr is None
                      else f"suggested lr {self.suggested_lr:.3g}")
        ax.set_title(f"LR range test: {self.optimizer} ({cfg.optimizer}), {model_name(cfg)} on "
                     f"{cfg.dataset}, batch {cfg.batch_size}\n{suggestion}", fontsize=9)
        ax.grid(alpha=0.3)
        return {"lr_find.png": ax.figure}


def run_lr_find(config: LRFindConfig) -> LRFindResult:
    """Run the range test for ``config.train``'s model and optimizer on its training data."""
    from .. import random as _random

    cfg = config.train
    _random.manual_seed(cfg.seed)
    data = build_data(cfg)
    train_loader, _, _ = build_loaders(cfg, data)
    model = build_model(cfg, data)
    optimizer = build_optimizer(cfg, model.parameters())
    with RunsProgress(config.num_iter, f"lr-find ({type(optimizer).__name__})", enabled=not cfg.quiet,
                      unit="batch") as bar:
        try:
            test = find_lr(model, optimizer, build_loss(data), train_loader, start_lr=config.start_lr,
                           end_lr=config.end_lr, num_iter=config.num_iter,
                           on_step=lambda lr, loss: bar.done(f"lr {lr:.2e}, smoothed loss {loss:.4g}"))
        except ValueError as e:
            raise ConfigError(str(e)) from None
    return LRFindResult(config, test, type(optimizer).__name__)


def lr_find(cfg: TrainConfig, start_lr: float = 1e-7, end_lr: float = 10.0, num_iter: int = 100,
            out: str | None = None) -> LRFindResult:
    """``run_lr_find`` with the options as arguments; with ``out``, written there."""
    config = LRFindConfig(cfg, start_lr, end_lr, num_iter, None if out is None else os.fspath(out))
    result = run_lr_find(config)
    if out is not None:
        result.write(out)
    return result
