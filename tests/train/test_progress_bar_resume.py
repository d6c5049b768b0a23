"""A run resumed mid-epoch with its progress bar shown (the bar's counters start at fit, not only
at an epoch's start)."""

import io

import gradstep as gs
from gradstep import nn
from gradstep.data import DataLoader, TensorDataset
from gradstep.models import mlp
from gradstep.train import ProgressBar, Trainer


def test_resuming_mid_epoch_with_a_progress_bar(tmp_path):
    g = gs.Generator(0)
    data = TensorDataset(gs.randn(64, 6, generator=g), gs.randint(0, 2, (64,), generator=g))

    def trainer(stream):
        model = mlp(6, [4], 2)
        t = Trainer(model, gs.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=0,
                    callbacks=[ProgressBar(stream=stream)])
        return t, DataLoader(data, batch_size=8, shuffle=True, generator=gs.Generator(1))

    first, loader = trainer(io.StringIO())
    first.fit(loader, epochs=1, max_steps=3)
    first.save_checkpoint(tmp_path / "last.safetensors")
    stream = io.StringIO()
    second, loader = trainer(stream)
    second.load_checkpoint(tmp_path / "last.safetensors", train_loader=loader)
    second.fit(loader, epochs=1)
    assert second.global_step == 8 and stream.getvalue().startswith("epoch 1/1 | train_loss")
