"""One measurement in a fresh process: ``python -m benchmarks.child MODULE CONTENDER JSON_KWARGS``.

Runs ``benchmarks.MODULE.run(CONTENDER, **kwargs)`` and prints its result as one JSON line,
with the process's peak resident memory added (``peak_rss_mb``).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys


def main(argv: list[str]) -> None:
    module, contender, kwargs = argv[0], argv[1], json.loads(argv[2])
    result = importlib.import_module(f"benchmarks.{module}").run(contender, **kwargs)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
