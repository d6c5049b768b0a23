"""The optimizers under test: one row per optimizer, listing its configurations and invalid arguments.

Generic tests (PyTorch parity, flat vs per-parameter, state-dict lockstep, convergence, invalid
arguments) run over ``CASES`` and ``INVALID``, and the dynamics test of ``Optimizer.step_size``
over ``STEP_SIZE_CASES``; adding an optimizer means adding a row, in the manner of PyTorch's
``OptimizerInfo`` and optax's ``_OPTIMIZERS_UNDER_TEST``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Config:
    """Constructor arguments, and optionally per-group overrides for the two groups of the test
    model ([W1, b1] and [W2, b2]); without ``groups`` all parameters form one group."""

    kwargs: dict = field(default_factory=dict)
    groups: tuple = ()
    chaotic: bool = False  # trajectories 1 ulp apart diverge (PyTorch against itself): no parity test

    @property
    def id(self) -> str:
        text = ",".join(f"{k}={v}" for k, v in self.kwargs.items()) or "defaults"
        if self.groups:
            text += "|groups:" + "/".join(",".join(f"{k}={v}" for k, v in g.items()) for g in self.groups)
        return text


@dataclass(frozen=True)
class OptimInfo:
    name: str                    # the class name in gradstep.optim (and torch.optim unless reference)
    configs: tuple
    invalid: tuple               # (kwargs, the ValueError message)
    reference: str = "torch"     # "torch" or "paper" (Lion: a closed-form reference in the tests)
    needs_closure: bool = False  # step(closure) is required (LBFGS)
    convergence_lr: float | None = None  # lr for the convergence tests where the default is not
    # sensible: Lion's 1e-4 barely moves in a few hundred steps, ASGD's 1e-2 is unstable on Rosenbrock
    step_size: tuple = ()        # (kwargs, direction) for an optimizer that reports a step size: its
    # step is θ ← θ − P ⊙ d with P = step_size(p) asked before the step and d = direction(state, group, g)


def C(groups: tuple = (), chaotic: bool = False, **kwargs) -> Config:  # noqa: N802 - short for the table
    return Config(kwargs, groups, chaotic)


def bad_lr(value=-0.1):
    return ({"lr": value}, f"Invalid learning rate: {value}")


def bad(key: str, value, label: str | None = None):
    return ({key: value}, f"Invalid {label or key} value: {value}")


def bad_betas():
    return [({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
            ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1")]


def bad_implementation(fused: bool = False, capturable: bool = True) -> list:
    """The implementation keywords' values gradstep refuses (torch refuses them on the CPU too, or
    cannot honour them without an accelerator or a differentiable step)."""
    rows = [({"differentiable": True}, "differentiable=True is not supported")]
    if capturable:
        rows.append(({"capturable": True}, "capturable=True needs an accelerator"))
    if fused:
        rows.append(({"fused": True, "foreach": True}, "`fused` and `foreach` cannot be `True` together."))
    return rows


def _first_moment_hat(st, group, g):
    """m̂ = m / (1 − β₁ᵗ): what Adam's, Adamax's and RAdam's step sizes multiply."""
    return st["exp_avg"] / (1 - group["betas"][0] ** st["step"])


def _nesterov_moment(st, group, g):
    """NAdam's m̂ = μ_{t+1} m / (1 − Π_{i≤t+1} μ_i) + (1 − μ_t) g / (1 − Π_{i≤t} μ_i), from its
    docstring (μ_t = β₁ (1 − ½ · 0.96^(t ψ)))."""
    beta1, psi, t = group["betas"][0], group["momentum_decay"], st["step"]
    mu, mu_next = (beta1 * (1 - 0.5 * 0.96 ** (k * psi)) for k in (t, t + 1))
    prod = st["mu_product"]
    return mu_next * st["exp_avg"] / (1 - prod * mu_next) + (1 - mu) * g / (1 - prod)


def _gradient(st, group, g):
    return g


def _momentum_buffer(st, group, g):
    return st["momentum_buffer"]


def S(direction: Callable, **kwargs) -> tuple:  # noqa: N802 - short for the table
    """One step-size case: constructor arguments and what the step size multiplies. Adam with
    betas (0.5, 0.9) makes the bias corrections matter; RAdam's first steps (ρ_t ≤ 5) are plain
    momentum steps and its later ones rectified (the test's eight steps cover both)."""
    return (kwargs, direction)


OPTIMIZERS = [
    OptimInfo("SGD", (
        C(), C(lr=0.1), C(lr=0.1, momentum=0.9), C(lr=0.1, momentum=0.9, dampening=0.5),
        C(lr=0.1, momentum=0.9, nesterov=True), C(lr=0.1, weight_decay=0.1),
        C(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
        C(({"lr": 0.2, "momentum": 0.5}, {"momentum": 0.9, "nesterov": True}), lr=0.1),
        C(lr=0.1, momentum=0.9, foreach=True), C(lr=0.1, momentum=0.9, weight_decay=0.1, fused=True),
    ), (*bad_implementation(fused=True, capturable=False),
        bad_lr(), bad("momentum", -0.5), bad("weight_decay", -1), bad("dampening", 1.5),
        ({"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1},
         "Nesterov momentum requires a momentum and zero dampening")),
        step_size=(S(_gradient, lr=0.1), S(_momentum_buffer, lr=0.1, momentum=0.9))),
    OptimInfo("Adagrad", (
        C(), C(lr=0.1), C(lr=0.1, lr_decay=0.1), C(weight_decay=0.1), C(initial_accumulator_value=0.1),
        C(eps=1e-6, maximize=True),
        C(({"lr": 0.05}, {"lr_decay": 0.01, "weight_decay": 0.1})),
        C(lr=0.1, foreach=True), C(lr=0.1, weight_decay=0.1, fused=True),
    ), (*bad_implementation(fused=True, capturable=False),
        bad_lr(), bad("lr_decay", -0.5), bad("weight_decay", -0.1), bad("initial_accumulator_value", -1),
        bad("eps", -1e-10, "epsilon")),
        step_size=(S(_gradient, lr=0.1, lr_decay=0.1),)),
    OptimInfo("RMSprop", (
        C(), C(lr=1e-3), C(alpha=0.9), C(centered=True), C(momentum=0.9),
        C(centered=True, momentum=0.5, weight_decay=0.1), C(maximize=True),
        C(({"lr": 1e-3, "centered": True}, {"momentum": 0.9, "alpha": 0.9})),
        C(centered=True, momentum=0.5, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), bad("eps", -1e-8, "epsilon"), bad("momentum", -0.9), bad("weight_decay", -0.1),
        bad("alpha", -0.5), bad("alpha", 1.5)),
        step_size=(S(_gradient, lr=0.01, alpha=0.9), S(_gradient, lr=0.01, centered=True))),
    OptimInfo("Adadelta", (
        C(), C(lr=0.5, rho=0.95), C(weight_decay=0.1), C(eps=1e-4, maximize=True),
        C(({"lr": 0.5}, {"rho": 0.5, "weight_decay": 0.1})),
        C(lr=0.5, weight_decay=0.1, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), bad("rho", 1.1), bad("rho", -0.1), bad("eps", -1e-6, "epsilon"), bad("weight_decay", -1)),
        step_size=(S(_gradient, lr=1.0, rho=0.9),)),
    OptimInfo("Adam", (
        C(), C(lr=1e-2), C(betas=(0.8, 0.99)), C(betas=(0.3, 0.4)), C(weight_decay=0.1), C(amsgrad=True),
        C(maximize=True), C(decoupled_weight_decay=True, weight_decay=0.1),
        C(({"lr": 1e-2, "amsgrad": True}, {"betas": (0.5, 0.9), "weight_decay": 0.1})),
        C(lr=1e-2, amsgrad=True, foreach=True), C(lr=1e-2, weight_decay=0.1, fused=True),
    ), (*bad_implementation(fused=True),
        bad_lr(), bad("eps", -1e-8, "epsilon"), *bad_betas(), bad("weight_decay", -0.1)),
        step_size=(S(_first_moment_hat, lr=0.01, betas=(0.5, 0.9)),
                   S(_first_moment_hat, lr=0.01, amsgrad=True),
                   S(_first_moment_hat, lr=0.01, weight_decay=0.1))),
    OptimInfo("AdamW", (
        C(), C(lr=1e-2, weight_decay=0.1, amsgrad=True), C(maximize=True),
        C(({"lr": 1e-2}, {"weight_decay": 0.5, "amsgrad": True})),
        C(({"decoupled_weight_decay": False}, {}), weight_decay=0.1),  # AdamW is Adam with the flag
        C(lr=1e-2, foreach=True), C(lr=1e-2, amsgrad=True, fused=True),
    ), (*bad_implementation(fused=True),
        bad_lr(), bad("eps", -1e-8, "epsilon"), *bad_betas(), bad("weight_decay", -0.1)),
        step_size=(S(_first_moment_hat, lr=0.01, weight_decay=0.0),)),
    OptimInfo("Adamax", (
        C(), C(lr=1e-2, weight_decay=0.1), C(betas=(0.5, 0.9)), C(maximize=True),
        C(({"lr": 1e-2}, {"betas": (0.8, 0.99), "eps": 1e-3})),
        C(lr=1e-2, weight_decay=0.1, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), bad("eps", -1e-8, "epsilon"), *bad_betas(), bad("weight_decay", -0.1)),
        step_size=(S(_first_moment_hat, lr=0.01),)),
    OptimInfo("NAdam", (
        C(), C(momentum_decay=1e-2), C(weight_decay=0.1), C(weight_decay=0.1, decoupled_weight_decay=True),
        C(maximize=True),
        C(({"lr": 1e-2}, {"weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.8, 0.99)})),
        C(weight_decay=0.1, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), bad("eps", -1e-8, "epsilon"), *bad_betas(), bad("weight_decay", -0.1),
        bad("momentum_decay", -0.1)),
        step_size=(S(_nesterov_moment, lr=0.01),
                   S(_nesterov_moment, lr=0.01, betas=(0.5, 0.9), momentum_decay=0.1))),
    OptimInfo("RAdam", (
        C(), C(lr=1e-2, betas=(0.9, 0.9)), C(weight_decay=0.1),
        C(weight_decay=0.1, decoupled_weight_decay=True),
        C(maximize=True),
        C(({"lr": 1e-2}, {"betas": (0.9, 0.8), "weight_decay": 0.1})),
        C(lr=1e-2, weight_decay=0.1, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), bad("eps", -1e-8, "epsilon"), *bad_betas(), bad("weight_decay", -0.1)),
        step_size=(S(_first_moment_hat, lr=0.01),)),
    OptimInfo("Rprop", (
        C(), C(lr=1e-3), C(etas=(0.3, 1.5), step_sizes=(1e-4, 1e-2)), C(maximize=True),
        C(({"lr": 1e-3}, {"etas": (0.6, 1.1)})),
        C(lr=1e-3, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), ({"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
        ({"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
        ({"step_sizes": (1.0, 0.1)}, "Invalid step_sizes values: 1.0, 0.1"))),
    OptimInfo("ASGD", (
        C(), C(lr=0.05, lambd=1e-3, alpha=0.5), C(lr=0.05, t0=5), C(weight_decay=0.1), C(maximize=True),
        C(({"lr": 0.05, "t0": 3}, {"lambd": 1e-2, "weight_decay": 0.1})),
        C(lr=0.05, t0=5, foreach=True),
    ), (*bad_implementation(),
        bad_lr(), bad("weight_decay", -0.1), bad("lambd", -1e-4), bad("alpha", -0.75), bad("t0", -1)),
        convergence_lr=1e-3),
    OptimInfo("Lion", (
        C(), C(lr=1e-3, betas=(0.95, 0.98)), C(lr=1e-3, weight_decay=0.1), C(lr=1e-3, maximize=True),
        C(({"lr": 1e-3}, {"betas": (0.5, 0.9), "weight_decay": 0.0})),
    ), (bad_lr(), *bad_betas(), bad("weight_decay", -0.1)), reference="paper", convergence_lr=1e-2),
    OptimInfo("LBFGS", (
        C(), C(line_search_fn="strong_wolfe"),
        C(line_search_fn="strong_wolfe", history_size=10, max_iter=10, tolerance_grad=1e-4),
        C(lr=0.5, history_size=20, max_iter=8, max_eval=9, tolerance_change=1e-6),
        C(history_size=3, max_iter=5, chaotic=True),
        C(lr=0.5, max_iter=7, line_search_fn="strong_wolfe", history_size=4, tolerance_grad=1e-6,
          chaotic=True),
    ), (bad_lr(), ({"max_iter": 0}, "Invalid max_iter value: 0"),
        ({"history_size": -3}, "Invalid history_size value: -3"),
        bad("tolerance_grad", -1e-7), bad("tolerance_change", -1e-9),
        ({"line_search_fn": "armijo"}, "Invalid line_search_fn value: 'armijo'")),
        needs_closure=True),
]

BY_NAME = {info.name: info for info in OPTIMIZERS}

CASES = [(info, cfg) for info in OPTIMIZERS for cfg in info.configs]
CASE_IDS = [f"{info.name}[{cfg.id}]" for info, cfg in CASES]

STEP_SIZE_CASES = [(info, kwargs, direction) for info in OPTIMIZERS for kwargs, direction in info.step_size]
STEP_SIZE_IDS = [f"{info.name}[{','.join(f'{k}={v}' for k, v in kw.items())}]"
                 for info, kw, _ in STEP_SIZE_CASES]


def cases(keep) -> dict:
    """``CASES`` and their ids filtered by ``keep(info, cfg)``, as keyword arguments of
    ``pytest.mark.parametrize("info,cfg", ...)``."""
    chosen = [(c, i) for c, i in zip(CASES, CASE_IDS) if keep(*c)]
    return {"argvalues": [c for c, _ in chosen], "ids": [i for _, i in chosen]}

INVALID = [(info, kwargs, message) for info in OPTIMIZERS for kwargs, message in info.invalid]
INVALID_IDS = [f"{info.name}[{','.join(f'{k}={v}' for k, v in kw.items())}]" for info, kw, _ in INVALID]
