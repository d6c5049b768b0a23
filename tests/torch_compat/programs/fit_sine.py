"""Fit sin(x) on [-pi, pi] with a cubic: features, nn.Linear, a loss, an optimizer and a scheduler,
in float64 from fixed initial weights. Prints a JSON line of results."""

import json
import math

import torch
from torch import nn

torch.set_default_dtype(torch.float64)

x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
powers = torch.tensor([1, 2, 3])
features = x.unsqueeze(-1).pow(powers)

loss_fn = nn.MSELoss(reduction="mean")
settings = {
    "SGD": (torch.optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adam": (torch.optim.Adam, dict(lr=1e-2, betas=(0.9, 0.99), amsgrad=True)),
    "AdamW": (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05)),
    "RMSprop": (torch.optim.RMSprop, dict(lr=1e-3, alpha=0.95, centered=True, momentum=0.5)),
    "Adagrad": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=1e-3)),
    # (Adadelta with lr >= 0.5 here amplifies a 1e-15 change of the start to 1e-4: PyTorch too)
    "Adadelta": (torch.optim.Adadelta, dict(lr=0.3, rho=0.95)),
    "Adamax": (torch.optim.Adamax, dict(lr=1e-2)),
    "NAdam": (torch.optim.NAdam, dict(lr=1e-2)),
    "RAdam": (torch.optim.RAdam, dict(lr=1e-2)),
}


def fit(cls, kwargs):
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]]))
        model[0].bias.fill_(0.3)
    optimizer = cls(model.parameters(), **kwargs)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.5)
    losses = []
    for step in range(300):
        pred = model(features)
        loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 50 == 49:
            losses.append(loss.item())
    linear = model[0]
    return {"losses": losses, "weight": linear.weight.detach().tolist(), "bias": linear.bias.item(),
            "lr": scheduler.get_last_lr()[0]}


print(json.dumps({name: fit(cls, kwargs) for name, (cls, kwargs) in settings.items()}))
