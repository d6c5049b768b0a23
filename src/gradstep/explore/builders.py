"""From a ``TrainConfig`` to the objects of a run: data, model, loss, optimizer, scheduler, loaders.

``compare`` and ``sweep`` build every run through these same functions, so two runs differ only
in what their configs say.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import distributed as dist
from .. import nn, optim
from ..autograd.tensor import Tensor
from ..data import DataLoader, DistributedSampler, Subset, random_split, transforms
from ..data.datasets import DatasetNotFoundError, get_dataset
from ..models import MODELS
from ..random import Generator
from .config import ConfigError, TrainConfig, bad, factory_name

# The tutorials' learning rates (seed 002) and the SGD presets that ``compare`` names; any other
# registered optimizer (``gradstep.optim.OPTIMIZERS``) is known by its class name, with its defaults.
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
    """The splits of a run and what the model needs to know about them. A ``--data`` function may
    return one (``Data(train, val, test, in_shape, num_classes)``) or just ``(train, val, test)``."""
    train: object
    val: object | None
    test: object | None
    in_shape: tuple
    num_classes: int | None      # None: regression

    @property
    def is_classification(self) -> bool:
        return self.num_classes is not None


def optimizer_names() -> list[str]:
    """Every name ``--optimizer`` takes: the registered classes (lower case) and the presets."""
    return sorted(set(optim.OPTIMIZERS) | set(OPTIMIZER_PRESETS))


def optimizer_list(value) -> tuple:
    """``--optimizers`` of compare and landscape: a comma-separated string or a sequence of names
    -> the names in lower case, at least one, each once, every one known."""
    if isinstance(value, str):
        value = [o.strip() for o in value.split(",") if o.strip()]
    names = [str(o).lower() for o in value]
    if not names:
        raise bad("optimizers", value, "at least one optimizer name")
    twice = sorted({o for o in names if names.count(o) > 1})
    if twice:
        raise bad("optimizers", ",".join(names), f"each optimizer once ({', '.join(twice)} twice)")
    known = optimizer_names()
    for name in names:
        if name not in known:
            raise ConfigError(f"--optimizers: {name!r} is no optimizer; allowed is one of {', '.join(known)}")
    return tuple(names)


def per_optimizer(option: str, given: dict, names) -> dict:
    """A setting per optimizer (``--lr sgd=0.1``): keys in lower case, each one of ``names``."""
    given = {str(k).lower(): v for k, v in given.items()}
    if not set(given) <= set(names):
        raise bad(option, given, f"settings of the optimizers --optimizers lists ({', '.join(names)})")
    return given


def scheduler_names() -> list[str]:
    return sorted(_scheduler_classes())


def dataset_names() -> list[str]:
    return list(_dataset_names()) + list(DATASET_ALIASES)


def _scheduler_classes() -> dict:
    from ..optim import lr_scheduler
    return {name: cls for name, cls in vars(lr_scheduler).items()
            if isinstance(cls, type) and name[0].isupper() and hasattr(cls, "step")
            and cls.__module__.startswith("gradstep.optim") and not name.startswith("_")
            and name not in ("LRScheduler", "Optimizer")}


# --------------------------------------------------------------------------- models

@dataclass(frozen=True)
class ModelSpec:
    """A built-in model of ``--model``: how to build it for a config and data, and what it eats."""
    build: Callable[[TrainConfig, Data], nn.Module]
    flat_input: bool            # takes flattened images (mlp, linear) rather than (C, H, W)
    help: str


def _mlp(cfg: TrainConfig, data: Data) -> nn.Module:
    return MODELS["mlp"](int(np.prod(data.in_shape)), cfg.hidden, _outputs(data),
                         batchnorm=bool(cfg.batchnorm), dropout=cfg.dropout)


def _linear(cfg: TrainConfig, data: Data) -> nn.Module:
    return MODELS["linear"](int(np.prod(data.in_shape)), _outputs(data))


def _cnn(cfg: TrainConfig, data: Data) -> nn.Module:
    if len(data.in_shape) != 3:
        raise ConfigError(f"--model cnn needs images; the {cfg.dataset} data set has inputs of "
                          f"shape {data.in_shape}")
    c, h, _ = data.in_shape
    bn = True if cfg.batchnorm is None else cfg.batchnorm
    return MODELS["cnn"](c, _outputs(data), image_size=h, batchnorm=bn, dropout=cfg.dropout)


MODEL_SPECS = {
    "mlp": ModelSpec(_mlp, True, "seed 002's multilayer perceptron (--hidden, --batchnorm, --dropout)"),
    "linear": ModelSpec(_linear, True, "one affine layer (softmax or linear regression)"),
    "cnn": ModelSpec(_cnn, False, "a small convolutional net for images"),
}


def _outputs(data: Data) -> int:
    return data.num_classes if data.is_classification else 1


# --------------------------------------------------------------------------- your own model and data

FACTORY_HELP = {
    "model": "package.module:function: function() returns a gradstep.nn.Module, called once per seed "
             "after seeding (its inputs are the data set's samples; images are not flattened)",
    "data": "package.module:function: function() returns (train, val, test) gradstep Datasets of "
            "(input, target) pairs (val and test may be None; integer targets mean classification), "
            "or a gradstep.explore.builders.Data",
}


def resolve_factory(value, option: str) -> Callable:
    """The function a ``package.module:function`` string names (or ``value`` if it is callable)."""
    if callable(value):
        return value
    module_name, sep, attr = str(value).partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"--{option} {value!r}: allowed is {FACTORY_HELP[option]}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ConfigError(f"--{option} {value!r}: cannot import {module_name}: {e}") from None
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
    if not callable(fn):
        raise ConfigError(f"--{option} {value!r}: {module_name} has no function {attr}")
    return fn


def _is_factory(value) -> bool:
    return callable(value) or (isinstance(value, str) and ":" in value)


def code_from_file(stored: dict, given: dict, purpose: str) -> dict:
    """``stored`` (settings read from a file) with its ``model``/``data`` replaced by ``given``'s
    (the caller's own); ConfigError if the file names code (``package.module:function``) that
    ``given`` does not: nothing read from a file is imported on its word."""
    stored = dict(stored)
    for key in ("model", "data"):
        if _is_factory(stored.get(key)) and key not in given:
            raise ConfigError(f"it names code to run, --{key} {stored[key]}, which gradstep does not "
                              f"import on a file's word: give --{key} {stored[key]} to {purpose}")
        if key in given:
            stored[key] = given[key]
    return stored


def check_buildable(cfg: TrainConfig) -> None:
    """The names of ``cfg`` exist and its optimizer and scheduler build (on a probe parameter):
    what a config can check without loading any data."""
    if cfg.data is not None:
        resolve_factory(cfg.data, "data")
    elif _canonical(cfg.dataset) not in _dataset_names():
        raise ConfigError(f"--dataset {cfg.dataset!r}: allowed is one of {', '.join(dataset_names())}, "
                          f"or --data {FACTORY_HELP['data']}")
    if cfg.model is not None:
        if _is_factory(cfg.model):
            resolve_factory(cfg.model, "model")
        elif cfg.model not in MODEL_SPECS:
            raise ConfigError(f"--model {cfg.model!r}: allowed is one of {', '.join(MODEL_SPECS)}, or "
                              f"{FACTORY_HELP['model']}")
    probe = [nn.Parameter(np.zeros(1, np.float32))]
    optimizer = _build_optimizer(cfg, probe)
    build_scheduler(cfg, optimizer, 1)


def _canonical(dataset: str) -> str:
    return DATASET_ALIASES.get(dataset.lower(), dataset.lower()).replace("_", "-")


def _dataset_names() -> list[str]:
    from ..data.datasets import dataset_names as names
    return names()


# --------------------------------------------------------------------------- data

def build_data(cfg: TrainConfig) -> Data:
    """The data set's splits (or those the ``--data`` function returns), with ``cfg.subset``
    applied to the training split."""
    data = _user_data(cfg) if cfg.data is not None else _builtin_data(cfg)
    if cfg.subset is not None and cfg.subset < len(data.train):
        # the first samples: the training split is a random split, or a data set in random order
        data.train = Subset(data.train, range(cfg.subset))
    return data


def _user_data(cfg: TrainConfig) -> Data:
    """What ``cfg.data``'s function returns, as ``Data``; one line saying what it must return."""
    name = factory_name(cfg.data)
    got = resolve_factory(cfg.data, "data")()
    if isinstance(got, Data):
        return got
    if not (isinstance(got, (tuple, list)) and len(got) == 3 and got[0] is not None
            and all(s is None or (hasattr(s, "__getitem__") and hasattr(s, "__len__")) for s in got)):
        raise ConfigError(f"--data {name} returned {type(got).__name__}; it must return (train, val, test) "
                          f"data sets (val and test may be None) or a Data")
    train, val, test = got
    if len(train) == 0:
        raise ConfigError(f"--data {name}: the training set is empty")
    try:
        x0, y0 = train[0]
    except (TypeError, ValueError):
        raise ConfigError(f"--data {name}: a sample must be an (input, target) pair") from None
    y0 = _array(y0)
    classes = None
    if y0.dtype.kind in "iu" and y0.ndim == 0:  # integer labels: classification over 0 .. max
        classes = 1 + max(int(_array(train[i][1])) for i in range(len(train)))
    return Data(train, val, test, tuple(x0.shape), classes)


def _array(value) -> np.ndarray:
    return np.asarray(value.numpy() if isinstance(value, Tensor) else value)


def _builtin_data(cfg: TrainConfig) -> Data:
    name = DATASET_ALIASES.get(cfg.dataset.lower(), cfg.dataset.lower())
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
    spec = MODEL_SPECS.get(model_name(cfg))
    flatten = spec is not None and spec.flat_input
    mean, std = _IMAGE_STATS.get(name, ((0.5,), (0.5,)))  # seed 002: (x / 255 - 0.5) / 0.5
    steps = [transforms.ToTensor(), transforms.Normalize(mean, std)]
    tf = transforms.Compose(steps + ([transforms.Flatten()] if flatten else []))
    kw = {"transform": tf}
    if cfg.data_dir:
        kw["root"] = cfg.data_dir
    try:
        train_full = get_dataset(name, train=True, **kw)
        test = get_dataset(name, train=False, **kw)
    except (ValueError, DatasetNotFoundError) as e:
        raise ConfigError(_one_line(str(e))) from None
    x0, _ = train_full[0]
    val, train = _hold_out(train_full, cfg.val_fraction, split_gen)
    return Data(train, val, test, tuple(x0.shape), len(train_full.classes) or 10)


def _one_line(message: str) -> str:
    """A data set's multi-line "not found" message as the one line a command prints; its hint to
    pass ``download=True`` (an argument of the Python API, not an option) is left out."""
    text = " ".join(line.strip() for line in message.splitlines() if line.strip())
    return re.sub(r",? or pass download=True[^.]*\.", ".", text).replace(". .", ".")


def _hold_out(dataset, fraction: float, generator: Generator):
    """(val, train): ``fraction`` of ``dataset`` held out at random, the rest for training."""
    if fraction == 0:
        return None, dataset
    n_val = max(1, int(round(len(dataset) * fraction)))
    train, val = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)
    return val, train


def build_loaders(cfg: TrainConfig, data: Data, generator: Generator | None = None):
    """(train, val, test) loaders; the training loader shuffles with its own seeded generator."""
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
    """The model a config asks for: its ``model`` (a ``module:function`` as given), or linear for
    linear regression, else mlp."""
    if cfg.model is not None:
        return factory_name(cfg.model)
    dataset = DATASET_ALIASES.get(cfg.dataset.lower(), cfg.dataset.lower())
    return "linear" if dataset == "linear-regression" and cfg.data is None else "mlp"


def build_model(cfg: TrainConfig, data: Data) -> nn.Module:
    """The model of ``cfg`` for ``data``: a built-in one, or what ``cfg.model``'s function returns."""
    name = model_name(cfg)
    if name in MODEL_SPECS:
        return MODEL_SPECS[name].build(cfg, data)
    model = resolve_factory(cfg.model, "model")()
    if not isinstance(model, nn.Module):
        raise ConfigError(f"--model {name} returned {type(model).__name__}; it must return a "
                          f"gradstep.nn.Module")
    return model


def build_loss(data: Data) -> nn.Module:
    """Cross-entropy for classification; Gluon's L2Loss (half the squared error) for regression,
    as seed 004 uses, so its learning rates mean the same here."""
    return nn.CrossEntropyLoss() if data.is_classification else nn.L2Loss()


# --------------------------------------------------------------------------- optimizer and schedule

def optimizer_spec(cfg: TrainConfig) -> tuple[type, dict]:
    """The optimizer class and its keyword arguments for ``cfg``."""
    key = cfg.optimizer.lower()
    if key in OPTIMIZER_PRESETS:
        cls_name, kwargs = OPTIMIZER_PRESETS[key]
        cls, kwargs = optim.OPTIMIZERS[cls_name.lower()], dict(kwargs)
    elif key in optim.OPTIMIZERS:
        cls, kwargs = optim.OPTIMIZERS[key], {}
    else:
        raise ConfigError(f"--optimizer {cfg.optimizer!r}: allowed is one of {', '.join(optimizer_names())}")
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


def _build_optimizer(cfg: TrainConfig, params):
    cls, kwargs = optimizer_spec(cfg)
    try:
        return cls(params, **kwargs)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{cls.__name__}: {e}") from None


def build_optimizer(cfg: TrainConfig, params):
    """The optimizer of ``cfg`` over ``params``, for training on mini-batches of ``cfg.batch_size``."""
    optimizer = _build_optimizer(cfg, params)
    if optimizer.requires_closure and cfg.batch_size < 256:
        warnings.warn(f"{type(optimizer).__name__} is a full-batch method; mini-batches of {cfg.batch_size} "
                      f"make its curvature estimates noisy (try --batch-size 1000 or more)", stacklevel=2)
    return optimizer


def build_scheduler(cfg: TrainConfig, optimizer, steps_per_epoch: int):
    if not cfg.scheduler:
        return None
    classes = {name.lower(): cls for name, cls in _scheduler_classes().items()}
    cls = classes.get(cfg.scheduler.lower())
    if cls is None:
        known = ", ".join(sorted(_scheduler_classes()))
        raise ConfigError(f"--scheduler {cfg.scheduler!r}: allowed is one of {known}")
    kwargs = dict(cfg.sched_args)
    per_step = cfg.scheduler_interval == "step"
    horizon = cfg.epochs * steps_per_epoch if per_step else cfg.epochs
    # a schedule over the whole run and one that peaks at a learning rate say which arguments
    if getattr(cls, "horizon_argument", None):
        kwargs.setdefault(cls.horizon_argument, horizon)
    if getattr(cls, "peak_lr_argument", None):
        kwargs.setdefault(cls.peak_lr_argument, optimizer.param_groups[0]["lr"])
    try:
        return cls(optimizer, **kwargs)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{cls.__name__}: {e}") from None
