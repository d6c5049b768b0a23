"""Classify three interleaved spirals with an MLP: TensorDataset, DataLoader, CrossEntropyLoss,
train/eval modes, no_grad evaluation, a scheduler, and a state dict saved and loaded with
torch.save/torch.load. float64, initial weights drawn with NumPy so that every library starts
from the same point. Prints a JSON line of results."""

import json
import sys

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)
device = "cuda" if torch.cuda.is_available() else "cpu"
rng = np.random.RandomState(0)

n, classes = 100, 3
points, labels = [], []
for c in range(classes):
    r = np.linspace(0.05, 1.0, n)
    t = np.linspace(c * 4.0, (c + 1) * 4.0, n) + rng.randn(n) * 0.2
    points.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
    labels.append(np.full(n, c))
X = torch.from_numpy(np.concatenate(points))
y = torch.from_numpy(np.concatenate(labels)).long()
loader = DataLoader(TensorDataset(X, y), batch_size=30, shuffle=False)


class Net(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.body(x))


model = Net().to(device)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.randn(*p.shape) * 0.5))

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
history = []
for _ in range(epochs):
    model.train()
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
    scheduler.step()
    history.append(total / len(loader.dataset))

model.eval()
with torch.no_grad():
    logits = model(X)
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    probs = torch.softmax(logits, dim=1)

torch.save(model.state_dict(), "spiral.pth")
again = Net()
again.load_state_dict(torch.load("spiral.pth", weights_only=True))
again.eval()
with torch.no_grad():
    same = torch.equal(again(X), logits)
print(json.dumps({"history": history, "accuracy": accuracy, "same_after_reload": same,
                  "probs0": probs[0].tolist(), "keys": list(model.state_dict())}))
