"""The table of layers: one row per layer and configuration.

``make(nn)`` is written once and called with ``gradstep.nn`` and with ``torch.nn``; the generic
tests in ``test_layers.py`` gradcheck every row in float64 and compare it with PyTorch (weights
copied through ``state_dict``). Adding a layer means adding a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..autograd.op_table import I


@dataclass(frozen=True)
class LayerCase:
    name: str
    make: Callable                      # make(nn) -> module, for gradstep.nn and torch.nn
    inputs: tuple                       # input specs (tests/autograd/op_table.Input)
    forward: Callable | None = None     # forward(module, *inputs); default module(*inputs)
    modes: tuple = (True,)              # training modes to test in

    @property
    def id(self) -> str:
        shapes = ",".join("x".join(map(str, i.shape)) for i in self.inputs)
        return f"{self.name}[{shapes}]"


def _mlp(nn):
    return nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))


CASES = [
    LayerCase("Linear", lambda nn: nn.Linear(5, 3), (I(4, 5),)),
    LayerCase("Linear_nobias", lambda nn: nn.Linear(5, 3, bias=False), (I(4, 5),)),
    LayerCase("Linear_leading_dims", lambda nn: nn.Linear(5, 3), (I(2, 3, 5),)),
    LayerCase("Linear_unbatched", lambda nn: nn.Linear(5, 3), (I(5),)),
    LayerCase("Linear_noncontiguous", lambda nn: nn.Linear(4, 3), (I(6, 4, transposed=True),)),
    LayerCase("Identity", lambda nn: nn.Identity(3, foo=1), (I(2, 3),),
              forward=lambda m, x: m(x) * 1.0),
    LayerCase("Flatten", lambda nn: nn.Flatten(), (I(2, 3, 4),)),
    LayerCase("Flatten_0_1", lambda nn: nn.Flatten(0, 1), (I(2, 3, 4),)),
    LayerCase("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), (I(4, 6),)),
    LayerCase("ReLU", lambda nn: nn.ReLU(), (I(3, 4),)),
    LayerCase("ReLU_inplace", lambda nn: nn.ReLU(inplace=True), (I(3, 4),),
              forward=lambda m, x: m(x * 1.0)),
    LayerCase("LeakyReLU", lambda nn: nn.LeakyReLU(0.2), (I(3, 4),)),
    LayerCase("LeakyReLU_inplace", lambda nn: nn.LeakyReLU(inplace=True), (I(3, 4),),
              forward=lambda m, x: m(x * 1.0)),
    LayerCase("ELU", lambda nn: nn.ELU(alpha=0.5), (I(3, 4),)),
    LayerCase("ELU_inplace", lambda nn: nn.ELU(inplace=True), (I(3, 4),), forward=lambda m, x: m(x + 0.0)),
    LayerCase("GELU", lambda nn: nn.GELU(), (I(3, 4),)),
    LayerCase("GELU_tanh", lambda nn: nn.GELU(approximate="tanh"), (I(3, 4),)),
    LayerCase("Sigmoid", lambda nn: nn.Sigmoid(), (I(3, 4),)),
    LayerCase("Tanh", lambda nn: nn.Tanh(), (I(3, 4),)),
    LayerCase("Softmax", lambda nn: nn.Softmax(dim=1), (I(3, 4),)),
    LayerCase("Softmax_dim0", lambda nn: nn.Softmax(dim=0), (I(2, 3, 4),)),
    LayerCase("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), (I(3, 4),)),
    LayerCase("Sequential_MLP", _mlp, (I(5, 8),), modes=(True, False)),
    # more activations (issue 14's census)
    LayerCase("SiLU", lambda nn: nn.SiLU(), (I(3, 4),)),
    LayerCase("Softplus", lambda nn: nn.Softplus(), (I(3, 4),)),
    LayerCase("Softplus_beta", lambda nn: nn.Softplus(beta=3.0, threshold=2.0), (I(3, 4),)),
    LayerCase("ReLU6", lambda nn: nn.ReLU6(), (I(3, 4),), forward=lambda m, x: m(x * 4)),
    LayerCase("Hardtanh", lambda nn: nn.Hardtanh(-0.5, 1.5), (I(3, 4),)),
    LayerCase("LogSigmoid", lambda nn: nn.LogSigmoid(), (I(3, 4),), forward=lambda m, x: m(x * 20)),
    LayerCase("Softsign", lambda nn: nn.Softsign(), (I(3, 4),)),
    LayerCase("Tanhshrink", lambda nn: nn.Tanhshrink(), (I(3, 4),)),
    LayerCase("Mish", lambda nn: nn.Mish(), (I(3, 4),)),
    LayerCase("SELU", lambda nn: nn.SELU(), (I(3, 4),)),
    LayerCase("CELU", lambda nn: nn.CELU(0.7), (I(3, 4),)),
    LayerCase("Hardsigmoid", lambda nn: nn.Hardsigmoid(), (I(3, 4),), forward=lambda m, x: m(x * 2)),
    LayerCase("Hardswish", lambda nn: nn.Hardswish(), (I(3, 4),), forward=lambda m, x: m(x * 2)),
    LayerCase("Softmin", lambda nn: nn.Softmin(dim=1), (I(3, 4),)),
    LayerCase("GLU", lambda nn: nn.GLU(), (I(3, 4),)),
    LayerCase("GLU_dim0", lambda nn: nn.GLU(0), (I(4, 3),)),
    LayerCase("PReLU", lambda nn: nn.PReLU(), (I(3, 4),)),
    LayerCase("PReLU_channels", lambda nn: nn.PReLU(3, init=0.1), (I(2, 3, 4),)),
    LayerCase("CosineSimilarity", lambda nn: nn.CosineSimilarity(), (I(3, 4), I(3, 4))),
    LayerCase("CosineSimilarity_dim", lambda nn: nn.CosineSimilarity(dim=-1), (I(2, 3, 4), I(4))),
    LayerCase("PairwiseDistance", lambda nn: nn.PairwiseDistance(), (I(3, 4), I(3, 4))),
    LayerCase("PairwiseDistance_p1", lambda nn: nn.PairwiseDistance(p=1, keepdim=True), (I(3, 4), I(4))),
    LayerCase("Dropout2d_eval", lambda nn: nn.Dropout2d(0.5), (I(2, 3, 4, 4),), modes=(False,)),
    LayerCase("normalize", lambda nn: nn.Identity(), (I(3, 4),),
              forward=lambda m, x: _functional(x).normalize(x, dim=1)),
    LayerCase("normalize_p1", lambda nn: nn.Identity(), (I(2, 3, 4),),
              forward=lambda m, x: _functional(x).normalize(x, p=1, dim=-1)),
    # recurrent layers: outputs, final states, given initial states, every layout
    LayerCase("RNN", lambda nn: nn.RNN(3, 4), (I(5, 2, 3),), forward=lambda m, x: m(x)[0]),
    LayerCase("RNN_h_n", lambda nn: nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), (I(5, 2, 3),),
              forward=lambda m, x: m(x)[1]),
    LayerCase("RNN_h0", lambda nn: nn.RNN(3, 4, batch_first=True), (I(2, 5, 3), I(1, 2, 4)),
              forward=lambda m, x, h: m(x, h)[0]),
    LayerCase("RNN_bidirectional", lambda nn: nn.RNN(3, 4, bidirectional=True, bias=False), (I(4, 2, 3),),
              forward=lambda m, x: m(x)[0]),
    LayerCase("LSTM", lambda nn: nn.LSTM(3, 4), (I(5, 2, 3),), forward=lambda m, x: m(x)[0]),
    LayerCase("LSTM_states", lambda nn: nn.LSTM(3, 4, num_layers=2), (I(4, 2, 3), I(2, 2, 4), I(2, 2, 4)),
              forward=lambda m, x, h, c: m(x, (h, c))[1][1]),
    LayerCase("LSTM_h_n", lambda nn: nn.LSTM(3, 4, batch_first=True, bidirectional=True), (I(2, 4, 3),),
              forward=lambda m, x: m(x)[1][0]),
    LayerCase("LSTM_unbatched", lambda nn: nn.LSTM(3, 2, num_layers=2), (I(4, 3),),
              forward=lambda m, x: m(x)[0]),
    LayerCase("GRU", lambda nn: nn.GRU(3, 4), (I(5, 2, 3),), forward=lambda m, x: m(x)[0]),
    LayerCase("GRU_h0", lambda nn: nn.GRU(3, 4, num_layers=2, bidirectional=True), (I(3, 2, 3), I(4, 2, 4)),
              forward=lambda m, x, h: m(x, h)[1]),
    LayerCase("GRU_batch_first", lambda nn: nn.GRU(2, 3, batch_first=True, bias=False), (I(2, 4, 2),),
              forward=lambda m, x: m(x)[0]),
    LayerCase("RNNCell", lambda nn: nn.RNNCell(3, 4), (I(2, 3), I(2, 4))),
    LayerCase("RNNCell_relu", lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"), (I(3,),)),
    LayerCase("LSTMCell", lambda nn: nn.LSTMCell(3, 4), (I(2, 3), I(2, 4), I(2, 4)),
              forward=lambda m, x, h, c: m(x, (h, c))[1]),
    LayerCase("LSTMCell_h", lambda nn: nn.LSTMCell(3, 4, bias=False), (I(2, 3),),
              forward=lambda m, x: m(x)[0]),
    LayerCase("GRUCell", lambda nn: nn.GRUCell(3, 4), (I(2, 3), I(2, 4))),
    # transposed convolutions (the DCGAN generator's layer)
    LayerCase("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 2, 3), (I(2, 3, 4, 5),)),
    LayerCase("ConvTranspose2d_stride", lambda nn: nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1),
              (I(2, 3, 4, 4),)),
    LayerCase("ConvTranspose2d_outpad", lambda nn: nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1,
                                                                      output_padding=1, bias=False),
              (I(1, 2, 3, 4),)),
    LayerCase("ConvTranspose2d_groups", lambda nn: nn.ConvTranspose2d(4, 6, (2, 3), stride=(1, 2), groups=2,
                                                                      dilation=2), (I(1, 4, 3, 3),)),
    LayerCase("ConvTranspose2d_bigpad", lambda nn: nn.ConvTranspose2d(2, 3, 3, padding=3), (I(1, 2, 6, 7),)),
    LayerCase("ConvTranspose2d_unbatched", lambda nn: nn.ConvTranspose2d(2, 3, 2, stride=3), (I(2, 3, 3),)),
    LayerCase("ConvTranspose2d_output_size", lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2),
              (I(1, 2, 4, 4),), forward=lambda m, x: m(x, output_size=(10, 10))),
    # attention
    LayerCase("MultiheadAttention", lambda nn: nn.MultiheadAttention(8, 2),
              (I(4, 3, 8), I(5, 3, 8), I(5, 3, 8)),
              forward=lambda m, q, k, v: m(q, k, v)[0]),
    LayerCase("MultiheadAttention_weights",
              lambda nn: nn.MultiheadAttention(6, 3, batch_first=True, bias=False),
              (I(2, 4, 6), I(2, 4, 6)), forward=lambda m, q, k: m(q, k, k)[1]),
    LayerCase("MultiheadAttention_masks", lambda nn: nn.MultiheadAttention(4, 2), (I(3, 2, 4),),
              forward=lambda m, x: m(x, x, x, attn_mask=_causal(x, 3),
                                     key_padding_mask=_pad_mask(x))[0]),
    LayerCase("MultiheadAttention_unbatched", lambda nn: nn.MultiheadAttention(4, 1), (I(3, 4),),
              forward=lambda m, x: m(x, x, x, average_attn_weights=False)[1]),
    LayerCase("TransformerEncoderLayer", lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
              (I(5, 2, 8),)),
    LayerCase("TransformerEncoderLayer_norm_first",
              lambda nn: nn.TransformerEncoderLayer(8, 4, 12, batch_first=True, norm_first=True,
                                                    activation="gelu"), (I(2, 5, 8),), modes=(False,)),
    LayerCase("TransformerEncoder", lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2, norm=nn.LayerNorm(4)), (I(3, 2, 4),),
        forward=lambda m, x: m(x, mask=_causal(x, 3))),
    LayerCase("TransformerDecoderLayer", lambda nn: nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0),
              (I(3, 2, 4), I(5, 2, 4)), forward=lambda m, t, mem: m(t, mem, tgt_mask=_causal(t, 3))),
    LayerCase("Transformer", lambda nn: nn.Transformer(4, 2, 1, 2, 8, dropout=0.0, batch_first=True),
              (I(2, 5, 4), I(2, 3, 4)),
              forward=lambda m, s, t: m(s, t, tgt_mask=m.generate_square_subsequent_mask(3))),
    LayerCase("sdpa", lambda nn: nn.Identity(), (I(2, 3, 4), I(2, 5, 4), I(2, 5, 6)),
              forward=lambda m, q, k, v: _functional(q).scaled_dot_product_attention(q, k, v)),
    LayerCase("sdpa_causal", lambda nn: nn.Identity(), (I(2, 4, 4), I(2, 4, 4), I(2, 4, 3)),
              forward=lambda m, q, k, v: _functional(q).scaled_dot_product_attention(q, k, v,
                                                                                     is_causal=True)),
    # 1-D convolutions
    LayerCase("Conv1d", lambda nn: nn.Conv1d(3, 4, 3), (I(2, 3, 7),)),
    LayerCase("Conv1d_strided", lambda nn: nn.Conv1d(4, 2, 2, stride=2, padding=1, dilation=2, groups=2,
                                                     bias=False), (I(2, 4, 9),)),
    LayerCase("Conv1d_same", lambda nn: nn.Conv1d(2, 3, 4, padding="same"), (I(2, 6),)),
    # 1-D pooling
    LayerCase("MaxPool1d", lambda nn: nn.MaxPool1d(3, 2), (I(2, 3, 9),)),
    LayerCase("MaxPool1d_pad", lambda nn: nn.MaxPool1d(2, padding=1, ceil_mode=True), (I(3, 7),)),
    LayerCase("AvgPool1d", lambda nn: nn.AvgPool1d(2), (I(2, 3, 8),)),
    LayerCase("AvgPool1d_pad", lambda nn: nn.AvgPool1d(3, 2, padding=1, count_include_pad=False),
              (I(2, 3, 8),)),
    LayerCase("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), (I(2, 3, 8),)),
    LayerCase("PixelShuffle", lambda nn: nn.PixelShuffle(2), (I(2, 8, 3, 4),)),
    LayerCase("PixelUnshuffle", lambda nn: nn.PixelUnshuffle(3), (I(2, 6, 9),)),
    LayerCase("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d((3, 2)), (I(2, 3, 7, 5),)),
    LayerCase("AdaptiveMaxPool2d_one", lambda nn: nn.AdaptiveMaxPool2d(1), (I(3, 4, 4),)),
    LayerCase("InstanceNorm2d", lambda nn: nn.InstanceNorm2d(3), (I(2, 3, 4, 5),)),
    LayerCase("InstanceNorm2d_affine", lambda nn: nn.InstanceNorm2d(3, affine=True), (I(3, 4, 5),)),
    LayerCase("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(2, eps=1e-3, affine=True), (I(2, 2, 6),)),
    # padding
    LayerCase("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 2, 0, 3)), (I(2, 3, 4, 5),)),
    LayerCase("ConstantPad1d", lambda nn: nn.ConstantPad1d(2, 3.5), (I(2, 3, 4),)),
    LayerCase("ConstantPad2d_crop", lambda nn: nn.ConstantPad2d((-1, 2, 1, -2), 1.0), (I(1, 2, 4, 5),)),
    LayerCase("ReflectionPad2d", lambda nn: nn.ReflectionPad2d((1, 3, 2, 0)), (I(1, 2, 4, 5),)),
    LayerCase("ReflectionPad1d", lambda nn: nn.ReflectionPad1d(2), (I(2, 3, 4),)),
    LayerCase("ReplicationPad2d", lambda nn: nn.ReplicationPad2d(2), (I(1, 2, 3, 4),)),
    LayerCase("pad_circular", lambda nn: nn.Identity(), (I(1, 2, 3, 4),),
              forward=lambda m, x: _functional(x).pad(x, (1, 2, 3, 0), mode="circular")),
    LayerCase("pad_last_dim", lambda nn: nn.Identity(), (I(3, 4),),
              forward=lambda m, x: _functional(x).pad(x, (0, 3), value=-1.0)),
    # resizing (functional.interpolate through Upsample and directly)
    LayerCase("Upsample", lambda nn: nn.Upsample(scale_factor=2), (I(2, 3, 4, 5),)),
    LayerCase("Upsample_bilinear", lambda nn: nn.Upsample(size=(7, 3), mode="bilinear"), (I(1, 2, 4, 5),)),
    LayerCase("Upsample_align", lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
              (I(1, 2, 4, 5),)),
    LayerCase("Upsample_linear", lambda nn: nn.Upsample(size=9, mode="linear"), (I(2, 3, 4),)),
    LayerCase("interpolate_antialias", lambda nn: nn.Identity(), (I(1, 2, 9, 8),),
              forward=lambda m, x: _functional(x).interpolate(x, size=(4, 3), mode="bilinear",
                                                              antialias=True)),
    LayerCase("interpolate_nearest_exact", lambda nn: nn.Identity(), (I(1, 2, 5, 4),),
              forward=lambda m, x: _functional(x).interpolate(x, scale_factor=(0.6, 1.7),
                                                              mode="nearest-exact")),
]


def _causal(x, n):
    """A (n, n) boolean mask, True above the diagonal (PyTorch's modules: True = may not attend)."""
    import numpy as np
    return _lib(x).tensor(np.triu(np.ones((n, n), dtype=bool), 1))


def _pad_mask(x):
    """Key padding for a (L, N, E) batch: the last key of the second sequence is padding."""
    import numpy as np
    mask = np.zeros((x.shape[1], x.shape[0]), dtype=bool)
    mask[1, -1] = True
    return _lib(x).tensor(mask)


def _lib(x):
    import gradstep
    if isinstance(x, gradstep.Tensor):
        return gradstep
    import torch
    return torch


def _functional(x):
    """The ``nn.functional`` of the library ``x`` belongs to."""
    import gradstep
    if isinstance(x, gradstep.Tensor):
        return gradstep.nn.functional
    import torch
    return torch.nn.functional
