"""The ``gradstep`` command line: argument parsing only; every command calls the Python API.

    gradstep train [options]          train a model (``gradstep train --help``)
    gradstep evaluate CHECKPOINT      loss and accuracy of a saved model on a test split
    gradstep compare [options]        compare optimizers fairly on the same model and data
    gradstep sweep [options]          a grid of learning rates, batch sizes, optimizer arguments
    gradstep lr-find [options]        the learning-rate range test
    gradstep landscape [options]      optimizers on 2-D test functions, with trajectory plots
    gradstep plot RUN [RUN...]        overlay the curves of finished runs

Exit codes (``common.EXIT_CODES``, shown by ``gradstep --help``): 0 success, 1 failure while
running, 2 bad input (one line saying what is wrong), 3 training diverged, 130/143 interrupted.

Started by ``mpiexec -n N``, the processes join one world as soon as the arguments are parsed
(``gradstep.distributed.init``) and ``train`` trains data-parallel; from then on, a process that
fails ends the whole job (``MPI_Abort``) after printing its rank and the error, so that none is
left waiting for it.
"""

from __future__ import annotations

import sys

from .common import EXIT_CODES, EXIT_FAILED, EXIT_USAGE, UsageError, make_parser

# Every command, in the order of the help: a module with ``add_parser(sub)`` and ``run(args)``.
COMMANDS = {"train": "train", "evaluate": "evaluate", "compare": "compare", "sweep": "sweep",
            "lr-find": "lr_find", "landscape": "landscape", "plot": "plot"}


def main(argv: list[str] | None = None) -> int:
    import importlib

    from .. import distributed as dist
    from ..data.datasets import DataFileError
    from ..data.worker import WorkerDiedError
    from ..explore.config import ConfigError
    from ..serialization import CheckpointError
    from ..train.run_folder import OutputFolderError

    commands = {name: importlib.import_module(f".{module}", __name__) for name, module in COMMANDS.items()}
    parser = make_parser("gradstep", description=__doc__.split("\n\n")[0], epilog=EXIT_CODES)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in commands.values():
        module.add_parser(sub)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the command they were given to
            raise UsageError(f"unrecognized arguments: {' '.join(extra)}", args.command or "")
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        dist.init()
        return commands[args.command].run(args)
    except (ConfigError, CheckpointError, DataFileError, OutputFolderError) as e:  # bad input: exit 2
        command = e.command if isinstance(e, UsageError) else getattr(args, "command", None)
        name = " ".join(filter(None, ("gradstep", command)))
        print(f"{name}: error: {_where()}{e}", file=sys.stderr)
        return _failed(EXIT_USAGE)
    except (OSError, WorkerDiedError) as e:  # a full or read-only disk, a dead worker: one line, exit 1
        name = " ".join(filter(None, ("gradstep", getattr(args, "command", None))))
        what = f"{e.strerror} ({e.filename})" if getattr(e, "strerror", None) and e.filename else e
        print(f"{name}: error: {_where()}{what}; the files written before are intact", file=sys.stderr)
        return _failed(EXIT_FAILED)
    except dist.DistributedError as e:
        if not e.collective or not dist.is_initialized() or dist.is_main_process():
            print(f"gradstep: error: {'' if e.collective else _where()}{e}", file=sys.stderr)
        return 1 if e.collective else _failed(1)  # an error every process raised ends none early
    except KeyboardInterrupt:
        print(f"gradstep: {_where()}interrupted", file=sys.stderr)
        return _failed(130)


def _multi_process() -> bool:
    from .. import distributed as dist
    return dist.is_initialized() and dist.get_world_size() > 1


def _where() -> str:
    """``"rank 1 of 4 (pid 123 on node7): "`` in a run of several processes, else nothing."""
    from .. import distributed as dist
    return f"{dist.describe_process()}: " if _multi_process() else ""


def _failed(code: int) -> int:
    """``code``; in a run of several processes, end all of them with it (the others may be waiting
    for this one in a collective)."""
    if _multi_process():
        from .. import distributed as dist
        dist.abort(code)
    return code
