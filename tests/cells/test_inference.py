"""The inference path: 8-fold test-time augmentation, the split of merged nuclei, the bundled U-Net end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physnn.cells.metrics import matching
from physnn.cells.segment import (
    SPLIT_RATIO, instances_from_probabilities, load_run, predict_probabilities, segment_image, split_large,
    three_class_targets,
)
from physnn.cells.synth import generate
from physnn.errors import PhysnnError


def discs(centres, radius, shape):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    lab = np.zeros(shape, np.int32)
    for i, (cy, cx) in enumerate(centres, 1):
        lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = i
    return lab


def test_tta_equals_the_plain_output_for_an_equivariant_model():
    """A pointwise (1x1) network commutes with every rotation and flip: averaging over them changes nothing."""
    torch.manual_seed(0)
    model = torch.nn.Conv2d(1, 3, 1).eval()
    img = generate(40, preset="easy", seed=2).image
    plain = predict_probabilities(model, img)
    tta = predict_probabilities(model, img, tta=True)
    assert tta.shape == plain.shape == (3, 40, 40) and tta.dtype == np.float32
    np.testing.assert_allclose(tta, plain, atol=1e-5)


@pytest.mark.parametrize("k, flip", [(1, False), (2, True), (3, True)])
def test_tta_output_is_invariant_under_the_symmetries_of_the_square(k, flip):
    """For any network (here a random, not equivariant U-Net) the 8-fold average of a rotated / flipped image
    is the rotated / flipped average; the plain output is not."""
    from physnn.nn.conv import UNet

    torch.manual_seed(0)
    model = UNet(1, 3, depth=1, base=4).eval()
    img = generate((48, 40), preset="hard", seed=1).image  # not square: the shapes must follow the rotation

    def g(a):  # the symmetry acting on (H, W) or on (C, H, W)
        a = np.rot90(a, k, axes=(-2, -1))
        return a[..., ::-1] if flip else a

    tta = predict_probabilities(model, img, tta=True)
    np.testing.assert_allclose(predict_probabilities(model, np.ascontiguousarray(g(img)), tta=True), g(tta), atol=1e-5)
    plain = predict_probabilities(model, img)
    assert np.abs(predict_probabilities(model, np.ascontiguousarray(g(img))) - g(plain)).max() > 1e-3
    np.testing.assert_allclose(tta.sum(0), 1.0, atol=1e-5)


def test_tta_with_tiles_matches_the_whole_image():
    from physnn.nn.conv import UNet

    torch.manual_seed(0)
    model = UNet(1, 3, depth=1, base=4).eval()
    img = generate(150, preset="easy", seed=1).image
    np.testing.assert_allclose(predict_probabilities(model, img, tile=80, overlap=24, tta=True),
                               predict_probabilities(model, img, tta=True), atol=1e-5)


def test_split_large_cuts_merged_nuclei_and_keeps_single_ones():
    # eight discs of radius 7; 1+2 and 3+4 merged into one label each (two maxima joined by a neck)
    lab = discs([(15, 8), (15, 21), (15, 60), (15, 73), (45, 8), (45, 30), (45, 52), (45, 74)], 7, (60, 90))
    merged = lab.copy()
    merged[merged == 2] = 1
    merged[merged == 4] = 3
    out = split_large(merged)
    assert int(out.max()) == 8
    assert matching(lab, out, 0.8).ap == 1.0
    # one big ellipse (area ~3x the median): a single distance-transform maximum, left whole
    yy, xx = np.mgrid[:60, :90]
    big = discs([(15, 10), (15, 30), (15, 50)], 7, (60, 90))
    big[((yy - 45) / 9.0) ** 2 + ((xx - 45) / 17.0) ** 2 <= 1] = 4
    assert np.array_equal(split_large(big), big)
    # nothing large: unchanged; empty: empty
    single = discs([(15, 10), (15, 30), (45, 10)], 7, (60, 60))
    assert np.array_equal(split_large(single), single)
    assert not split_large(np.zeros((8, 8), int)).any()


def test_split_large_leaves_no_slivers():
    """A large nucleus with a small bud: two maxima, but the bud (~64 px) is under min_part x the median (~253 px)."""
    lab = discs([(20, 20), (20, 60), (60, 20)], 9, (80, 80))
    yy, xx = np.mgrid[:80, :80]
    lab[(yy - 58) ** 2 + (xx - 52) ** 2 <= 14**2] = 4
    lab[(yy - 58) ** 2 + (xx - 70) ** 2 <= 4.5**2] = 4
    assert int(split_large(lab).max()) == 4
    assert int(split_large(lab, min_part=0.0).max()) == 5


def test_watershed_splits_touching_nuclei_its_seeds_merge():
    """Perfect probabilities of two touching discs with no boundary between them: the split separates them."""
    lab = discs([(20, 20), (20, 33), (50, 20), (50, 60), (20, 60)], 7, (70, 80))
    merged = lab.copy()
    merged[merged == 2] = 1                      # the network saw one object: no boundary between 1 and 2
    probs = np.eye(3)[three_class_targets(merged)].transpose(2, 0, 1)
    with_split = instances_from_probabilities(probs, min_size=1, h=None)
    without = instances_from_probabilities(probs, min_size=1, h=None, split_ratio=None)
    assert int(without.max()) == 4 and int(with_split.max()) == 5
    assert matching(lab, with_split, 0.7).ap == 1.0
    with pytest.raises(PhysnnError, match="split_ratio"):
        instances_from_probabilities(probs, split_ratio=0.5)
    assert SPLIT_RATIO >= 1.0


def test_bundled_unet_keeps_its_accuracy_on_synthetic_nuclei():
    """The bundled U-Net, no size hint, TTA and the split (the default path), on synthetic ``hard`` images it
    never saw: AP@0.5 measured 0.949, 0.825, 0.897 (plain, no TTA: 0.900, 0.875, 0.897); the bounds leave a margin."""
    torch.set_num_threads(1)
    model, state = load_run()
    aps, aps_plain = [], []
    for seed in (30001, 30002, 30003):
        s = generate(192, preset="hard", seed=seed)
        aps.append(matching(s.labels, segment_image(model, s.image, train_diameter=state["diameter"]), 0.5).ap)
        aps_plain.append(matching(s.labels, segment_image(model, s.image, train_diameter=state["diameter"],
                                                          tta=False), 0.5).ap)
    assert np.mean(aps) > 0.85
    assert np.mean(aps) >= np.mean(aps_plain) - 0.03
