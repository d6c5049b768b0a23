"""``python -m gradstep.torch script.py [args...]``: run a PyTorch script on gradstep, unmodified."""

from __future__ import annotations

import os
import runpy
import sys
import traceback

USAGE = """\
usage: python -m gradstep.torch [-m module | script.py] [args...]

Run an unmodified PyTorch program on gradstep. While it runs, `import torch`, torch.nn,
torch.nn.functional, torch.nn.init, torch.optim, torch.optim.lr_scheduler, torch.autograd,
torch.utils.data, torchvision.datasets and torchvision.transforms resolve to gradstep's own
modules; the script and its arguments are passed on as `python script.py args...` would.

  python -m gradstep.torch quickstart.py --epochs 5
  python -m gradstep.torch -m mypackage.train --lr 0.1

Everything runs on the CPU: torch.cuda.is_available() is False, so scripts that choose their
device choose the CPU. torch.save/torch.load write and read safetensors (never pickle). A torch
name gradstep lacks stops the program with one line naming it, e.g.
  train.py:12: gradstep does not implement torch.fft (see docs/torch-coverage.md)
In Jupyter or IPython, `%load_ext gradstep.torch` does the same for the rest of the session.
A real PyTorch installed beside gradstep is untouched outside this command.
"""


def _user_frame(tb, script: str | None) -> str:
    """``file:line`` of the innermost frame in the user's code (outside gradstep and runpy)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    where = ""
    for frame, line in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if not name.startswith(here) and "importlib" not in name and not name.endswith("runpy.py"):
            shown = os.path.relpath(name) if not name.startswith("<") else name
            where = f"{name if shown.startswith('..') else shown}:{line}"
    return where


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    module = None
    if argv[0] == "-m":
        if len(argv) < 2:
            print("python -m gradstep.torch -m: give the module to run", file=sys.stderr)
            return 2
        module, args = argv[1], argv[2:]
        sys.argv = [module, *args]
    else:
        script = argv[0]
        if not os.path.isfile(script):
            print(f"python -m gradstep.torch: cannot open {script!r}: no such file", file=sys.stderr)
            return 2
        sys.argv = list(argv)
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))

    from .._errors import NotSupportedError
    from . import install
    from ._hook import NotImplementedInGradstep, TorchModuleNotInGradstep

    install()
    try:
        if module is not None:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(script, run_name="__main__")
    except (NotImplementedInGradstep, TorchModuleNotInGradstep, NotSupportedError) as e:  # one line each
        where = _user_frame(e.__traceback__, None)
        print(f"{where}: {e}" if where else str(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
