"""The ``gradstep`` command line: argument parsing only; every command calls the Python API.

    gradstep train [options]          train a model (``gradstep train --help``)
    gradstep evaluate CHECKPOINT      loss and accuracy of a saved model on a test split
    gradstep landscape [options]      optimizers on 2-D test functions, with trajectory plots

Exit codes: 0 success, 2 bad arguments (one line saying what is wrong), 3 training diverged.
"""

from __future__ import annotations

import sys

from .common import EXIT_USAGE, UsageError, make_parser


def main(argv: list[str] | None = None) -> int:
    from . import evaluate, landscape, train

    commands = {"train": train, "evaluate": evaluate, "landscape": landscape}
    parser = make_parser("gradstep", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in commands.values():
        module.add_parser(sub)
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        return commands[args.command].run(args)
    except UsageError as e:
        print(f"gradstep {getattr(e, 'command', '') or ''}: error: {e}".replace("  ", " "), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradstep: interrupted", file=sys.stderr)
        return 130
