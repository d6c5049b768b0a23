"""gradstep's performance suite: ``python -m benchmarks`` (or ``make bench``); see ``suite.py``.

Cases: ``mlp`` (seed 002's MLP: gradstep eager loop, Trainer.fit, PyTorch, hand-written NumPy,
JAX), ``cnn`` (the small CNN: gradstep, PyTorch, JAX), with ``jax_steps`` their JAX contender;
``optim_step`` (one step of every optimizer), ``loader`` (DataLoader throughput), ``startup``
(import time); ``fashion`` holds the data and ``child`` runs one measurement in a fresh process.
``op_overhead.py`` is a standalone micro-benchmark of single ops.
"""


class Unavailable(RuntimeError):
    """A contender's optional library is not installed: the suite reports it, not as a failure."""
