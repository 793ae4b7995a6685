"""The EMT generator against known truths: zero mixing energy of pure elements, Vegard,
the Birch–Murnaghan fit against an independent minimum and curvature, determinism, failures."""

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import bulk  # noqa: E402

from physnn.errors import PhysnnError  # noqa: E402
from physnn.materials import generate as G  # noqa: E402


@pytest.mark.parametrize("el", G.ELEMENTS)
def test_pure_element_has_zero_mixing_energy(el):
    ref = G.reference(el)
    atoms = G.fcc_alloy([el] * 32, a=ref.a)
    assert abs(G.mixing_energy(atoms)) < 1e-12
    # away from its own lattice constant the pure element costs energy
    assert G.mixing_energy(G.fcc_alloy([el] * 32, a=1.02 * ref.a)) > 1e-4


def test_reference_is_the_energy_minimum_and_near_asse_tables():
    for el in G.ELEMENTS:
        ref = G.reference(el)
        a_tab = bulk(el, "fcc", cubic=True).cell[0, 0]  # experimental values tabulated in ASE
        assert abs(ref.a - a_tab) / a_tab < 0.03
        for da in (-1e-3, 1e-3):
            assert G.mixing_energy(G.fcc_alloy([el] * 4, a=ref.a + da)) > 0


def test_vegard():
    cu, au = G.reference("Cu").a, G.reference("Au").a
    assert G.vegard(["Cu"] * 16 + ["Au"] * 16) == pytest.approx((cu + au) / 2, abs=1e-12)
    assert G.vegard(["Cu"] * 24 + ["Au"] * 8) == pytest.approx(0.75 * cu + 0.25 * au, abs=1e-12)
    at = G.fcc_alloy(["Cu"] * 24 + ["Au"] * 8)
    assert at.cell[0, 0] == pytest.approx(2 * (0.75 * cu + 0.25 * au))


def test_birch_murnaghan_recovers_cu_minimum_and_curvature():
    from ase.units import GPa

    ref = G.reference("Cu")
    a0, b, e = G.eos_fit(G.fcc_alloy(["Cu"] * 32))
    assert a0 == pytest.approx(ref.a, abs=2e-4)
    assert abs(e) < 1e-5
    # independent bulk modulus: B = V d2E/dV2 by central differences at the minimum (4-atom cell)
    base = G.fcc_alloy(["Cu"] * 4, a=ref.a)
    v0, h = base.get_volume(), 1e-3 * base.get_volume()

    def energy(v):
        at = base.copy()
        at.set_cell(base.cell * (v / v0) ** (1 / 3), scale_atoms=True)
        at.calc = G._emt()
        return at.get_potential_energy()

    b_fd = v0 * (energy(v0 + h) - 2 * energy(v0) + energy(v0 - h)) / h**2 / GPa
    assert b == pytest.approx(b_fd, rel=0.02)
    assert 120 < b < 150  # EMT Cu: about 134 GPa (ASE's equation-of-state tutorial)


def test_sample_symbols():
    for i in range(20):
        s = G.sample_symbols("A", i, seed=3)
        assert len(s) == 32 and 2 <= len(set(s)) <= 3 and set(s) <= set(G.ELEMENTS)
        assert s == G.sample_symbols("A", i, seed=3)
    assert G.sample_symbols("A", 0, seed=3) != G.sample_symbols("A", 0, seed=4)
    b = G.sample_symbols("B", 5, seed=0)
    assert b.count("Cu") == 16 and b.count("Au") == 16


def test_bad_inputs():
    with pytest.raises(PhysnnError, match="'Fe'"):
        G.fcc_alloy(["Fe"] * 32)
    with pytest.raises(PhysnnError, match="case-sensitive|Did you mean"):
        G.vegard(["cu"] * 4)
    with pytest.raises(PhysnnError, match="4·k³"):
        G.fcc_alloy(["Cu"] * 30)
    with pytest.raises(PhysnnError, match="4·k³"):
        G.check_fcc(bulk("Cu", "bcc", a=2.9, cubic=True))
    with pytest.raises(PhysnnError, match="not cubic"):
        G.check_fcc(bulk("Cu", "fcc", a=3.6).repeat((2, 2, 1)))  # 4 atoms in the rhombohedral primitive cell
    sheared = G.fcc_alloy(["Cu"] * 32)
    sheared.set_cell(sheared.cell * [1.0, 1.0, 1.1], scale_atoms=True)
    with pytest.raises(PhysnnError, match="not cubic"):
        G.check_fcc(sheared)
    moved = G.fcc_alloy(["Cu"] * 32)
    moved.positions[3] += [0.3, 0.0, 0.0]
    with pytest.raises(PhysnnError, match="FCC lattice site"):
        G.label_structure(moved)
    with pytest.raises(PhysnnError, match="'task'"):
        G.generate("C", 2)
    with pytest.raises(PhysnnError, match=".npz"):
        G.generate("A", 2, out="alloys.csv")
    with pytest.raises(PhysnnError, match="'workers'"):
        G.generate("A", 2, workers=0)


class _NaNEMT:
    """A calculator that fails the way a broken engine does: NaN energies."""

    def __new__(cls):
        from ase.calculators.emt import EMT

        class Broken(EMT):
            def calculate(self, *a, **k):
                super().calculate(*a, **k)
                self.results["energy"] = float("nan")

        return Broken()


def test_failures_are_recorded_not_kept():
    atoms = G.fcc_alloy(G.sample_symbols("A", 0, seed=0))
    bad = G.label_structure(atoms, calculator=_NaNEMT)
    assert not bad["ok"] and bad["status"] == "nan_energy"
    assert all(np.isnan(bad[k]) for k in G.LABELS)
    slow = G.label_structure(atoms, steps=1)
    assert not slow["ok"] and slow["status"].startswith("not_converged")
    good = G.label_structure(atoms)
    assert good["ok"] and all(np.isfinite(good[k]) for k in G.LABELS)
    # relaxation lowers the energy; the E-V minimum lies between
    assert good["e_mix_relaxed"] <= good["e_mix_eos"] + 1e-9 <= good["e_mix_unrelaxed"] + 2e-9


def test_generate_counts_failures_and_resumes(tmp_path, monkeypatch):
    real = G.label_structure

    def breaks(symbols):  # a deterministic subset fails: structures that contain Ag
        return "Ag" in symbols

    def flaky(atoms, **kw):
        if breaks(atoms.get_chemical_symbols()):
            kw["calculator"] = _NaNEMT
        return real(atoms, **kw)

    monkeypatch.setattr(G, "label_structure", flaky)
    out, store = tmp_path / "a.npz", tmp_path / "store"
    d = G.generate("A", 6, seed=1, cache=store, chunk=3, fmax=0.05, progress=False)  # chunks kept in store
    n_bad = int((~d["ok"]).sum())
    expected = np.array([breaks(G.sample_symbols("A", i, 1)) for i in range(6)])
    assert 0 < expected.sum() < 6
    np.testing.assert_array_equal(~d["ok"], expected)
    # a second call (a killed run started again): every chunk comes from the cache, nothing is recomputed
    monkeypatch.setattr(G, "_work_chunk", lambda *a, **k: (_ for _ in ()).throw(AssertionError("recomputed")))
    again = G.generate("A", 6, seed=1, out=out, cache=store, chunk=3, fmax=0.05, progress=False)
    for k in ("numbers", "ok", "e_mix_unrelaxed"):
        np.testing.assert_array_equal(again[k], d[k])
    loaded = G.load_alloys(out)
    assert loaded["meta"]["n_failed"] == n_bad and loaded["meta"]["n_ok"] == 6 - n_bad
    assert np.all(np.isnan(loaded["e_mix_relaxed"][~loaded["ok"]]))
    assert np.all(loaded["status"][~loaded["ok"]] == "nan_energy")
    assert not list(store.glob("*/chunk_*.npz"))  # removed once OUT is written
    with pytest.raises(PhysnnError, match="does not exist"):
        G.load_alloys(tmp_path / "missing.npz")


def test_bit_identical_whatever_the_number_of_workers():
    # Exactly reproducible by construction, so compared bit for bit: each structure is drawn from its own
    # rng([seed, task, i]) and labelled on its own (no state shared across a chunk), and both paths run
    # BLAS on one thread (in-process under threadpool_limits(1), workers by physnn.parallel's pool), so the same
    # float operations run in the same order in both.
    one = G.generate("A", 2, seed=7, workers=1, chunk=2, fmax=0.05, progress=False)
    two = G.generate("A", 2, seed=7, workers=2, chunk=1, fmax=0.05, progress=False)
    for k in ("numbers", "positions", "ok", *G.LABELS):
        np.testing.assert_array_equal(one[k], two[k])


def _same_data_set(a, b):
    """Every array bit for bit but the CPU timings; the meta but merged_from."""
    x, y = G.load_alloys(a), G.load_alloys(b)
    assert sorted(x) == sorted(y)
    for k in x:
        if k not in ("meta", *G.PROVENANCE_ARRAYS):
            assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]), k
    assert {k: v for k, v in y["meta"].items() if k != "merged_from"} == x["meta"]
    return x, y


def test_shards_merge_into_the_one_machine_data_set(tmp_path, capsys):
    """A cluster job array: `--shard K/N` tasks each write a part; `materials merge` joins them into the
    file one machine writes."""
    from physnn.cli.app import main

    G.generate("B", 3, seed=4, chunk=1, fmax=0.05, progress=False, out=tmp_path / "one.npz")
    one = G.load_alloys(tmp_path / "one.npz")
    out = tmp_path / "b.npz"
    base = ["materials", "generate", "--task", "B", "--n", "3", "--seed", "4", "--chunk", "1", "--fmax", "0.05",
            "--out", str(out), "-q"]
    assert main([*base, "--dask", "local:0"]) == 2  # --dask reaches the chunk runner, checked before any work
    assert "--dask local:N needs 1 <= N <= 256" in capsys.readouterr().err
    assert main([*base, "--shard", "2/2"]) == 0 and not out.exists()
    assert f"shard 2/2: 1 structures written to {tmp_path / 'b.part-2-of-2.npz'}" in capsys.readouterr().out
    part = G.generate("B", 3, seed=4, chunk=1, fmax=0.05, out=out, shard=(1, 2), progress=False)
    np.testing.assert_array_equal(part["e_mix_relaxed"], one["e_mix_relaxed"][[0, 2]])  # chunks 0 and 2
    assert not (tmp_path / "b.npz.chunks").exists()
    assert main(["materials", "merge", str(tmp_path / "b.part-2-of-2.npz"), str(tmp_path / "b.part-1-of-2.npz"),
                 "--out", str(out)]) == 0
    assert f"wrote 3 structures from 2 parts to {out}: 0 failed" in capsys.readouterr().out
    _, merged = _same_data_set(tmp_path / "one.npz", out)
    assert merged["meta"]["n"] == 3 and [p["shard"] for p in merged["meta"]["merged_from"]] == [[1, 2], [2, 2]]
    with pytest.raises(PhysnnError, match="shard 3/3 has no chunks: 2 structures make 1 chunk"):
        G.generate("B", 2, seed=4, chunk=8, out=tmp_path / "c.npz", shard="3/3", progress=False)
    with pytest.raises(PhysnnError, match="writes its part beside the output; give out="):
        G.generate("B", 2, shard=(1, 2), progress=False)
    with pytest.raises(PhysnnError, match="is a part of `materials` generation, not of fluids"):
        from physnn.fluids.data import merge_datasets

        merge_datasets([tmp_path / "b.part-1-of-2.npz"], tmp_path / "m.npz")
    assert main(["materials", "merge", str(tmp_path / "b.part-1-of-2.npz"), "--out", str(tmp_path / "m.npz")]) == 2
    assert "shard(s) 2/2 missing" in capsys.readouterr().err


@pytest.mark.slow
def test_dask_local_cluster_gives_the_data_set_of_two_workers(tmp_path):
    """A LocalCluster of 2 worker processes (one thread each) labels the structures of `--workers 2`."""
    pytest.importorskip("distributed")
    G.generate("B", 2, seed=1, chunk=1, fmax=0.05, workers=2, progress=False, out=tmp_path / "w2.npz")
    G.generate("B", 2, seed=1, chunk=1, fmax=0.05, dask="local:2", progress=False, out=tmp_path / "dk.npz")
    _same_data_set(tmp_path / "w2.npz", tmp_path / "dk.npz")
