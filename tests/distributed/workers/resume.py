"""Under ``mpiexec -n 2``: the Trainer resumed from a checkpoint taken mid-epoch ends with the
weights of the uninterrupted run; evaluation adds up every rank's share. Rank 0 writes JSON."""

from __future__ import annotations

import json
import sys

import numpy as np

import gradstep as gs
import gradstep.distributed as dist
from gradstep import nn
from gradstep.data import DataLoader, DistributedSampler, Subset, TensorDataset
from gradstep.models import mlp
from gradstep.train import Trainer, evaluate

rank, world = dist.get_rank(), dist.get_world_size()
g = gs.Generator(0)
data = TensorDataset(gs.randn(203, 20, generator=g), gs.randint(0, 3, (203,), generator=g))
val = TensorDataset(gs.randn(51, 20, generator=g), gs.randint(0, 3, (51,), generator=g))


def trainer():
    gs.manual_seed(0)
    model = dist.DistributedDataParallel(mlp(20, [16], 3, dropout=0.2))  # dropout: the RNG resumes too
    sampler = DistributedSampler(data, seed=3)
    loader = DataLoader(data, batch_size=8, sampler=sampler, generator=gs.Generator(1))
    t = Trainer(model, gs.optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), verbose=0)
    return t, loader


def weights(t):
    return np.concatenate([p.detach().numpy().ravel() for p in dist.unwrap_model(t.model).parameters()])


whole, loader = trainer()
whole.fit(loader, epochs=3)

part, loader = trainer()
part.fit(loader, epochs=3, max_steps=17)  # 13 steps per epoch: stops in the second one
part.save_checkpoint(sys.argv[1] + ".ckpt")

resumed, loader = trainer()
resumed.load_checkpoint(sys.argv[1] + ".ckpt", train_loader=loader)
resumed.fit(loader, epochs=3)

share = DataLoader(Subset(val, range(rank, len(val), world)), batch_size=10)
out = {
    "steps": [whole.global_step, part.global_step, resumed.global_step],
    "resumed_equals_whole": bool(np.array_equal(weights(whole), weights(resumed))),
    "identical_on_all_ranks": bool(all(np.array_equal(w, dist.all_gather(weights(resumed))[0])
                                       for w in dist.all_gather(weights(resumed)))),
    "history_equal": whole.history.iteration_loss == resumed.history.iteration_loss,
    "iterations": len(whole.history.iteration_loss),
    "epoch_logs": whole.history.epochs,
    "evaluate_shares": resumed.evaluate(share),
    "evaluate_whole": evaluate(resumed.model, DataLoader(val, batch_size=10), nn.CrossEntropyLoss()),
}
if rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)
