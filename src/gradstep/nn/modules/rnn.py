"""Recurrent layers with ``torch.nn``'s names, parameters, shapes and results: ``RNN``, ``LSTM``,
``GRU`` and their one-step cells. Each step is one cell function written once and shared by the
cells and the layers; the input projections of all steps are done in one product before the loop,
and autograd differentiates through the unrolled steps.
"""

from __future__ import annotations

import math

from ... import _creation
from ..._errors import ArgumentError, ShapeError
from ...autograd.tensor import Tensor
from ...autograd.tensor_math import stack
from .. import init
from ..functional.dropout import dropout
from ..parameter import Parameter
from .module import Module

# --------------------------------------------------------------------------- one step of each cell
# ``gi`` is the input's projection W_ih x + b_ih (all gates), ``h`` (and ``c``) the state.


def _rnn_tanh_step(gi, h, w_hh, b_hh):
    return ((gi + _hh(h, w_hh, b_hh)).tanh(),)


def _rnn_relu_step(gi, h, w_hh, b_hh):
    return ((gi + _hh(h, w_hh, b_hh)).relu(),)


def _lstm_step(gi, h, c, w_hh, b_hh):
    # gates in PyTorch's order: input, forget, cell, output
    i, f, g, o = (gi + _hh(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(gi, h, w_hh, b_hh):
    # gates in PyTorch's order: reset, update, new; the reset gate scales W_hn h + b_hn
    ir, iz, in_ = gi.chunk(3, -1)
    hr, hz, hn = _hh(h, w_hh, b_hh).chunk(3, -1)
    r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
    n = (in_ + r * hn).tanh()
    return (n + z * (h - n),)  # (1 - z) * n + z * h


def _hh(h, w_hh, b_hh):
    out = h @ w_hh.t()
    return out if b_hh is None else out + b_hh


_MODES = {"RNN_TANH": (_rnn_tanh_step, 1), "RNN_RELU": (_rnn_relu_step, 1), "LSTM": (_lstm_step, 4),
          "GRU": (_gru_step, 3)}


def _check_size(name: str, owner: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ArgumentError(f"{owner}: {name} must be a positive int, got {v!r}")
    return v


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent layer behind ``RNN``, ``LSTM`` and ``GRU``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_size("input_size", name, input_size)
        _check_size("hidden_size", name, hidden_size)
        _check_size("num_layers", name, num_layers)
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ArgumentError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if proj_size:
            raise ArgumentError(f"{name}: proj_size is not supported; use proj_size=0")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gates = _MODES[mode][1] * hidden_size
        for layer in range(num_layers):
            for suffix in self._suffixes():
                size_in = input_size if layer == 0 else hidden_size * self._directions()
                self._add(f"weight_ih_l{layer}{suffix}", (gates, size_in), dtype, device)
                self._add(f"weight_hh_l{layer}{suffix}", (gates, hidden_size), dtype, device)
                if bias:
                    self._add(f"bias_ih_l{layer}{suffix}", (gates,), dtype, device)
                    self._add(f"bias_hh_l{layer}{suffix}", (gates,), dtype, device)
        self.reset_parameters()

    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def _add(self, name, shape, dtype, device) -> None:
        setattr(self, name, Parameter(_creation.empty(*shape, dtype=dtype, device=device)))

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, layer: int, suffix: str):
        get = self._parameters.get
        return (get(f"weight_ih_l{layer}{suffix}"), get(f"bias_ih_l{layer}{suffix}"),
                get(f"weight_hh_l{layer}{suffix}"), get(f"bias_hh_l{layer}{suffix}"))

    def forward(self, input: Tensor, hx=None):
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        if not isinstance(input, Tensor) or input.ndim not in (2, 3):
            raise ShapeError(f"{name}: expected a 2-D (unbatched) or 3-D input, got "
                             f"{getattr(input, 'shape', type(input).__name__)}")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {x.shape[-1]}")
        states = self._initial_states(hx, x, batched, lstm)
        steps, n_dir = x.shape[0], self._directions()
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(self._suffixes()):
                w_ih, b_ih, w_hh, b_hh = self._weights(layer, suffix)
                gi = x @ w_ih.t()
                if b_ih is not None:
                    gi = gi + b_ih
                k = layer * n_dir + d
                state = tuple(s[k] for s in states)
                order = range(steps - 1, -1, -1) if d else range(steps)
                seq = [None] * steps
                for t in order:
                    state = _MODES[self.mode][0](gi[t], *state, w_hh, b_hh)
                    seq[t] = state[0]
                outs.append(stack(seq))
                h_n.append(state[0])
                if lstm:
                    c_n.append(state[1])
            x = outs[0] if n_dir == 1 else _cat_last(outs)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        out = x
        h = stack(h_n)
        c = stack(c_n) if lstm else None
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out, h = out.squeeze(1), h.squeeze(1)
            c = c.squeeze(1) if lstm else None
        return (out, (h, c)) if lstm else (out, h)

    def _initial_states(self, hx, x, batched, lstm):
        name = type(self).__name__
        want = (self.num_layers * self._directions(), x.shape[1], self.hidden_size)
        if hx is None:
            zeros = _creation.zeros(*want, dtype=x.dtype)
            return (zeros, zeros) if lstm else (zeros,)
        parts = hx if lstm else (hx,)
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
        out = []
        for p in parts:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: hidden states must be Tensors, got {type(p).__name__}")
            p = p if batched else p.unsqueeze(1)
            if p.shape != want:
                raise ShapeError(f"{name}: Expected hidden size {want}, got {tuple(p.shape)}")
            out.append(p)
        return tuple(out)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def _cat_last(ts):
    from ...autograd.tensor_math import cat
    return cat(ts, -1)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ArgumentError(f"RNN: Unknown nonlinearity {nonlinearity!r}; select from 'tanh' or 'relu'")
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; ``forward`` returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; ``forward`` returns ``output, h_n``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = _check_size("input_size", name, input_size)
        self.hidden_size = _check_size("hidden_size", name, hidden_size)
        self.bias = bias
        gates = _MODES[self._mode][1] * hidden_size
        self.weight_ih = Parameter(_creation.empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(_creation.empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(_creation.empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        RNNBase.reset_parameters(self)

    def forward(self, input: Tensor, hx=None):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {getattr(input, 'shape', type(input).__name__)}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        lstm = self._mode == "LSTM"
        want = (x.shape[0], self.hidden_size)
        if hx is None:
            zeros = _creation.zeros(*want, dtype=x.dtype)
            state = (zeros, zeros) if lstm else (zeros,)
        else:
            state = tuple(s if batched else s.unsqueeze(0) for s in (hx if lstm else (hx,)))
            if any(s.shape != want for s in state):
                raise ShapeError(f"{name}: hidden state must have shape {want}, got "
                                 f"{[tuple(s.shape) for s in state]}")
        gi = x @ self.weight_ih.t()
        if self.bias_ih is not None:
            gi = gi + self.bias_ih
        out = _MODES[self._mode][0](gi, *state, self.weight_hh, self.bias_hh)
        if not batched:
            out = tuple(o.squeeze(0) for o in out)
        return out if lstm else out[0]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self._mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ArgumentError(f"RNNCell: Unknown nonlinearity {nonlinearity!r}; select from 'tanh' or "
                                f"'relu'")
        self._mode = f"RNN_{nonlinearity.upper()}"
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(RNNCellBase):
    _mode = "LSTM"


class GRUCell(RNNCellBase):
    _mode = "GRU"
