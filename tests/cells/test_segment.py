"""Segmentation: the 3-class encoding and its watershed decoding, the baseline, a tiny U-Net fit, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physnn.cells.metrics import matching
from physnn.cells.segment import (
    SegmentationObjective, dice_loss, instances_from_probabilities, load_model, normalize, otsu_watershed,
    save_model, segment, three_class_targets, train_unet,
)
from physnn.cells.synth import generate
from physnn.errors import PhysnnError


def one_hot(classes: np.ndarray) -> np.ndarray:
    return np.eye(3)[classes].transpose(2, 0, 1)


@pytest.mark.parametrize("seed", [0, 1])
def test_decoding_the_targets_gives_back_the_truth(seed):
    """Perfect class probabilities -> the watershed recovers every nucleus (touching ones too): AP@0.9 = 1."""
    s = generate(96, preset="hard", seed=seed)
    probs = one_hot(three_class_targets(s.labels))
    pred = instances_from_probabilities(probs, min_size=1, min_rel_size=0)
    m = matching(s.labels, pred, 0.9)
    # nuclei too thin to have an interior pixel cannot be seeded; everything else must be exact
    no_interior = sum(1 for lab in range(1, int(s.labels.max()) + 1)
                      if not ((three_class_targets(s.labels) == 1) & (s.labels == lab)).any())
    assert m.fp == 0 and m.fn == no_interior
    assert m.mean_iou > 0.95


def test_relative_size_prior_drops_specks_only():
    """Objects below min_rel_size x the median object area go; the nuclei stay, whatever the image's scale."""
    for scale in (1, 3):
        lab = np.zeros((48 * scale, 48 * scale), np.int32)
        for i, (y, x) in enumerate([(2, 2), (2, 26), (26, 2)]):
            lab[y * scale:(y + 16) * scale, x * scale:(x + 16) * scale] = i + 1  # three 256 s² nuclei
        lab[32 * scale:(32 + 7) * scale, 32 * scale:(32 + 7) * scale] = 4  # a 49 s² speck: 0.19 of the median
        probs = one_hot(three_class_targets(lab))
        kept = instances_from_probabilities(probs, min_size=1, min_rel_size=0.25)
        assert int(kept.max()) == 3 and kept[35 * scale, 35 * scale] == 0
        assert int(instances_from_probabilities(probs, min_size=1, min_rel_size=0).max()) == 4
    with pytest.raises(PhysnnError, match="min_rel_size"):
        instances_from_probabilities(probs, min_rel_size=2.0)


def test_touching_squares_are_split_by_the_boundary():
    lab = np.zeros((8, 12), np.int32)
    lab[1:7, 1:6], lab[1:7, 6:11] = 1, 2
    cls = three_class_targets(lab)
    assert (cls[:, 5] == 2)[1:7].all() and (cls[:, 6] == 2)[1:7].all()
    assert matching(lab, instances_from_probabilities(one_hot(cls), min_size=1), 0.99).ap == 1.0


def test_dice_loss_and_normalize():
    y = torch.tensor([[[0, 1], [2, 2]]])
    wrong = 50.0 * torch.nn.functional.one_hot((y + 1) % 3, 3).permute(0, 3, 1, 2).float()
    # every pixel confidently wrong: no overlap, so class c scores eps / (|P_c| + |Y_c| + eps) with
    # |P| = (2, 1, 1), |Y| = (1, 1, 2), eps = 1: 1 - (1/4 + 1/3 + 1/4) / 3 = 13/18
    assert float(dice_loss(wrong, y)) == pytest.approx(13 / 18, abs=1e-6)
    assert float(dice_loss(wrong, y, eps=0.0)) == pytest.approx(1.0, abs=1e-6)
    # uniform logits: p = 1/3 everywhere, |P_c| = 4/3, overlap |Y_c|/3: dice (1/2, 1/2, 7/13) -> 1 - 20/39
    assert float(dice_loss(torch.zeros(1, 3, 2, 2), y)) == pytest.approx(19 / 39, abs=1e-6)
    right = 50.0 * torch.nn.functional.one_hot(y, 3).permute(0, 3, 1, 2).float()
    assert float(dice_loss(right, y)) == pytest.approx(0.0, abs=1e-6)
    x = normalize(np.arange(1000, dtype=np.uint16).reshape(10, 100), 0, 100)
    assert x.min() == 0 and x.max() == pytest.approx(1.0)


def test_otsu_baseline_on_an_easy_image():
    s = generate(128, preset="easy", seed=3)
    assert matching(s.labels, otsu_watershed(s.image), 0.5).ap > 0.6


def test_tiny_unet_fit_lowers_the_loss_and_round_trips(tmp_path):
    s = [generate(48, preset="easy", seed=i) for i in range(2)]
    model, h = train_unet([x.image for x in s], [x.labels for x in s], val_images=[s[0].image],
                          val_masks=[s[0].labels], depth=1, base=4, epochs=4, steps=3, batch_size=4, crop=32,
                          lr=1e-2, progress=False)
    assert h.epochs_run == 4 and h["loss"][-1] < h["loss"][0]
    assert set(h.keys()) >= {"val_loss", "val_ap50"}
    save_model(model, tmp_path / "run")
    again = load_model(tmp_path / "run")
    assert np.array_equal(segment(model, s[1].image), segment(again, s[1].image))


def test_objective_errors():
    s = generate(32, seed=0)
    with pytest.raises(PhysnnError, match="crop=64 is larger"):
        SegmentationObjective([s.image], [s.labels], crop=64)
    with pytest.raises(PhysnnError, match="1 images but 2 masks"):
        SegmentationObjective([s.image], [s.labels, s.labels], crop=16)
    with pytest.raises(PhysnnError, match="shape \\(31, 32\\) but the image"):
        SegmentationObjective([s.image], [s.labels[:31]], crop=16)
    with pytest.raises(PhysnnError, match="'probs' must have shape"):
        instances_from_probabilities(np.zeros((2, 4, 4)))
    with pytest.raises(PhysnnError, match="not a cells segmentation run|does not exist"):
        load_model("/nonexistent/run")


def test_large_images_are_predicted_in_tiles():
    """Tiles that overlap by more than the network's reach give the whole image's probabilities."""
    from physnn.cells.segment import predict_probabilities
    from physnn.nn.conv import UNet

    torch.manual_seed(0)
    model = UNet(1, 3, depth=1, base=4).eval()  # reach: a few pixels
    img = generate(200, preset="easy", seed=1).image
    whole = predict_probabilities(model, img)
    tiled = predict_probabilities(model, img, tile=96, overlap=24)
    assert tiled.shape == whole.shape == (3, 200, 200)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
