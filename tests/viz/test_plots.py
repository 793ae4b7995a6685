"""Decision-boundary plots: probabilities on one fixed 0-1 colour scale, other outputs on their own range."""

import numpy as np
import torch

from physnn.viz.plots import plot_decision_boundary


def _linear(scale):
    m = torch.nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.fill_(scale)
        m.bias.zero_()
    return m


def _limits(ax):
    from matplotlib.contour import ContourSet

    cs = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    return cs[0].get_clim(), float(cs[0].levels[0]), float(cs[0].levels[-1])


def test_an_undecided_classifier_stays_pale_on_the_fixed_scale():
    X = np.random.default_rng(0).uniform(-1, 1, size=(30, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    ax = plot_decision_boundary(_linear(0.1), X, y, to_score=torch.sigmoid)  # outputs ~0.45-0.55
    assert _limits(ax) == ((0.0, 1.0), 0.0, 1.0)
    ax = plot_decision_boundary(_linear(5.0), X, X[:, :1], to_score=None)  # raw outputs beyond [0, 1]
    (lo, hi), first, last = _limits(ax)
    assert first < -1.0 and last > 1.0
