"""The ``weights=`` argument of the torchvision architectures: names that resolve, weights that do not.

torchvision's builders take ``weights=None`` (random initialisation, which gradstep does) or a
``*_Weights`` member that downloads a pretrained checkpoint. Those checkpoints are pickles, which
gradstep never loads, so every value but None is refused in one line that says what to do instead.
"""

from __future__ import annotations

import enum
import warnings

from .._errors import NotSupportedValueError


class WeightsEnum(enum.Enum):
    """The pretrained checkpoints torchvision lists for an architecture (names only)."""


def weights_enum(name: str, *members: str) -> type[WeightsEnum]:
    """``name`` with the members torchvision has, ``DEFAULT`` an alias of the last one (as there)."""
    values = {m: f"{name}.{m}" for m in members}
    return WeightsEnum(name, {**values, "DEFAULT": values[members[-1]]})


def refuse_weights(weights, builder: str, pretrained=None) -> None:
    """Accept ``weights=None`` (and the deprecated ``pretrained=False``); refuse the rest in one line."""
    if pretrained is not None:
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
                      "future, please use 'weights' instead.", UserWarning, stacklevel=3)
        if pretrained:
            weights = "pretrained=True"
    if weights is None:
        return None
    shown = weights if isinstance(weights, str) else getattr(weights, "value", weights)
    raise NotSupportedValueError(
        f"{builder}(weights={shown!r}): gradstep does not download pretrained weights "
        f"(torchvision's checkpoints are pickles, which gradstep never loads); use "
        f"weights=None and train, or save the weights with safetensors in PyTorch and "
        f"load_state_dict them")
