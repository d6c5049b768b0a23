"""``gradstep landscape``: options into a ``LandscapeConfig``, then ``gradstep.explore.run_landscape``."""

from __future__ import annotations

import argparse
import re

from .common import EXIT_OK, UsageError, _Parser

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


def add_parser(sub) -> None:
    from ..explore.landscape import DEFAULT_OPTIMIZERS, LandscapeConfig

    d = LandscapeConfig()
    p = sub.add_parser("landscape", help="optimizers on 2-D test functions, with trajectory plots",
                       description=DESCRIPTION.format(functions=_function_list()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.__class__ = _Parser
    # "--start -1.5,2": let values that start with a minus and a digit be values, not options
    p._negative_number_matcher = re.compile(r"^-\.?\d")
    p.add_argument("--function", default=d.function, help=f"the test function ({d.function})")
    p.add_argument("--optimizers", default=",".join(DEFAULT_OPTIMIZERS),
                   help="comma-separated optimizer names, as for `gradstep train --optimizer` "
                        f"(default {','.join(DEFAULT_OPTIMIZERS)})")
    p.add_argument("--steps", type=int, default=d.steps, help=f"optimizer steps per run ({d.steps})")
    p.add_argument("--start", metavar="X,Y", default=None,
                   help="the starting point (default: the function's)")
    p.add_argument("--lr", action="append", metavar="NAME=VALUE", default=[],
                   help="learning rate of an optimizer; repeat or separate with commas: sgd=0.001,adam=0.05")
    p.add_argument("--opt-arg", action="append", metavar="NAME.KEY=VALUE", default=[],
                   help="another argument of one optimizer, e.g. momentum.momentum=0.5")
    p.add_argument("--tol", type=float, default=d.tol, help=f"tolerance of the criterion ({d.tol:g})")
    p.add_argument("--criterion", choices=["distance", "grad-norm"], default=d.criterion,
                   help="distance to the nearest minimum (default) or gradient norm, at most --tol")
    p.add_argument("--gif", action="store_true", help="also write landscape.gif, the runs animated")
    p.add_argument("--out", default=None, help="output directory (default runs/landscape-<function>-<time>)")


def _pairs(items: list[str], option: str) -> list[tuple[str, str]]:
    """``["sgd=0.1,adam=0.05", "nesterov=0.01"]`` -> ``[("sgd", "0.1"), ...]``."""
    out = []
    for item in items:
        for part in filter(None, (x.strip() for x in item.split(","))):
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise UsageError(f"{option} takes NAME=VALUE, got {part!r}", "landscape")
            out.append((key.strip(), value.strip()))
    return out


def config_from_args(args: argparse.Namespace):
    from ..explore.config import parse_value
    from ..explore.landscape import LandscapeConfig

    lrs = {}
    for name, value in _pairs(args.lr, "--lr"):
        try:
            lrs[name] = float(value)
        except ValueError:
            raise UsageError(f"--lr {name}={value}: not a number", "landscape") from None
    opt_args: dict = {}
    for item in args.opt_arg:
        key, sep, value = item.partition("=")
        name, dot, arg = key.partition(".")
        if not (sep and dot and name.strip() and arg.strip()):
            raise UsageError(f"--opt-arg takes NAME.KEY=VALUE, got {item!r}", "landscape")
        opt_args.setdefault(name.strip(), {})[arg.strip()] = parse_value(value.strip())
    start = None
    if args.start is not None:
        try:
            start = tuple(float(v) for v in args.start.split(","))
        except ValueError:
            start = ()
        if len(start) != 2:
            raise UsageError(f"--start takes two numbers X,Y, got {args.start!r}", "landscape")
    optimizers = tuple(n.strip() for n in args.optimizers.split(",") if n.strip())
    return LandscapeConfig(function=args.function, optimizers=optimizers, steps=args.steps, start=start,
                           lr=lrs, opt_args=opt_args, tol=args.tol, criterion=args.criterion,
                           gif=args.gif, out=args.out)


def run(args: argparse.Namespace) -> int:
    from ..explore.config import ConfigError
    from ..explore.landscape import run_landscape, table_text

    cfg = config_from_args(args)
    try:
        result = run_landscape(cfg)
    except ConfigError as e:
        raise UsageError(str(e), "landscape") from None
    print(table_text(result))
    print(f"wrote {result.out_dir}/ ({', '.join(result.files)})")
    return EXIT_OK
