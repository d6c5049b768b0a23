"""gradstep's exceptions."""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit together.

    A ValueError for gradstep's convention and a RuntimeError because PyTorch raises one, so code
    ported from PyTorch that catches RuntimeError keeps working.
    """
