"""``gradstep landscape``: options into a ``LandscapeConfig``, then ``gradstep.explore.run_landscape``."""

from __future__ import annotations

import argparse
import re
import sys
import time

from .common import (
    EXIT_DIVERGED,
    EXIT_OK,
    LR_HELP,
    UsageError,
    add_command,
    add_config_options,
    add_format_option,
    add_overwrite_option,
    flag_of,
    formats_of,
    given,
    owned_folder,
    parse_lr,
    report_written,
)
from .train import config_from_args

DESCRIPTION = """Run several optimizers on a two-dimensional test function from the same start and
write landscape.png (contours, the field of −∇f as arrows, every trajectory), convergence.png,
report.md (steps to tolerance per optimizer), results.json and, with --gif, landscape.gif into
--out. Each optimizer is the gradstep.optim class `gradstep train --optimizer NAME` builds; its
learning rate defaults to one suited to the function (--lr NAME=VALUE overrides it).

functions:
{functions}

With --model (mlp, cnn, linear or package.module:function) it draws the loss surface of a real
network instead: every optimizer trains the model from the same initial weights on the same
batches (the options of `gradstep train` apply), and the loss is evaluated on a plane through the
first optimizer's trained weights θ*, along the first two PCA directions of the trajectories
(--directions pca) or two filter-normalized random directions (--directions random; Li et al.,
NeurIPS 2018), on a --grid × --grid grid, over the first --eval-samples training samples. Writes
contour.png (the trajectories projected onto the plane), surface.png (3-D), report.md (how much of
the trajectories' variance the plane explains) and results.json (the grid) into --out.

examples:
  gradstep landscape --model mlp --optimizers adam,momentum,sgd --epochs 2
  gradstep landscape --model mlp --directions random --range -1,1 --grid 31
  gradstep landscape --model mypackage.nets:small_cnn --eval-samples 500
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
FUNCTION_ONLY = ("function", "steps", "tol", "criterion", "gif", "start")
NET_OWN = ("directions", "grid", "range", "eval_samples", "record_every")
SKIP = ("optimizer", "lr", "momentum", "opt_args")   # per optimizer here: --lr NAME=VALUE, --opt-arg


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
    add_format_option(p)
    add_overwrite_option(p)
    from ..explore.net_landscape import NetLandscapeConfig
    from .train import add_training_options

    net = NetLandscapeConfig()
    add_config_options(p.add_argument_group("network landscape (with --model)"), net, NET_OWN)
    add_training_options(p, net.train, skip=SKIP)


def config_from(args: argparse.Namespace):
    """The config the options describe (its defaults where none is given): a NetLandscapeConfig
    with --model, else a LandscapeConfig; an option of the other kind is a one-line error."""
    from ..explore.landscape import LandscapeConfig
    from ..explore.net_landscape import NetLandscapeConfig
    from .train import TRAINING

    training = [n for n in TRAINING if n not in SKIP]
    if "model" not in vars(args):
        wrong = [n for n in (*training, *NET_OWN) if n in vars(args)]
        if wrong:
            raise UsageError(f"{flag_of(wrong[0])} applies to a network's landscape: add --model "
                             f"mlp|cnn|linear|package.module:function", "landscape")
        return LandscapeConfig(**_own(args, OWN, LandscapeConfig().optimizers))
    wrong = [n for n in FUNCTION_ONLY if n in vars(args)]
    if wrong:
        raise UsageError(f"{flag_of(wrong[0])} applies to a 2-D test function, not to --model", "landscape")
    base = NetLandscapeConfig()
    own = _own(args, ("optimizers", "out", *NET_OWN), base.optimizers)
    flags = argparse.Namespace(**{k: v for k, v in vars(args).items() if k in training})
    return base.replace(train=config_from_args(flags, "landscape", base=base.train), **own)


def _own(args: argparse.Namespace, names, default_optimizers) -> dict:
    """The command's own options among ``names`` (not the training ones), --lr and --opt-arg
    parsed per optimizer."""
    from ..explore.config import parse_value

    own = given(args, names)
    if "optimizers" in own:
        own["optimizers"] = tuple(n.strip() for n in own["optimizers"].split(",") if n.strip())
    names = own.get("optimizers", default_optimizers)
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
    return own


def run(args: argparse.Namespace) -> int:
    from ..explore import net_landscape
    from ..explore.landscape import default_out, table_text

    config = config_from(args)
    formats = formats_of(args)   # checked before anything runs
    start = time.perf_counter()
    if isinstance(config, net_landscape.NetLandscapeConfig):
        out = config.out or net_landscape.default_out(config)
        with owned_folder(out, args):
            try:
                result = config.run(progress=lambda line: print(line, flush=True))
            except net_landscape.AllDiverged as e:
                print(f"gradstep landscape: {e}", file=sys.stderr)
                return EXIT_DIVERGED
            files = result.write(out, formats)
        print()
        print(result.table(), end="")
        print(f"the plane explains {result.explained:.1%} of the trajectories' variance")
        report_written(out, files, f" in {time.perf_counter() - start:.0f} s")
        return EXIT_OK
    out = config.out or default_out(config)
    with owned_folder(out, args):
        result = config.run()
        files = result.write(out, formats)
    print(table_text(result))
    report_written(out, files)
    return EXIT_OK
