"""gradstep's exceptions."""


class NotSupportedError(Exception):
    """A mark on errors for what gradstep leaves out on purpose (docs/differences.md): pickles,
    pretrained downloads, devices other than the CPU. ``python -m gradstep.torch`` reports these in
    one line, as it does a torch name gradstep lacks."""


class NotSupportedTypeError(TypeError, NotSupportedError):
    """An object gradstep will not handle by design (``torch.save`` of a whole module)."""


class NotSupportedValueError(ValueError, NotSupportedError):
    """A value gradstep will not honour by design (``weights='DEFAULT'``)."""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit together.

    A ValueError for gradstep's convention and a RuntimeError because PyTorch raises one, so code
    ported from PyTorch that catches RuntimeError keeps working.
    """


class DTypeError(TypeError, RuntimeError):
    """Operands whose dtypes do not fit together (e.g. ``dot`` of float32 and float64).

    A TypeError for gradstep's convention and a RuntimeError because PyTorch raises one.
    """


class ArgumentError(ValueError, RuntimeError):
    """An argument whose value is not allowed (``chunk(0)``, an unknown ``indexing=``, ...).

    A ValueError for gradstep's convention and a RuntimeError because PyTorch raises one.
    """


class IndexRangeError(IndexError, RuntimeError):
    """An index outside a dimension (or of the wrong form) given to ``gather``, ``scatter``, ...

    An IndexError, as Python's indexing raises, and a RuntimeError because PyTorch raises one there.
    """
