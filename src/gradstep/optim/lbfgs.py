"""L-BFGS: a quasi-Newton method from a short history of steps and gradient changes, ported from
``torch.optim.LBFGS`` (itself inspired by minFunc), with its optional strong-Wolfe line search."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..kernels import optim as rules
from .optimizer import Optimizer, check_lr, check_nonnegative, require


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``
    (Nocedal & Wright, eq. 3.59); the bounds' midpoint when the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d satisfying the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5
    and 3.6): bracket an interval, then zoom into it by cubic interpolation. Returns
    ``(f_new, g_new, t, evaluations)``."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # interpolate, between 1.01 t and 10 t
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:  # reached the maximum number of iterations
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point satisfies the criteria
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends unless progress stalled
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition not met, or not lower than the lowest point
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # Wolfe conditions met
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high becomes the new low
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            # the new point becomes the new low
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    r"""L-BFGS, as ``torch.optim.LBFGS``; ``step`` needs a closure that re-evaluates the model.

    ::

        input: γ (lr), θ₀ (params), f(θ) (objective, through the closure), m (history_size)
        for k = 1, ..., max_iter (within one step, until a tolerance is met)
            g_k ← ∇f(θ_{k−1})
            if k > 1:
                y ← g_k − g_{k−1},  s ← t_{k−1} d_{k−1}
                if yᵀs > 1e-10: remember (s, y, ρ = 1/yᵀs), keeping the last m;  H₀ ← yᵀs / yᵀy
            d_k ← −H g_k          (two-loop recursion over the history; d_1 = −g_1)
            t_k ← min(1, 1/‖g_1‖₁) γ on the very first iteration, else γ,
                  or a step satisfying the strong Wolfe conditions (line_search_fn='strong_wolfe')
            θ_k ← θ_{k−1} + t_k d_k

    Nocedal and Wright, *Numerical Optimization* (2006), Algorithms 7.4 and 7.5 (L-BFGS) and
    3.5/3.6 (line search); PyTorch's port of `minFunc
    <https://www.cs.ubc.ca/~schmidtm/Software/minFunc.html>`_. Only one parameter group is
    supported. All state lives on the first parameter: ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.

    Args:
        lr: γ (default 1).  max_iter: iterations per ``step`` (default 20).  max_eval: closure
        evaluations per step (default max_iter · 5/4).  tolerance_grad: stop when max |g| is at
        most this (default 1e-7).  tolerance_change: stop when the step or the change in loss is
        below this (default 1e-9).  history_size: m (default 100).  line_search_fn: None or
        'strong_wolfe'.  flat: with flat buffers, gathering the gradient and moving the
        parameters are single NumPy calls.
    """

    lr_scale = "own"

    _per_param_state = False
    _scalar_state = frozenset({"func_evals", "n_iter", "t", "H_diag", "prev_loss"})

    requires_closure = True

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None, *, flat: bool = True):
        if max_eval is None and _is_count(max_iter):
            max_eval = max_iter * 5 // 4
        super().__init__(params, {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                                  "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                                  "history_size": history_size, "line_search_fn": line_search_fn},
                         flat=flat)

    def _validate(self, g: dict) -> None:
        check_lr(g)
        for key in ("max_iter", "max_eval", "history_size"):
            require(_is_count(g[key]), f"Invalid {key} value: {g[key]} (expected an integer >= 1)")
        check_nonnegative(g, "tolerance_grad")
        check_nonnegative(g, "tolerance_change")
        require(g["line_search_fn"] in (None, "strong_wolfe"),
                f"Invalid line_search_fn value: {g['line_search_fn']!r} (only None and 'strong_wolfe' "
                f"are supported)")

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ the parameters as one vector

    @property
    def _params(self) -> list:
        return self.param_groups[0]["params"]

    def _segment(self):
        """The flat segment holding every parameter (None without flat buffers or with several dtypes)."""
        if not self.flat:
            return None
        segments = self._layout(self.param_groups[0])
        if len(segments) != 1:
            return None
        seg = segments[0]
        seg.repair(self.state)
        return seg

    def _gather_flat_grad(self) -> np.ndarray:
        seg = self._segment()
        if seg is None:
            return np.concatenate([np.zeros(p._data.size, p._data.dtype) if p._grad is None
                                   else p._grad._data.ravel() for p in self._params])
        flat = seg.grad.copy()
        for i, p in enumerate(seg.params):
            if p._grad is None:
                flat[seg.offsets[i]:seg.offsets[i + 1]] = 0
        return flat

    def _add_grad(self, step_size, update: np.ndarray) -> None:
        """θ ← θ + t d, for the parameters seen as one vector."""
        step_size = float(step_size)
        seg = self._segment()
        if seg is not None:
            seg.data += np.multiply(update, step_size)
            return
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += np.multiply(update[offset:offset + n].reshape(p._data.shape), step_size)
            offset += n

    def _clone_param(self) -> list:
        seg = self._segment()
        return [seg.data.copy()] if seg is not None else [p._data.copy() for p in self._params]

    def _set_param(self, params_data: list) -> None:
        seg = self._segment()
        targets = [seg.data] if seg is not None else [p._data for p in self._params]
        for target, value in zip(targets, params_data):
            np.copyto(target, value)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the algorithm

    def step(self, closure: Callable | None = None):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure call."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure: a function that clears the gradients, computes "
                            "the loss, calls loss.backward() and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_loss = state.get("H_diag"), state.get("prev_loss")
        prev_flat_grad = state.get("prev_flat_grad")

        n_iter = 0
        opt_cond = False
        with np.errstate(divide="ignore", invalid="ignore"):
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                # the direction d = −H g
                if state["n_iter"] == 1:
                    d = np.negative(flat_grad)
                    old_dirs, old_stps, ro, H_diag = [], [], [], 1
                else:
                    y = flat_grad - prev_flat_grad
                    s = np.multiply(d, float(t))
                    ys = float(y.dot(s))
                    if ys > 1e-10:  # keep the pair only when the curvature condition holds
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / float(y.dot(y))
                    if "al" not in state:
                        state["al"] = [None] * history_size
                    d = rules.lbfgs_direction(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])
                if prev_flat_grad is None:
                    prev_flat_grad = flat_grad.copy()
                else:
                    np.copyto(prev_flat_grad, flat_grad)
                prev_loss = loss

                # the step length t
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
                gtd = flat_grad.dot(d)
                if gtd > -tolerance_change:  # not a descent direction
                    break
                ls_func_evals = 0
                if line_search_fn is not None:
                    x_init = self._clone_param()

                    def obj_func(x, t, d):
                        return self._directional_evaluate(closure, x, t, d)

                    loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                        obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                    t = float(t)
                    self._add_grad(t, d)
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                else:
                    self._add_grad(t, d)
                    if n_iter != max_iter:  # re-evaluate, unless this was the last iteration
                        loss = float(self._evaluate(closure))
                        flat_grad = self._gather_flat_grad()
                        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                        ls_func_evals = 1
                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals

                # stopping conditions
                if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                    break
                if np.abs(np.multiply(d, t)).max() <= tolerance_change:
                    break
                if abs(loss - prev_loss) < tolerance_change:
                    break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def _import_state(self, name: str, value, p, index):
        value = super()._import_state(name, value, p, index)
        numel = sum(q._data.size for q in self._params)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, np.ndarray) and v.shape != (numel,):
                raise ValueError(f"loaded LBFGS state {name!r} has an array of shape {v.shape}, expected "
                                 f"({numel},): one entry per element of all parameters")
        return value


def _is_count(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x >= 1
