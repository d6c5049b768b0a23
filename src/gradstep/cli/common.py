"""Pieces every command shares: the parser that reports errors on one line, exit codes."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED = 0, 1, 2, 3
EXIT_CODES = """exit codes:
  0    success
  1    failure while running (a disk full or read-only, a DataLoader worker killed); earlier files intact
  2    bad arguments, configuration, checkpoint, data file or output folder (one line says which)
  3    training diverged (the loss or a gradient became NaN or infinite)
  130  interrupted by Ctrl-C (SIGINT): a checkpoint of the last step is saved, and how to resume said
  143  interrupted by SIGTERM: likewise"""


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 2."""

    def __init__(self, message: str, command: str = ""):
        super().__init__(message)
        self.command = command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of argparse's usage + message
        raise UsageError(message, self.prog.split(" ", 1)[1] if " " in self.prog else "")


def make_parser(prog: str, **kwargs) -> argparse.ArgumentParser:
    return _Parser(prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
