"""Pieces every command shares: the parser that reports errors on one line, exit codes."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_USAGE, EXIT_DIVERGED = 0, 2, 3


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
