"""``DistributedDataParallel``: the same model on every process, its gradients averaged.

    import gradstep.distributed as dist
    model = dist.DistributedDataParallel(model)      # after building it, before the optimizer
    optimizer = gradstep.optim.SGD(model.parameters(), lr=0.1)
    loss_fn(model(x), y).backward()                  # gradients are now the mean over processes
    optimizer.step()

At construction the wrapper checks that every process built the same model (names, shapes and
dtypes of parameters and buffers; a ``DistributedError`` names the processes that differ) and
copies rank 0's parameters and buffers to every process. During ``backward``, each parameter's
post-accumulate hook counts it in; when the last one is in, the gradients are averaged with one
``Allreduce`` per flat gradient buffer. With gradstep's flat optimizers (the default) every
parameter's ``.grad`` is already a view into the optimizer's flat gradient buffer of its group
and dtype, so that buffer is reduced in place, without a copy: one call for a model whose
parameters share a dtype and a parameter group. Gradients that do not fill whole flat buffers
(``flat=False``, an optimizer over a part of the model) are gathered once into the wrapper's own
flat buffer, whose views then receive the next backward's gradients directly.

Buffers (batch norm's running statistics) are copied from rank 0 after every forward pass in
training mode, so all processes always hold rank 0's buffers: the values PyTorch's DDP gives
rank 0. ``state_dict`` keys start with ``module.`` as in PyTorch; checkpoints of the ``Trainer``
hold ``unwrap_model(model).state_dict()``, the same file with one process or many.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from ..optim.flat import bind_grad_buffer, per_dtype_views, whole_flat_arrays
from . import world
from .world import DistributedError

__all__ = ["DistributedDataParallel", "unwrap_model"]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the processes of ``gradstep.distributed``
    (torch.nn.parallel.DistributedDataParallel's interface; see the module docstring).

    Args:
        module: the model; ``forward`` delegates to it and ``self.module`` is it.
        device_ids, output_device: accepted for PyTorch's code; gradstep runs on the CPU, so they
            must be None.
        broadcast_buffers: copy rank 0's buffers to every process after each training forward.
        init_sync: copy rank 0's parameters and buffers to every process now.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, broadcast_buffers: bool = True,
                 init_sync: bool = True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        if device_ids or output_device is not None:
            raise ValueError(f"gradstep runs on the CPU: device_ids and output_device must be None, got "
                             f"device_ids={device_ids!r}, output_device={output_device!r}")
        world.init()
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.world_size = world.get_world_size()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self.__dict__["_reducer"] = _GradientReducer(named, self.world_size)
        _check_same_model(module)
        if init_sync:
            broadcast_tensors([p for _, p in module.named_parameters()] + list(module.buffers()))

    def forward(self, *args, **kwargs):
        self._reducer.check_finished()
        out = self.module(*args, **kwargs)
        if self.broadcast_buffers and self.training and self.world_size > 1:
            broadcast_tensors(list(self.module.buffers()))
        return out

    @contextmanager
    def no_sync(self):
        """Inside this context, backward passes accumulate gradients without averaging them; the
        first backward after it averages everything accumulated (gradient accumulation)."""
        previous = self._reducer.sync
        self._reducer.sync = False
        try:
            yield
        finally:
            self._reducer.sync = previous


def unwrap_model(model: Module) -> Module:
    """The module a ``DistributedDataParallel`` wraps, or ``model`` itself: whose ``state_dict``
    checkpoints hold, so they load with one process or many (and into PyTorch)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


# --------------------------------------------------------------------------- averaging gradients

class _GradientReducer:
    """Counts the parameters whose gradient a backward pass has accumulated and, when all are in,
    averages the flat arrays that hold them."""

    def __init__(self, named_params: list, world_size: int):
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        self.world_size = world_size
        self.sync = True
        self.pending = 0          # parameters whose gradient came in since the last averaging
        self._grads: list = []    # the gradient arrays the cached flat arrays were found for
        self._flat: list = []     # the flat arrays to all-reduce
        self._own: list = []      # the reducer's own flat arrays, made when needed
        self._own_views: list = []  # and the parameters' gradient views into them
        if world_size > 1:
            for p in self.params:
                p.register_post_accumulate_grad_hook(self._grad_ready)

    def _grad_ready(self, param: Tensor) -> None:
        self.pending += 1
        if self.pending == len(self.params):
            self.pending = 0
            if self.sync:
                self.average()

    def check_finished(self) -> None:
        """Before a forward: the last backward must have brought a gradient for every parameter,
        else the processes' gradients were not averaged (PyTorch's DDP fails the same way)."""
        if self.pending:
            missing = [n for n, p in zip(self.names, self.params) if p.grad is None]
            self.pending = 0
            raise RuntimeError(
                f"Expected to have finished reduction in the prior iteration before starting a new one: "
                f"the last backward pass gave no gradient to parameter(s) {missing or '(unknown)'} on "
                f"{world.describe_process()}, so no gradient was averaged over the processes. Every "
                f"parameter that requires grad must take part in the loss; freeze the others "
                f"(requires_grad_(False)) before wrapping the model.")

    def average(self) -> None:
        """Replace every parameter's gradient by its mean over the processes."""
        grads = [p._grad._data for p in self.params]
        if len(grads) != len(self._grads) or any(a is not b for a, b in zip(grads, self._grads)):
            self._flat = whole_flat_arrays(grads)
            if self._flat is None:
                self._flat = self._adopt(grads)
                grads = [p._grad._data for p in self.params]
            self._grads = grads
        for flat in self._flat:
            world.all_reduce(flat, op="mean")

    def _adopt(self, grads: list) -> list[np.ndarray]:
        """Copy the gradients into the reducer's own flat arrays (one per dtype) and make those
        views the parameters' ``.grad`` and the place the next backward writes to."""
        if not self._own:
            self._own, self._own_views = per_dtype_views(grads)
        for p, g, v in zip(self.params, grads, self._own_views):
            np.copyto(v, g)
            p._grad = Tensor._make(v)
            bind_grad_buffer(p, v)
        return self._own


# --------------------------------------------------------------------------- start-up

def broadcast_tensors(tensors: list[Tensor], src: int = 0) -> None:
    """Copy ``src``'s values of ``tensors`` to every process, in place: one ``Bcast`` per dtype
    through a flat staging array."""
    if world.get_world_size() == 1 or not tensors:
        return
    flats, views = per_dtype_views([t._data for t in tensors])
    for t, v in zip(tensors, views):
        np.copyto(v, t._data)
    for flat in flats:
        world.broadcast(flat, src)
    for t, v in zip(tensors, views):
        np.copyto(t._data, v)


def _check_same_model(module: Module) -> None:
    """Raise ``DistributedError`` (on every process alike) unless every process's model has the
    same parameters and buffers, by name, shape and dtype."""
    mine = [[kind, name, list(t.shape), str(t.dtype)]
            for kind, named in (("parameter", module.named_parameters()), ("buffer", module.named_buffers()))
            for name, t in named]
    every = world.all_gather_json(mine)
    problems = []
    ref = {(k, n): (s, d) for k, n, s, d in every[0]}
    for rank, summary in enumerate(every[1:], start=1):
        if summary == every[0]:
            continue
        here = {(k, n): (s, d) for k, n, s, d in summary}
        found = [f"{key[0]} {key[1]!r} is {_describe(ref.get(key))} on rank 0 but "
                 f"{_describe(here.get(key))} on rank {rank}"
                 for key in list(ref) + [k for k in here if k not in ref] if ref.get(key) != here.get(key)]
        problems += found or [f"rank {rank} lists the parameters and buffers in another order than rank 0"]
    if problems:
        shown = "; ".join(problems[:6]) + ("; ..." if len(problems) > 6 else "")
        raise DistributedError(f"the processes built different models, so their gradients cannot be "
                               f"averaged: {shown}. Build the same model on every process.",
                               collective=True)


def _describe(entry) -> str:
    if entry is None:
        return "missing"
    shape, dtype = entry
    return f"of shape {tuple(shape)} and dtype {dtype}"
