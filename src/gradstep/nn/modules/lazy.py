"""Lazy layers (``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d/2d``): the input size is read from
the first input, as in PyTorch. Until then the parameters are ``UninitializedParameter``s; the
first call gives them their shapes, runs ``reset_parameters`` and turns the module into its
ordinary class (``Linear``, ...), so it then costs nothing extra.
"""

from __future__ import annotations

from ... import _creation
from ...autograd.tensor import Tensor
from ..parameter import UninitializedParameter
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv2d
from .linear import Linear
from .module import Module, _as_array


class LazyModuleMixin:
    """Infers the sizes from the first input: ``initialize_parameters(input)`` then becomes
    ``cls_to_become``."""

    cls_to_become: type

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            if not args or not isinstance(args[0], Tensor):
                raise TypeError(f"{type(self).__name__} infers its sizes from its first input, which must "
                                f"be a Tensor")
            self.initialize_parameters(args[0])
        self.__class__ = self.cls_to_become
        return Module.__call__(self, *args, **kwargs)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """As PyTorch's lazy load hook: an uninitialised parameter takes its checkpoint entry's shape,
        so a state dict loads into a lazy module that has not seen an input yet."""
        shapes = {}
        for name in self._sized_by_checkpoint():
            key = prefix + name
            if key in state_dict:
                try:
                    shapes[name] = _as_array(state_dict[key], key).shape
                except TypeError:
                    pass  # reported by the load below
        if shapes:
            self._materialize_loaded(shapes)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def _sized_by_checkpoint(self) -> list[str]:
        """The entries whose checkpoint shapes size this module."""
        return [n for n in ("weight", "bias") if isinstance(getattr(self, n, None), UninitializedParameter)]

    def _materialize_loaded(self, shapes: dict) -> None:
        for name, shape in shapes.items():
            getattr(self, name).materialize(shape)

    def _lazy(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) is not None:
                setattr(self, name, UninitializedParameter(dtype=getattr(self, name).dtype))


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, out_features, bias, device, dtype)
        self._lazy("weight", "bias")

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        self.in_features = input.shape[-1] if input.ndim else 1
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()

    def _materialize_loaded(self, shapes: dict) -> None:
        super()._materialize_loaded(shapes)
        if len(shapes.get("weight", ())) == 2:
            self.in_features = shapes["weight"][1]


class LazyConv2d(LazyModuleMixin, Conv2d):
    """``Conv2d`` whose ``in_channels`` is the channel dim of its first input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(groups, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        self.in_channels = 0
        self._lazy("weight", "bias")

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        self.in_channels = input.shape[-3] if input.ndim >= 3 else 0
        if self.in_channels % self.groups or not self.in_channels:
            raise ValueError(f"LazyConv2d: input of shape {input.shape} has {self.in_channels} channels, "
                             f"which must be a positive multiple of groups ({self.groups})")
        self.weight.materialize((self.out_channels, self.in_channels // self.groups) + self.kernel_size)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def _materialize_loaded(self, shapes: dict) -> None:
        super()._materialize_loaded(shapes)
        if len(shapes.get("weight", ())) == 4:
            self.in_channels = shapes["weight"][1] * self.groups


class _LazyBatchNorm(LazyModuleMixin):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None) -> None:
        super().__init__(1, eps, momentum, affine, track_running_stats, device, dtype)
        self.num_features = 0
        self._lazy("weight", "bias")

    def has_uninitialized_params(self) -> bool:
        return self.num_features == 0

    def _sized_by_checkpoint(self) -> list[str]:
        return [] if self.num_features else ["weight", "bias", "running_mean"]

    def _materialize_loaded(self, shapes: dict) -> None:
        n = next(iter(shapes.values()))
        self._set_num_features(n[0] if len(n) == 1 else 0)

    def _set_num_features(self, n: int) -> None:
        """Size the parameters and running statistics for ``n`` channels."""
        if not n:
            return
        self.num_features = n
        for name in ("weight", "bias"):
            p = getattr(self, name)
            if isinstance(p, UninitializedParameter):
                p.materialize((n,))
        if self.track_running_stats:
            dt = self.running_mean.dtype
            self.running_mean = _creation.zeros(n, dtype=dt)
            self.running_var = _creation.ones(n, dtype=dt)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.num_features:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"{type(self).__name__}: expected an input with a channel dim, got shape "
                             f"{input.shape}")
        self._set_num_features(input.shape[1])


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    cls_to_become = BatchNorm2d
