"""scripts/torch_census.py: counts each torch name once per source, through every import form,
in scripts, notebooks and d2l chapters, and asks gradstep for each name's status."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "torch_census.py"

SCRIPT_A = """
import torch
import torch.nn.functional as F
from torch import nn, optim
x = torch.zeros(3, device="cpu")
y = F.relu(x).sum(dim=0, keepdim=True)
model = nn.Linear(3, 1)
opt = optim.SGD(model.parameters(), lr=0.1)
torch.fft.fft(x)
torch.not_a_real_name(x)
def f(data):
    return data.append(1)   # a local 'data', not torch.utils.data
x.split(2, dim=0)
dataset.split(random_state=0)  # torchtext's Dataset.split: not the Tensor method's keyword
"""

SCRIPT_B = """
from torch.utils.data import DataLoader
import torch as T
T.zeros(2)
loader = DataLoader([], batch_size=4)
"""

CHAPTER = """
Text.

```{.python .input}
%%tab mxnet
from mxnet import np
np.zeros(3)
```

```{.python .input}
%%tab pytorch
import torch
torch.ones(2, requires_grad=True)
```
"""


def test_census_counts_and_classifies(tmp_path, torch):
    (tmp_path / "a.py").write_text(SCRIPT_A)
    (tmp_path / "b.py").write_text(SCRIPT_B)
    nb = {"cells": [{"cell_type": "code", "source": ["import torch\n", "%matplotlib inline\n"]},
                    {"cell_type": "code", "source": "torch.zeros(1).view(-1)"}], "nbformat": 4}
    (tmp_path / "c.ipynb").write_text(json.dumps(nb))
    (tmp_path / "chapter.md").write_text(CHAPTER)
    out, missing = tmp_path / "coverage.md", tmp_path / "missing.txt"
    p = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), "--out", str(out),
                        "--missing", str(missing), "--strip", str(tmp_path) + "/"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rows = {}
    for line in out.read_text().splitlines():
        if line.startswith("| `"):
            name, count, status, _ = [c.strip() for c in line.strip("|").split("|")]
            rows[name.strip("`")] = (int(count), status)
    assert rows["torch.zeros"] == (3, "implemented")  # a.py, b.py (as T.zeros) and the notebook
    assert rows["torch.zeros(device=)"] == (1, "implemented")
    assert rows["torch.ones(requires_grad=)"] == (1, "implemented")  # the chapter's PyTorch block only
    assert rows["torch.nn.functional.relu"] == (1, "implemented")
    assert rows["torch.optim.SGD(lr=)"] == (1, "implemented")
    assert rows["torch.utils.data.DataLoader(batch_size=)"] == (1, "implemented")
    assert rows["Tensor.sum(keepdim=)"] == (1, "implemented") and rows["Tensor.view"][1] == "implemented"
    assert rows["torch.fft.fft"][1] == "out of scope"
    assert rows["torch.not_a_real_name"][1] == "not in PyTorch"
    assert rows["Tensor.split(dim=)"] == (1, "implemented")
    assert rows["Tensor.split(random_state=)"][1] == "not in PyTorch"
    assert "torch.utils.data.append" not in rows and "mxnet" not in out.read_text()
    assert "Sources: 4 files using torch" in out.read_text()
    assert missing.read_text().splitlines()[1:] == []  # every name here is implemented, out of scope
    #                                                    or not PyTorch's
