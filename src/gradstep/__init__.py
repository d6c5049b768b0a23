"""gradstep: train neural networks with gradient descent on NumPy, with PyTorch's API.

    import gradstep as gs
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad          # tensor([2., 4.])
"""

import math as _math

from ._creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_device,
    is_tensor,
    linspace,
    meshgrid,
    normal,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_default_device,
    tensor,
    zeros,
    zeros_like,
)
from ._device import DeviceError, device
from ._dtype import (
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._errors import ArgumentError, DTypeError, IndexRangeError, ShapeError
from ._functions import *  # noqa: F401,F403
from ._functions import __all__ as _function_names
from ._memory import apply_default as _apply_memory_policy
from ._printing import set_printoptions
from ._size import Size
from ._threads import apply_default as _apply_thread_policy
from ._threads import get_num_threads, set_num_threads
from .autograd import (
    Function,
    Tensor,
    enable_grad,
    gradcheck,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .saving import CheckpointError, load, save


def _apply_environment_policies() -> None:
    """The thread and malloc policies of ``import gradstep``: NumPy's BLAS on one thread unless the
    user chose (see _threads), malloc keeping freed arrays for the next step (see _memory). A bad
    ``GRADSTEP_*`` value does not stop the import, as a bad ``OMP_NUM_THREADS`` does not stop
    PyTorch's: one warning line names it and what is allowed, and the default applies."""
    import warnings

    for policy in (_apply_thread_policy, _apply_memory_policy):
        try:
            policy()
        except ValueError as e:  # one line, attributed to gradstep rather than a line of source
            warnings.warn_explicit(f"{e}; using the default", UserWarning, "gradstep", 0)
            policy({})


_apply_environment_policies()

__version__ = "0.1.0"

# PyTorch's constants
e = _math.e
pi = _math.pi
inf = _math.inf
nan = _math.nan

# The layers above the core (each imports only from the layers below it).
from . import data, nn, optim, utils  # noqa: E402

_LAZY = ("cuda", "accelerator", "backends", "linalg", "distributions")  # loaded on first use


__all__ = ["Tensor", "Function", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
           "arange", "linspace", "eye", "rand", "randn", "randint", "randperm", "normal",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "is_tensor", "numel", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "Generator", "default_generator", "no_grad", "enable_grad", "inference_mode",
           "set_grad_enabled", "is_grad_enabled", "gradcheck", "ShapeError", "ArgumentError", "DTypeError",
           "IndexRangeError",
           "float16", "half", "float32", "float", "float64", "double", "uint8", "int8", "int16",
           "short", "int32", "int", "int64", "long", "bool", "complex64", "complex128", "cfloat", "cdouble",
           "get_default_dtype",
           "set_default_dtype", "save", "load", "CheckpointError", "data", "nn", "optim", "utils",
           "set_num_threads", "get_num_threads", "meshgrid", "device", "DeviceError", "Size",
           "set_printoptions",
           "e", "pi", "inf", "nan", "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "set_default_device",
           "get_default_device",
           *_function_names]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    if name == "compile_step":  # gradstep.train's, like torch.compile at the top level
        from .train.compiled_step import compile_step
        return compile_step
    raise AttributeError(f"module 'gradstep' has no attribute {name!r}")
