"""``%load_ext gradstep.torch`` in a Jupyter kernel (executed with nbclient): from that cell on,
``import torch`` is gradstep, its tensors display as PyTorch's, and training code runs."""

import nbformat
from nbclient import NotebookClient

CELLS = [
    "import sys\nprint('torch' in sys.modules)",
    "%load_ext gradstep.torch",
    "import torch\nfrom torch import nn\nimport gradstep\n"
    "print(torch.nn.Linear is gradstep.nn.Linear, torch.cuda.is_available())",
    "x = torch.tensor([0.1, 0.5], requires_grad=True)\ny = (x * 2).sum()\ny",
    "x.shape",
    "torch.manual_seed(0)\n"
    "X = torch.randn(64, 3)\nt = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3\n"
    "model = nn.Linear(3, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "for _ in range(200):\n"
    "    loss = nn.functional.mse_loss(model(X).squeeze(1), t)\n"
    "    opt.zero_grad(); loss.backward(); opt.step()\n"
    "print(round(loss.item(), 6), [round(w, 3) for w in model.weight.squeeze().tolist()])",
    "torch.fft",
    "%unload_ext gradstep.torch\nimport sys\nprint('torch' in sys.modules)",
]


def _text(cell):
    out = []
    for o in cell.outputs:
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type == "execute_result":
            out.append(o.data["text/plain"] + "\n")
        elif o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}\n")
    return "".join(out).strip()


def test_load_ext_runs_pytorch_code_in_a_notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    out = [_text(c) for c in nb.cells]
    assert out[0] == "False"
    assert out[2] == "True False"
    assert out[3] == "tensor(1.2000, grad_fn=<SumBackward0>)"
    assert out[4] == "torch.Size([2])"
    loss, weights = out[5].split(" ", 1)
    assert float(loss) < 1e-6 and weights == "[1.0, -2.0, 0.5]"
    assert out[6].startswith("NotImplementedInGradstep: gradstep does not implement torch.fft")
    assert out[7] == "False"
