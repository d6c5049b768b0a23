"""The two kinds of model cs231n's ``Solver`` trains, behind one interface for the ``Trainer``:
``module`` and ``loss_fn`` to train, ``parameters`` by name, ``batch(X, y)`` for the loader and
``scores(X)`` for the accuracy checks."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.modules.loss import CrossEntropyLoss
from ..nn.modules.module import Module
from ..nn.parameter import Parameter


def solver_net(model):
    """``model`` (a gradstep ``nn.Module`` or a cs231n model) behind the Solver's interface."""
    return _ModuleNet(model) if isinstance(model, Module) else _Cs231nNet(_check_cs231n_model(model))


class _ModuleNet:
    """A gradstep ``nn.Module`` for the Solver: trained on cross-entropy, scored in eval mode."""

    def __init__(self, module: Module) -> None:
        self.module, self.loss_fn = module, CrossEntropyLoss()
        self.parameters = dict(module.named_parameters())
        if not self.parameters:
            raise ValueError(f"the module {type(module).__name__} has no parameters to train")

    @staticmethod
    def batch(X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
        return Tensor._make(np.ascontiguousarray(X)), Tensor._make(np.asarray(y, dtype=np.int64))

    def scores(self, X: np.ndarray) -> np.ndarray:
        was_training = self.module.training
        self.module.eval()
        try:
            with no_grad():
                return self.module(Tensor._make(np.ascontiguousarray(X))).numpy()
        finally:
            self.module.train(was_training)


class _Cs231nNet:
    """A cs231n model (``params`` dict, ``loss(X, y=None)``) for the Solver: its arrays become the
    Parameters of a module whose forward passes the batch on; the loss function calls
    ``model.loss(X, y)`` and hands its gradients to autograd."""

    def __init__(self, model) -> None:
        self.model, self.module = model, Module()
        self.parameters = {name: Parameter(np.asarray(w)) for name, w in model.params.items()}
        for name, p in self.parameters.items():
            model.params[name] = p._data  # the same array: updates in place show in model.params
            self.module.register_parameter(name, p)
        self.module.forward = lambda x: x

    @staticmethod
    def batch(X: np.ndarray, y: np.ndarray) -> tuple[Tensor, np.ndarray]:
        return Tensor._make(X), y

    def loss_fn(self, batch: Tensor, y: np.ndarray) -> Tensor:
        return _Cs231nLoss.apply(*self.parameters.values(), net=self.model, X=batch._data, y=y,
                                 names=list(self.parameters))

    def scores(self, X: np.ndarray) -> np.ndarray:
        return self.model.loss(X)


class _Cs231nLoss(Function):
    """A cs231n model's loss; its backward gives each parameter the gradient ``model.loss`` returned."""

    @staticmethod
    def forward(ctx, *params, net, X, y, names):
        loss, grads = net.loss(X, y)
        ctx.grads = [grads[name] for name in names]
        return np.asarray(loss)

    @staticmethod
    def backward(ctx, grad):
        if np.all(grad == 1):  # d loss / d loss: the model's gradients as they are
            return tuple(ctx.grads)
        return tuple(g * grad.astype(g.dtype) for g in ctx.grads)


def _check_cs231n_model(model):
    """``model`` itself, if it has cs231n's interface: a ``params`` dict and a ``loss`` method."""
    if not (isinstance(getattr(model, "params", None), dict) and callable(getattr(model, "loss", None))):
        raise TypeError(f"Solver trains a gradstep nn.Module or a cs231n-style model with a `params` dict "
                        f"and a `loss(X, y=None)` method; got {type(model).__name__}")
    return model
