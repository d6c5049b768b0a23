"""Containers: ``Sequential`` (a chain), ``ModuleList`` and ``ModuleDict`` (registered collections).

Children are registered under their index (``"0"``, ``"1"``, ...) or key, so ``state_dict()`` keys
are ``"0.weight"`` exactly as in PyTorch.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from .module import Module


def _index(idx, size: int, kind: str) -> int:
    """A non-negative position from an int-like ``idx``, with PyTorch's IndexError."""
    i = operator.index(idx)
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of range for a {kind} of length {size}")
    return i % size


class _IndexedModules(Module):
    """What ``Sequential`` and ``ModuleList`` share: children named ``"0"``, ``"1"``, ... in order."""

    def _renumber(self, modules: list) -> None:
        for name in list(self._modules):
            self._forget(name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._slice(idx)
        return list(self._modules.values())[_index(idx, len(self), self._get_name())]

    def __setitem__(self, idx, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), self._get_name())]
        setattr(self, key, module)

    def __delitem__(self, idx) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[_index(idx, len(self), self._get_name())]
        self._renumber(modules)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, module: Module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        m = self[index]
        del self[index]
        return m

    def __add__(self, other):
        if not isinstance(other, type(self)):
            raise TypeError(f"can only add a {self._get_name()} to a {self._get_name()}, got "
                            f"{type(other).__name__}")
        return self._from_list([*self, *other])

    def __iadd__(self, other):
        return self.extend(other)


    def _from_list(self, modules: list):
        raise NotImplementedError

    def _slice(self, idx: slice):
        return self._from_list(list(self._modules.values())[idx])


class Sequential(_IndexedModules):
    """Modules applied one after the other: ``Sequential(Linear(784, 200), ReLU(), Linear(200, 10))``.

    Also accepts one ``OrderedDict`` of named modules. Indexing gives a module, slicing a
    ``Sequential`` of the same modules (keeping their names).
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def _from_list(self, modules: list) -> Sequential:
        return Sequential(*modules)

    def _slice(self, idx: slice) -> Sequential:
        return Sequential(OrderedDict(list(self._modules.items())[idx]))

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input


class ModuleList(_IndexedModules):
    """A list of modules, registered so their parameters are the owner's parameters."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _from_list(self, modules: list) -> ModuleList:
        return ModuleList(modules)

    def __repr__(self) -> str:
        """Runs of identical modules are shown once, as ``(0-2): 3 x Linear(...)``, as in PyTorch."""
        items = [(k, repr(m)) for k, m in self._modules.items()]
        if not items:
            return self._get_name() + "()"
        lines = []
        start = 0
        for i in range(1, len(items) + 1):
            if i < len(items) and items[i][1] == items[start][1]:
                continue
            body = items[start][1].replace("\n", "\n  ")
            if i - start == 1:
                lines.append(f"({items[start][0]}): {body}")
            else:
                lines.append(f"({items[start][0]}-{items[i - 1][0]}): {i - start} x {body}")
            start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it in your module's forward")


class ModuleDict(Module):
    """A dict of modules with string keys, registered in insertion order."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        self._forget(key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key: str) -> Module:
        m = self[key]
        del self[key]
        return m

    def clear(self) -> None:
        for key in list(self._modules):
            self._forget(key)

    def update(self, modules) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for j, item in enumerate(items):
            try:
                key, m = item
            except (TypeError, ValueError):
                raise TypeError(f"ModuleDict update sequence element #{j} should be a (key, module) "
                                f"pair, got {item!r}") from None
            self[key] = m

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: index it in your module's forward")
