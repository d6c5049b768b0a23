"""A small MLP trained by an optimizer of gradstep or of PyTorch, one step at a time, and helpers to
compare parameters and optimizer states between runs.

The model is written once for both libraries (``m`` is ``gradstep`` or ``torch``):
log_softmax(tanh(X W1 + b1) W2 + b2) with a cross-entropy loss and an L2 penalty on the weights
(so that the minimum is finite and L-BFGS converges instead of amplifying rounding differences),
in float64, built from raw tensors (no ``nn``). Its parameters form one group, or two ([W1, b1] and
[W2, b2]) when the configuration has per-group overrides.
"""

from __future__ import annotations

import inspect

import numpy as np

import gradstep as gs

N, D_IN, D_HID, D_OUT = 16, 6, 5, 3
REG = 0.05


def problem(seed: int = 0) -> tuple:
    """Inputs, one-hot targets and initial weights (NumPy float64)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D_IN))
    y = np.eye(D_OUT)[rng.integers(0, D_OUT, N)]
    weights = [rng.normal(0, 0.5, (D_IN, D_HID)), rng.normal(0, 0.1, D_HID),
               rng.normal(0, 0.5, (D_HID, D_OUT)), rng.normal(0, 0.1, D_OUT)]
    return x, y, weights


class Run:
    """One library's model and optimizer for the configuration ``cfg`` of ``info``."""

    def __init__(self, m, info, cfg, *, flat: bool = True, weights=None, seed: int = 0, unused=None,
                 **extra):
        self.m, self.info = m, info
        self.unused = unused or (lambda t: ())  # step -> indices of parameters the loss leaves out
        self.set_to_none = True  # how closure() clears the gradients
        self.t = 0
        x, y, w0 = problem(seed)
        weights = w0 if weights is None else weights
        self.x = m.tensor(x, dtype=m.float64)
        self.y = m.tensor(y, dtype=m.float64)
        self.params = [m.tensor(np.array(w), dtype=m.float64, requires_grad=True) for w in weights]
        cls = getattr(m.optim, info.name)
        kwargs = {**cfg.kwargs, **extra}
        if m is gs:
            kwargs["flat"] = flat
        if "foreach" in inspect.signature(cls).parameters and not kwargs.get("fused"):
            # torch's single-tensor path is the reference, unless the row asks for another
            kwargs.setdefault("foreach", False)
        params = self.params
        if cfg.groups:
            params = [{"params": self.params[:2], **cfg.groups[0]},
                      {"params": self.params[2:], **cfg.groups[1]}]
        self.opt = cls(params, **kwargs)

    def loss(self):
        skip = self.unused(self.t)
        w1, b1, w2, b2 = (p.detach() if i in skip else p for i, p in enumerate(self.params))
        h = (self.x @ w1 + b1).tanh()
        logp = (h @ w2 + b2).log_softmax(1)
        return -(logp * self.y).sum(1).mean() + REG / 2 * ((w1 * w1).sum() + (w2 * w2).sum())

    def closure(self):
        self.opt.zero_grad(set_to_none=self.set_to_none)
        loss = self.loss()
        loss.backward()
        return loss

    def step(self, after_backward=None):
        """One training step: gradients, ``after_backward(run)`` if given, then the optimizer's
        step; returns the loss."""
        self.t += 1
        if self.info.needs_closure:
            return float(self.opt.step(self.closure).detach())
        loss = self.closure()
        if after_backward is not None:
            after_backward(self)
        self.opt.step()
        return float(loss.detach())

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy().copy() for p in self.params]

    def states(self) -> list[dict]:
        """Each parameter's optimizer state, as NumPy arrays, floats, lists and None."""
        return [{k: plain(v) for k, v in self.opt.state.get(p, {}).items()} for p in self.params]


def plain(v):
    """A state value of either library as NumPy arrays and Python floats."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.ndarray):
        return v.copy()
    if hasattr(v, "detach"):  # a torch tensor
        a = v.detach().numpy()
        return float(a) if a.ndim == 0 else a.copy()
    return float(v)


def assert_close(a, b, where: str, atol: float = 1e-10, rtol: float = 1e-7) -> None:
    """Recursively compare states or weight lists; ``where`` names the place in the message."""
    if isinstance(a, dict):
        assert set(a) == set(b), f"{where}: state keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_close(a[k], b[k], f"{where}[{k!r}]", atol, rtol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: {len(a)} items vs {b!r:.80}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{where}[{i}]", atol, rtol)
    elif a is None or b is None:
        assert a is None and b is None, f"{where}: {a!r} vs {b!r}"
    else:
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=where)


def assert_identical(a, b, where: str) -> None:
    """Bitwise equality of states or weight lists (NaN equal to NaN)."""
    if isinstance(a, dict):
        assert set(a) == set(b), f"{where}: state keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), (
            f"{where}: max difference {np.max(np.abs(a - b))}")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"
