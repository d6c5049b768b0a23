"""The LR range test lives in ``gradstep.explore.lr_finder`` (with the other experiment tools);
this module keeps the old import path working."""

from ..explore.lr_finder import LRFinderResult, SmoothedLoss, find_lr, smooth_curve, steepest_descent

__all__ = ["find_lr", "LRFinderResult", "SmoothedLoss", "smooth_curve", "steepest_descent"]
