"""Pieces every command shares: the parser that reports errors on one line, exit codes, the
options generated from a config's fields, and the one parser of ``--lr``."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time

from ..explore.config import BOOL, FLAGS, OPTIONS, ConfigError, Kind, Number, OneOf

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED = 0, 1, 2, 3
EXIT_CODES = """exit codes:
  0    success
  1    failure while running (a disk full or read-only, a DataLoader worker killed); earlier files intact
  2    bad arguments, configuration, checkpoint, data file or output folder (one line says which)
  3    training diverged (the loss or a gradient became NaN or infinite)
  130  interrupted by Ctrl-C (SIGINT): a checkpoint of the last step is saved, and how to resume said
  143  interrupted by SIGTERM: likewise"""


class UsageError(ConfigError):
    """Bad arguments: printed as one line, exit code 2."""

    def __init__(self, message: str, command: str = ""):
        super().__init__(message)
        self.command = command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of argparse's usage + message
        raise UsageError(message, self.prog.split(" ", 1)[1] if " " in self.prog else "")


def make_parser(prog: str, **kwargs) -> argparse.ArgumentParser:
    return _Parser(prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def add_command(sub, name: str, help: str, description: str) -> argparse.ArgumentParser:
    """A command's parser, reporting its errors on one line."""
    p = sub.add_parser(name, help=help, description=description,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    return p


# --------------------------------------------------------------------------- options from a config

FLAGS = {**FLAGS, "opt_args": "--opt-arg", "sched_args": "--sched-arg"}  # dict options: KEY=VALUE, repeated


def flag_of(name: str) -> str:
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def add_config_options(group, config, names, choices: dict | None = None, helps: dict | None = None) -> None:
    """An option per field of ``config`` (an instance: its values are the defaults shown) named in
    ``names``, typed by the field's check, with the field's help; nothing given means the config's
    default (``argparse.SUPPRESS``), so the command line and the Python API cannot disagree."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    for name in names:
        f = fields[name]
        check = f.metadata.get("check")
        default = getattr(config, name)
        text = (helps or {}).get(name) or f.metadata.get("help", "")
        if choices and name in choices:
            text += f"; one of {', '.join(choices[name])}"
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        if shown not in (None, {}, ""):
            text += f" (default {shown})"
        kwargs: dict = {"default": argparse.SUPPRESS, "help": text}
        if check is OPTIONS:
            kwargs.update(action="append", metavar="KEY=VALUE")
        elif check is BOOL or (isinstance(check, Kind) and check.types == (bool,)):
            kwargs.update(action=argparse.BooleanOptionalAction)
        elif isinstance(check, Number):
            kwargs.update(type=int if check.integer else float)
        elif isinstance(check, OneOf):
            kwargs.update(choices=list(check.choices))
        group.add_argument(flag_of(name), dest=name, **kwargs)


def given(args: argparse.Namespace, names) -> dict:
    """The options among ``names`` that were given on the command line."""
    return {k: v for k, v in vars(args).items() if k in names}


# --------------------------------------------------------------------------- --lr, one parser

LR_HELP = ("learning rate: VALUE for every optimizer, NAME=VALUE for one (repeatable, or comma-separated: "
           "sgd=0.1,adam=0.003)")


def parse_lr(items, command: str) -> tuple[list[float], dict[str, float]]:
    """``--lr`` in every command: ``["0.1"]``, ``["0.002,0.2,5"]`` or ``["sgd=0.1,adam=0.05"]`` ->
    (the bare values, {optimizer name: value}); the command says which forms it takes."""
    if isinstance(items, str):
        items = [items]
    values, named = [], {}
    for item in items or ():
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, sep, value = part.rpartition("=")
            try:
                lr = float(value)
            except ValueError:
                raise UsageError(f"--lr {part!r}: allowed is VALUE or NAME=VALUE with a number",
                                 command) from None
            if sep:
                if not name.strip():
                    raise UsageError(f"--lr {part!r}: allowed is VALUE or NAME=VALUE", command)
                named[name.strip().lower()] = lr
            else:
                values.append(lr)
    return values, named


def add_format_option(group) -> None:
    """``--format png,svg,pdf``: the formats every figure of the command is written in."""
    group.add_argument("--format", dest="formats", default="png", metavar="FORMATS",
                       help="figure formats: png, svg, pdf, comma-separated (default png)")


def formats_of(args: argparse.Namespace) -> tuple:
    """The formats ``--format`` names; ConfigError (exit 2) naming the allowed ones otherwise."""
    from ..explore.config import FIGURE_FORMATS, parse_names
    return parse_names("formats", getattr(args, "formats", "png"), FIGURE_FORMATS) or ("png",)


def report_written(out: str, files: list[str], suffix: str = "") -> None:
    """``wrote runs/x/ (report.md, loss.png, ...)``: the files the result says it wrote."""
    import os
    names = ", ".join(os.path.relpath(f, out) for f in files)
    print(f"wrote {out}/ ({names}){suffix}")


def warn(message: str) -> None:
    print(message, file=sys.stderr)


# --------------------------------------------------------------------------- owned output folders

def add_overwrite_option(group) -> None:
    """``--overwrite``: the one way to write into a folder that holds another run's results."""
    group.add_argument("--overwrite", action="store_true",
                       help="replace the results already in --out (else a folder holding another run's "
                            "results is refused)")


@contextlib.contextmanager
def owned_folder(out: str, args: argparse.Namespace, mode: str | None = None):
    """Hold ``out`` for the life of a command (``gradstep.train.run_folder.RunFolder``, as train
    does): refused if it holds another run's results unless ``--overwrite``, locked against a
    second process, a dead holder's lock taken over (said on stderr)."""
    from ..train.run_folder import RunFolder

    overwrite = getattr(args, "overwrite", False)
    with RunFolder(out, mode or ("overwrite" if overwrite else "new"), resumable=False) as folder:
        if folder.took_over is not None:
            warn(f"gradstep: took over {out}'s lock from pid {folder.took_over}, which no longer runs")
        yield folder


def run_into_folder(config, args: argparse.Namespace, command: str, **run_kwargs):
    """Run ``config`` and write its result into ``config.out`` (default ``runs/<command>-<time>``),
    the folder owned for the whole run (``owned_folder``), in the formats of ``--format``; returns
    ``(result, out, files)``."""
    out = config.out or f"runs/{command}-{time.strftime('%Y%m%d-%H%M%S')}"
    with owned_folder(out, args):  # refused if another run's, locked until the files are written
        result = config.run(**run_kwargs)
        files = result.write(out, formats_of(args))
    return result, out, files
