"""Reading images and masks; the real DSB2018 image from the stardist wheel; clear errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from physnn.cells.io import check_image, check_labels, dsb2018_example, read_image, read_mask, write_tiff
from physnn.errors import PhysnnError


@pytest.mark.skipif(importlib.util.find_spec("stardist") is None, reason="stardist (its data files) not installed")
def test_dsb2018_example():
    img, mask = dsb2018_example()
    assert img.shape == mask.shape == (512, 512) and img.dtype == np.uint16
    assert len(np.unique(mask)) - 1 == 125


def test_tiff_and_png_round_trip(tmp_path):
    from skimage import io as skio

    img = (np.arange(64).reshape(8, 8) * 3).astype(np.uint16)
    lab = np.zeros((8, 8), np.uint16)
    lab[2:5, 2:5] = 3
    write_tiff(tmp_path / "img.tif", img)
    write_tiff(tmp_path / "mask.tif", lab)
    assert np.array_equal(read_image(tmp_path / "img.tif"), img)
    assert np.array_equal(read_mask(tmp_path / "mask.tif", shape=(8, 8)), lab)
    skio.imsave(tmp_path / "mask.png", lab.astype(np.uint8), check_contrast=False)
    assert np.array_equal(read_mask(tmp_path / "mask.png"), lab)
    rgb = np.stack([img.astype(np.uint8)] * 3, -1)
    skio.imsave(tmp_path / "rgb.png", rgb, check_contrast=False)
    assert read_image(tmp_path / "rgb.png").shape == (8, 8)
    with pytest.raises(PhysnnError, match="shape .* but the image has shape"):
        read_mask(tmp_path / "mask.tif", shape=(9, 8))
    with pytest.raises(PhysnnError, match="does not exist"):
        read_image(tmp_path / "nope.tif")


def test_validation_messages():
    with pytest.raises(PhysnnError, match="2-D image.*image\\[0\\]"):
        check_image("image", np.zeros((2, 4, 4)))
    with pytest.raises(PhysnnError, match="must hold numbers"):
        check_image("image", np.array([["a"]]))
    with pytest.raises(PhysnnError, match="got dtype bool"):
        check_image("image", np.zeros((4, 4), bool))
    with pytest.raises(PhysnnError, match="NaN"):
        check_image("image", np.full((2, 2), np.nan))
    with pytest.raises(PhysnnError, match="no objects"):
        check_labels("mask", np.zeros((4, 4), int), allow_empty=False)
    with pytest.raises(PhysnnError, match="shape \\(4, 4\\) but the image has shape \\(4, 5\\)"):
        check_labels("mask", np.zeros((4, 4), int), shape=(4, 5))
    assert check_labels("mask", np.ones((2, 2), np.uint8)).dtype == np.uint8
