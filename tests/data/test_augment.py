"""Image augmentations: image and target stay aligned, results are seeded, the D4 group is covered."""

from __future__ import annotations

import pytest
import torch

from physnn.data.augment import Augment, dihedral, intensity_jitter, random_crop
from physnn.errors import PhysnnError


def _pair(n=3, h=8, w=8):
    img = torch.arange(n * h * w, dtype=torch.float32).reshape(n, 1, h, w)
    return img, img[:, 0].long()


@pytest.mark.parametrize("seed", range(5))
def test_pipeline_keeps_image_and_target_aligned(seed):
    img, lab = _pair()
    a, t = Augment(crop=5, gain=0.0, offset=0.0)(img, lab, torch.Generator().manual_seed(seed))
    assert a.shape == (3, 1, 5, 5) and t.shape == (3, 5, 5)
    assert torch.equal(a[:, 0].long(), t)
    # multi-channel targets move together too
    a2, t2 = dihedral(img, torch.stack([lab, 2 * lab], 1), torch.Generator().manual_seed(seed))
    assert torch.equal(a2[:, 0].long(), t2[:, 0]) and torch.equal(2 * t2[:, 0], t2[:, 1])


def test_same_seed_same_result_other_seed_differs():
    img, lab = _pair(n=4, h=16, w=16)
    aug = Augment(crop=8)
    r1 = aug(img, lab, torch.Generator().manual_seed(7))
    r2 = aug(img, lab, torch.Generator().manual_seed(7))
    assert torch.equal(r1[0], r2[0]) and torch.equal(r1[1], r2[1])
    others = [aug(img, lab, torch.Generator().manual_seed(s))[0] for s in range(8, 12)]
    assert any(not torch.equal(r1[0], o) for o in others)


def test_dihedral_reaches_all_eight_symmetries_and_only_them():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    expected = set()
    for k in range(4):
        r = torch.rot90(x[0, 0], k)
        expected.add(tuple(r.flatten().tolist()))
        expected.add(tuple(torch.flip(r, (-1,)).flatten().tolist()))
    g = torch.Generator().manual_seed(0)
    seen = {tuple(dihedral(x, None, g)[0].flatten().tolist()) for _ in range(200)}
    assert len(expected) == 8 and seen == expected


def test_non_square_keeps_shape():
    img, lab = _pair(n=5, h=4, w=6)
    a, t = dihedral(img, lab, torch.Generator().manual_seed(0))
    assert a.shape == img.shape and torch.equal(a[:, 0].long(), t)


def test_intensity_jitter_is_affine_within_bounds():
    x = torch.rand(16, 1, 4, 4)
    y = intensity_jitter(x, torch.Generator().manual_seed(0), gain=0.2, offset=0.1)
    # y = a x + b per sample: recover a, b from two pixels and check all pixels
    for i in range(16):
        xi, yi = x[i].flatten(), y[i].flatten()
        a = (yi[1] - yi[0]) / (xi[1] - xi[0])
        b = yi[0] - a * xi[0]
        assert torch.allclose(a * xi + b, yi, atol=1e-5)
        assert 0.8 - 1e-6 <= float(a) <= 1.2 + 1e-6 and abs(float(b)) <= 0.1 + 1e-6


def test_errors():
    img, lab = _pair()
    with pytest.raises(PhysnnError, match="larger than the images"):
        random_crop(img, lab, 9)
    with pytest.raises(PhysnnError, match="does not fit"):
        dihedral(img, lab[:, :4])
    with pytest.raises(PhysnnError, match=r"\(N, C, H, W\)"):
        dihedral(img[0, 0])
    with pytest.raises(PhysnnError, match="gain"):
        intensity_jitter(img, gain=1.5)
