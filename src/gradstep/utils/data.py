"""``gradstep.utils.data`` is ``gradstep.data``, under PyTorch's path ``torch.utils.data``."""

from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
