"""The optimizers' update rules on NumPy arrays, each written once.

Every rule updates the parameter and its state arrays in place and never writes into ``grad``,
which may be the user's ``.grad`` or a flat buffer of many of them. ``gradstep.optim`` runs each
rule either once per parameter or once on flat buffers holding a whole group, so both paths
compute the same bits. The math is a comment above each in-place call. A rule computes what
torch.optim's single-tensor code computes, arranged to pass over memory few times (a scalar
factor moved from one side of a division to the other, say), so results agree with PyTorch to
rounding. ``work``, when given, is a scratch array shaped like the parameter that the rule may
overwrite; without it the rule allocates its temporaries.

Hyperparameters and scalar state are Python floats: with NumPy 2, a float32 array times a NumPy
float64 scalar would silently become float64.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

# ---------------------------------------------------------------------------- shared pieces


def _scratch(work: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    return np.empty_like(like) if work is None else work


def signed(grad: np.ndarray, maximize: bool) -> np.ndarray:
    """The gradient to descend: ``-grad`` (a new array) when maximizing, else ``grad`` itself."""
    return np.negative(grad) if maximize else grad


def l2_weight_decay(param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float) -> np.ndarray:
    """Weight decay as an L2 penalty on the loss: the gradient plus λθ (a new array)."""
    if weight_decay == 0:
        return grad
    # g ← g + λ θ
    out = np.multiply(param, weight_decay)
    out += grad
    return out


def decoupled_weight_decay(param: np.ndarray, grad: np.ndarray, lr: float,
                           weight_decay: float) -> np.ndarray:
    """Decoupled weight decay (Loshchilov & Hutter): shrink θ itself; the gradient is unchanged."""
    if weight_decay != 0:
        # θ ← θ (1 − γ λ)
        param *= 1 - lr * weight_decay
    return grad


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, work: np.ndarray | None = None) -> None:
    """``start ← start + w (end − start)``, evaluated like ``torch.lerp`` (from ``end`` when w ≥ ½)."""
    diff = np.subtract(end, start, out=_scratch(work, start))
    if weight < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)


def ema_square_(avg: np.ndarray, grad: np.ndarray, beta: float, work: np.ndarray | None = None) -> None:
    """Exponential moving average of the squared gradient: ``avg ← β avg + (1 − β) g²``."""
    sq = np.multiply(grad, grad, out=_scratch(work, avg))
    sq *= 1 - beta
    avg *= beta
    avg += sq


def descend_(param: np.ndarray, direction: np.ndarray, lr: float, work: np.ndarray | None = None) -> None:
    """``θ ← θ − γ d`` (``direction`` may be ``work`` itself)."""
    step = np.multiply(direction, lr, out=_scratch(work, param))
    param -= step


# ---------------------------------------------------------------------------- the rules


def sgd(param: Array, grad: Array, momentum_buffer: Array | None, *, lr: float, momentum: float,
        dampening: float, nesterov: bool, first: bool, work: Array | None = None) -> None:
    """SGD with optional (Nesterov) momentum; the buffer starts at the first gradient."""
    w = _scratch(work, param)
    if momentum != 0:
        if first:
            # b ← g
            np.copyto(momentum_buffer, grad)
        else:
            # b ← μ b + (1 − τ) g
            momentum_buffer *= momentum
            if dampening != 0:
                grad_part = np.multiply(grad, 1 - dampening, out=w)
            else:
                grad_part = grad
            momentum_buffer += grad_part
        if nesterov:
            # g ← g + μ b
            nesterov_grad = np.multiply(momentum_buffer, momentum, out=w)
            nesterov_grad += grad
            grad = nesterov_grad
        else:
            # g ← b
            grad = momentum_buffer
    # θ ← θ − γ g
    descend_(param, grad, lr, w)


def sgd_velocity(param: Array, grad: Array, velocity: Array, *, lr: float, momentum: float,
                 work: Array | None = None) -> None:
    """Momentum in Sutskever et al.'s (and cs231n's) form, with γ inside the velocity."""
    # v ← μ v − γ g
    velocity *= momentum
    velocity -= np.multiply(grad, lr, out=_scratch(work, param))
    # θ ← θ + v
    param += velocity


def adagrad(param: Array, grad: Array, state_sum: Array, *, step: float, lr: float, lr_decay: float,
            eps: float, work: Array | None = None) -> None:
    """Adagrad: divide by the root of the running sum of squared gradients."""
    w = _scratch(work, param)
    # s ← s + g²
    state_sum += np.multiply(grad, grad, out=w)
    # θ ← θ − γ_t g / (√s + ε),  γ_t = γ / (1 + (t − 1) η)
    root_plus_eps(state_sum, eps, w)
    np.divide(grad, w, out=w)
    descend_(param, w, adagrad_lr(lr, step, lr_decay), w)


def adagrad_lr(lr: float, step: float, lr_decay: float) -> float:
    """Adagrad's decayed learning rate γ_t = γ / (1 + (t − 1) η)."""
    return lr / (1 + (step - 1) * lr_decay)


def root_plus_eps(avg: Array, eps: float, out: Array) -> Array:
    """``√avg + ε`` into ``out``: the denominator of Adagrad, RMSprop and RAdam."""
    np.sqrt(avg, out=out)
    out += eps
    return out


def rmsprop(param: Array, grad: Array, square_avg: Array, grad_avg: Array | None,
            momentum_buffer: Array | None, *, lr: float, alpha: float, eps: float, momentum: float,
            work: Array | None = None) -> None:
    """RMSprop, optionally centered (``grad_avg`` given) and with momentum (``momentum > 0``)."""
    w = _scratch(work, param)
    # v ← α v + (1 − α) g²
    ema_square_(square_avg, grad, alpha, w)
    if grad_avg is not None:
        # ḡ ← α ḡ + (1 − α) g
        lerp_(grad_avg, grad, 1 - alpha, w)
    # a ← √(v − ḡ²) + ε  (√v + ε uncentered)
    rmsprop_denominator(square_avg, grad_avg, eps, w)
    np.divide(grad, w, out=w)
    if momentum > 0:
        # b ← μ b + g / a;  θ ← θ − γ b
        momentum_buffer *= momentum
        momentum_buffer += w
        descend_(param, momentum_buffer, lr, w)
    else:
        # θ ← θ − γ g / a
        descend_(param, w, lr, w)


def rmsprop_denominator(square_avg: Array, grad_avg: Array | None, eps: float, out: Array) -> Array:
    """RMSprop's ``√(v − ḡ²) + ε`` (centered, ``grad_avg`` given) or ``√v + ε``, into ``out``."""
    if grad_avg is None:
        return root_plus_eps(square_avg, eps, out)
    np.multiply(grad_avg, grad_avg, out=out)
    np.subtract(square_avg, out, out=out)
    return root_plus_eps(out, eps, out)


def adadelta(param: Array, grad: Array, square_avg: Array, acc_delta: Array, *, lr: float, rho: float,
             eps: float, work: Array | None = None) -> None:
    """Adadelta: the step is g scaled by RMS(past steps) / RMS(past gradients)."""
    delta = _scratch(work, param)
    # v ← ρ v + (1 − ρ) g²
    ema_square_(square_avg, grad, rho, delta)
    # Δ ← √(u + ε) / √(v + ε) · g
    std = np.empty_like(param)
    adadelta_ratio(square_avg, acc_delta, eps, delta, std)
    delta *= grad
    # u ← ρ u + (1 − ρ) Δ²
    ema_square_(acc_delta, delta, rho, std)
    # θ ← θ − γ Δ
    descend_(param, delta, lr, std)


def adadelta_ratio(square_avg: Array, acc_delta: Array, eps: float, out: Array,
                   work: Array | None = None) -> Array:
    """Adadelta's ``√(u + ε) / √(v + ε)``, RMS(past steps) / RMS(past gradients), into ``out``."""
    std = np.add(square_avg, eps, out=work)
    np.sqrt(std, out=std)
    np.add(acc_delta, eps, out=out)
    np.sqrt(out, out=out)
    out /= std
    return out


def adam(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array, max_exp_avg_sq: Array | None, *,
         step: float, lr: float, beta1: float, beta2: float, eps: float, work: Array | None = None) -> None:
    """Adam's moments and step (AMSGrad when ``max_exp_avg_sq`` is given); no weight decay here."""
    w = _scratch(work, param)
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1, w)
    # v ← β2 v + (1 − β2) g²
    ema_square_(exp_avg_sq, grad, beta2, w)
    if max_exp_avg_sq is not None:
        # v_max ← max(v_max, v)
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        exp_avg_sq = max_exp_avg_sq
    eps_hat, step_size = adam_scalars(step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    root_plus_eps(exp_avg_sq, eps_hat, w)
    np.divide(exp_avg, w, out=w)
    descend_(param, w, step_size, w)


def adam_scalars(*, step: float, lr: float, beta1: float, beta2: float, eps: float) -> tuple[float, float]:
    """Adam's step θ ← θ − γ/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε), computed (as Kingma & Ba,
    section 2) as θ ← θ − k · m / (√v + ε̂): returns ε̂ = ε √(1 − β2ᵗ) and k = γ √(1 − β2ᵗ)/(1 − β1ᵗ)."""
    root_bias_correction2 = (1 - beta2 ** step) ** 0.5
    return eps * root_bias_correction2, lr * root_bias_correction2 / (1 - beta1 ** step)


def adamax(param: Array, grad: Array, exp_avg: Array, exp_inf: Array, *, step: float, lr: float,
           beta1: float, beta2: float, eps: float, work: Array | None = None) -> None:
    """Adamax: Adam with the infinity norm in place of the second moment."""
    w = _scratch(work, param)
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1, w)
    # u ← max(β2 u, |g| + ε)
    adamax_norm_(exp_inf, grad, beta2, eps, w)
    # θ ← θ − γ / (1 − β1ᵗ) · m / u
    np.divide(exp_avg, exp_inf, out=w)
    descend_(param, w, lr / (1 - beta1 ** step), w)


def adamax_norm_(exp_inf: Array, grad: Array, beta2: float, eps: float, work: Array | None = None) -> None:
    """Adamax's exponentially weighted infinity norm: ``u ← max(β2 u, |g| + ε)``."""
    exp_inf *= beta2
    w = np.abs(grad, out=_scratch(work, grad))
    w += eps
    np.maximum(exp_inf, w, out=exp_inf)


def nadam(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array, *, step: float, mu_product: float,
          lr: float, beta1: float, beta2: float, eps: float, momentum_decay: float,
          work: Array | None = None) -> float:
    """NAdam (Dozat 2016) with PyTorch's momentum schedule; returns the new ``mu_product``."""
    denom = _scratch(work, param)
    # μ_t = β1 (1 − ½ · 0.96^(t ψ)),  μ_{t+1} likewise
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu
    mu_product_next = mu_product * mu_next
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1, denom)
    # v ← β2 v + (1 − β2) g²
    ema_square_(exp_avg_sq, grad, beta2, denom)
    # d ← √(v / (1 − β2ᵗ)) + ε
    nadam_denominator(exp_avg_sq, step, beta2, eps, denom)
    # θ ← θ − γ (1 − μ_t) / (1 − Π_{i≤t} μ_i) · g / d
    update = np.divide(grad, denom)
    update *= -lr * (1.0 - mu) / (1.0 - mu_product)
    param += update
    # θ ← θ − γ μ_{t+1} / (1 − Π_{i≤t+1} μ_i) · m / d
    np.divide(exp_avg, denom, out=update)
    update *= (-lr * mu_next) / (1.0 - mu_product_next)
    param += update
    return mu_product


def nadam_denominator(exp_avg_sq: Array, step: float, beta2: float, eps: float, out: Array) -> Array:
    """NAdam's ``√(v / (1 − β2ᵗ)) + ε``, into ``out``."""
    np.divide(exp_avg_sq, 1 - beta2 ** step, out=out)
    return root_plus_eps(out, eps, out)


def radam(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array, *, step: float, lr: float,
          beta1: float, beta2: float, eps: float, work: Array | None = None) -> None:
    """RAdam: Adam whose adaptive step is switched on, rectified, once its variance is tractable."""
    w = _scratch(work, param)
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1, w)
    # v ← β2 v + (1 − β2) g²
    ema_square_(exp_avg_sq, grad, beta2, w)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    rect = radam_rectification(step, beta2)
    if rect is not None:
        # θ ← θ − γ r_t l_t m / (1 − β1ᵗ),  l_t = √(1 − β2ᵗ) / (√v + ε)
        root_plus_eps(exp_avg_sq, eps, w)
        np.divide(exp_avg, w, out=w)
        descend_(param, w, lr * rect * bias_correction2 ** 0.5 / bias_correction1, w)
    else:
        # θ ← θ − γ m / (1 − β1ᵗ)  (too few steps for a tractable variance: momentum SGD)
        descend_(param, exp_avg, lr / bias_correction1, w)


def radam_rectification(step: float, beta2: float) -> float | None:
    """RAdam's r_t once the variance of the adaptive step is tractable (ρ_t > 5), else None."""
    # ρ∞ = 2 / (1 − β2) − 1,  ρ_t = ρ∞ − 2 t β2ᵗ / (1 − β2ᵗ)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / (1 - beta2 ** step)
    if rho_t <= 5.0:
        return None
    # r_t = √((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t))
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def rprop(param: Array, grad: Array, prev: Array, step_size: Array, *, etaminus: float, etaplus: float,
          step_size_min: float, step_size_max: float, work: Array | None = None) -> None:
    """Rprop: per-element step sizes that grow while the gradient keeps its sign and shrink when
    it flips; only the gradient's sign is used. (Masks are applied by arithmetic: a masked
    assignment with a random mask is an order of magnitude slower in NumPy.)"""
    w = _scratch(work, param)
    # s ← sign(g · g_prev)
    np.multiply(grad, prev, out=w)
    same, flipped = w > 0, w < 0
    # η ← η+ where s > 0, η− where s < 0, 1 where s = 0 (NaN where s is)
    factor = np.multiply(same, etaplus, dtype=param.dtype)
    factor += np.multiply(flipped, etaminus, dtype=param.dtype)
    factor += ~(same | flipped)
    nan = np.isnan(w)
    if nan.any():
        factor[nan] = np.nan
    # Δ ← clamp(Δ · η, Δ_min, Δ_max)
    step_size *= factor
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    # g_prev ← g, and 0 where the sign flipped (no step there, and no flip detected next time)
    if np.isfinite(grad).all():
        np.multiply(grad, ~flipped, out=prev)
    else:
        np.copyto(prev, grad)
        prev[flipped] = 0
    # θ ← θ − sign(g) · Δ
    np.sign(prev, out=w)
    w *= step_size
    param -= w


def asgd(param: Array, grad: Array, ax: Array, *, step: float, eta: float, mu: float, lr: float,
         lambd: float, alpha: float, t0: float, work: Array | None = None) -> tuple[float, float]:
    """Averaged SGD; updates the running average ``ax`` and returns the next ``(eta, mu)``."""
    w = _scratch(work, param)
    # θ ← θ (1 − λ η)
    param *= 1 - lambd * eta
    # θ ← θ − η g
    descend_(param, grad, eta, w)
    if mu != 1:
        # ā ← ā + μ (θ − ā)
        np.subtract(param, ax, out=w)
        w *= mu
        ax += w
    else:
        # ā ← θ
        np.copyto(ax, param)
    # η ← γ / (1 + λ γ t)^α,  μ ← 1 / max(1, t − t0)
    return lr / ((1 + lambd * lr * step) ** alpha), 1 / max(1, step - t0)


def lion(param: Array, grad: Array, exp_avg: Array, *, lr: float, beta1: float, beta2: float,
         work: Array | None = None) -> None:
    """Lion (Chen et al. 2023): step by the sign of an interpolated momentum."""
    c = _scratch(work, param)
    # c ← β1 m + (1 − β1) g = m + (1 − β1)(g − m)
    np.subtract(grad, exp_avg, out=c)
    c *= 1 - beta1
    c += exp_avg
    # θ ← θ − γ sign(c)  (np.sign out of place: in place it runs several times slower)
    step = np.sign(c)
    step *= lr
    param -= step
    # m ← β2 m + (1 − β2) g
    lerp_(exp_avg, grad, 1 - beta2, c)


def lbfgs_direction(flat_grad: Array, old_dirs: list, old_stps: list, ro: list, h_diag: float,
                    al: list) -> Array:
    """L-BFGS search direction ``d = −H g`` by the two-loop recursion (Nocedal & Wright, Alg. 7.4).

    ``old_dirs`` are the gradient differences y_i, ``old_stps`` the steps s_i, ``ro`` the
    1 / (y_iᵀ s_i); ``al`` receives the α_i (PyTorch keeps it in the state).
    """
    q = np.negative(flat_grad)
    for i in range(len(old_dirs) - 1, -1, -1):
        # α_i = ρ_i s_iᵀ q;  q ← q − α_i y_i
        al[i] = float(old_stps[i].dot(q)) * ro[i]
        q -= np.multiply(old_dirs[i], al[i])
    # r ← H₀ q,  H₀ = (sᵀy / yᵀy) I
    r = np.multiply(q, h_diag)
    for i in range(len(old_dirs)):
        # β_i = ρ_i y_iᵀ r;  r ← r + (α_i − β_i) s_i
        be_i = float(old_dirs[i].dot(r)) * ro[i]
        r += np.multiply(old_stps[i], al[i] - be_i)
    return r
