"""``gradstep.torch``: run unmodified PyTorch code on gradstep.

    python -m gradstep.torch train.py --epochs 3     # a script
    %load_ext gradstep.torch                         # the rest of a Jupyter/IPython session

While active, ``import torch`` (``torch.nn``, ``torch.optim``, ``torch.utils.data``,
``torchvision.datasets``, ``torchvision.transforms``, ...) resolves to gradstep's own modules. This
package is a doorway, not a second library: it maps names and nothing else. A torch name gradstep
lacks fails where it is used with ``gradstep does not implement torch.X (see
docs/torch-coverage.md)``. Importing ``gradstep`` alone never installs it, so a real torch beside
gradstep stays untouched.
"""

from __future__ import annotations

from ._hook import NotImplementedInGradstep, TorchModuleNotInGradstep, install, installed, uninstall

__all__ = ["install", "uninstall", "installed", "NotImplementedInGradstep", "TorchModuleNotInGradstep",
           "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext gradstep.torch``: ``import torch`` gives gradstep for the rest of the session."""
    install()


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext gradstep.torch``: torch names resolve as before."""
    uninstall()
