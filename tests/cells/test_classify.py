"""Phenotype crops, features, the confusion matrix and a tiny ConvNet fit."""

from __future__ import annotations

import numpy as np
import pytest

from physnn.cells.classify import (
    FEATURE_NAMES, confusion_matrix, crop_features, feature_baseline, phenotype_crops, predict_classes,
    train_classifier, with_position,
)
from physnn.errors import PhysnnError


def test_crops_are_balanced_and_seeded():
    X, y = phenotype_crops(5, size=24, seed=2)
    X2, y2 = phenotype_crops(5, size=24, seed=2)
    assert X.shape == (15, 24, 24) and np.bincount(y).tolist() == [5, 5, 5]
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_features_separate_the_classes_somewhat():
    X, y = phenotype_crops(30, size=32, seed=0)
    Xt, yt = phenotype_crops(20, size=32, seed=1)
    F = crop_features(X)
    assert F.shape == (90, len(FEATURE_NAMES)) and np.isfinite(F).all()
    # mitotic and apoptotic nuclei are brighter than interphase ones (max intensity) and smaller
    assert F[y == 1, 6].mean() > F[y == 0, 6].mean() and F[y == 2, 6].mean() > F[y == 0, 6].mean()
    assert F[y == 1, 0].mean() < F[y == 0, 0].mean()
    acc = (feature_baseline(X, y, Xt) == yt).mean()
    assert acc > 0.6  # well above chance (1/3)


def test_confusion_matrix_by_hand():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert np.trace(cm) / cm.sum() == pytest.approx(4 / 6)
    with pytest.raises(PhysnnError):
        confusion_matrix([0, 1], [0])


def test_tiny_convnet_learns():
    X, y = phenotype_crops(16, size=24, preset="easy", seed=4)
    model, h = train_classifier(X, y, channels=(8, 16), epochs=30, batch_size=16, lr=1e-2, progress=False)
    assert h["loss"][-1] < 0.7 * h["loss"][0]
    assert (predict_classes(model, X) == y).mean() > 0.7


def test_position_channel_is_the_centre_distance_and_symmetric():
    """ρ² = 0 at the centre of an odd crop, 1 at the middle of an edge; unchanged by the 8 symmetries."""
    P = with_position(np.random.default_rng(0).random((2, 9, 9)))
    r2 = P[0, 1]
    assert P.shape == (2, 2, 9, 9) and r2[4, 4] == 0 and r2[4, 0] == pytest.approx((4 / 4.5) ** 2)
    for k in range(4):
        assert np.array_equal(np.rot90(r2, k), r2) and np.array_equal(np.rot90(r2, k)[:, ::-1], r2)
    assert np.array_equal(P[:, 1], np.broadcast_to(r2, (2, 9, 9)))
    with pytest.raises(PhysnnError, match="shape \\(N, H, W\\)"):
        with_position(np.zeros((9, 9)))


@pytest.mark.parametrize("position", [True, False])
def test_classifier_with_and_without_position_channel(position):
    X, y = phenotype_crops(6, size=16, preset="easy", seed=5)
    model, _ = train_classifier(X, y, val=(X, y), channels=(4,), epochs=2, progress=False, position=position)
    assert model.in_channels == (2 if position else 1)
    assert predict_classes(model, X).shape == (18,)
    with pytest.raises(PhysnnError, match="crops of shape"):
        predict_classes(model, X[0])
