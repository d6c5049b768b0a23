"""Under ``mpiexec -n 2``: a Trainer run that goes wrong on one rank.

    fail.py raise    rank 1 raises an exception at its 5th step
    fail.py wait     train for a long time; rank 0 prints the processes (JSON) and "training"
                     once steps are being taken, for the test to kill rank 1
    fail.py shapes   rank 1 builds a wider model than rank 0
"""

from __future__ import annotations

import json
import sys

import gradstep as gs
import gradstep.distributed as dist
from gradstep import nn
from gradstep.data import DataLoader, DistributedSampler, TensorDataset
from gradstep.models import mlp
from gradstep.train import Callback, Trainer

mode = sys.argv[1]
rank = dist.get_rank()


class Injected(Callback):
    def on_batch_end(self, trainer, logs):
        if mode == "raise" and rank == 1 and trainer.global_step == 5:
            raise RuntimeError("injected failure on purpose")
        if mode == "wait" and rank == 0 and trainer.global_step == 5:
            print("training", flush=True)


gs.manual_seed(0)
hidden = 32 + (8 if mode == "shapes" and rank == 1 else 0)
model = dist.DistributedDataParallel(mlp(20, [hidden], 3))
if rank == 0:
    print(json.dumps(dist.processes()), flush=True)
g = gs.Generator(0)
data = TensorDataset(gs.randn(256, 20, generator=g), gs.randint(0, 3, (256,), generator=g))
loader = DataLoader(data, batch_size=8, sampler=DistributedSampler(data))
trainer = Trainer(model, gs.optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss(),
                  callbacks=[Injected()], verbose=0)
trainer.fit(loader, epochs=100000 if mode == "wait" else 3)
