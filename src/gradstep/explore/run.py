"""``train_run``: one training run from a ``TrainConfig``, with everything it writes.

It is what ``gradstep train`` does: build the data, model, optimizer and scheduler; train with the
``Trainer`` (progress bar, non-finite guard, checkpoints, early stopping); evaluate on the test
split; and write into the output directory ``config.json`` (every setting, the seed and the
versions, which ``explore.runs.load_config`` turns back into this config), ``history.json``,
``history.csv``, ``curves.png``, ``last.safetensors`` (the whole training state, for
``--resume``) and ``best.safetensors`` (the best weights, loadable by PyTorch); with
``dynamics``, also ``dynamics.json`` and ``dynamics.png`` (``TrainingDynamics``). Started by
``mpiexec -n N``, it trains data-parallel: the model is wrapped in ``DistributedDataParallel``,
each process reads its share of the data with ``batch_size`` samples per step, and rank 0 alone
reports and writes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field

from .. import distributed as dist
from .. import random as _random
from ..serialization import CheckpointError, load_metadata
from ..train import EarlyStopping, History, LiveCurves, ModelCheckpoint, NonFiniteGuard, Trainer
from ..train.loggers import make_logger
from ..train.progress import in_notebook
from ..train.run_folder import RunFolder
from .builders import (
    Data,
    build_data,
    build_loaders,
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    code_from_file,
    model_name,
)
from .config import ConfigError, TrainConfig
from .dynamics import TrainingDynamics
from .result import Result
from .runs import write_config
from .sharpness import diagnose_divergence

CONFIG_KEY = "gradstep.config"
PER_INVOCATION = ("resume", "out", "max_steps", "overwrite")  # never stored, never read from a file


@dataclass
class RunResult(Result):
    """What a run produced: its history, test metrics, output directory and how it ended; the
    checkpoints are in ``out_dir`` already, ``write`` adds the history, curves and dynamics."""
    config: TrainConfig
    history: History
    test: dict | None
    out_dir: str
    diverged: bool
    stop_reason: str | None
    trainer: Trainer
    dynamics: TrainingDynamics | None = None
    files: list = field(default_factory=list)   # every file of the run, once written
    interrupted: int | None = None  # the signal (SIGINT, SIGTERM) that stopped the run, if one did
    dpi = 150   # the training figures are drawn a report's text width wide (train.figures)

    @property
    def title(self) -> str:
        lr = self.trainer.optimizer.param_groups[0]["lr"]
        return f"{self.config.dataset} · {model_name(self.config)} · {self.config.optimizer} (lr {lr:g})"

    def documents(self) -> dict:
        docs = {"history.json": self.history.to_json(), "history.csv": self.history.to_csv()}
        if self.dynamics is not None:
            docs.update(self.dynamics.result(self.title).documents())
        return docs

    def figures(self) -> dict:
        figs = {"curves.png": self.history.plot(title=self.title)}
        if self.dynamics is not None:
            figs.update(self.dynamics.result(self.title).figures())
        return figs


def default_out_dir(cfg: TrainConfig) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{cfg.dataset}-{model_name(cfg)}-{cfg.optimizer.lower()}-{stamp}")


def config_from_checkpoint(path, given: dict | None = None) -> TrainConfig:
    """The ``TrainConfig`` a checkpoint of ``train_run`` was written with, checked as the command
    line's is. What the file stores is data, never an instruction: where to write, what to resume
    and when to stop are not read from it, and code it names (``--model``/``--data`` as
    ``package.module:function``) is imported only if ``given`` (the command line) names it too."""
    meta = load_metadata(path)
    if CONFIG_KEY not in meta:
        raise CheckpointError(f"{path}: has no gradstep run configuration in its metadata; was it "
                              f"written by `gradstep train`?")
    given = given or {}
    try:
        stored = json.loads(meta[CONFIG_KEY])
        if not isinstance(stored, dict):
            raise ConfigError(f"a table of options, got {type(stored).__name__}")
        for key in PER_INVOCATION:
            stored.pop(key, None)
        return TrainConfig.from_dict(code_from_file(stored, given, "resume it"))
    except (ConfigError, json.JSONDecodeError, RecursionError, TypeError) as e:
        raise CheckpointError(f"{path}: the stored configuration is invalid: {e}") from None


def initial_state(cfg: TrainConfig, data: Data) -> dict:
    """The initial weights of ``cfg``'s model for ``data``, as built after seeding with ``cfg.seed``:
    what every run of a comparison or a sweep starts from."""
    _random.manual_seed(cfg.seed)
    return {k: v.numpy().copy() for k, v in build_model(cfg, data).state_dict().items()}


def build_run(cfg: TrainConfig, callbacks=(), data: Data | None = None,
              initial_state: dict | None = None) -> tuple[Trainer, Data, tuple]:
    """Seed, then build data (unless given), loaders, model (with the weights ``initial_state``
    when given), optimizer, scheduler and the Trainer for ``cfg``. The training loader shuffles
    with a fresh generator seeded from ``cfg.seed``, so equal seeds give equal batches."""
    _random.manual_seed(cfg.seed)
    data = build_data(cfg) if data is None else data
    loaders = build_loaders(cfg, data)
    model = build_model(cfg, data)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    if dist.get_world_size() > 1:
        model = dist.DistributedDataParallel(model)
    optimizer = build_optimizer(cfg, model.parameters())
    scheduler = build_scheduler(cfg, optimizer, len(loaders[0]))
    trainer = Trainer(model, optimizer, build_loss(data), scheduler=scheduler,
                      scheduler_interval=cfg.scheduler_interval,
                      metrics=("accuracy",) if data.is_classification else (),
                      callbacks=list(callbacks), grad_clip_norm=cfg.clip_grad_norm,
                      verbose=0 if cfg.quiet else 1)
    return trainer, data, loaders


def score_key(data: Data, has_val: bool) -> str:
    """The per-epoch column that says how good a model is: accuracy for classification, else the
    loss; on the validation split if there is one. Checkpoints keep its best, sweeps and
    comparisons report it."""
    split = "val" if has_val else "train"
    return f"{split}_accuracy" if data.is_classification else f"{split}_loss"


def mode(key: str) -> str:
    """"min" for a loss, "max" for anything else (accuracy)."""
    return "min" if key.endswith("loss") else "max"


def train_run(cfg: TrainConfig, extra_callbacks=()) -> RunResult:
    """Train as ``cfg`` says and write the run's files; see the module docstring."""
    dynamics = None
    if cfg.dynamics or cfg.dynamics_every is not None or cfg.sharpness_every is not None:
        dynamics = TrainingDynamics(cfg.dynamics_every, sharpness_every=cfg.sharpness_every)
    # the output folder: --out, else the resumed checkpoint's own (never a path stored in a file)
    if cfg.out:
        out_dir = cfg.out
    else:
        out_dir = os.path.dirname(os.path.abspath(cfg.resume)) if cfg.resume else default_out_dir(cfg)
    if not dist.is_main_process():
        return _train_in(cfg, out_dir, dynamics, extra_callbacks)
    resuming_here = cfg.resume and os.path.realpath(os.path.dirname(os.path.abspath(cfg.resume))) == \
        os.path.realpath(out_dir)
    folder = RunFolder(out_dir, "resume" if resuming_here else "overwrite" if cfg.overwrite else "new")
    with folder:  # refused if another run's, locked for the run's life, probed for writability
        if folder.took_over is not None and not cfg.quiet:
            print(f"gradstep: took over {out_dir}'s lock from pid {folder.took_over}, which no longer runs",
                  file=sys.stderr)
        return _train_in(cfg, out_dir, dynamics, extra_callbacks)


def _train_in(cfg: TrainConfig, out_dir: str, dynamics, extra_callbacks) -> RunResult:
    main = dist.is_main_process()
    # what defines the run; --resume, --out, --max-steps and --overwrite belong to one invocation only
    meta = {CONFIG_KEY: json.dumps({k: v for k, v in cfg.to_dict().items() if k not in PER_INVOCATION})}
    trainer, data, (train_loader, val_loader, test_loader) = build_run(cfg)
    for cb in trainer.callbacks:  # a divergence says whether the step size is past the stability threshold
        if isinstance(cb, NonFiniteGuard):
            cb.diagnose = diagnose_divergence
    monitor = score_key(data, val_loader is not None)
    callbacks = [ModelCheckpoint(out_dir, monitor=monitor, mode=mode(monitor), metadata=meta)]
    if cfg.early_stopping is not None:
        loss_key = "val_loss" if val_loader is not None else "train_loss"
        callbacks.append(EarlyStopping(monitor=loss_key, mode="min", patience=cfg.early_stopping))
    tensorboard = {"update_ratios": dynamics is not None}  # with the dynamics, each layer's update ratio
    callbacks += [make_logger(name, out_dir, **(tensorboard if name == "tensorboard" else {}))
                  for name in cfg.loggers]
    if cfg.live:  # in a notebook the figure under the cell, else live.png in the run folder
        callbacks.append(LiveCurves(None if in_notebook() else os.path.join(out_dir, "live.png")))
    callbacks += list(extra_callbacks)
    if dynamics is not None:
        callbacks.append(dynamics)
    trainer.callbacks += callbacks
    if cfg.resume:
        trainer.load_checkpoint(cfg.resume, train_loader=train_loader)
    if main:  # once the data and the checkpoint are in: a run that cannot start changes no file
        config_file = write_config(out_dir, cfg)  # config.json: every setting, the seed, the versions
    if main and not cfg.quiet and dist.get_world_size() > 1:
        print(_world_summary(cfg.batch_size), file=sys.stderr, flush=True)

    history = trainer.fit(train_loader, cfg.epochs, val_loader=val_loader, max_steps=cfg.max_steps)
    result = RunResult(cfg, history, None, out_dir, trainer.diverged, trainer.stop_reason, trainer, dynamics,
                       interrupted=trainer.interrupted)
    if main:
        checkpoints = [os.path.join(out_dir, f) for f in ("last.safetensors", "best.safetensors")]
        result.files = ([config_file] + result.write(out_dir, cfg.formats)
                        + [f for f in checkpoints if os.path.exists(f)])
    if test_loader is not None and not trainer.diverged and trainer.interrupted is None:
        result.test = trainer.evaluate(test_loader)
    return result


def _world_summary(batch_size: int) -> str:
    """The line a data-parallel run starts with: the processes (a launcher that reports a dead
    process by its id names it by pid) and the batch per process and in all."""
    procs = dist.processes()
    where = "; ".join(f"rank {p['rank']}: pid {p['pid']} on {p['host']}" for p in procs)
    return (f"gradstep: data-parallel training on {len(procs)} processes ({where}); batch {batch_size} per "
            f"process, {batch_size * len(procs)} per step in all")
