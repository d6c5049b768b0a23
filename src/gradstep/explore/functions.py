"""Two-dimensional test functions for watching optimizers move (``gradstep landscape``).

Each ``Surface`` is a gradstep-differentiable function of a point ``p`` whose first axis holds the
coordinates: ``p`` of shape ``(2,)`` gives a scalar, ``p`` of shape ``(2, *grid)`` gives ``f`` at
every grid point, so one ``backward`` yields the whole gradient field (seed 003's quiver) from
gradstep's own autograd. A surface also knows its minima, a plot window, a start that shows
something, and default learning rates scaled to its curvature (see ``Surface.default_lr``).

    from gradstep.explore.functions import SURFACES
    f = SURFACES["rosenbrock"]
    X, Y = f.grid(50)
    U, V = f.gradient_field(X, Y)           # ∇f on the grid, by autograd
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor

__all__ = ["Surface", "SURFACES", "surface_names", "get_surface"]


@dataclass(frozen=True)
class Surface:
    """A 2-D objective with what plotting and judging a run on it needs.

    ``lr_gd`` is the default learning rate of optimizers whose step is γ times the gradient (SGD
    and its momentum forms, ASGD): it must sit below 2 / L, L the largest curvature met on the way.
    ``lr_adaptive`` is the default of those whose step is about γ per coordinate whatever the
    gradient's size (Adam and its kin, RMSprop, Adagrad, Rprop, Lion): a length in the units of
    the plot. ``escape_below`` replaces the distance criterion on a surface without minima: a run
    has escaped once ``f(p) <= escape_below``.
    """
    name: str
    formula: str
    fn: Callable[[Tensor], Tensor]
    minima: tuple[tuple[float, float], ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    lr_gd: float
    lr_adaptive: float
    log_levels: bool = False
    saddles: tuple[tuple[float, float], ...] = ()
    escape_below: float | None = None
    note: str = ""

    def __call__(self, p: Tensor) -> Tensor:
        return self.fn(p)

    @property
    def min_value(self) -> float | None:
        """f at its minima (all of them are global here), None without minima."""
        return self.values(np.asarray(self.minima[0], dtype=np.float64)).item() if self.minima else None

    def grid(self, n: int = 200, pad: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """``np.meshgrid`` of ``n`` x ``n`` points over the plot window (widened by ``pad`` of it)."""
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
        return np.meshgrid(np.linspace(x0 - dx, x1 + dx, n), np.linspace(y0 - dy, y1 + dy, n))

    def values(self, *coords: np.ndarray) -> np.ndarray:
        """f at points given as ``values(X, Y)`` (arrays of one shape) or ``values(P)`` (first axis 2)."""
        p = _points(coords)
        with no_grad():
            return self.fn(Tensor._make(p))._data

    def value_and_grad(self, *coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f and ∇f (first axis: ∂/∂x, ∂/∂y) at the points, by one backward through the sum of f."""
        p = Tensor._make(_points(coords), requires_grad=True)
        f = self.fn(p)
        f.sum().backward()
        return f._data, p.grad._data

    def gradient_field(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(∂f/∂x, ∂f/∂y) on the grid ``X, Y``, by gradstep's autograd."""
        _, g = self.value_and_grad(X, Y)
        return g[0], g[1]

    def nearest_minimum(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For points of shape (k, 2): the index of the nearest minimum and the distance to it."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if not self.minima:
            return np.full(len(pts), -1), np.full(len(pts), math.nan)
        d = np.linalg.norm(pts[:, None, :] - np.asarray(self.minima)[None, :, :], axis=2)
        return d.argmin(axis=1), d.min(axis=1)

    def default_lr(self, optimizer_class: type) -> float | None:
        """The learning rate for ``optimizer_class`` on this surface, by what its ``lr_scale`` says
        the learning rate scales; None keeps the optimizer's own default ("own": Adadelta, whose γ
        is a unitless factor, and L-BFGS)."""
        scale = optimizer_class.lr_scale
        if scale == "own":
            return None
        return self.lr_gd if scale == "gradient" else self.lr_adaptive


def _points(coords) -> np.ndarray:
    """``(X, Y)`` or ``(P,)`` as one float64 array with the coordinates on its first axis."""
    if len(coords) == 1:
        p = np.asarray(coords[0], dtype=np.float64)
    elif len(coords) == 2:
        p = np.stack(np.broadcast_arrays(*(np.asarray(c, dtype=np.float64) for c in coords)))
    else:
        raise TypeError(f"give the points as (X, Y) or as one array with a first axis of 2, got "
                        f"{len(coords)} arrays")
    if p.ndim == 0 or p.shape[0] != 2:
        raise ValueError(f"points need a first axis of length 2 (x, y), got shape {p.shape}")
    return p


# ---------------------------------------------------------------------------- the functions

def quadratic(p: Tensor) -> Tensor:
    """x² + y² (seed 003)."""
    return p[0] ** 2 + p[1] ** 2


CONDITION = 25.0
_C, _S = math.cos(math.pi / 6), math.sin(math.pi / 6)


def ill_conditioned(p: Tensor) -> Tensor:
    """½ (x² + κ y²) with κ = 25: Hessian diag(1, 25), condition number 25 (seed 002's narrow
    funnel: steep across, flat along)."""
    return 0.5 * (p[0] ** 2 + CONDITION * p[1] ** 2)


def ill_conditioned_rotated(p: Tensor) -> Tensor:
    """The same bowl turned by 30°: ½ (u² + κ v²), u = x cos 30° + y sin 30°, v = −x sin 30° + y cos 30°.
    Its axes are no longer the coordinate axes, so per-coordinate step sizes (Adam, RMSprop,
    Adagrad) cannot undo the conditioning as they can for ``ill-conditioned``."""
    u = _C * p[0] + _S * p[1]
    v = -_S * p[0] + _C * p[1]
    return 0.5 * (u ** 2 + CONDITION * v ** 2)


def rosenbrock(p: Tensor) -> Tensor:
    """(1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley; minimum 0 at (1, 1)."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def beale(p: Tensor) -> Tensor:
    """(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: minimum 0 at (3, 0.5)."""
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def saddle(p: Tensor) -> Tensor:
    """x² − y²: a saddle point at the origin, unbounded below along y."""
    return p[0] ** 2 - p[1] ** 2


def himmelblau(p: Tensor) -> Tensor:
    """(x² + y − 11)² + (x + y² − 7)²: four minima of value 0."""
    x, y = p[0], p[1]
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("quadratic", "x² + y²", quadratic, minima=((0.0, 0.0),), xlim=(-4, 4), ylim=(-4, 4),
            start=(-3.0, 2.5), lr_gd=0.1, lr_adaptive=0.1,
            note="Seed 003's bowl; curvature 2 in every direction, so gradient descent is stable "
                 "for lr < 1."),
    Surface("ill-conditioned", "½ (x² + 25 y²)", ill_conditioned, minima=((0.0, 0.0),),
            xlim=(-5, 5), ylim=(-2.5, 2.5), start=(-4.5, 2.0), lr_gd=0.02, lr_adaptive=0.1,
            note="Hessian diag(1, 25): condition number 25. Gradient descent needs lr < 2/25 = 0.08 "
                 "to stay stable across the valley and then crawls along it at a rate of (1 − lr) "
                 "per step; momentum 0.9 speeds the crawl up."),
    Surface("ill-conditioned-rotated", "½ (u² + 25 v²), axes turned 30°", ill_conditioned_rotated,
            minima=((0.0, 0.0),), xlim=(-5, 5), ylim=(-3.5, 3.5), start=(-4.5, 1.0), lr_gd=0.02,
            lr_adaptive=0.1,
            note="The ill-conditioned bowl turned by 30° (condition number 25): per-coordinate "
                 "step sizes no longer line up with its axes."),
    Surface("rosenbrock", "(1 − x)² + 100 (y − x²)²", rosenbrock, minima=((1.0, 1.0),),
            xlim=(-2, 2), ylim=(-1, 3), start=(-1.5, 2.0), lr_gd=1e-3, lr_adaptive=0.05,
            log_levels=True,
            note="A narrow curved valley; the curvature across it reaches about 1000 near the "
                 "minimum, so gradient descent needs lr < 0.002."),
    Surface("beale", "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", beale,
            minima=((3.0, 0.5),), xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), start=(1.0, 1.5), lr_gd=5e-3,
            lr_adaptive=0.1, log_levels=True,
            note="Flat plateaus and steep walls; gradients range over many orders of magnitude."),
    Surface("saddle", "x² − y²", saddle, minima=(), xlim=(-3, 3), ylim=(-3, 3), start=(-2.5, 1e-3),
            lr_gd=0.1, lr_adaptive=0.05, saddles=((0.0, 0.0),), escape_below=-1.0,
            note="No minimum: a run starting near the x axis slides towards the saddle point at "
                 "the origin, where the gradient vanishes. It has escaped once f ≤ −1; gradient "
                 "descent escapes only as fast as the tiny initial y grows (×(1 + 2 lr) per step)."),
    Surface("himmelblau", "(x² + y − 11)² + (x + y² − 7)²", himmelblau,
            minima=((3.0, 2.0), (-2.805118086953, 3.131312518251), (-3.779310253378, -3.283185991286),
                    (3.584428340330, -1.848126526964)),
            xlim=(-5, 5), ylim=(-5, 5), start=(0.5, -1.5), lr_gd=0.01, lr_adaptive=0.1,
            log_levels=True,
            note="Four minima of value 0; which one a run reaches depends on the optimizer."),
)}


def surface_names() -> list[str]:
    return list(SURFACES)


def get_surface(name: str) -> Surface:
    """The surface called ``name`` (``-`` or ``_``, any case)."""
    key = name.strip().lower().replace("_", "-")
    if key not in SURFACES:
        raise ValueError(f"unknown function {name!r}; known: {', '.join(SURFACES)}")
    return SURFACES[key]
