"""The autograd a tutorial walks through: leaves and grad, a custom Function, hooks,
retain_grad, no_grad and detach, accumulation, torch.autograd.grad. Prints a JSON line."""

import json

import torch

torch.set_default_dtype(torch.float64)


class SmoothStep(torch.autograd.Function):
    """3x^2 - 2x^3 with its derivative written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 3 * x ** 2 - 2 * x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (6 * x - 6 * x ** 2)


out = {}
a = torch.tensor([0.2, 0.5, 0.9], requires_grad=True)
b = torch.tensor([1.5, -0.5, 2.0], requires_grad=True)
h = a * b
h.retain_grad()
seen = []
b.register_hook(lambda g: seen.append(g.tolist()))
q = (SmoothStep.apply(h) + torch.exp(-a) * b.sin()).sum()
q.backward()
out.update({"a.grad": a.grad.tolist(), "b.grad": b.grad.tolist(), "h.grad": h.grad.tolist(), "hook": seen})
out["is_leaf"] = [a.is_leaf, h.is_leaf, q.requires_grad]

(a * 2).sum().backward()  # gradients accumulate
out["accumulated"] = a.grad.tolist()
a.grad.zero_()

with torch.no_grad():
    c = a * 3
out["no_grad"] = [c.requires_grad, a.detach().requires_grad, torch.is_grad_enabled()]

w = torch.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)
v = torch.tensor([0.3, -0.7])
loss = torch.tanh(w @ v).pow(2).mean()
(gw,) = torch.autograd.grad(loss, [w])
out["autograd.grad"] = gw.tolist()
out["w.grad is None"] = w.grad is None
print(json.dumps(out))
