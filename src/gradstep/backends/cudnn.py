"""``gradstep.backends.cudnn``: flags scripts set for reproducibility; without cuDNN they do nothing."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
