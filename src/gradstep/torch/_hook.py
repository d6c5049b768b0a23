"""The import hook: while it is installed, ``import torch`` (and ``torchvision``) gives gradstep.

Each torch module becomes a thin module whose attributes are looked up in the gradstep module that
answers for it (``_names.MODULES``), so ``torch.nn.Linear is gradstep.nn.Linear``. A name gradstep
lacks raises ``NotImplementedInGradstep`` at the point of use, naming the torch name. Removing the
hook takes the modules out of ``sys.modules`` again, so a real torch imported later is untouched.
"""

from __future__ import annotations

import dis
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

from . import _names


class NotImplementedInGradstep(AttributeError):
    """A torch name gradstep does not have (an AttributeError, so ``hasattr`` and ``getattr(...,
    default)`` work as code written for older torch versions expects)."""

    def __init__(self, name: str):
        reason = _names.out_of_scope_reason(name)
        why = f": {reason}" if reason else ""
        super().__init__(f"gradstep does not implement {name}{why} (see {_names.COVERAGE_DOC})")
        self.torch_name = name


class TorchModuleNotInGradstep(ModuleNotFoundError):
    """``import torch.X`` for a torch module gradstep has no counterpart for."""

    def __init__(self, name: str):
        reason = _names.out_of_scope_reason(name)
        why = f": {reason}" if reason else ""
        # name=None: the import system re-raises it as it is instead of rewording it
        super().__init__(f"gradstep does not implement {name}{why} (see {_names.COVERAGE_DOC})")
        self.torch_name = name


def _gradstep_module(torch_name: str):
    target = _names.target_module(torch_name)
    if target is None:
        return None
    try:
        if importlib.util.find_spec(target) is None:
            return None
    except ModuleNotFoundError:  # a parent of ``target`` is a plain module, not a package
        return None
    return importlib.import_module(target)


class TorchModule(types.ModuleType):
    """A torch module seen through gradstep: attributes come from the gradstep module behind it.

    ``__name__`` is the gradstep module's, so code comparing ``type(obj).__module__`` with
    ``torch.optim.lr_scheduler.__name__`` sees the classes as belonging to the module.
    """

    def __init__(self, torch_name: str, target: types.ModuleType):
        super().__init__(target.__name__, target.__doc__)
        self.__torch_name__ = torch_name
        self.__gradstep_module__ = target
        for attr in ("__version__", "__all__"):
            if hasattr(target, attr):
                setattr(self, attr, getattr(target, attr))

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        full = f"{self.__torch_name__}.{attr}"
        known = sys.modules.get(full)
        if isinstance(known, TorchModule):
            return known
        if full in _names.MODULES:
            return _import_torch_module(full)
        if _names.out_of_scope_reason(full):  # not an attribute, even if gradstep has the name
            _missing(full, sys._getframe(1))
        try:
            value = getattr(self.__gradstep_module__, attr)
        except AttributeError:
            return _import_torch_module(full)  # a submodule not imported yet, or a missing name
        if isinstance(value, types.ModuleType) and _gradstep_module(full) is value:
            return _import_torch_module(full)  # a gradstep subpackage: give it the torch view too
        return value

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(dir(self.__gradstep_module__)))

    def __repr__(self) -> str:
        return f"<module {self.__torch_name__!r} (gradstep's {self.__gradstep_module__.__name__})>"


class OutOfScopeModule(TorchModule):
    """A torch module gradstep leaves out, imported by name (``import torch.onnx``): the import
    works, as scripts import such modules at the top and use them only on some paths; every
    attribute fails at the point of use with the doorway's line."""

    def __init__(self, torch_name: str):
        super().__init__(torch_name, types.ModuleType(torch_name))

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        full = f"{self.__torch_name__}.{attr}"
        known = sys.modules.get(full)
        if isinstance(known, TorchModule):  # a submodule imported by name
            return known
        _missing(full, sys._getframe(1))

    def __repr__(self) -> str:
        return f"<module {self.__torch_name__!r} (not in gradstep)>"


def _missing(full: str, frame):
    """Raise the doorway's error for ``full``: an ImportError in ``from module import name``."""
    if _in_from_import(frame):
        raise TorchModuleNotInGradstep(full)
    raise NotImplementedInGradstep(full)


def _import_torch_module(full: str):
    try:
        return importlib.import_module(full)
    except TorchModuleNotInGradstep:
        if _in_from_import(sys._getframe(2)):
            raise  # ``from torch import X``: an ImportError, which the statement lets through
        raise NotImplementedInGradstep(full) from None


_IMPORT_FROM = dis.opmap["IMPORT_FROM"]


def _in_from_import(frame) -> bool:
    """Is ``frame`` executing ``from module import name``? Python turns an AttributeError raised
    there into a generic "cannot import name"; the doorway raises its own ImportError instead."""
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] == _IMPORT_FROM


class _Loader(importlib.abc.Loader):
    def __init__(self, target: types.ModuleType):
        self.target = target

    def create_module(self, spec):
        if self.target is None:
            return OutOfScopeModule(spec.name)
        return TorchModule(spec.name, self.target)

    def exec_module(self, module) -> None:
        # the gradstep module's names in the module's own dict too, so code that reads
        # ``module.__dict__`` (``models.__dict__[arch]()``) finds them; submodules stay with
        # ``__getattr__``, which gives them the torch view
        if self.target is not None:  # an out-of-scope module stays empty (its names fail at use)
            module.__dict__.update({k: v for k, v in vars(self.target).items()
                                    if not k.startswith("_") and not isinstance(v, types.ModuleType)})
        if module.__torch_name__ == "torch":
            _activate_printing()


class TorchFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch``, ``torchvision`` and their submodules in gradstep."""

    def find_spec(self, fullname, path=None, target=None):
        if not _names.is_torch_name(fullname):
            return None
        module = _gradstep_module(fullname)
        if module is None and not _names.is_out_of_scope_module(fullname):
            raise TorchModuleNotInGradstep(fullname)
        # every torch module is a package here, so ``import torch.cuda.amp`` reaches this finder
        # and fails with the doorway's line rather than "torch.cuda is not a package"
        spec = importlib.machinery.ModuleSpec(fullname, _Loader(module), is_package=True)
        spec.submodule_search_locations = []
        return spec


_finder = TorchFinder()
_saved: dict = {}


def installed() -> bool:
    return _finder in sys.meta_path


def install() -> None:
    """Make ``import torch``/``torchvision`` resolve to gradstep from now on in this process.

    Torch modules already imported (a real torch) are set aside and put back by ``uninstall``.
    """
    if installed():
        return
    for name in list(sys.modules):
        if _names.is_torch_name(name):
            _saved[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo ``install``: torch names resolve as they did before."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if _names.is_torch_name(name) and isinstance(sys.modules[name], TorchModule):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()
    _deactivate_printing()


def _activate_printing() -> None:
    from .. import _dtype
    _dtype.set_print_namespace("torch")


def _deactivate_printing() -> None:
    if "gradstep._dtype" in sys.modules:
        sys.modules["gradstep._dtype"].set_print_namespace("gradstep")
