"""Reading jets from files: padding/truncation with masks, formats, and the errors a user meets."""

import numpy as np
import pytest

from physnn.errors import PhysnnError
from physnn.hep.features import (JET_FEATURES, PARTICLE_FEATURES, ParticleScaler, load_jets, pad_jagged,
                                 toy_jets)

ak = pytest.importorskip("awkward")

JAGGED_PT = [[50.0, 20.0, 5.0], [80.0], [30.0, 10.0, 8.0, 4.0, 1.0]]


def _columns():
    return {"pt": np.array([600.0, 580.0, 610.0]), "mass": np.array([170.0, 40.0, 90.0]),
            "label": np.array([1, 0, 0], dtype=np.int32),
            "part_pt": JAGGED_PT,
            "part_deta": [[0.1, -0.2, 0.3], [0.0], [0.05, -0.1, 0.2, 0.3, -0.4]]}


def _check(jets, n):
    assert jets.particles.shape == (3, n, 2)
    want = np.zeros((3, n))
    for i, row in enumerate(JAGGED_PT):
        k = min(n, len(row))
        want[i, :k] = row[:k]
    np.testing.assert_array_equal(jets.particles[:, :, 0], want)
    np.testing.assert_array_equal(jets.mask, want > 0)
    np.testing.assert_array_equal(jets.y, [1, 0, 0])


def test_pad_jagged_truncates_and_masks():
    p, m = pad_jagged(JAGGED_PT, 4)
    assert p.tolist() == [[50, 20, 5, 0], [80, 0, 0, 0], [30, 10, 8, 4]]
    assert m.sum(1).tolist() == [3, 1, 4]


@pytest.mark.parametrize("n", [2, 4, 7])
def test_root_jagged_branches(tmp_path, n):
    uproot = pytest.importorskip("uproot")
    c = _columns()
    path = tmp_path / "jets.root"
    with uproot.recreate(path) as f:
        f.mktree("jets", {"pt": "float64", "mass": "float64", "label": "int32",
                          "part_pt": "var * float64", "part_deta": "var * float64"})
        f["jets"].extend({k: ak.Array(v) if k.startswith("part") else v for k, v in c.items()})
    jets = load_jets(path, features=["pt", "mass"], particles=["part_pt", "part_deta"], n_particles=n)
    _check(jets, n)
    np.testing.assert_array_equal(jets.mass, c["mass"])
    with pytest.raises(PhysnnError, match="is jagged .* give the padding length, e.g. n_particles=64"):
        load_jets(path, features=["pt"], particles=["part_pt"])
    with pytest.raises(PhysnnError, match="column 'tau32' named in 'features' is not in the data; available "
                                          "columns: 'pt', 'mass', 'label', 'npart_pt', 'part_pt'"):
        load_jets(path, features=["pt", "tau32"])
    with pytest.raises(PhysnnError, match="'tree' must be one of 'jets'; got 'events'"):
        load_jets(path, features=["pt"], tree="events")


def test_root_rntuple_with_jagged_fields(tmp_path):
    """Jets in an RNTuple (file[key] = {...} in uproot >= 5.7) load like jets in a TTree."""
    uproot = pytest.importorskip("uproot")
    c = _columns()
    path = tmp_path / "jets.root"
    with uproot.recreate(path) as f:
        f.mkrntuple("jets", {k: ak.Array(v) if k.startswith("part") else v for k, v in c.items()})
    with uproot.open(path) as f:
        assert f.classnames()["jets;1"] == "ROOT::RNTuple"
    jets = load_jets(path, features=["pt", "mass"], particles=["part_pt", "part_deta"], n_particles=3)
    _check(jets, 3)
    np.testing.assert_array_equal(jets.mass, c["mass"])


def test_parquet_list_columns(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "jets.parquet"
    pq.write_table(pa.table(_columns()), path)
    _check(load_jets(path, features=["pt", "mass"], particles=["part_pt", "part_deta"], n_particles=3), 3)


def test_npz_padded_and_csv_flat(tmp_path):
    jets = toy_jets(30, n_max=12, seed=0)
    p = jets.save_npz(tmp_path / "toy.npz")
    back = load_jets(p, particles=PARTICLE_FEATURES)  # width from the file
    np.testing.assert_array_equal(back.particles, jets.particles)
    np.testing.assert_array_equal(back.mask, jets.mask)
    np.testing.assert_array_equal(back.X, jets.X)
    short = load_jets(p, particles=PARTICLE_FEATURES, n_particles=5)
    np.testing.assert_array_equal(short.particles, jets.particles[:, :5])
    longer = load_jets(p, particles=PARTICLE_FEATURES, n_particles=20)
    assert longer.mask[:, 12:].sum() == 0 and longer.mask.sum() == jets.mask.sum()
    csv = tmp_path / "flat.csv"
    cols = list(JET_FEATURES) + ["label"]
    np.savetxt(csv, np.c_[jets.X, jets.y], delimiter=",", header=",".join(cols), comments="")
    flat = load_jets(csv)
    np.testing.assert_allclose(flat.X, jets.X, rtol=1e-6)
    assert flat.particles is None


def test_bad_labels_and_input(tmp_path):
    base = {"pt": np.arange(4.0) + 500, "mass": np.ones(4)}
    np.savez(tmp_path / "a.npz", **base, label=np.array([0, 1, 2, 1]))
    with pytest.raises(PhysnnError, match="must hold 0 .background. and 1 .signal. only; found the value.s. 2"):
        load_jets(tmp_path / "a.npz", features=["pt", "mass"])
    np.savez(tmp_path / "b.npz", **base, label=np.ones(4))
    with pytest.raises(PhysnnError, match="all 4 jets are signal"):
        load_jets(tmp_path / "b.npz", features=["pt", "mass"])
    np.savez(tmp_path / "c.npz", **base, label=np.zeros(4))
    with pytest.raises(PhysnnError, match="all 4 jets are background"):
        load_jets(tmp_path / "c.npz", features=["pt", "mass"])
    with pytest.raises(PhysnnError, match="does not exist"):
        load_jets(tmp_path / "nope.root")
    with pytest.raises(PhysnnError, match="tree='t' applies to ROOT files only"):
        load_jets(tmp_path / "c.npz", features=["pt"], tree="t")
    unl = load_jets(tmp_path / "a.npz", features=["pt"], label=None)
    assert unl.y is None and unl.X.shape == (4, 1)


def test_particle_scaler_ignores_padding():
    jets = toy_jets(40, seed=3)
    s = ParticleScaler(jets.particle_names).fit(jets.particles, jets.mask)
    z = s.transform(jets.particles, jets.mask)
    real = z[jets.mask]
    np.testing.assert_allclose(real.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(real.std(0), 1, atol=1e-4)
    assert (z[~jets.mask] == 0).all()
    np.testing.assert_allclose(np.exp(real[:, 0] * s.std_[0] + s.mean_[0]), jets.particles[jets.mask][:, 0], rtol=1e-4)
    assert ParticleScaler.from_dict(s.to_dict()).transform(jets.particles, jets.mask).tolist() == z.tolist()


@pytest.mark.parametrize("suffix", [".parquet", ".root", ".npz"])
def test_reads_files_of_the_generator_format(tmp_path, suffix):
    """Files written by physnn.hep.jetio.write_jets (part 1's format) load with padding and labels intact."""
    jetio = pytest.importorskip("physnn.hep.jetio")
    jets = toy_jets(20, n_max=10, seed=4)
    cols = {n: jets.X[:, j].astype(np.float64) for j, n in enumerate(jets.feature_names)}
    cols.update(eta=np.zeros(20), phi=np.zeros(20), tau4=cols["tau3"] * 0.8, label=jets.y,
                n_constituents=jets.mask.sum(1).astype(np.int32))  # count as stored, for ROOT's jagged lists
    cols.update({n: jets.particles[:, :, j] for j, n in enumerate(jets.particle_names)})
    path = jetio.write_jets(cols, tmp_path / f"jets{suffix}")
    back = load_jets([path, path], particles=PARTICLE_FEATURES, n_particles=10)  # a list of files concatenates
    assert len(back) == 40
    np.testing.assert_allclose(back.particles[:20], jets.particles, rtol=1e-6)
    np.testing.assert_array_equal(back.mask[:20], jets.mask)
    np.testing.assert_array_equal(back.y[:20], jets.y)
