"""The optimizers' update rules on NumPy arrays, each written once.

Every rule updates the parameter and its state arrays in place and never writes into ``grad``,
which may be the user's ``.grad`` or a flat buffer of many of them. ``gradstep.optim`` runs each
rule either once per parameter or once on flat buffers holding a whole group, so both paths
compute the same bits. The math is a comment above each in-place call; the operations follow
torch.optim's single-tensor code in order, so results agree with PyTorch to rounding.

Hyperparameters and scalar state are Python floats: with NumPy 2, a float32 array times a NumPy
float64 scalar would silently become float64.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------- shared pieces


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


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start ← start + w (end − start)``, evaluated like ``torch.lerp`` (from ``end`` when w ≥ ½)."""
    diff = np.subtract(end, start)
    if weight < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)


def ema_square_(avg: np.ndarray, grad: np.ndarray, beta: float) -> None:
    """Exponential moving average of the squared gradient: ``avg ← β avg + (1 − β) g²``."""
    sq = np.multiply(grad, grad)
    sq *= 1 - beta
    avg *= beta
    avg += sq


def descend_(param: np.ndarray, direction: np.ndarray, lr: float) -> None:
    """``θ ← θ − γ d``."""
    step = np.multiply(direction, lr)
    param -= step


# ---------------------------------------------------------------------------- the rules


def sgd(param, grad, momentum_buffer, *, lr: float, momentum: float, dampening: float,
        nesterov: bool, first: bool) -> None:
    """SGD with optional (Nesterov) momentum; the buffer starts at the first gradient."""
    if momentum != 0:
        if first:
            # b ← g
            np.copyto(momentum_buffer, grad)
        else:
            # b ← μ b + (1 − τ) g
            momentum_buffer *= momentum
            momentum_buffer += np.multiply(grad, 1 - dampening)
        if nesterov:
            # g ← g + μ b
            grad = grad + np.multiply(momentum_buffer, momentum)
        else:
            # g ← b
            grad = momentum_buffer
    # θ ← θ − γ g
    descend_(param, grad, lr)


def sgd_velocity(param, grad, velocity, *, lr: float, momentum: float) -> None:
    """Momentum in Sutskever et al.'s (and cs231n's) form, with γ inside the velocity."""
    # v ← μ v − γ g
    velocity *= momentum
    velocity -= np.multiply(grad, lr)
    # θ ← θ + v
    param += velocity


def adagrad(param, grad, state_sum, *, step: float, lr: float, lr_decay: float, eps: float) -> None:
    """Adagrad: divide by the root of the running sum of squared gradients."""
    clr = lr / (1 + (step - 1) * lr_decay)
    # s ← s + g²
    state_sum += np.multiply(grad, grad)
    # θ ← θ − γ_t g / (√s + ε),  γ_t = γ / (1 + (t − 1) η)
    std = np.sqrt(state_sum)
    std += eps
    update = np.divide(grad, std, out=std)
    descend_(param, update, clr)


def rmsprop(param, grad, square_avg, grad_avg, momentum_buffer, *, lr: float, alpha: float,
            eps: float, momentum: float) -> None:
    """RMSprop, optionally centered (``grad_avg`` given) and with momentum (``momentum > 0``)."""
    # v ← α v + (1 − α) g²
    ema_square_(square_avg, grad, alpha)
    if grad_avg is not None:
        # ḡ ← α ḡ + (1 − α) g
        lerp_(grad_avg, grad, 1 - alpha)
        # a ← √(v − ḡ²) + ε
        avg = np.multiply(grad_avg, grad_avg)
        np.subtract(square_avg, avg, out=avg)
        np.sqrt(avg, out=avg)
    else:
        # a ← √v + ε
        avg = np.sqrt(square_avg)
    avg += eps
    if momentum > 0:
        # b ← μ b + g / a
        momentum_buffer *= momentum
        momentum_buffer += np.divide(grad, avg)
        # θ ← θ − γ b
        descend_(param, momentum_buffer, lr)
    else:
        # θ ← θ − γ g / a
        descend_(param, np.divide(grad, avg, out=avg), lr)


def adadelta(param, grad, square_avg, acc_delta, *, lr: float, rho: float, eps: float) -> None:
    """Adadelta: the step is g scaled by RMS(past steps) / RMS(past gradients)."""
    # v ← ρ v + (1 − ρ) g²
    ema_square_(square_avg, grad, rho)
    # Δ ← √(u + ε) / √(v + ε) · g
    std = np.add(square_avg, eps)
    np.sqrt(std, out=std)
    delta = np.add(acc_delta, eps)
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= grad
    # u ← ρ u + (1 − ρ) Δ²
    ema_square_(acc_delta, delta, rho)
    # θ ← θ − γ Δ
    descend_(param, delta, lr)


def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step: float, lr: float,
         beta1: float, beta2: float, eps: float) -> None:
    """Adam's moments and step (AMSGrad when ``max_exp_avg_sq`` is given); no weight decay here."""
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1)
    # v ← β2 v + (1 − β2) g²
    ema_square_(exp_avg_sq, grad, beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    if max_exp_avg_sq is not None:
        # v_max ← max(v_max, v)
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        exp_avg_sq = max_exp_avg_sq
    # θ ← θ − γ / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
    denom = np.sqrt(exp_avg_sq)
    denom /= bias_correction2 ** 0.5
    denom += eps
    descend_(param, np.divide(exp_avg, denom, out=denom), lr / bias_correction1)


def adamax(param, grad, exp_avg, exp_inf, *, step: float, lr: float, beta1: float, beta2: float,
           eps: float) -> None:
    """Adamax: Adam with the infinity norm in place of the second moment."""
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1)
    # u ← max(β2 u, |g| + ε)
    exp_inf *= beta2
    norm = np.abs(grad)
    norm += eps
    np.maximum(exp_inf, norm, out=exp_inf)
    # θ ← θ − γ / (1 − β1ᵗ) · m / u
    descend_(param, np.divide(exp_avg, exp_inf), lr / (1 - beta1 ** step))


def nadam(param, grad, exp_avg, exp_avg_sq, *, step: float, mu_product: float, lr: float,
          beta1: float, beta2: float, eps: float, momentum_decay: float) -> float:
    """NAdam (Dozat 2016) with PyTorch's momentum schedule; returns the new ``mu_product``."""
    bias_correction2 = 1 - beta2 ** step
    # μ_t = β1 (1 − ½ · 0.96^(t ψ)),  μ_{t+1} likewise
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu
    mu_product_next = mu_product * mu_next
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1)
    # v ← β2 v + (1 − β2) g²
    ema_square_(exp_avg_sq, grad, beta2)
    # d ← √(v / (1 − β2ᵗ)) + ε
    denom = np.divide(exp_avg_sq, bias_correction2)
    np.sqrt(denom, out=denom)
    denom += eps
    # θ ← θ − γ (1 − μ_t) / (1 − Π_{i≤t} μ_i) · g / d
    param += np.divide(grad, denom) * (-lr * (1.0 - mu) / (1.0 - mu_product))
    # θ ← θ − γ μ_{t+1} / (1 − Π_{i≤t+1} μ_i) · m / d
    param += np.divide(exp_avg, denom, out=denom) * ((-lr * mu_next) / (1.0 - mu_product_next))
    return mu_product


def radam(param, grad, exp_avg, exp_avg_sq, *, step: float, lr: float, beta1: float, beta2: float,
          eps: float) -> None:
    """RAdam: Adam whose adaptive step is switched on, rectified, once its variance is tractable."""
    # m ← β1 m + (1 − β1) g
    lerp_(exp_avg, grad, 1 - beta1)
    # v ← β2 v + (1 − β2) g²
    ema_square_(exp_avg_sq, grad, beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    # m̂ ← m / (1 − β1ᵗ)
    update = np.divide(exp_avg, bias_correction1)
    # ρ∞ = 2 / (1 − β2) − 1,  ρ_t = ρ∞ − 2 t β2ᵗ / (1 − β2ᵗ)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    update *= lr
    if rho_t > 5.0:
        # r_t = √((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t))
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        # l_t = √(1 − β2ᵗ) / (√v + ε)
        adaptive = np.sqrt(exp_avg_sq)
        adaptive += eps
        np.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
        # θ ← θ − γ m̂ l_t r_t
        update *= adaptive
        update *= rect
    # else θ ← θ − γ m̂  (too few steps for a tractable variance: momentum SGD)
    param -= update


def rprop(param, grad, prev, step_size, *, etaminus: float, etaplus: float, step_size_min: float,
          step_size_max: float) -> None:
    """Rprop: per-element step sizes that grow while the gradient keeps its sign and shrink when
    it flips; only the gradient's sign is used."""
    # s ← sign(g · g_prev) mapped to η+ (same sign), η− (flipped), 1 (a zero)
    factor = np.multiply(grad, prev)
    np.sign(factor, out=factor)
    np.copyto(factor, etaplus, where=factor > 0)
    np.copyto(factor, etaminus, where=factor < 0)
    np.copyto(factor, 1.0, where=factor == 0)
    # Δ ← clamp(Δ · s, Δ_min, Δ_max)
    step_size *= factor
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    # g ← 0 where the sign flipped (no step there, and no flip detected next time)
    grad = np.copy(grad)
    np.copyto(grad, 0.0, where=factor == etaminus)
    # θ ← θ − sign(g) · Δ
    param -= np.multiply(np.sign(grad), step_size)
    # g_prev ← g
    np.copyto(prev, grad)


def asgd(param, grad, ax, *, step: float, eta: float, mu: float, lr: float, lambd: float,
         alpha: float, t0: float) -> tuple[float, float]:
    """Averaged SGD; updates the running average ``ax`` and returns the next ``(eta, mu)``."""
    # θ ← θ (1 − λ η)
    param *= 1 - lambd * eta
    # θ ← θ − η g
    descend_(param, grad, eta)
    if mu != 1:
        # ā ← ā + μ (θ − ā)
        diff = np.subtract(param, ax)
        diff *= mu
        ax += diff
    else:
        # ā ← θ
        np.copyto(ax, param)
    # η ← γ / (1 + λ γ t)^α,  μ ← 1 / max(1, t − t0)
    return lr / ((1 + lambd * lr * step) ** alpha), 1 / max(1, step - t0)


def lion(param, grad, exp_avg, *, lr: float, beta1: float, beta2: float) -> None:
    """Lion (Chen et al. 2023): step by the sign of an interpolated momentum."""
    # c ← β1 m + (1 − β1) g
    c = np.multiply(exp_avg, beta1)
    c += np.multiply(grad, 1 - beta1)
    # θ ← θ − γ sign(c)
    descend_(param, np.sign(c, out=c), lr)
    # m ← β2 m + (1 − β2) g
    lerp_(exp_avg, grad, 1 - beta2)


def lbfgs_direction(flat_grad, old_dirs, old_stps, ro, h_diag: float, al: list) -> np.ndarray:
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
