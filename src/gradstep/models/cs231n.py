"""cs231n's fully connected networks (seed 001), written with the layer functions of
``gradstep.layers``: parameters in a dict of NumPy arrays, ``loss(X, y)`` doing the forward and
backward passes by hand. A cs231n-style Solver trains them through exactly this interface:

- ``model.params``: name -> array (``W1``, ``b1``, ..., and ``gamma1``, ``beta1``, ... with
  batch normalisation);
- ``model.loss(X)`` returns the class scores (N, C) (test mode);
- ``model.loss(X, y)`` returns ``(loss, grads)`` with ``grads`` keyed like ``params`` (train mode).

The L2 penalty is ``0.5 * reg * sum(W ** 2)`` over the weights (not biases, gammas or betas).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import layers
from ..random import Generator, rng


class FullyConnectedNet:
    """{affine - [batch norm] - relu - [dropout]} x (L - 1) - affine - softmax, L = len(hidden_dims) + 1.

    Weights are drawn from N(0, weight_scale^2) (from gradstep's seeded stream, or ``generator``),
    biases are zero, batch-norm scales one and shifts zero; all are cast to ``dtype``.

    ``dropout`` is the probability of dropping a unit (0 = no dropout), seed 001's convention and
    PyTorch's; ``seed`` fixes the dropout masks (cs231n's gradient-check aid).
    ``normalization='batchnorm'`` (or seed 001's ``use_batchnorm=True``) adds batch norm.
    """

    def __init__(self, hidden_dims: Sequence[int], input_dim: int = 3 * 32 * 32, num_classes: int = 10,
                 dropout: float = 0.0, normalization: str | None = None, reg: float = 0.0,
                 weight_scale: float = 1e-2, dtype=np.float32, seed: int | None = None,
                 use_batchnorm: bool = False, generator: Generator | None = None) -> None:
        if use_batchnorm:
            normalization = "batchnorm"
        if normalization not in (None, "batchnorm"):
            raise ValueError(f"normalization must be None or 'batchnorm', got {normalization!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout is the probability of dropping a unit and must be in [0, 1), "
                             f"got {dropout!r}")
        self.normalization = normalization
        self.use_batchnorm = normalization == "batchnorm"
        self.use_dropout = dropout > 0
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = np.dtype(dtype)
        dims = [input_dim, *hidden_dims, num_classes]
        draw = rng(generator)
        self.params: dict[str, np.ndarray] = {}
        for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            self.params[f"W{i}"] = draw.normal(0.0, weight_scale, (d_in, d_out)).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(d_out, dtype=self.dtype)
            if self.use_batchnorm and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(d_out, dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(d_out, dtype=self.dtype)
        # one dropout_param shared by every dropout layer, one bn_param per batch-norm layer
        self.dropout_param: dict = {"mode": "train", "p": dropout} if self.use_dropout else {}
        if self.use_dropout and seed is not None:
            self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)] if self.use_batchnorm else []

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Scores (N, C) when ``y`` is None; else ``(loss, grads)`` for the batch ``(X, y)``."""
        X = np.asarray(X).astype(self.dtype, copy=False)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        h, caches = X, []
        for i in range(1, self.num_layers):
            h, cache = self._hidden_forward(h, i)
            caches.append(cache)
        scores, last_cache = layers.affine_forward(h, self.params[f"W{self.num_layers}"],
                                                   self.params[f"b{self.num_layers}"])
        if y is None:
            return scores

        loss, dscores = layers.softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        L = self.num_layers
        dh, grads[f"W{L}"], grads[f"b{L}"] = layers.affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            dh = self._hidden_backward(dh, caches[i - 1], i, grads)
        for i in range(1, L + 1):
            w = self.params[f"W{i}"]
            loss += 0.5 * self.reg * float(np.sum(w * w))
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * w
        return loss, grads

    def _hidden_forward(self, x: np.ndarray, i: int):
        """affine - [batch norm] - relu - [dropout] of hidden layer ``i``."""
        h, fc_cache = layers.affine_forward(x, self.params[f"W{i}"], self.params[f"b{i}"])
        bn_cache = dropout_cache = None
        if self.use_batchnorm:
            h, bn_cache = layers.batchnorm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                   self.bn_params[i - 1])
        h, relu_cache = layers.relu_forward(h)
        if self.use_dropout:
            h, dropout_cache = layers.dropout_forward(h, self.dropout_param)
        return h, (fc_cache, bn_cache, relu_cache, dropout_cache)

    def _hidden_backward(self, dout: np.ndarray, cache, i: int, grads: dict) -> np.ndarray:
        fc_cache, bn_cache, relu_cache, dropout_cache = cache
        if dropout_cache is not None:
            dout = layers.dropout_backward(dout, dropout_cache)
        dout = layers.relu_backward(dout, relu_cache)
        if bn_cache is not None:
            dout, grads[f"gamma{i}"], grads[f"beta{i}"] = layers.batchnorm_backward(dout, bn_cache)
        dx, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dout, fc_cache)
        return dx


class TwoLayerNet(FullyConnectedNet):
    """affine - relu - affine - softmax with ``W1, b1, W2, b2`` (seed 001's TwoLayerNet):
    a ``FullyConnectedNet`` with one hidden layer and cs231n's smaller default weight scale."""

    def __init__(self, input_dim: int = 3 * 32 * 32, hidden_dim: int = 100, num_classes: int = 10,
                 weight_scale: float = 1e-3, reg: float = 0.0, dtype=np.float32,
                 generator: Generator | None = None) -> None:
        super().__init__([hidden_dim], input_dim, num_classes, reg=reg, weight_scale=weight_scale,
                         dtype=dtype, generator=generator)
