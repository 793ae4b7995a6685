"""The training choices of the bundled U-Net's builder (physnn.cells.pretrained)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from physnn.cells.pretrained import SETTINGS, TRAININGS, build, touching_training_set, wide_training_set


def test_touching_set_keeps_the_wide_images_and_packs_every_other_one():
    Xw, Yw = wide_training_set(4, 64, seed=0)
    Xt, Yt = touching_training_set(4, 64, seed=0)
    for i in (0, 2):
        assert np.array_equal(Xw[i], Xt[i]) and np.array_equal(Yw[i], Yt[i])
    for i in (1, 3):
        assert not np.array_equal(Yw[i], Yt[i])
    # packed: more of the image is nuclei, and more nuclei touch another one
    assert np.mean([(y > 0).mean() for y in Yt[1::2]]) > np.mean([(y > 0).mean() for y in Yw[1::2]])


def test_training_choices():
    assert TRAININGS == ("wide", "domain", "touching") and SETTINGS["training"] in TRAININGS


@pytest.mark.parametrize("training", ["touching"])
def test_build_records_the_training_choice(tmp_path, training):
    m = build(tmp_path / "run", training=training, n_train=2, size=48, n_val=0, epochs=1, steps=1, crop=32,
              batch_size=2, n_test=0, progress=False)
    d = tmp_path / "run"
    assert m["directory"] == str(d)
    assert f'training = "{training}"' in (d / "config.toml").read_text()
    assert json.loads((d / "state.json").read_text())["data"].startswith(f"synthetic ({training})")


def test_faint_touching_set_keeps_the_wide_images():
    Xw, _ = wide_training_set(2, 64, seed=0)
    Xf, Yf = touching_training_set(2, 64, seed=0, faint=True)
    assert np.array_equal(Xw[0], Xf[0]) and not np.array_equal(Xw[1], Xf[1]) and Yf[1].max() > 0


def test_edge_dim_default_is_the_old_profile_and_zero_is_flat():
    from physnn.cells.synth import generate

    a, b = generate(64, seed=4), generate(64, seed=4, edge_dim=0.3)
    assert np.array_equal(a.image, b.image) and a.settings["edge_dim"] == 0.3
    flat = generate(64, seed=4, edge_dim=0.0, psf_sigma=0.0)
    sharp = generate(64, seed=4, psf_sigma=0.0)
    assert flat.photons.sum() > sharp.photons.sum()
