"""cs231n's ``Solver`` (seed 001): minibatch training of a classifier with a cs231n update rule.

    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": Xv, "y_val": yv},
                    update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100, print_every=100)
    solver.train()          # model.params now holds the best parameters on the validation set

A line-by-line descendant of cs231n's ``solver.py``; what differs: the update rules are those of
``gradstep.optim.cs231n`` (or any callable with their signature); randomness comes from gradstep's
seeded stream, so ``gradstep.manual_seed`` reproduces a run; checkpoints are safetensors files
written with ``gradstep.save`` (cs231n pickles them); a gradstep ``nn.Module`` trains too.
"""

from __future__ import annotations

import copy
import inspect
import numbers
from collections.abc import Callable, Iterator, MutableMapping

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.functional import cross_entropy
from ..nn.modules.module import Module
from ..optim import cs231n as optim
from ..random import rng
from ..serialization import save

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
      ``f"{checkpoint_name}_epoch_{epoch}.safetensors"`` (see ``_save_checkpoint``).
    - ``print_every`` (10): print the loss every so many iterations; ``verbose`` (True): print at all.
    - ``sample_with_replacement`` (True): each minibatch is ``batch_size`` indices drawn *with*
      replacement, independently of the others, as cs231n does (so an "epoch" is
      ``N // batch_size`` iterations, not a pass over every sample). With False, every epoch is a
      fresh shuffle of the training set cut into ``N // batch_size`` batches (the remainder is
      left out), and the accuracy checks subsample without replacement too.

    Unknown keyword arguments and unknown rule names raise ``ValueError`` naming them.

    The model is either cs231n-style: ``model.params`` is a dict name -> NumPy array and
    ``model.loss(X)`` returns the scores (N, C), ``model.loss(X, y)`` returns ``(loss, grads)`` with
    ``grads`` keyed like ``params`` (``gradstep.models.TwoLayerNet``, ``FullyConnectedNet``); or a
    gradstep ``nn.Module`` mapping X to scores. A module is seen through the same interface: its
    ``params`` are its ``named_parameters()`` (assigning one copies the values into the Parameter,
    so the module keeps its Parameter objects); the training loss is cross-entropy of the scores
    (cs231n's softmax loss) with gradients from autograd, in training mode; scores for the accuracy
    checks come from a forward pass under ``no_grad`` in eval mode. Buffers (batch-norm running
    statistics) are not parameters and are neither kept in ``best_params`` nor restored.

    After ``train()``: ``loss_history`` holds the loss of every iteration; ``train_acc_history``
    and ``val_acc_history`` one accuracy after the first iteration and one after every epoch;
    ``best_val_acc`` / ``best_params`` the best validation accuracy and the parameters that reached
    it, which ``train()`` copies back into the model at the end.
    """

    def __init__(self, model, data: dict, **kwargs) -> None:
        self.model = model
        self._net = _ModuleNet(model) if isinstance(model, Module) else _check_cs231n_model(model)
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
        """Set up the book-keeping variables for optimization. Don't call this manually."""
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params: dict[str, np.ndarray] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self._order, self._next = np.arange(0), 0  # the shuffled epoch, without replacement

        # Make a deep copy of the optim_config for each parameter
        self.optim_configs = {}
        for p in self._net.params:
            self.optim_configs[p] = copy.deepcopy(self.optim_config)

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

    def _step(self) -> None:
        """Make a single gradient update. This is called by train() and should not be called manually."""
        # Make a minibatch of training data
        num_train = self.X_train.shape[0]
        batch_mask = self._next_batch(num_train)
        X_batch = self.X_train[batch_mask]
        y_batch = self.y_train[batch_mask]

        # Compute loss and gradient
        loss, grads = self._net.loss(X_batch, y_batch)
        self.loss_history.append(float(loss))

        # Perform a parameter update
        for p, w in self._net.params.items():
            dw = grads[p]
            config = self.optim_configs[p]
            next_w, next_config = self.update_rule(w, dw, config)
            self._net.params[p] = next_w
            self.optim_configs[p] = next_config

    def _save_checkpoint(self) -> None:
        """Write the parameters, every rule's state and the run's book-keeping to
        ``f"{checkpoint_name}_epoch_{epoch}.safetensors"`` with ``gradstep.save`` (arrays as
        tensors, everything else as JSON in the file's metadata; ``gradstep.load`` reads it back)."""
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "params": dict(self._net.params),
            "optim_configs": self.optim_configs,
            "update_rule": getattr(self.update_rule, "__name__", repr(self.update_rule)),
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.safetensors"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        save(checkpoint, filename)

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
        num_batches = N // batch_size
        if N % batch_size != 0:
            num_batches += 1
        y_pred = []
        for i in range(num_batches):
            start = i * batch_size
            end = (i + 1) * batch_size
            scores = self._net.loss(X[start:end])
            y_pred.append(np.argmax(scores, axis=1))
        y_pred = np.hstack(y_pred)
        acc = float(np.mean(y_pred == y))
        return acc

    def train(self) -> None:
        """Run optimization to train the model."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()

            # Maybe print training loss
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            # At the end of every epoch, increment the epoch counter and decay the learning rate.
            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for k in self.optim_configs:
                    self.optim_configs[k]["learning_rate"] *= self.lr_decay

            # Check train and val accuracy on the first iteration, the last iteration, and at the
            # end of each epoch.
            first_it = t == 0
            last_it = t == num_iterations - 1
            if first_it or last_it or epoch_end:
                train_acc = self.check_accuracy(self.X_train, self.y_train,
                                                num_samples=self.num_train_samples)
                val_acc = self.check_accuracy(self.X_val, self.y_val,
                                              num_samples=self.num_val_samples)
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                self._save_checkpoint()

                if self.verbose:
                    print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; "
                          f"val_acc: {val_acc:f}")

                # Keep track of the best model (the first check always counts, so that
                # best_params is never empty after training)
                if val_acc > self.best_val_acc or not self.best_params:
                    self.best_val_acc = val_acc
                    self.best_params = {}
                    for k, v in self._net.params.items():
                        self.best_params[k] = v.copy()

        # At the end of training swap the best params into the model
        if self.best_params:
            self._net.params = {k: v.copy() for k, v in self.best_params.items()}


class _ModuleParams(MutableMapping):
    """A module's parameters as cs231n's ``params`` dict: name -> the Parameter's array.
    Assigning copies the values into the Parameter, so the module keeps its Parameter objects."""

    def __init__(self, module: Module) -> None:
        self._parameters = dict(module.named_parameters())

    def __getitem__(self, name: str) -> np.ndarray:
        return self._parameters[name]._data

    def __setitem__(self, name: str, value) -> None:
        target = self._parameters[name]._data
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"parameter {name!r} has shape {target.shape}, "
                             f"got a value of shape {value.shape}")
        np.copyto(target, value)

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"cannot delete parameter {name!r} of a module")

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __len__(self) -> int:
        return len(self._parameters)


class _ModuleNet:
    """A gradstep ``nn.Module`` behind cs231n's model interface (``params``, ``loss(X, y=None)``)."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self._params = _ModuleParams(module)
        if not len(self._params):
            raise ValueError(f"the module {type(module).__name__} has no parameters to train")

    @property
    def params(self) -> _ModuleParams:
        return self._params

    @params.setter
    def params(self, values: dict) -> None:
        for name, value in values.items():
            self._params[name] = value

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Scores (N, C) in eval mode without a graph when ``y`` is None; else ``(loss, grads)``
        with cross-entropy as the loss and the gradients from autograd, in training mode."""
        x = Tensor._make(np.ascontiguousarray(X))
        if y is None:
            was_training = self.module.training
            self.module.eval()
            try:
                with no_grad():
                    return self.module(x).numpy()
            finally:
                self.module.train(was_training)
        self.module.train()
        self.module.zero_grad()
        loss = cross_entropy(self.module(x), Tensor._make(np.asarray(y, dtype=np.int64)))
        loss.backward()
        grads = {}
        for name, p in self._params._parameters.items():
            grads[name] = np.zeros_like(p._data) if p.grad is None else p.grad._data
        return loss.item(), grads


def _check_cs231n_model(model):
    """``model`` itself, if it has cs231n's interface: a ``params`` dict and a ``loss`` method."""
    if not (isinstance(getattr(model, "params", None), dict) and callable(getattr(model, "loss", None))):
        raise TypeError(f"Solver trains a gradstep nn.Module or a cs231n-style model with a `params` dict "
                        f"and a `loss(X, y=None)` method; got {type(model).__name__}")
    return model


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
