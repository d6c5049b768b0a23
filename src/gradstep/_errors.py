"""gradstep's exceptions."""


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
