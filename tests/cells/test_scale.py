"""Nuclei of any size: the diameter estimate, rescaling, and segment_image at the image's own size."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physnn.cells.scale import (
    check_diameter, equivalent_diameter, estimate_diameter, rescale_image, resize_labels,
)
from physnn.errors import PhysnnError


def discs(diameter: float, *, touching: bool = False, seed: int = 0, noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """A grid of discs of one diameter (pairs touching when asked), a little Gaussian noise."""
    rng = np.random.default_rng(seed)
    step = int(2.2 * diameter)
    size = 4 * step
    yy, xx = np.mgrid[:size, :size]
    img = np.zeros((size, size))
    lab = np.zeros((size, size), np.int32)
    k = 0
    for i in range(4):
        for j in range(4):
            cy, cx = step * i + step / 2, step * j + step / 2
            if touching and j % 2 == 1:
                cx -= step - diameter  # this disc touches its left neighbour
            k += 1
            m = (yy - cy) ** 2 + (xx - cx) ** 2 <= (diameter / 2) ** 2
            img[m] = 1.0
            lab[m & (lab == 0)] = k
    return img + noise * rng.normal(size=img.shape), lab


@pytest.mark.parametrize("diameter", [12, 24, 48])
@pytest.mark.parametrize("touching", [False, True])
def test_diameter_estimate_on_discs_of_known_size(diameter, touching):
    img, _ = discs(diameter, touching=touching, seed=diameter)
    est = estimate_diameter(img)
    assert abs(math.log(est / diameter)) < math.log(1.15), (diameter, touching, est)


def test_diameter_estimate_from_dense_clusters_only():
    """No single convex nucleus: the inscribed-circle fallback still gives the size."""
    yy, xx = np.mgrid[:200, :200]
    img = np.zeros((200, 200))
    for row in (40, 100, 160):  # rows of overlapping discs: every object is a non-convex chain
        for cx in range(20, 190, 18):
            img[(yy - row) ** 2 + (xx - cx) ** 2 <= 11**2] = 1.0
    est = estimate_diameter(img)
    assert 18 < est < 30, est


def test_blank_image_and_bad_diameter():
    with pytest.raises(PhysnnError, match="constant"):
        estimate_diameter(np.zeros((32, 32)))
    with pytest.raises(PhysnnError, match="diameter"):
        check_diameter(0.5, owner="test")
    assert check_diameter(None, owner="test") is None and check_diameter(30, owner="test") == 30.0


def test_rescale_and_labels_back():
    img, lab = discs(20)
    small = rescale_image(img, 0.5)
    assert small.shape == (img.shape[0] // 2, img.shape[1] // 2) and small.dtype == np.float32
    back = resize_labels(resize_labels(lab, small.shape), lab.shape)
    assert back.shape == lab.shape and set(np.unique(back)) == set(np.unique(lab))
    assert equivalent_diameter(lab) == pytest.approx(2 * math.sqrt((lab == 1).sum() / math.pi))
    assert equivalent_diameter(np.zeros((4, 4), int)) is None


def test_segment_image_runs_the_network_at_the_training_scale(monkeypatch):
    """--diameter D with training diameter T: the network sees the image resized by T/D; masks come back full size."""
    import physnn.cells.segment as seg

    seen = []

    def fake_segment(model, image, **kw):
        from scipy import ndimage as ndi

        seen.append(image.shape)
        return ndi.label(np.asarray(image) > 0.5)[0].astype(np.int32)

    monkeypatch.setattr(seg, "segment", fake_segment)
    img, _ = discs(40)
    out = seg.segment_image(None, img, train_diameter=20.0, diameter=40.0)
    assert seen == [(img.shape[0] // 2, img.shape[1] // 2)] and out.shape == img.shape
    seen.clear()
    seg.segment_image(None, img, train_diameter=20.0)  # estimated (~40 px): about half size too, then refined
    assert all(abs(s[0] - img.shape[0] / 2) <= 0.2 * img.shape[0] for s in seen)
