"""``gradstep landscape``: options into a ``LandscapeConfig``, then ``gradstep.explore.run_landscape``."""

from __future__ import annotations

import argparse
import re

from .common import (
    EXIT_OK,
    LR_HELP,
    UsageError,
    add_command,
    add_config_options,
    given,
    parse_lr,
    report_written,
)

DESCRIPTION = """Run several optimizers on a two-dimensional test function from the same start and
write landscape.png (contours, the field of −∇f as arrows, every trajectory), convergence.png,
report.md (steps to tolerance per optimizer), results.json and, with --gif, landscape.gif into
--out. Each optimizer is the gradstep.optim class `gradstep train --optimizer NAME` builds; its
learning rate defaults to one suited to the function (--lr NAME=VALUE overrides it).

functions:
{functions}

examples:
  gradstep landscape --function rosenbrock --optimizers sgd,momentum,adam --steps 500 \
                     --start -1.5,2 --lr adam=0.05
  gradstep landscape --function ill-conditioned --optimizers sgd,momentum --lr sgd=0.01,momentum=0.01
  gradstep landscape --function saddle --optimizers sgd,adam --gif
  gradstep landscape --function beale --optimizers adam,nadam --opt-arg nadam.momentum_decay=0.01
"""


def _function_list() -> str:
    from ..explore.functions import SURFACES
    return "\n".join(f"  {s.name:<24} {s.formula}" for s in SURFACES.values())


OWN = ("function", "optimizers", "steps", "tol", "criterion", "gif", "out")


def add_parser(sub) -> None:
    from ..explore.builders import optimizer_names
    from ..explore.landscape import LandscapeConfig

    d = LandscapeConfig()
    p = add_command(sub, "landscape", "optimizers on 2-D test functions, with trajectory plots",
                    DESCRIPTION.format(functions=_function_list()))
    # "--start -1.5,2": let values that start with a minus and a digit be values, not options
    p._negative_number_matcher = re.compile(r"^-\.?\d")
    add_config_options(p, d, OWN, {"optimizers": optimizer_names()})
    p.add_argument("--start", metavar="X,Y", default=argparse.SUPPRESS,
                   help="the starting point (default: the function's)")
    p.add_argument("--lr", action="append", dest="lr_values", metavar="[NAME=]VALUE",
                   default=argparse.SUPPRESS,
                   help=LR_HELP + " (default: one suited to the function)")
    p.add_argument("--opt-arg", action="append", metavar="NAME.KEY=VALUE", default=argparse.SUPPRESS,
                   dest="opt_args", help="another argument of one optimizer, e.g. momentum.momentum=0.5")


def config_from(args: argparse.Namespace):
    """The LandscapeConfig the options describe (its defaults where none is given)."""
    from ..explore.config import parse_value
    from ..explore.landscape import LandscapeConfig

    own = given(args, OWN)
    if "optimizers" in own:
        own["optimizers"] = tuple(n.strip() for n in own["optimizers"].split(",") if n.strip())
    names = own.get("optimizers", LandscapeConfig().optimizers)
    if "lr_values" in vars(args):
        values, named = parse_lr(args.lr_values, "landscape")
        own["lr"] = {**({n: values[-1] for n in names} if values else {}), **named}
    if "opt_args" in vars(args):
        opt_args: dict = {}
        for item in args.opt_args:
            key, sep, value = item.partition("=")
            name, dot, arg = key.partition(".")
            if not (sep and dot and name.strip() and arg.strip()):
                raise UsageError(f"--opt-arg {item!r}: allowed is NAME.KEY=VALUE", "landscape")
            opt_args.setdefault(name.strip(), {})[arg.strip()] = parse_value(value.strip())
        own["opt_args"] = opt_args
    if "start" in vars(args):
        try:
            start = tuple(float(v) for v in args.start.split(","))
        except ValueError:
            start = ()
        if len(start) != 2:
            raise UsageError(f"--start {args.start!r}: allowed is two numbers X,Y", "landscape")
        own["start"] = start
    return LandscapeConfig(**own)


def run(args: argparse.Namespace) -> int:
    from ..explore.landscape import default_out, table_text

    config = config_from(args)
    result = config.run()
    out = config.out or default_out(config)
    files = result.write(out)
    print(table_text(result))
    report_written(out, files)
    return EXIT_OK
