"""The JAX contender of the MLP and CNN cases: the whole training step under one ``jax.jit``.

JAX is the compiled peer a user would pick for speed on a CPU (XLA). Each network here is the
one of ``mlp.py`` / ``cnn.py``, written in ``jax.numpy`` with the same initial weights, the same
batches in the same order and PyTorch's update rules (Adam with bias corrections as
``torch.optim.Adam``; batch norm with batch statistics in training, running statistics updated
with momentum 0.1 and the unbiased variance), so its test accuracy is comparable. The max-pool
is a reshape and a max over the 2x2 windows (``lax.reduce_window`` compiles to a much slower
kernel on the CPU). The CNN runs channels last (NHWC images, HWIO kernels), the layout JAX's
convolutions and Flax's ``nn.Conv`` use: XLA's CPU convolution in PyTorch's NCHW layout measured
1.8x slower for the whole step (26-27 against 14-15 ms, one thread). The weights are PyTorch's
rearranged once (kernels to HWIO, the first linear layer's columns from (C, H, W) to (H, W, C)
order), so the network computes the same function.

The step is compiled ahead of the clock for every batch shape of the epoch (the full batch and
the last, shorter one) and its compile time is reported apart (``compile_seconds``). Parameters
and optimizer state are donated to the step, so XLA updates them in place; the running loss is
summed inside the step and read once at the end (what a JAX user writes instead of a per-step
``.item()``), and the clock stops when the last step's results are ready.

JAX is an optional benchmark dependency (``pip install -e ".[bench]"``): without it the
contender reports an error that the suite shows, and the other contenders run as usual.
"""

from __future__ import annotations

import time

import numpy as np

from . import Unavailable, fashion, machine

BETA1, BETA2, EPS, BN_MOMENTUM, BN_EPS = 0.9, 0.999, 1e-8, 0.1, 1e-5


def _import_jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        raise Unavailable("jax is not installed (an optional benchmark dependency: "
                           "pip install -e '.[bench]')") from None
    return jax, jnp


def corrections(steps: int, lr: float) -> np.ndarray:
    """Adam's step size lr / (1 - beta1^t) and sqrt(1 - beta2^t) for t = 0..steps, computed in
    float64 as torch.optim.Adam computes them (in float32 inside the step they would lose digits
    to cancellation in the first steps)."""
    t = np.arange(steps + 1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.stack([lr / (1 - BETA1 ** t), np.sqrt(1 - BETA2 ** t)]).astype(np.float32)


def _update(jnp, optimizer: str, lr: float):
    """The optimizer as a function (params, grads, m, v, t, table) -> (params, m, v):
    torch.optim.Adam's or plain SGD's arithmetic (``table``: ``corrections``)."""
    def adam(params, grads, m, v, t, table):
        m = [BETA1 * mi + (1 - BETA1) * g for mi, g in zip(m, grads)]
        v = [BETA2 * vi + (1 - BETA2) * g * g for vi, g in zip(v, grads)]
        step_size, root_bc2 = table[0, t], table[1, t]
        params = [p - step_size * mi / (jnp.sqrt(vi) / root_bc2 + EPS) for p, mi, vi in zip(params, m, v)]
        return params, m, v

    def sgd(params, grads, m, v, t, table):
        return [p - lr * g for p, g in zip(params, grads)], m, v

    return adam if optimizer == "adam" else sgd


def _cross_entropy(jax, jnp, scores, y):
    logp = jax.nn.log_softmax(scores, axis=1)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def _train(jax, jnp, loss_fn, params, buffers, data, optimizer, lr):
    """Compile the step for each batch shape of the epoch, then run it over ``data`` = (images,
    labels, batch size, input shape); returns (params, buffers, mean loss, (seconds, cpu
    seconds), compile seconds)."""
    update = _update(jnp, optimizer, lr)

    def step(state, x, y, table):
        params, buffers, m, v, t, total = state
        (loss, buffers), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, buffers, x, y)
        t = t + 1
        params, m, v = update(params, grads, m, v, t, table)
        return params, buffers, m, v, t, total + loss

    xtr, ytr, batch, shape = data
    state = (params, buffers, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params],
             jnp.int32(0), jnp.float32(0))
    table = jnp.asarray(corrections(-(-len(xtr) // batch), lr))
    jitted = jax.jit(step, donate_argnums=(0,))
    compiled, c0 = {}, time.perf_counter()
    for n in {min(batch, len(xtr)), len(xtr) % batch} - {0}:
        x = np.zeros((n, *shape[1:]), np.float32)
        compiled[n] = jitted.lower(state, x, np.zeros(n, np.int32), table).compile()
    compile_seconds = time.perf_counter() - c0
    stop = machine.clock()
    for x, y in fashion.batches(xtr, ytr, batch):
        state = compiled[len(y)](state, x.reshape(shape), y.astype(np.int32), table)
    jax.block_until_ready(state)
    seconds = stop()
    params, buffers, _, _, t, total = state
    return params, buffers, float(total) / float(t), seconds, compile_seconds


def mlp(init, xtr, ytr, xte, batch, optimizer, lr, order):
    """Seed 002's MLP; ``order`` are the state-dict keys W1, b1, W2, b2."""
    jax, jnp = _import_jax()

    def forward(params, x):
        w1, b1, w2, b2 = params
        return jnp.maximum(x @ w1.T + b1, 0) @ w2.T + b2

    def loss_fn(params, buffers, x, y):
        return _cross_entropy(jax, jnp, forward(params, x), y), buffers

    params = [jnp.asarray(init[k]) for k in order]
    data = (xtr, ytr, batch, (-1, 784))
    params, _, loss, seconds, compile_seconds = _train(jax, jnp, loss_fn, params, [], data, optimizer, lr)
    fwd = jax.jit(forward)
    scores = np.concatenate([np.asarray(fwd(params, fashion.prepare(xte[i:i + 1000])))
                             for i in range(0, len(xte), 1000)])
    return seconds, scores, loss, compile_seconds


def _conv(jax, x, w, b):
    out = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)),
                                       dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return out + b


def _pool(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _channels_last(init: dict, conv_keys, linear_key: str, channels: int) -> dict:
    """PyTorch's weights for the channels-last network: kernels OIHW -> HWIO, and the columns of the
    first linear layer from flattening (C, H, W) to flattening (H, W, C)."""
    out = dict(init)
    for k in conv_keys:
        out[k] = np.ascontiguousarray(init[k].transpose(2, 3, 1, 0))
    w = init[linear_key]
    side = int(round((w.shape[1] // channels) ** 0.5))
    out[linear_key] = np.ascontiguousarray(
        w.reshape(w.shape[0], channels, side, side).transpose(0, 2, 3, 1).reshape(w.shape[0], -1))
    return out


def cnn(init, xtr, ytr, xte, batch, lr):
    """The small CNN of ``cnn.py`` (conv-BN-ReLU-pool twice, linear 128, linear 10), Adam."""
    jax, jnp = _import_jax()
    blocks = ((0, 1), (4, 5))
    keys = [k for c, b in blocks for k in (f"{c}.weight", f"{c}.bias", f"{b}.weight", f"{b}.bias")]
    keys += ["9.weight", "9.bias", "11.weight", "11.bias"]
    buffer_keys = [k for _, b in blocks for k in (f"{b}.running_mean", f"{b}.running_var")]

    def forward(params, buffers, x, train):
        new = []
        for i in range(2):
            w, b, gamma, beta = params[4 * i:4 * i + 4]
            mean_r, var_r = buffers[2 * i:2 * i + 2]
            x = _conv(jax, x, w, b)
            if train:
                mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
                n = x.size // x.shape[-1]
                new += [(1 - BN_MOMENTUM) * mean_r + BN_MOMENTUM * mean,
                        (1 - BN_MOMENTUM) * var_r + BN_MOMENTUM * var * (n / (n - 1))]
            else:
                mean, var = mean_r, var_r
            scale = gamma / jnp.sqrt(var + BN_EPS)
            x = (x - mean) * scale + beta
            x = _pool(jnp.maximum(x, 0))
        w1, b1, w2, b2 = params[8:]
        h = jnp.maximum(x.reshape(x.shape[0], -1) @ w1.T + b1, 0)
        return h @ w2.T + b2, new

    def loss_fn(params, buffers, x, y):
        scores, new = forward(params, buffers, x, True)
        return _cross_entropy(jax, jnp, scores, y), jax.lax.stop_gradient(new)

    init = _channels_last(init, [f"{c}.weight" for c, _ in blocks], "9.weight", len(init["4.bias"]))
    params = [jnp.asarray(init[k]) for k in keys]
    buffers = [jnp.asarray(init[k]) for k in buffer_keys]
    data = (xtr, ytr, batch, (-1, 28, 28, 1))
    params, buffers, loss, seconds, compile_seconds = _train(jax, jnp, loss_fn, params, buffers, data,
                                                             "adam", lr)
    fwd = jax.jit(lambda p, b, x: forward(p, b, x, False)[0])
    scores = np.concatenate([np.asarray(fwd(params, buffers, fashion.prepare(xte[i:i + 500])
                                            .reshape(-1, 28, 28, 1))) for i in range(0, len(xte), 500)])
    return seconds, scores, loss, compile_seconds
