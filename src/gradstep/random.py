"""One seeded generator behind every random operation.

``gradstep.manual_seed(s)`` reseeds the default generator; every random function (``rand``,
``randn``, dropout, initialisation, shuffling) draws from it unless handed a ``Generator`` of its
own, so one seed reproduces a whole run. A generator's state is a plain dict of integers that
JSON can hold, so checkpoints restore every stream without pickling anything.
"""

from __future__ import annotations

import numpy as np

from . import _device

_DEFAULT_SEED = 67280421310721


class Generator:
    """A random stream (NumPy's PCG64) with ``torch.Generator``'s methods."""

    __slots__ = ("_rng", "_seed")

    def __init__(self, seed: int | None = None, device=None):
        if isinstance(seed, (str, _device.device)):  # torch.Generator("cpu")
            seed, device = None, seed
        _device.check(device)
        self.manual_seed(_DEFAULT_SEED if seed is None else seed)

    @property
    def device(self) -> _device.device:
        return _device.CPU

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The stream's state as a JSON-serialisable dict."""
        st = self._rng.bit_generator.state
        return {"seed": self._seed, "bit_generator": st["bit_generator"],
                "state": {"state": int(st["state"]["state"]), "inc": int(st["state"]["inc"])},
                "has_uint32": int(st["has_uint32"]), "uinteger": int(st["uinteger"])}

    def set_state(self, state: dict) -> Generator:
        try:
            if state["bit_generator"] != "PCG64":
                raise ValueError(f"expected a PCG64 generator state, got {state['bit_generator']!r}")
            bg = np.random.PCG64()
            bg.state = {"bit_generator": "PCG64",
                        "state": {"state": int(state["state"]["state"]), "inc": int(state["state"]["inc"])},
                        "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}
        except (KeyError, TypeError) as e:
            raise ValueError(f"not a gradstep generator state: missing or bad field {e}") from None
        self._rng = np.random.Generator(bg)
        self._seed = int(state.get("seed", self._seed))
        return self

    @property
    def numpy(self) -> np.random.Generator:
        """The underlying ``numpy.random.Generator``."""
        return self._rng

    def __repr__(self) -> str:
        return f"gradstep.Generator(initial_seed={self._seed})"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and so every random op that is not given a generator)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the default one's."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a gradstep.Generator, got {type(generator).__name__}")
    return generator._rng
