"""Supervised learning on N-d samples: images, sets and fields share the one loop."""

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train import fit
from physnn.train.objectives import Supervised, as_tensors


def test_as_tensors_keeps_sample_shape():
    X, y, _ = as_tensors((torch.zeros(5, 1, 4, 4), torch.zeros(5, 1, 4, 4)))
    assert X.shape == (5, 1, 4, 4) and y.shape == (5, 1, 4, 4)


def test_one_d_X_still_refused_with_the_reshape_hint():
    with pytest.raises(PhysnnError, match=r"reshape\(-1, 1\)"):
        as_tensors(([1.0, 2.0], [1.0, 2.0]))


def test_fit_learns_a_per_pixel_map():
    # y = 2 x - 1 pixel by pixel: a 1x1 convolution learns it exactly
    g = torch.Generator().manual_seed(0)
    X = torch.rand(64, 1, 6, 6, generator=g)
    y = 2 * X - 1
    model = nn.Conv2d(1, 1, 1)
    h = fit(model, (X, y), val=(X[:8], y[:8]), lr=0.05, epochs=200, batch_size=16, progress=False)
    assert h["val_loss"][-1] < 1e-6
    assert model.weight.item() == pytest.approx(2.0, abs=1e-3)
    assert model.bias.item() == pytest.approx(-1.0, abs=1e-3)


def test_per_pixel_classes_with_cross_entropy():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(32, 1, 5, 5, generator=g)
    y = (X[:, 0] > 0).long()  # (N, H, W) class map
    model = nn.Conv2d(1, 2, 1)
    h = fit(model, (X, y), val=(X, y), loss="cross_entropy", lr=0.1, epochs=100,
            batch_size=None, metrics=["accuracy"], progress=False)
    assert h["loss"][-1] < 0.2 * h["loss"][0]
    assert h["val_accuracy"][-1] >= 0.99  # pooled over all 32 x 25 = 800 pixels (softmax over axis 1)


def test_shape_mismatch_between_output_and_target_is_named():
    X = torch.zeros(4, 1, 6, 6)
    y = torch.zeros(4, 1, 3, 3)
    with pytest.raises(PhysnnError, match=r"shape \(1, 6, 6\) per sample but y has \(1, 3, 3\)"):
        fit(nn.Conv2d(1, 1, 1), (X, y), epochs=1, progress=False)


def test_validation_sample_shape_must_match():
    X = torch.zeros(4, 1, 6, 6)
    with pytest.raises(PhysnnError, match="validation samples have shape"):
        Supervised((X, X), val=(torch.zeros(4, 1, 5, 5), torch.zeros(4, 1, 5, 5)))
