"""Launching worker scripts with ``mpiexec -n N`` (the one installed next to this Python by
``pip install 'gradstep[mpi]'``), or skipping with the reason when MPI is not installed
(failing instead when GRADSTEP_REQUIRE_MPI=1, which CI sets)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"
MPIEXEC = Path(sys.executable).parent / "mpiexec"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
for _var in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"):
    ENV.pop(_var, None)


def _missing() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed"
    if not MPIEXEC.exists():
        return f"there is no mpiexec next to {sys.executable}"
    return None


def require_mpi() -> None:
    """Skip the calling test, with the reason, unless mpi4py and mpiexec are installed."""
    missing = _missing()
    if missing is None:
        return
    reason = f"{missing}, so the multi-process tests are skipped: pip install 'gradstep[mpi]' to run them"
    if os.environ.get("GRADSTEP_REQUIRE_MPI") == "1":
        pytest.fail(f"GRADSTEP_REQUIRE_MPI=1 but {reason}")
    pytest.skip(reason)


def command(n: int, *args) -> list[str]:
    """``mpiexec -n n python <args>``: a worker script of ``workers/`` by name, or ``-m ...``."""
    args = [str(WORKERS / args[0]) if str(args[0]).endswith(".py") else str(args[0]), *map(str, args[1:])]
    return [str(MPIEXEC), "-n", str(n), sys.executable, *args]


def run(n: int, *args, timeout: float = 180, cwd=None) -> subprocess.CompletedProcess:
    require_mpi()
    return subprocess.run(command(n, *args), capture_output=True, text=True, env=ENV, timeout=timeout,
                          cwd=cwd)


def popen(n: int, *args, cwd=None) -> subprocess.Popen:
    require_mpi()
    return subprocess.Popen(command(n, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV, cwd=cwd)
