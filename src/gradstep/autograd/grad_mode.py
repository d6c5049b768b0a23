"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    graph_of_grad = False  # True while the engine runs backwards on tensors (create_graph=True)


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


class _GradMode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    _mode: bool

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Operations inside do not record the graph (``with gradstep.no_grad(): ...``)."""

    _mode = False


class enable_grad(_GradMode):
    """Operations inside record the graph, even within ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off: as a function, or as a context manager for a block."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode = self._mode
        _state.enabled = self._prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class inference_mode(_GradMode):
    """PyTorch's faster ``no_grad`` for inference; here it is ``no_grad`` (``mode=False``: no change)."""

    def __init__(self, mode: bool = True):
        self._mode = False if mode else _state.enabled
