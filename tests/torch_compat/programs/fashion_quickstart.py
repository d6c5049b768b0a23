"""A quickstart in the tutorials' style on Fashion-MNIST: torchvision data sets and transforms, a
DataLoader, a device picked the usual way, an MLP and a small CNN trained with SGD and Adam, test
accuracy, and the model saved and loaded. Usage: fashion_quickstart.py DATA_ROOT [TRAIN_SIZE]."""

import json
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

root = sys.argv[1]
train_size = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
torch.manual_seed(0)
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
training_data = datasets.FashionMNIST(root=root, train=True, download=False, transform=transform)
test_data = datasets.FashionMNIST(root=root, train=False, download=False, transform=transform)
train_loader = DataLoader(Subset(training_data, range(train_size)), batch_size=64, shuffle=True)
test_loader = DataLoader(test_data, batch_size=256)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))

    def forward(self, x):
        return self.stack(self.flatten(x))


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def train(dataloader, model, loss_fn, optimizer):
    model.train()
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def test(dataloader, model, loss_fn):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X.to(device))
            loss += loss_fn(pred, y).item() * len(y)
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    return loss / len(dataloader.dataset), correct / len(dataloader.dataset)


results = {}
for name, model, make_opt in [("mlp", MLP(), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
                              ("cnn", small_cnn(), lambda p: torch.optim.Adam(p, lr=2e-3))]:
    model = model.to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = make_opt(model.parameters())
    for _ in range(2):
        train(train_loader, model, loss_fn, optimizer)
    results[name] = test(test_loader, model, loss_fn)
    torch.save(model.state_dict(), f"{name}.pth")
    model.load_state_dict(torch.load(f"{name}.pth", weights_only=True))
    results[name + "_reloaded"] = test(test_loader, model, loss_fn)
X, y = next(iter(test_loader))
print(f"Shape of X [N, C, H, W]: {X.shape}")
print(f"Shape of y: {y.shape} {y.dtype}")
print(json.dumps(results))
