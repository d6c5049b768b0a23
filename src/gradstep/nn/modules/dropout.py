"""``Dropout``: inverted dropout in training, the identity in eval."""

from __future__ import annotations

from ...autograd.tensor import Tensor
from ..functional.dropout import check_p, dropout, dropout1d, dropout2d
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) while
    training; pass the input through unchanged in eval. The mask is drawn from gradstep's
    seeded generator (``gradstep.manual_seed``)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_p(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) inputs with probability ``p`` while training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zero whole channels (feature maps) of (N, C, H, W) inputs with probability ``p`` while training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, self.inplace)
