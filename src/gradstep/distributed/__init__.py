"""Data-parallel training over processes and machines with MPI (torch.distributed's names).

    mpiexec -n 4 python train.py            # or: mpiexec -n 4 gradstep train ...

    import gradstep.distributed as dist
    dist.init()                                          # a world of one without mpiexec
    model = dist.DistributedDataParallel(model)          # same weights everywhere, averaged gradients
    sampler = gradstep.data.DistributedSampler(train_set)            # this process's share
    loader = gradstep.data.DataLoader(train_set, batch_size=64, sampler=sampler)   # 64 per process
    if dist.is_main_process():
        ...                                              # write files on rank 0 only

Every process runs the same script on its own share of each batch; ``DistributedDataParallel``
averages the gradients after ``backward`` with one ``Allreduce`` over the optimizer's flat
gradient buffer, so every process takes the same step. The ``Trainer`` and ``gradstep train``
do all of this by themselves when started by ``mpiexec``. MPI comes from mpi4py
(``pip install 'gradstep[mpi]'`` brings mpi4py and MPICH's ``mpiexec``); see docs/distributed.md.

This layer sits between ``data`` and ``train``: it uses autograd, nn and data, and the Trainer
uses it.
"""

from .ddp import DistributedDataParallel, broadcast_tensors, unwrap_model
from .world import (
    DistributedError,
    ReduceOp,
    abort,
    all_gather,
    all_gather_json,
    all_reduce,
    barrier,
    broadcast,
    communicator,
    describe_process,
    get_rank,
    get_world_size,
    init,
    is_initialized,
    is_main_process,
    processes,
)

__all__ = ["init", "is_initialized", "get_rank", "get_world_size", "is_main_process", "barrier",
           "all_reduce", "broadcast", "all_gather", "all_gather_json", "ReduceOp", "DistributedError",
           "abort", "processes", "describe_process", "communicator", "DistributedDataParallel",
           "unwrap_model", "broadcast_tensors"]
