"""One measurement in a fresh process: ``python -m benchmarks.child MODULE CONTENDER JSON_KWARGS``.

Runs ``benchmarks.MODULE.run(CONTENDER, **kwargs)`` and prints its result as one JSON line,
with the process's peak resident memory added (``peak_rss_mb``). A contender whose optional
library is not installed (JAX) gives ``{"unavailable": reason}`` instead.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys

from . import Unavailable


def main(argv: list[str]) -> None:
    module, contender, kwargs = argv[0], argv[1], json.loads(argv[2])
    try:
        result = importlib.import_module(f"benchmarks.{module}").run(contender, **kwargs)
    except Unavailable as e:
        print("RESULT " + json.dumps({"unavailable": str(e)}), flush=True)
        return
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
