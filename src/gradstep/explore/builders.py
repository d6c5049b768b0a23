"""From a ``TrainConfig`` to the objects of a run: data, model, loss, optimizer, scheduler, loaders.

``compare`` and ``sweep`` build every run through these same functions, so two runs differ only
in what their configs say.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np

from .. import distributed as dist
from .. import nn, optim
from ..data import DataLoader, DistributedSampler, Subset, random_split, transforms
from ..data.datasets import DatasetNotFoundError, get_dataset
from ..models import MODELS
from ..random import Generator
from .config import ConfigError, TrainConfig

# The tutorials' learning rates (seed 002) and the SGD presets that ``compare`` names.
OPTIMIZER_PRESETS = {
    "sgd": ("SGD", {"lr": 1e-2}),
    "momentum": ("SGD", {"lr": 1e-2, "momentum": 0.9}),
    "nesterov": ("SGD", {"lr": 1e-2, "momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {"lr": 1e-2}),
    "rmsprop": ("RMSprop", {"lr": 1e-3, "alpha": 0.9}),
    "adadelta": ("Adadelta", {"lr": 1.0, "rho": 0.9}),
    "adam": ("Adam", {"lr": 1e-3}),
    "adamw": ("AdamW", {"lr": 1e-3}),
}

DATASET_ALIASES = {"linreg": "linear-regression", "fmnist": "fashion-mnist"}
_IMAGE_STATS = {"cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}


@dataclass
class Data:
    """The splits of a run and what the model needs to know about them."""
    train: object
    val: object | None
    test: object | None
    in_shape: tuple
    num_classes: int | None      # None: regression

    @property
    def is_classification(self) -> bool:
        return self.num_classes is not None


def optimizer_names() -> list[str]:
    names = {name.lower() for name in _optimizer_classes()}
    return sorted(names | set(OPTIMIZER_PRESETS))


def _optimizer_classes() -> dict:
    return {name: cls for name, cls in vars(optim).items()
            if isinstance(cls, type) and issubclass(cls, optim.Optimizer) and cls is not optim.Optimizer}


def _scheduler_classes() -> dict:
    from ..optim import lr_scheduler
    return {name: cls for name, cls in vars(lr_scheduler).items()
            if isinstance(cls, type) and name[0].isupper() and hasattr(cls, "step")
            and cls.__module__.startswith("gradstep.optim") and not name.startswith("_")
            and name not in ("LRScheduler", "Optimizer")}


# --------------------------------------------------------------------------- data

def build_data(cfg: TrainConfig) -> Data:
    """The data set's splits, with ``cfg.subset`` applied to the training split."""
    if cfg.subset is not None and cfg.subset < 1:
        raise ConfigError(f"--subset must be at least 1, got {cfg.subset}")
    data = _build_data(cfg)
    if cfg.subset is not None and cfg.subset < len(data.train):
        # the first samples: the training split is a random split, or a data set in random order
        data.train = Subset(data.train, range(cfg.subset))
    return data


def _build_data(cfg: TrainConfig) -> Data:
    name = DATASET_ALIASES.get(cfg.dataset.lower(), cfg.dataset.lower())
    if not 0.0 <= cfg.val_fraction < 1.0:
        raise ConfigError(f"--val-fraction must be in [0, 1), got {cfg.val_fraction}")
    split_gen = Generator(cfg.seed)
    if name in ("linear-regression",):
        full = get_dataset(name, seed=cfg.seed)
        return Data(full, None, full, (full.X.shape[1],), None)
    if name in ("spirals", "moons"):
        full = get_dataset(name, n_samples=1500, generator=Generator(cfg.seed))
        n_test = len(full) // 5
        train, test = random_split(full, [len(full) - n_test, n_test], generator=split_gen)
        val, train = _hold_out(train, cfg.val_fraction, split_gen)
        classes = int(np.max(full.tensors[1].numpy())) + 1
        return Data(train, val, test, (2,), classes)
    flatten = model_name(cfg) in ("mlp", "linear")
    mean, std = _IMAGE_STATS.get(name, ((0.5,), (0.5,)))  # seed 002: (x / 255 - 0.5) / 0.5
    steps = [transforms.ToTensor(), transforms.Normalize(mean, std)]
    tf = transforms.Compose(steps + ([transforms.Flatten()] if flatten else []))
    kw = {"transform": tf}
    if cfg.data_dir:
        kw["root"] = cfg.data_dir
    try:
        train_full = get_dataset(name, train=True, **kw)
        test = get_dataset(name, train=False, **kw)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    except DatasetNotFoundError as e:
        raise ConfigError(str(e)) from None
    x0, _ = train_full[0]
    val, train = _hold_out(train_full, cfg.val_fraction, split_gen)
    return Data(train, val, test, tuple(x0.shape), len(train_full.classes) or 10)


def _hold_out(dataset, fraction: float, generator: Generator):
    """(val, train): ``fraction`` of ``dataset`` held out at random, the rest for training."""
    if fraction == 0:
        return None, dataset
    n_val = max(1, int(round(len(dataset) * fraction)))
    train, val = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)
    return val, train


def build_loaders(cfg: TrainConfig, data: Data, generator: Generator | None = None):
    """(train, val, test) loaders; the training loader shuffles with its own seeded generator."""
    if cfg.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {cfg.batch_size}")
    gen = generator if generator is not None else Generator(cfg.seed + 1)
    if dist.get_world_size() > 1:
        return _distributed_loaders(cfg, data, gen)
    train = DataLoader(data.train, batch_size=cfg.batch_size, shuffle=True, generator=gen,
                       num_workers=cfg.workers)
    eval_bs = max(cfg.batch_size, 256)
    val = None if data.val is None else DataLoader(data.val, batch_size=eval_bs)
    test = None if data.test is None else DataLoader(data.test, batch_size=eval_bs)
    return train, val, test


def _distributed_loaders(cfg: TrainConfig, data: Data, generator: Generator):
    """Loaders of one process of a data-parallel run: its share of each epoch's permutation (the
    same on every process, padded so that all take the same number of steps of ``batch_size``),
    and every ``world``-th sample of the validation and test splits (the Trainer adds the
    shares' results up)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    sampler = DistributedSampler(data.train, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed + 1)
    train = DataLoader(data.train, batch_size=cfg.batch_size, sampler=sampler, generator=generator,
                       num_workers=cfg.workers)

    def share(split):
        if split is None:
            return None
        return DataLoader(Subset(split, range(rank, len(split), world)), batch_size=max(cfg.batch_size, 256))

    return train, share(data.val), share(data.test)


# --------------------------------------------------------------------------- model and loss

def model_name(cfg: TrainConfig) -> str:
    """The model a config asks for: its ``model``, or linear for linear regression, else mlp."""
    if cfg.model is not None:
        return cfg.model
    dataset = DATASET_ALIASES.get(cfg.dataset.lower(), cfg.dataset.lower())
    return "linear" if dataset == "linear-regression" else "mlp"


def build_model(cfg: TrainConfig, data: Data) -> nn.Module:
    name = model_name(cfg)
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    out = data.num_classes if data.is_classification else 1
    if name == "cnn":
        if len(data.in_shape) != 3:
            raise ConfigError(f"--model cnn needs images; the {cfg.dataset} data set has inputs of "
                              f"shape {data.in_shape}")
        c, h, _ = data.in_shape
        bn = True if cfg.batchnorm is None else cfg.batchnorm
        return MODELS["cnn"](c, out, image_size=h, batchnorm=bn, dropout=cfg.dropout)
    in_features = int(np.prod(data.in_shape))
    if name == "linear":
        return MODELS["linear"](in_features, out)
    return MODELS["mlp"](in_features, cfg.hidden, out, batchnorm=bool(cfg.batchnorm), dropout=cfg.dropout)


def build_loss(data: Data) -> nn.Module:
    """Cross-entropy for classification; Gluon's L2Loss (half the squared error) for regression,
    as seed 004 uses, so its learning rates mean the same here."""
    return nn.CrossEntropyLoss() if data.is_classification else nn.L2Loss()


# --------------------------------------------------------------------------- optimizer and schedule

def optimizer_spec(cfg: TrainConfig) -> tuple[type, dict]:
    """The optimizer class and its keyword arguments for ``cfg``."""
    key = cfg.optimizer.lower()
    classes = {name.lower(): cls for name, cls in _optimizer_classes().items()}
    if key in OPTIMIZER_PRESETS:
        cls_name, kwargs = OPTIMIZER_PRESETS[key]
        cls, kwargs = classes[cls_name.lower()], dict(kwargs)
    elif key in classes:
        cls, kwargs = classes[key], {}
    else:
        raise ConfigError(f"unknown optimizer {cfg.optimizer!r}; known: {', '.join(optimizer_names())}")
    for name in ("lr", "momentum", "weight_decay"):
        value = getattr(cfg, name)
        if value is not None:
            kwargs[name] = value
    kwargs.update(cfg.opt_args)
    accepted = set(inspect.signature(cls).parameters) - {"params"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ConfigError(f"{cls.__name__} has no argument {', '.join(unknown)}; it takes "
                          f"{', '.join(sorted(accepted))}")
    return cls, kwargs


def build_optimizer(cfg: TrainConfig, params):
    """The optimizer of ``cfg`` over ``params``, for training on mini-batches of ``cfg.batch_size``."""
    cls, kwargs = optimizer_spec(cfg)
    if cls.requires_closure and cfg.batch_size < 256:
        warnings.warn(f"{cls.__name__} is a full-batch method; mini-batches of {cfg.batch_size} make "
                      f"its curvature estimates noisy (try --batch-size 1000 or more)", stacklevel=2)
    try:
        return cls(params, **kwargs)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{cls.__name__}: {e}") from None


def build_scheduler(cfg: TrainConfig, optimizer, steps_per_epoch: int):
    if not cfg.scheduler:
        return None
    classes = {name.lower(): cls for name, cls in _scheduler_classes().items()}
    cls = classes.get(cfg.scheduler.lower())
    if cls is None:
        known = ", ".join(sorted(_scheduler_classes()))
        raise ConfigError(f"unknown scheduler {cfg.scheduler!r}; known: {known}")
    kwargs = dict(cfg.sched_args)
    per_step = cfg.scheduler_interval == "step"
    horizon = cfg.epochs * steps_per_epoch if per_step else cfg.epochs
    if cls.__name__ == "OneCycleLR":
        kwargs.setdefault("max_lr", optimizer.param_groups[0]["lr"])
        kwargs.setdefault("total_steps", horizon)
    elif cls.__name__ == "CosineAnnealingLR":
        kwargs.setdefault("T_max", horizon)
    elif cls.__name__ == "PolynomialLR":
        kwargs.setdefault("total_iters", horizon)
    try:
        return cls(optimizer, **kwargs)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{cls.__name__}: {e}") from None
