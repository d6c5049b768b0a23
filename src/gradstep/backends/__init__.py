"""``gradstep.backends``: the ``torch.backends`` switches PyTorch code sets or asks about.

``mps.is_available()`` is False; ``cudnn``'s flags can be set, as training scripts do for
reproducibility, and change nothing (there is no cuDNN).
"""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
