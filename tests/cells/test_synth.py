"""The synthetic microscope: determinism, truth consistency, the noise model, time-lapse tracks."""

from __future__ import annotations

import numpy as np
import pytest

from physnn.cells.synth import PHENOTYPES, generate, generate_dataset, generate_timelapse
from physnn.errors import PhysnnError


def test_deterministic_and_seed_dependent():
    a, b, c = generate(64, seed=5), generate(64, seed=5), generate(64, seed=6)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.image, c.image)
    assert a.image.dtype == np.uint16 and a.labels.dtype == np.int32


def test_labels_are_sequential_and_described():
    s = generate((80, 64), seed=1)
    assert s.image.shape == s.labels.shape == (80, 64)
    labs = np.unique(s.labels)
    assert labs.tolist() == list(range(int(labs.max()) + 1))
    n = int(labs.max())
    assert len(s.phenotype) == n + 1 and s.phenotype[0] == -1 and set(s.phenotype[1:]) <= set(range(len(PHENOTYPES)))
    assert s.centers.shape == (n, 2) and s.radii.shape == (n,)


def test_hard_is_denser_and_dimmer_than_easy():
    e = [generate(128, preset="easy", seed=i) for i in range(3)]
    h = [generate(128, preset="hard", seed=i) for i in range(3)]
    frac = lambda ss: np.mean([(s.labels > 0).mean() for s in ss])
    signal = lambda ss: np.mean([s.image[s.labels > 0].mean() - s.settings["offset"] for s in ss])
    assert frac(h) > 1.5 * frac(e)
    assert signal(e) > 5 * signal(h)


def test_shot_noise_is_poisson():
    """With no read noise, blur, texture or background variation the background pixels are Poisson: mean = variance."""
    s = generate(128, seed=0, density=0.01, read_noise=0.0, psf_sigma=0.0, background_var=0.0,
                 background=0.4, photons=50.0, offset=100.0)
    bg = s.image[s.labels == 0].astype(float) - 100.0
    assert bg.mean() == pytest.approx(20.0, rel=0.03)
    assert bg.var() == pytest.approx(bg.mean(), rel=0.08)


def test_phenotypes_can_be_forced():
    s = generate(96, preset="easy", seed=2, phenotypes=(0, 0, 1))
    assert set(s.phenotype[1:]) == {2}
    with pytest.raises(PhysnnError, match="phenotypes"):
        generate(32, phenotypes=(1, 0))


def test_dataset_and_errors():
    X, Y = generate_dataset(3, 32, preset="easy", seed=0)
    assert X.shape == Y.shape == (3, 32, 32)
    with pytest.raises(PhysnnError, match="'preset' must be one of 'easy', 'hard'"):
        generate(32, preset="medium")
    with pytest.raises(PhysnnError, match="Did you mean 'photons'"):
        generate(32, photon=10)
    with pytest.raises(PhysnnError, match="size"):
        generate(8)


def test_timelapse_tracks_match_masks_and_divisions():
    tl = generate_timelapse(12, 96, seed=1, growth=0.05)
    T = tl.frames.shape[0]
    assert tl.frames.dtype == np.uint16 and tl.labels.shape == tl.frames.shape
    rows = {int(r[0]): r for r in tl.tracks}
    for t in range(T):
        present = set(np.unique(tl.labels[t]).tolist()) - {0}
        alive = {lab for lab, (_, b, e, _) in rows.items() if b <= t <= e}
        assert present == alive
    daughters = [r for r in tl.tracks if r[3] != 0]
    assert len(daughters) >= 2  # growth 5 %/frame: divisions happen
    for lab, b, e, parent in daughters:
        assert rows[int(parent)][2] == b - 1  # the mother ends the frame before the daughters start
    assert sum(1 for r in tl.tracks if r[3] == daughters[0][3]) == 2


def test_debris_adds_unlabelled_light_only():
    """debris > 0 changes the image (more light) but not one label; the presets have none."""
    a, b = generate(96, seed=2), generate(96, seed=2, debris=0.3)
    assert np.array_equal(a.labels, b.labels)
    assert b.photons.sum() > a.photons.sum() and not np.array_equal(a.image, b.image)
    with pytest.raises(PhysnnError, match="debris"):
        generate(32, debris=-1.0)
