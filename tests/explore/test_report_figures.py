"""lr_find.png for a report: the raw loss shown (only the exploding end's spikes leave the top,
and the legend says how far), a text column wide."""

import math

import numpy as np

from gradstep.explore.lr_finder import LRFinderResult, smooth_curve


def _range_test():
    lrs = list(np.logspace(-6, 0, 60))
    raw = [2.3 - 1.5 * (i > 30) * min((i - 30) / 8, 1) for i in range(60)]  # falls from 2.3 to 0.8
    raw[38] = 0.4                                                            # one deep dip
    raw[56:] = [6.0, 20.0, 75.0, 300.0]                                      # the explosion
    curve = smooth_curve(raw[:55], 0.05) + [math.nan] * 5
    return LRFinderResult(lrs=lrs, losses=curve, raw_losses=raw, suggested_lr=None, diverged=True)


def test_lr_find_plot_shows_every_raw_loss_but_the_explosion():
    result = _range_test()
    ax = result.plot()
    low, high = ax.get_ylim()
    assert low <= 0.4 < 2.3 <= high < 6.0  # the dip and the start inside, the spikes above
    assert result.clipped() == 300.0
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "loss per mini-batch (up to 300 off the top)"
    w, h = ax.figure.get_size_inches()
    assert w <= 7.5 and h <= 4


def test_a_range_test_that_never_explodes_clips_nothing():
    lrs = list(np.logspace(-6, -2, 30))
    raw = list(np.linspace(2.3, 1.0, 30))
    r = LRFinderResult(lrs=lrs, losses=smooth_curve(raw, 0.05), raw_losses=raw, suggested_lr=None,
                       diverged=False)
    assert r.clipped() is None
    low, high = r.plot().get_ylim()
    assert low <= 1.0 and high >= 2.3
