"""``import gradstep`` against ``import torch`` (and ``import numpy``, which both pay): wall time of
the import statement in a fresh interpreter, and the resident memory right after it.

As a user's installation would, the import runs with compiled bytecode: an untimed import first
writes the ``.pyc`` files (even where ``PYTHONDONTWRITEBYTECODE`` is set), then the timed one runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CONTENDERS = ("gradstep", "torch", "numpy")
_CODE = ("import resource, time, json\n"
         "t, c = time.perf_counter(), time.process_time()\n"
         "import {module}\n"
         "s, cpu = time.perf_counter() - t, time.process_time() - c\n"
         "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
         "print(json.dumps({{'seconds': s, 'cpu_seconds': cpu, 'rss_mb': rss}}))")


def run(contender: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = _CODE.format(module=contender)
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)  # bytecode
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
