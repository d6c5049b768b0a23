"""Inverted dropout (Srivastava et al., 2014): zero each value with probability p and scale the
survivors by 1 / (1 - p), so the expected output equals the input and evaluation needs no change.

    y = x * mask,   mask = keep / (1 - p),   keep ~ Bernoulli(1 - p)
    dL/dx = dL/dy * mask
"""

from __future__ import annotations

import numpy as np


def dropout_mask(shape: tuple, p: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """The scaled mask, drawn from ``rng`` (uniforms in float64 whatever ``dtype``, so a seed gives
    the same mask in float32 and float64)."""
    if p >= 1.0:
        rng.random(shape)   # draw anyway: the stream advances the same for every p
        return np.zeros(shape, dtype=dtype)
    keep = rng.random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype=dtype)
