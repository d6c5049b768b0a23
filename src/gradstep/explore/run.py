"""``train_run``: one training run from a ``TrainConfig``, with everything it writes.

It is what ``gradstep train`` does: build the data, model, optimizer and scheduler; train with the
``Trainer`` (progress bar, non-finite guard, checkpoints, early stopping); evaluate on the test
split; and write into the output directory ``history.json``, ``history.csv``, ``curves.png``,
``last.safetensors`` (the whole training state, for ``--resume``) and ``best.safetensors`` (the
best weights, loadable by PyTorch); with ``dynamics``, also ``dynamics.json`` and ``dynamics.png``
(``TrainingDynamics``). Started by ``mpiexec -n N``, it trains data-parallel: the model is
wrapped in ``DistributedDataParallel``, each process reads its share of the data with
``batch_size`` samples per step, and rank 0 alone reports and writes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass

from .. import distributed as dist
from .. import random as _random
from ..serialization import CheckpointError, load_metadata
from ..train import EarlyStopping, History, ModelCheckpoint, Trainer
from ..train.run_folder import RunFolder
from .builders import (
    Data,
    build_data,
    build_loaders,
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    model_name,
)
from .checks import check_config
from .config import ConfigError, TrainConfig
from .dynamics import TrainingDynamics
from .plots import plot_history

CONFIG_KEY = "gradstep.config"
_PER_INVOCATION = ("resume", "out", "max_steps", "overwrite")  # never stored, never read from a file


@dataclass
class RunResult:
    """What a run produced: its history, test metrics, output directory and how it ended."""
    config: TrainConfig
    history: History
    test: dict | None
    out_dir: str
    diverged: bool
    stop_reason: str | None
    trainer: Trainer
    interrupted: int | None = None  # the signal (SIGINT, SIGTERM) that stopped the run, if one did


def default_out_dir(cfg: TrainConfig) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{cfg.dataset}-{model_name(cfg)}-{cfg.optimizer.lower()}-{stamp}")


def config_from_checkpoint(path) -> TrainConfig:
    """The ``TrainConfig`` a checkpoint of ``train_run`` was written with, checked as the command
    line's would be; where to write, where to resume from and when to stop are never taken from
    the file."""
    meta = load_metadata(path)
    if CONFIG_KEY not in meta:
        raise CheckpointError(f"{path}: has no gradstep run configuration in its metadata; was it "
                              f"written by `gradstep train`?")
    try:
        stored = json.loads(meta[CONFIG_KEY])
        if not isinstance(stored, dict):
            raise ConfigError("it is not a table of settings")
        for key in _PER_INVOCATION:
            stored.pop(key, None)
        return check_config(TrainConfig.from_dict(stored))
    except (ConfigError, json.JSONDecodeError, RecursionError, TypeError) as e:
        raise CheckpointError(f"{path}: the stored configuration is invalid: {e}") from None


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
    if cfg.clip_grad_norm is not None and cfg.clip_grad_norm <= 0:
        raise ConfigError(f"--clip-grad-norm must be positive, got {cfg.clip_grad_norm}")
    trainer = Trainer(model, optimizer, build_loss(data), scheduler=scheduler,
                      scheduler_interval=cfg.scheduler_interval,
                      metrics=("accuracy",) if data.is_classification else (),
                      callbacks=list(callbacks), grad_clip_norm=cfg.clip_grad_norm,
                      verbose=0 if cfg.quiet else 1)
    return trainer, data, loaders


def _monitor(data: Data, has_val: bool) -> tuple[str, str]:
    if has_val:
        return ("val_accuracy", "max") if data.is_classification else ("val_loss", "min")
    return ("train_accuracy", "max") if data.is_classification else ("train_loss", "min")


def train_run(cfg: TrainConfig, extra_callbacks=()) -> RunResult:
    """Train as ``cfg`` says and write the run's files; see the module docstring."""
    check_config(cfg)
    if cfg.epochs < 1:
        raise ConfigError(f"--epochs must be at least 1, got {cfg.epochs}")
    dynamics = None
    if cfg.dynamics or cfg.dynamics_every is not None:
        try:
            dynamics = TrainingDynamics(cfg.dynamics_every)
        except ValueError as e:
            raise ConfigError(f"--dynamics-every: {e}") from None
    # the output folder: --out, else the resumed checkpoint's own folder (never a path stored in it)
    if cfg.out:
        out_dir = cfg.out
    else:
        out_dir = os.path.dirname(os.path.abspath(cfg.resume)) if cfg.resume else default_out_dir(cfg)
    main = dist.is_main_process()
    folder = None
    if main:
        mode = "overwrite" if cfg.overwrite else "new"
        if cfg.resume and os.path.realpath(os.path.dirname(os.path.abspath(cfg.resume))) == \
                os.path.realpath(out_dir):
            mode = "resume"
        folder = RunFolder(out_dir, mode)
        folder.acquire()  # held (and released) by the `with` below
        if folder.took_over is not None and not cfg.quiet:
            print(f"gradstep: took over {out_dir}'s lock from pid {folder.took_over}, which no longer runs",
                  file=sys.stderr)
    if folder is None:
        return _train_in(cfg, out_dir, main, dynamics, extra_callbacks)
    with folder:
        return _train_in(cfg, out_dir, main, dynamics, extra_callbacks)


def _train_in(cfg: TrainConfig, out_dir: str, main: bool, dynamics, extra_callbacks) -> RunResult:
    # what defines the run; --resume, --out and --max-steps belong to one invocation only
    meta = {CONFIG_KEY: json.dumps({k: v for k, v in cfg.to_dict().items() if k not in _PER_INVOCATION})}
    trainer, data, (train_loader, val_loader, test_loader) = build_run(cfg)
    monitor, mode = _monitor(data, val_loader is not None)
    callbacks = [ModelCheckpoint(out_dir, monitor=monitor, mode=mode, metadata=meta)]
    if cfg.early_stopping is not None:
        loss_key = "val_loss" if val_loader is not None else "train_loss"
        callbacks.append(EarlyStopping(monitor=loss_key, mode="min", patience=cfg.early_stopping))
    callbacks += list(extra_callbacks)
    if dynamics is not None:
        callbacks.append(dynamics)
    trainer.callbacks += callbacks
    if cfg.resume:
        trainer.load_checkpoint(cfg.resume, train_loader=train_loader)
    if main and not cfg.quiet and dist.get_world_size() > 1:
        print(_world_summary(cfg.batch_size), file=sys.stderr, flush=True)

    history = trainer.fit(train_loader, cfg.epochs, val_loader=val_loader, max_steps=cfg.max_steps)
    if main:
        history.save_json(os.path.join(out_dir, "history.json"))
        history.save_csv(os.path.join(out_dir, "history.csv"))
        lr = trainer.optimizer.param_groups[0]["lr"]
        title = f"{cfg.dataset} · {model_name(cfg)} · {cfg.optimizer} (lr {lr:g})"
        _replace_atomically(os.path.join(out_dir, "curves.png"),
                            lambda p: plot_history(history, p, title=title))
        if dynamics is not None:
            dynamics.save(out_dir, title=title)  # dynamics.json, dynamics.png
    test = None
    if test_loader is not None and not trainer.diverged and trainer.interrupted is None:
        test = trainer.evaluate(test_loader)
    return RunResult(cfg, history, test, out_dir, trainer.diverged, trainer.stop_reason, trainer,
                     trainer.interrupted)


def _replace_atomically(path: str, write) -> None:
    """``write(tmp)`` a file next to ``path``, then rename it over ``path``: a failed write (a full
    disk) leaves the previous file whole."""
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp-{os.getpid()}{ext}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _world_summary(batch_size: int) -> str:
    """The line a data-parallel run starts with: the processes (a launcher that reports a dead
    process by its id names it by pid) and the batch per process and in all."""
    procs = dist.processes()
    where = "; ".join(f"rank {p['rank']}: pid {p['pid']} on {p['host']}" for p in procs)
    return (f"gradstep: data-parallel training on {len(procs)} processes ({where}); batch {batch_size} per "
            f"process, {batch_size * len(procs)} per step in all")
