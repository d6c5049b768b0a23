"""cs231n's ``Solver`` (seed 001): minibatch training of a classifier with a cs231n update rule.

    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": Xv, "y_val": yv},
                    update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100, print_every=100)
    solver.train()          # model.params now holds the best parameters on the validation set

cs231n's API and numbers over gradstep's ``Trainer``: the rule runs as an optimizer
(``gradstep.optim.cs231n.RuleOptimizer``), ``lr_decay`` is an ``ExponentialLR`` stepped per epoch,
the batches come from a loader drawing them as cs231n does, and the accuracy checks, histories
and best parameters are a callback. What differs from cs231n: randomness comes from gradstep's
seeded stream, so ``gradstep.manual_seed`` reproduces a run; checkpoints are the Trainer's
safetensors files (cs231n pickles them); a gradstep ``nn.Module`` trains too.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from collections.abc import Callable

import numpy as np

from ..autograd.tensor import Tensor
from ..optim import cs231n as optim
from ..optim.lr_scheduler import ExponentialLR
from ..random import rng
from .callbacks import Callback
from .solver_models import solver_net
from .trainer import Trainer

#: The update rules a ``Solver`` knows by name: the public functions of ``gradstep.optim.cs231n``.
UPDATE_RULES: dict[str, Callable] = {
    name: f for name, f in vars(optim).items()
    if inspect.isfunction(f) and f.__module__ == optim.__name__ and not name.startswith("_")}


class Solver:
    """Trains a classification model with minibatch gradient descent and a cs231n update rule.

    ``data`` holds ``X_train``, ``y_train``, ``X_val`` and ``y_val`` (arrays, the first axis is the
    sample). Keyword arguments, with cs231n's defaults:

    - ``update_rule``: the name of a rule in ``gradstep.optim.cs231n`` (``UPDATE_RULES``) or a
      callable ``next_w, next_config = rule(w, dw, config)``. Default ``"sgd"``.
    - ``optim_config``: hyperparameters for the rule (``learning_rate``, ...); every parameter gets
      its own copy, in which the rule keeps its state (velocity, moments, ...).
    - ``lr_decay``: after each epoch every parameter's ``learning_rate`` is multiplied by this. 1.0.
    - ``batch_size`` (100), ``num_epochs`` (10).
    - ``num_train_samples`` (1000), ``num_val_samples`` (None = all): how many samples the
      accuracy checks after each epoch draw from the training and validation sets.
    - ``checkpoint_name``: if given, every accuracy check writes
      ``f"{checkpoint_name}_epoch_{epoch}.safetensors"``, a ``Trainer`` checkpoint (see
      ``_save_checkpoint``).
    - ``print_every`` (10): print the loss every so many iterations; ``verbose`` (True): print at all.
    - ``sample_with_replacement`` (True): each minibatch is ``batch_size`` indices drawn *with*
      replacement, independently of the others, as cs231n does (so an "epoch" is
      ``N // batch_size`` iterations, not a pass over every sample). With False, every epoch is a
      fresh shuffle of the training set cut into ``N // batch_size`` batches (the remainder is
      left out), and the accuracy checks subsample without replacement too.

    Unknown keyword arguments and unknown rule names raise ``ValueError`` naming them. The run
    itself is ``self.trainer`` (a ``Trainer``), with ``self.optimizer`` and ``self.scheduler``.

    The model is either cs231n-style: ``model.params`` is a dict name -> NumPy array and
    ``model.loss(X)`` returns the scores (N, C), ``model.loss(X, y)`` returns ``(loss, grads)`` with
    ``grads`` keyed like ``params`` (``gradstep.models.TwoLayerNet``, ``FullyConnectedNet``); or a
    gradstep ``nn.Module`` mapping X to scores. A module is seen through the same interface: its
    ``params`` are its ``named_parameters()``, updated in place; the training loss is cross-entropy
    of the scores (cs231n's softmax loss) with gradients from autograd, in training mode; scores for
    the accuracy checks come from a forward pass under ``no_grad`` in eval mode. Buffers (batch-norm
    running statistics) are not parameters and are neither kept in ``best_params`` nor restored. A
    cs231n model's arrays become the Parameters the optimizer updates in place, so ``model.params``
    always shows the current weights.

    After ``train()``: ``loss_history`` holds the loss of every iteration; ``train_acc_history``
    and ``val_acc_history`` one accuracy after the first iteration and one after every epoch;
    ``best_val_acc`` / ``best_params`` the best validation accuracy and the parameters that reached
    it, which ``train()`` copies back into the model at the end.
    """

    def __init__(self, model, data: dict, **kwargs) -> None:
        self.model = model
        self._net = solver_net(model)
        missing = [k for k in ("X_train", "y_train", "X_val", "y_val") if k not in data]
        if missing:
            raise ValueError(f"data is missing {', '.join(missing)}; it needs X_train, y_train, X_val, y_val")
        self.X_train, self.y_train = _samples(data["X_train"], data["y_train"], "X_train", "y_train")
        self.X_val, self.y_val = _samples(data["X_val"], data["y_val"], "X_val", "y_val")

        # Unpack keyword arguments
        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        self.sample_with_replacement = kwargs.pop("sample_with_replacement", True)

        # Throw an error if there are extra keyword arguments
        if len(kwargs) > 0:
            extra = ", ".join(f'"{k}"' for k in kwargs)
            raise ValueError(f"Unrecognized arguments {extra}")
        _check_int(1, batch_size=self.batch_size, print_every=self.print_every)
        _check_int(0, num_epochs=self.num_epochs)
        if self.num_val_samples is not None:
            _check_int(1, num_val_samples=self.num_val_samples)
        if self.num_train_samples is not None:
            _check_int(1, num_train_samples=self.num_train_samples)
        if isinstance(self.lr_decay, bool) or not isinstance(self.lr_decay, numbers.Real) \
                or not self.lr_decay > 0:
            raise ValueError(f"lr_decay must be a positive number, got {self.lr_decay!r}")
        if not isinstance(self.optim_config, dict):
            raise TypeError(f"optim_config must be a dict, got {type(self.optim_config).__name__}")

        # Make sure the update rule exists, then replace the string name with the actual function
        if isinstance(self.update_rule, str):
            if self.update_rule not in UPDATE_RULES:
                raise ValueError(f'Invalid update_rule "{self.update_rule}"; known rules: '
                                 f'{", ".join(UPDATE_RULES)} (or pass a callable)')
            self.update_rule = UPDATE_RULES[self.update_rule]
        elif not callable(self.update_rule):
            raise TypeError(f"update_rule must be a rule name or a callable, got {self.update_rule!r}")

        self._reset()

    def _reset(self) -> None:
        """Set up the book-keeping variables and the Trainer. Don't call this manually."""
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params: dict[str, np.ndarray] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self._order, self._next = np.arange(0), 0  # the shuffled epoch, without replacement
        self._iterations_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)

        # Every parameter gets its own copy of optim_config (the optimizer's state of it)
        self.optimizer = optim.RuleOptimizer(list(self._net.parameters.values()), self.update_rule,
                                             self.optim_config)
        self.scheduler = ExponentialLR(self.optimizer, gamma=self.lr_decay)  # stepped after every epoch
        self.trainer = Trainer(self._net.module, self.optimizer, self._net.loss_fn, scheduler=self.scheduler,
                               metrics=(), callbacks=[SolverLog(self)], nonfinite_guard=False, verbose=0)

    @property
    def optim_configs(self) -> dict[str, dict]:
        """Each parameter's rule config (hyperparameters and the rule's state), by name, with the
        learning rate the next step uses."""
        configs = {}
        lr = self.optimizer.param_groups[0]["lr"]
        for name, p in self._net.parameters.items():
            configs[name] = self.optimizer.state[p]
            if "learning_rate" in configs[name] or self.optimizer._stepped:
                configs[name]["learning_rate"] = lr
        return configs

    def _sample(self, N: int, size: int) -> np.ndarray:
        """``size`` random indices in [0, N): with replacement (cs231n), or distinct ones."""
        if self.sample_with_replacement:
            return rng().choice(N, size)
        return rng().permutation(N)[:size]

    def _next_batch(self, N: int) -> np.ndarray:
        """The next minibatch's indices: drawn with replacement (cs231n), or the next slice of
        this epoch's shuffle (a new shuffle when fewer than ``batch_size`` samples are left)."""
        if self.sample_with_replacement:
            return self._sample(N, self.batch_size)
        if self._next + self.batch_size > len(self._order):
            self._order, self._next = rng().permutation(N), 0
        batch = self._order[self._next:self._next + self.batch_size]
        self._next += self.batch_size
        return batch

    def _minibatches(self):
        """One epoch of minibatches, each drawn when the Trainer asks for it."""
        for _ in range(self._iterations_per_epoch):
            mask = self._next_batch(self.X_train.shape[0])
            yield self._net.batch(self.X_train[mask], self.y_train[mask])

    def _step(self) -> None:
        """Make a single gradient update (the Trainer's step on the next minibatch). ``train()``
        runs the steps; this is for stepping by hand."""
        self.trainer._train_batch(*next(self._minibatches()))

    def _save_checkpoint(self) -> None:
        """Write the Trainer's checkpoint (model, optimizer with every rule's config, scheduler,
        RNG, and under ``callbacks/SolverLog`` the Solver's settings, histories and best
        parameters) to ``f"{checkpoint_name}_epoch_{epoch}.safetensors"``; a state holding NaN or
        infinity is not written (a warning says so) and training goes on."""
        if self.checkpoint_name is None:
            return
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.safetensors"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        try:
            self.trainer.save_checkpoint(filename)
        except ValueError as e:
            warnings.warn(f"Solver: {filename} not written: {e}", stacklevel=3)

    def check_accuracy(self, X, y, num_samples: int | None = None, batch_size: int = 100) -> float:
        """The fraction of ``X`` that the model classifies as ``y``, computed in batches of
        ``batch_size``; with ``num_samples``, on that many samples drawn from ``X`` instead."""
        X, y = _samples(X, y, "X", "y")
        _check_int(1, batch_size=batch_size)
        # Maybe subsample the data
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self._sample(N, num_samples)
            N = num_samples
            X = X[mask]
            y = y[mask]

        # Compute predictions in batches
        y_pred = [np.argmax(self._net.scores(X[i:i + batch_size]), axis=1) for i in range(0, N, batch_size)]
        return float(np.mean(np.hstack(y_pred) == y))

    def train(self) -> None:
        """Run optimization to train the model: ``num_epochs`` epochs of the Trainer's loop, then
        the best parameters are copied back into the model."""
        self.optimizer.zero_grad()
        self.trainer.fit(_Epoch(self), epochs=self.num_epochs)
        # At the end of training swap the best params into the model
        for name, value in self.best_params.items():
            np.copyto(self._net.parameters[name]._data, value)


class _Epoch:
    """The Solver's training set as the Trainer's loader: ``N // batch_size`` minibatches an epoch."""

    def __init__(self, solver: Solver):
        self.solver = solver

    def __len__(self) -> int:
        return self.solver._iterations_per_epoch

    def __iter__(self):
        return self.solver._minibatches()


class SolverLog(Callback):
    """The Solver's part of the loop: loss history and printing after every iteration; after the
    first iteration and every epoch the accuracy checks, the best parameters and a checkpoint.
    Its state (in the Trainer's checkpoints) is the Solver's settings and book-keeping."""

    def __init__(self, solver: Solver):
        self.solver, self._first = solver, 0

    def on_fit_start(self, trainer) -> None:
        self._first = trainer.global_step

    def on_batch_end(self, trainer, logs: dict) -> None:
        s, t = self.solver, trainer.global_step - self._first - 1
        s.loss_history.append(logs["loss"])
        if s.verbose and t % s.print_every == 0:
            total = s.num_epochs * s._iterations_per_epoch
            print(f"(Iteration {t + 1} / {total}) loss: {s.loss_history[-1]:f}")
        if t == 0 and s._iterations_per_epoch > 1:  # an epoch of one iteration checks at its end
            self._check()

    def on_epoch_end(self, trainer, logs: dict) -> None:
        self.solver.epoch += 1  # the scheduler has decayed the learning rate
        self._check()

    def _check(self) -> None:
        s = self.solver
        train_acc = s.check_accuracy(s.X_train, s.y_train, num_samples=s.num_train_samples)
        val_acc = s.check_accuracy(s.X_val, s.y_val, num_samples=s.num_val_samples)
        s.train_acc_history.append(train_acc)
        s.val_acc_history.append(val_acc)
        # Keep track of the best model (the first check always counts, so that best_params is
        # never empty after training)
        if val_acc > s.best_val_acc or not s.best_params:
            s.best_val_acc = val_acc
            s.best_params = {k: p._data.copy() for k, p in s._net.parameters.items()}
        s._save_checkpoint()
        if s.verbose:
            print(f"(Epoch {s.epoch} / {s.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}")

    def state_dict(self) -> dict:
        s = self.solver
        return {"update_rule": getattr(s.update_rule, "__name__", repr(s.update_rule)),
                "lr_decay": s.lr_decay, "batch_size": s.batch_size, "num_train_samples": s.num_train_samples,
                "num_val_samples": s.num_val_samples, "epoch": s.epoch, "loss_history": s.loss_history,
                "train_acc_history": s.train_acc_history, "val_acc_history": s.val_acc_history,
                "best_val_acc": s.best_val_acc, "best_params": s.best_params}

    def load_state_dict(self, state: dict) -> None:
        s = self.solver
        s.epoch, s.best_val_acc = state["epoch"], state["best_val_acc"]
        s.loss_history, s.train_acc_history = list(state["loss_history"]), list(state["train_acc_history"])
        s.val_acc_history = list(state["val_acc_history"])
        s.best_params = {k: np.array(v) for k, v in state["best_params"].items()}


def _samples(X, y, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` (arrays or tensors) as arrays of shapes (N, ...) and (N,), N >= 1."""
    X, y = (v.numpy() if isinstance(v, Tensor) else np.asarray(v) for v in (X, y))
    if X.ndim == 0 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"{x_name} has shape {X.shape} and {y_name} shape {y.shape}; expected (N, ...) "
                         f"and (N,) with the same N >= 1")
    return X, y


def _check_int(minimum: int, **values) -> None:
    """Raise ``ValueError`` naming the first value that is not an integer >= ``minimum``."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
