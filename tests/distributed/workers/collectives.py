"""Under ``mpiexec -n 2``: the collectives and DistributedDataParallel's behaviours, each checked
here with every rank's values gathered; rank 0 writes the outcomes as JSON for the test."""

from __future__ import annotations

import json
import sys

import numpy as np

import gradstep as gs
import gradstep.distributed as dist
from gradstep import nn
from gradstep.nn import functional as F

out: dict = {}
dist.init()
rank, world = dist.get_rank(), dist.get_world_size()
out["world"] = [rank, world]


def error_of(fn) -> str | None:
    try:
        fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


# ---------------------------------------------------------------- collectives on arrays
for op in ("sum", "mean", "max", "min"):
    a = np.full(3, rank + 1, np.float32)
    dist.all_reduce(a, op=op)
    out[f"all_reduce_{op}"] = [a.tolist(), str(a.dtype)]
t = gs.tensor([float(rank)], dtype=gs.float64)
dist.all_reduce(t)
out["all_reduce_tensor"] = t.tolist()
out["mean_of_ints"] = error_of(lambda: dist.all_reduce(np.ones(2, np.int64), op="mean"))
b = np.full(4, rank, np.int64)
dist.broadcast(b, src=1)
out["broadcast_from_1"] = b.tolist()
out["all_gather"] = dist.all_gather(np.array([rank, 10 * rank], np.int32)).tolist()
out["all_gather_json"] = dist.all_gather_json({"rank": rank, "text": "é" * rank})
out["all_gather_mismatch"] = error_of(lambda: dist.all_gather(np.zeros(rank + 1)))
dist.barrier()

# ---------------------------------------------------------------- DDP: start-up broadcast
gs.manual_seed(rank)  # different weights on each rank before wrapping
ddp = dist.DistributedDataParallel(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)))
w = np.concatenate([p.detach().numpy().ravel() for p in ddp.parameters()])
every = dist.all_gather(w)
out["startup_weights_identical"] = bool(np.array_equal(every[0], every[1]))
out["state_dict_keys"] = list(ddp.state_dict())


# ---------------------------------------------------------------- DDP: gradients are the mean
def local_grads(module, x, y, times=1):
    """What one rank's backward gives without DDP (on a copy of the module)."""
    copy = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    copy.load_state_dict(module.state_dict())
    for _ in range(times):
        F.cross_entropy(copy(x), y).backward()
    return np.concatenate([p.grad.numpy().ravel() for p in copy.parameters()])


g = gs.Generator(100 + rank)  # each rank its own batch
x, y = gs.randn(4, 6, generator=g), gs.randint(0, 3, (4,), generator=g)
for flat in (True, False):
    opt = gs.optim.SGD(ddp.parameters(), lr=0.1, flat=flat)
    for it in range(2):
        opt.zero_grad()
        expected = dist.all_gather(local_grads(ddp.module, x, y)).mean(axis=0)
        F.cross_entropy(ddp(x), y).backward()
        got = np.concatenate([p.grad.numpy().ravel() for p in ddp.parameters()])
        out[f"grad_is_mean_flat{flat}_step{it}"] = float(np.abs(got - expected).max())
        flat_arrays = ddp._reducer._flat
        out[f"flat_arrays_flat{flat}_step{it}"] = [int(a.size) for a in flat_arrays]
        if flat:
            seg_grads = [seg.grad for seg in opt._layout(opt.param_groups[0])]
            out[f"reduces_optimizer_buffer_step{it}"] = all(any(a is s for s in seg_grads)
                                                            for a in flat_arrays)
        else:
            out[f"grads_written_into_own_buffer_step{it}"] = all(p.grad.numpy().base is flat_arrays[0]
                                                                 for p in ddp.parameters())
        opt.step()

# ---------------------------------------------------------------- DDP: no_sync accumulates
opt = gs.optim.SGD(ddp.parameters(), lr=0.1)
opt.zero_grad()
expected = dist.all_gather(local_grads(ddp.module, x, y, times=3)).mean(axis=0)
with ddp.no_sync():
    for _ in range(2):
        F.cross_entropy(ddp(x), y).backward()
between = np.concatenate([p.grad.numpy().ravel() for p in ddp.parameters()])
every = dist.all_gather(between)
out["no_sync_keeps_local"] = bool(not np.array_equal(every[0], every[1]))
F.cross_entropy(ddp(x), y).backward()
got = np.concatenate([p.grad.numpy().ravel() for p in ddp.parameters()])
out["no_sync_then_sync_is_mean_of_sums"] = float(np.abs(got - expected).max())

# ---------------------------------------------------------------- DDP: buffers follow rank 0
gs.manual_seed(0)
bn = dist.DistributedDataParallel(nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4)))
bn(x)  # each rank normalises its own batch; the running statistics are then rank 0's
stats = np.concatenate([b.numpy().ravel().astype(np.float64) for b in bn.buffers()])
every = dist.all_gather(stats)
out["buffers_identical"] = bool(np.array_equal(every[0], every[1]))
ref = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4))
ref.load_state_dict({k: v for k, v in bn.module.state_dict().items() if k.endswith(("weight", "bias"))},
                    strict=False)
x0 = dist.broadcast(x.numpy().copy(), src=0)
ref(gs.tensor(x0))
out["buffers_are_rank0s"] = float(np.abs(every[0][:8] - np.concatenate(
    [ref[1].running_mean.numpy(), ref[1].running_var.numpy()])).max())

# ---------------------------------------------------------------- DDP: a parameter without gradient
gs.manual_seed(0)


class WithUnused(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(6, 3), nn.Linear(6, 3)

    def forward(self, x):
        return self.used(x)


m = dist.DistributedDataParallel(WithUnused())
F.cross_entropy(m(x), y).backward()
out["unused_parameter"] = error_of(lambda: m(x))

if rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)
