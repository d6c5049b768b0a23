"""What the figures were measured on: CPU, cores, load, library versions and thread counts."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def host() -> dict:
    """Facts of the machine that do not depend on the thread setting."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


def libraries() -> dict:
    """Versions and thread counts as this process sees them (run in a child per thread setting):
    NumPy's BLAS threads via threadpoolctl after ``import gradstep`` (its thread policy applied),
    and PyTorch's intra-op threads."""
    import numpy as np
    info = {"numpy": np.__version__}
    try:
        import gradstep
        info["gradstep"] = gradstep.__version__
        info["gradstep_threads"] = getattr(gradstep, "get_num_threads", lambda: None)()
    except ImportError:
        info["gradstep"] = None
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version", "num_threads",
                                                       "prefix", "architecture")} for p in threadpool_info()]
    except ImportError:
        info["threadpools"] = None
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def run(contender: str) -> dict:
    """The child entry: ``contender`` is ignored (one probe per thread setting)."""
    return libraries()
