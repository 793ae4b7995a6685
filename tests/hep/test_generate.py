"""The Pythia 8 + FastJet jet generator on tiny samples: physics truths, reproducibility, resume, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pythia8mc")
fastjet = pytest.importorskip("fastjet")

from physnn.errors import PhysnnError  # noqa: E402
from physnn.hep.generate import JetConfig, chunk_seed, generate_jets, pythia_settings  # noqa: E402
from physnn.workers import check_shard  # noqa: E402
from physnn.hep.jetio import JET_COLUMNS, read_jet_metadata, read_jets  # noqa: E402

SMALL = dict(n_constituents=30, progress=False)


@pytest.fixture(scope="module")
def qcd6():
    return generate_jets("qcd", n=6, seed=11, chunk_size=3, return_stats=True, **SMALL)


def test_jets_pass_the_selection_and_constituents_add_up_to_the_jet(qcd6):
    jets, stats = qcd6
    assert set(JET_COLUMNS) <= set(jets)
    assert jets["part_pt"].shape == (6, 30)
    assert np.all((jets["pt"] > 550) & (jets["pt"] < 650)) and np.all(np.abs(jets["eta"]) < 2)
    assert np.all(jets["label"] == 0)
    assert stats["accepted"] == 6 and 0 < stats["acceptance"] < 1
    for i in range(6):
        pt = jets["part_pt"][i]
        k = min(int(jets["n_constituents"][i]), 30)
        assert np.all(pt[:k] > 0) and np.all(pt[k:] == 0)  # zero padding after the real ones
        assert np.all(np.diff(pt[:k]) <= 0)  # sorted by pT
        assert np.all(jets["part_deta"][i, k:] == 0) and np.all(jets["part_dphi"][i, k:] == 0)
        assert np.all(np.abs(jets["part_dphi"][i, :k]) < 1.0)  # inside R = 0.8 (+ recombination slack)
    # E-scheme: the jet's transverse momentum is the vector sum of its constituents'; in the frame
    # rotated to the jet axis Σ pT_k cos Δφ_k = pT(jet) and Σ pT_k sin Δφ_k = 0 (jets with all
    # constituents stored).
    full = jets["n_constituents"] <= 30
    if full.any():
        px = (jets["part_pt"] * np.cos(jets["part_dphi"])).sum(1)[full]
        py = (jets["part_pt"] * np.sin(jets["part_dphi"])).sum(1)[full]
        np.testing.assert_allclose(px, jets["pt"][full], rtol=1e-4)
        np.testing.assert_allclose(py, 0.0, atol=1e-3 * jets["pt"][full].max())
    np.testing.assert_allclose(jets["tau21"], jets["tau2"] / jets["tau1"])
    np.testing.assert_allclose(jets["tau32"], jets["tau3"] / jets["tau2"])


def test_bit_identical_for_any_number_of_workers(qcd6):
    jets1, _ = qcd6
    jets2 = generate_jets("qcd", n=6, seed=11, chunk_size=3, workers=2, **SMALL)
    for c in jets1:
        assert np.array_equal(jets1[c], jets2[c]), c
    other = generate_jets("qcd", n=3, seed=12, chunk_size=3, **SMALL)
    assert not np.array_equal(other["pt"], jets1["pt"][:3])


def _assert_same_jets(a, b):
    """Every column — scalars, τ_N and the constituents — bit for bit.

    Exact equality is expected, not just closeness: SlowJet (Pythia's fjcore)
    clusters the same input list in the same order as the ``fastjet`` package,
    so its leading jet has the same constituents, and both paths add their
    four-vectors in event-record order.
    """
    assert sorted(a) == sorted(b)
    for c in a:
        assert a[c].shape == b[c].shape, c
        assert np.array_equal(a[c], b[c]), c


def test_prefilter_does_not_change_the_jets(qcd6):
    jets1, stats1 = qcd6
    assert stats1["full_clustering_fallbacks"] == 0 and "prefilter_missed" not in stats1
    # prefilter=False: full-event FastJet clustering of every event, the reference path
    jets2, stats = generate_jets("qcd", n=3, seed=11, chunk_size=3, prefilter=False, return_stats=True, **SMALL)
    assert stats["prefilter_missed"] == 0 and "full_clustering_fallbacks" not in stats
    _assert_same_jets(jets2, {c: v[:3] for c, v in jets1.items()})


@pytest.mark.parametrize(("signal", "n", "seed"), [("qcd", 10, 3), ("top", 10, 4)])
def test_slowjet_jet_path_equals_full_event_clustering(signal, n, seed):
    # the fast path (the constituents of SlowJet's leading jet) against FastJet on the
    # whole event, on the same events (the filters do not touch Pythia's random numbers)
    from physnn.hep.generate import generate_chunk

    fast, sf = generate_chunk(JetConfig(signal, n_constituents=30), seed, n)
    full, sr = generate_chunk(JetConfig(signal, n_constituents=30, prefilter=False), seed, n)
    assert sf["events"] == sr["events"] and sr["prefilter_missed"] == 0
    assert sf["full_clustering_fallbacks"] == 0 and sf["prefilter_passed"] >= n
    _assert_same_jets(fast, full)


def test_full_clustering_fallback_gives_the_same_jets(monkeypatch, qcd6):
    import physnn.hep.jetfinding as jf

    jets1, _ = qcd6
    # a negative tolerance fails every constituent-sum check: every event takes the fallback
    monkeypatch.setattr(jf, "SUBSET_RTOL", -1.0)
    jets2, stats = generate_jets("qcd", n=3, seed=11, chunk_size=3, return_stats=True, **SMALL)
    assert stats["full_clustering_fallbacks"] == stats["prefilter_passed"] >= 3
    _assert_same_jets(jets2, {c: v[:3] for c, v in jets1.items()})


def test_jet_kinematics_agree_with_fastjet():
    # the generator's jet pT, eta, y, phi, m come from the summed constituents; FastJet's PseudoJet is the truth
    from physnn.hep.jetfinding import collect_constituents, jet_kinematics
    from physnn.hep.nsubjettiness import ptyphim_to_p4

    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        p4 = ptyphim_to_p4(rng.exponential(20.0, n), rng.normal(0.0, 0.4, n) + rng.uniform(-2, 2),
                           rng.normal(0.0, 0.4, n) + rng.uniform(-3, 3), rng.uniform(0.0, 0.5, n))
        rows = [tuple(map(float, v)) for v in p4]
        buf, total = collect_constituents(rows)
        assert np.array_equal(np.frombuffer(buf).reshape(-1, 4), p4)
        ours = jet_kinematics(*total)
        ref = fastjet.PseudoJet(*map(float, p4.sum(0)))
        np.testing.assert_allclose(ours, [ref.pt(), ref.eta(), ref.rap(), ref.phi_std(), max(ref.m(), 0.0)],
                                   rtol=1e-9, atol=1e-9)
    # along the beam and massless: FastJet's conventions
    assert jet_kinematics(0.0, 0.0, 5.0, 5.0)[1:3] == (1e5, 1e5)
    assert jet_kinematics(3.0, 4.0, 0.0, 5.0)[4] == 0.0


def test_top_jets_are_truth_matched_and_heavy():
    jets, stats = generate_jets("top", n=4, seed=2, chunk_size=4, return_stats=True, **SMALL)
    assert np.all(jets["label"] == 1)
    # a contained hadronic top: jet mass near m_t = 173 GeV (FSR/UE spread it)
    assert 120 < np.median(jets["mass"]) < 230
    assert stats["truth_rejected"] + stats["accepted"] <= stats["in_window"]


def test_resume_reuses_finished_chunks(tmp_path, qcd6):
    jets1, _ = qcd6
    out = tmp_path / "qcd.npz"
    generate_jets("qcd", n=6, seed=11, chunk_size=3, out=out, keep_cache=True, **SMALL)
    cache = next((tmp_path / "qcd.npz.chunks").iterdir())
    chunks = sorted(cache.glob("chunk_*.npz"))
    assert [p.name for p in chunks] == ["chunk_00000.npz", "chunk_00001.npz"]
    # a smaller sample with the same seed is a prefix: every chunk comes from the cache
    small, st = generate_jets("qcd", n=4, seed=11, chunk_size=3, out=tmp_path / "qcd4.npz", cache_dir=cache.parent,
                              keep_cache=True, return_stats=True, **SMALL)
    assert st["chunks_reused"] == 2 and st["jets_generated_now"] == 0
    for c in jets1:
        assert np.array_equal(small[c], jets1[c][:4]), c
    # simulate a run killed after the first chunk: drop the output and the second chunk
    out.unlink()
    chunks[1].unlink()
    back, stats = generate_jets("qcd", n=6, seed=11, chunk_size=3, out=out, return_stats=True, **SMALL)
    assert stats["chunks_reused"] == 1 and stats["jets_generated_now"] == 3
    for c in jets1:
        assert np.array_equal(back[c], jets1[c]), c
    on_disk = read_jets(out)
    for c in JET_COLUMNS:
        assert np.array_equal(on_disk[c], jets1[c]), c
    assert not (tmp_path / "qcd.npz.chunks").exists()  # removed after success
    meta = read_jet_metadata(out)
    assert meta["seed"] == 11 and meta["config"]["signal"] == "qcd"


def test_jet_definition_is_e_scheme():
    # the generator's form: two arguments -> E-scheme
    jd = fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8)
    assert jd.recombination_scheme() == fastjet.E_scheme
    # E-scheme adds four-vectors: two massless particles make a massive jet,
    # m^2 = 2 pT1 pT2 (cosh Δy - cos Δφ); the pt-scheme would give m = 0.
    from physnn.hep.nsubjettiness import ptyphim_to_p4

    p4 = ptyphim_to_p4([300.0, 200.0], [0.1, -0.1], [0.0, 0.3])
    cs = fastjet.ClusterSequence([fastjet.PseudoJet(*map(float, v)) for v in p4], jd)
    (jet,) = cs.inclusive_jets(0.0)
    m_true = math.sqrt(2 * 300 * 200 * (math.cosh(0.2) - math.cos(0.3)))
    assert jet.m() == pytest.approx(m_true, rel=1e-9)
    # the trap the generator avoids: the four-argument form silently gives the pt-scheme
    jd4 = fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8, fastjet.E_scheme, fastjet.Best)
    assert jd4.recombination_scheme() != fastjet.E_scheme


def test_settings_and_seeds():
    cfg = JetConfig("w", sqrt_s=14000, mpi=False, settings=("Tune:pp = 21",))
    s = pythia_settings(cfg, 42)
    assert "Beams:eCM = 14000" in s and "PartonLevel:MPI = off" in s and "Random:seed = 42" in s
    assert "WeakDoubleBoson:ffbar2WW = on" in s and "24:onMode = off" in s and s[-1] == "Tune:pp = 21"
    # pinned values: SeedSequence's output is part of NumPy's stability guarantee, so a change in how
    # chunk seeds are derived (which would silently change every cached data set) fails here
    assert [chunk_seed(7, i) for i in range(4)] == [631739735, 64064772, 120262542, 171609208]
    assert chunk_seed(8, 3) == 739906083 and chunk_seed(3, 7) == 195181609
    # distinct across chunks and across sample seeds (a seed that ignored either input would repeat)
    grid = [chunk_seed(seed, i) for seed in range(5) for i in range(20)]
    assert len(set(grid)) == 100 and all(1 <= x <= 900_000_000 for x in grid)


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(PhysnnError, match="'signal' must be one of 'top', 'w', 'qcd'; got 'tops'. Did you mean 'top'"):
        generate_jets("tops", n=1, progress=False)
    with pytest.raises(PhysnnError, match="'n' must be an integer >= 1; got 0"):
        generate_jets("qcd", n=0, progress=False)
    with pytest.raises(PhysnnError, match="must end in one of"):
        generate_jets("qcd", n=1, out=tmp_path / "jets.csv", progress=False)
    with pytest.raises(PhysnnError, match="pt_range"):
        generate_jets("qcd", n=1, pt_range=(650, 550), progress=False)
    with pytest.raises(PhysnnError, match="Pythia rejected the setting 'HardQCD:alll = on'.*input string not found"):
        generate_jets("qcd", n=1, settings=["HardQCD:alll = on"], progress=False)
    with pytest.raises(PhysnnError, match="value not meaningful"):
        generate_jets("qcd", n=1, settings=["PhaseSpace:pTHatMin = abc"], progress=False)
    with pytest.raises(PhysnnError, match="init\\(\\) failed.*cannot handle this beam combination"):
        generate_jets("qcd", n=1, settings=["Beams:idA = 12345"], progress=False)
    assert not list(tmp_path.iterdir())


def test_cli_generate_writes_a_file_and_rejects_bad_input(tmp_path):
    from typer.testing import CliRunner

    from physnn.cli.hep import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["generate", "--help"]).output
    assert "--signal" in help_text and "anti-kt" in help_text and "physnn hep generate" in help_text
    out = tmp_path / "w.parquet"
    pytest.importorskip("pyarrow")
    res = runner.invoke(app, ["generate", "--signal", "w", "--n", "2", "--seed", "3", "--constituents", "20",
                              "--chunk-size", "2", "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote 2 w jets" in res.output
    jets = read_jets(out)
    assert jets["part_pt"].shape == (2, 20) and np.all(jets["label"] == 1)
    bad = runner.invoke(app, ["generate", "--signal", "higgs", "--n", "2", "--out", str(tmp_path / "h.npz")])
    assert isinstance(bad.exception, PhysnnError) and "'signal' must be one of" in str(bad.exception)


def test_a_selection_nothing_passes_stops_with_a_message(monkeypatch):
    import physnn.hep.generate as gen

    monkeypatch.setattr(gen, "_MAX_EVENTS_WITHOUT_JET", 30)
    # jets of 2000-2100 GeV cannot come from a hard scale of 400-500 GeV
    with pytest.raises(PhysnnError, match="no jet passed the selection in 30 events"):
        gen.generate_chunk(JetConfig("qcd", pt_range=(2000, 2100), pthat_range=(400, 500)), 1, 1)


def _event_with_jets(jets):
    """A hand-made event: each (pT, eta, phi, ring) is a hard core plus, with ring > 0, 30 % of its pT
    on a ring of that radius around the axis (visible charged pions)."""
    import pythia8mc

    owner = pythia8mc.Pythia("", False)
    ev = pythia8mc.Event()
    ev.init("synthetic", owner.particleData)
    ev.append(90, -11, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 13000.0, 13000.0)
    for pt, eta0, phi0, ring in jets:
        parts = [((0.7 if ring else 1.0) * pt / 4, 0.03 * k, -0.02 * k) for k in range(4)]
        if ring:
            parts += [(0.3 * pt / 8, ring * math.cos(k * math.pi / 4), ring * math.sin(k * math.pi / 4))
                      for k in range(8)]
        for p, deta, dphi in parts:
            eta, phi = eta0 + deta, phi0 + dphi
            px, py, pz = p * math.cos(phi), p * math.sin(phi), p * math.sinh(eta)
            ev.append(211, 91, 0, 0, 0, 0, 0, 0, px, py, pz, math.sqrt(px**2 + py**2 + pz**2 + 0.13957**2), 0.13957)
    return owner, ev


@pytest.mark.parametrize("jets, passes", [
    ([(600.0, 0.5, 1.0, 0.0)], True),               # a jet in the window
    ([(560.0, -1.2, 2.0, 0.75)], True),             # 30 % of it 0.75 from the axis: the R + 0.6 = 1.4 cone holds it
    ([(560.0, -1.2, 2.0, 1.3)], True),              # ... and 1.3 from it
    ([(700.0, -1.2, 2.0, 1.6)], False),             # 1.6 from it: outside the cone, which holds 0.7 x 700 < 550
    ([(545.0, 0.5, 1.0, 0.0)], False),              # below pT_min = 550 GeV
    ([(600.0, 3.0, 1.0, 0.0)], False),              # outside |eta| < 2 + 0.5
    ([(1400.0, 0.0, 0.0, 0.0)], False),             # above 2 x 650 GeV
    ([(1400.0, 0.0, 0.0, 0.0), (600.0, 0.3, 3.0, 0.0)], True),  # any cone jet in the window passes
])
def test_celljet_filter_on_hand_made_events(jets, passes):
    from physnn.hep.generate import CellFilter, JetConfig

    _owner, ev = _event_with_jets(jets)
    cf = CellFilter(JetConfig("qcd"))
    assert cf.passes(ev) is passes
    # passes() is the rule on cone_jets() (which the --prefilter-study benchmark applies to other bounds)
    cones = cf.cone_jets(ev)
    assert [et for et, _ in cones] == sorted((et for et, _ in cones), reverse=True)
    assert any(cf.lo <= et <= cf.hi and abs(eta) < cf.eta_cut for et, eta in cones) is passes


def test_generator_keeps_pythia_and_fastjet_banners_off_stdout():
    # a fresh process: FastJet prints its banner on first use, Pythia its own at initialisation
    import subprocess
    import sys

    code = ("from physnn.hep.generate import JetConfig, generate_chunk; "
            "jets, st = generate_chunk(JetConfig('qcd', n_constituents=5), 3, 1); print('jets', len(jets['pt']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "jets 1", out.stdout[:500]


def _same_file(a, b):
    """Every column bit for bit, in the same order; the metadata but the timings and the list of parts."""
    from physnn.hep.generate import PROVENANCE_STATS

    x, y = read_jets(a), read_jets(b)
    assert list(x) == list(y)
    for c in x:
        assert x[c].dtype == y[c].dtype and np.array_equal(x[c], y[c]), c
    mx, my = read_jet_metadata(a), read_jet_metadata(b)
    for m in (mx, my):
        m.pop("merged_from", None)
        for k in PROVENANCE_STATS:
            m["stats"].pop(k)
    assert mx == my
    return read_jet_metadata(b)


def test_shards_merge_into_the_one_machine_file(tmp_path, qcd6):
    """A cluster job array: each task generates its chunks (shard=(K, N)) into a part beside OUT;
    merge_jets joins the parts into the file one machine writes (same jets, same metadata but timings)."""
    from physnn.hep.generate import merge_jets

    jets1, _ = qcd6
    one = tmp_path / "one.parquet"
    generate_jets("qcd", n=6, seed=11, chunk_size=3, out=one, **SMALL)
    out = tmp_path / "qcd.parquet"
    for k in (2, 1):  # the order tasks finish in does not matter
        part, st = generate_jets("qcd", n=6, seed=11, chunk_size=3, out=out, shard=(k, 2), return_stats=True,
                                 **SMALL)
        assert st["shard_chunks"] == [k - 1] and not out.exists() and len(part["pt"]) == 3
        assert st["part"] == str(tmp_path / f"qcd.part-{k}-of-2.npz")
        for c in jets1:
            assert np.array_equal(part[c], jets1[c][3 * (k - 1):3 * k]), c
    assert not (tmp_path / "qcd.parquet.chunks").exists()  # each shard removed its own chunks
    stats = merge_jets(sorted(tmp_path.glob("qcd.part-*.npz")), out)
    assert stats["jets"] == 6 and stats["accepted"] == 6
    meta = _same_file(one, out)
    assert [p["shard"] for p in meta["merged_from"]] == [[1, 2], [2, 2]]


def test_bad_shards_are_refused(tmp_path):
    with pytest.raises(PhysnnError, match=r"shard 3/2 is out of range: K must be 1..N"):
        generate_jets("qcd", n=4, out=tmp_path / "a.npz", shard=(3, 2), **SMALL)
    with pytest.raises(PhysnnError, match=r"shard must be K/N, e.g. 3/10"):
        check_shard("3 of 10")
    with pytest.raises(PhysnnError, match=r"shard 3/3 has no chunks: 4 jets make 2 chunk\(s\) of 2"):
        generate_jets("qcd", n=4, chunk_size=2, out=tmp_path / "a.npz", shard=(3, 3), **SMALL)
    with pytest.raises(PhysnnError, match=r"writes its part beside the output; give out="):
        generate_jets("qcd", n=4, shard=(1, 2), **SMALL)


def test_cli_shard_then_merge(tmp_path, capsys):
    from physnn.cli.app import main

    out = tmp_path / "qcd.npz"
    base = ["hep", "generate", "--signal", "qcd", "--n", "4", "--chunk-size", "2", "--constituents", "10",
            "--seed", "5", "--out", str(out), "-q"]
    assert main([*base, "--shard", "0/2"]) == 2
    assert "K must be 1..N" in capsys.readouterr().err
    assert main([*base, "--dask", "tcp://a b"]) == 2  # --dask reaches the chunk runner, checked before any work
    assert "--dask 'tcp://a b' is not a scheduler address" in capsys.readouterr().err
    for k in ("1/2", "2/2"):
        assert main([*base, "--shard", k]) == 0
        assert f"shard {k}: 2 qcd jets (chunks [{int(k[0]) - 1}]) written to {tmp_path}" in capsys.readouterr().out
        assert not out.exists()
    parts = [str(tmp_path / f"qcd.part-{k}-of-2.npz") for k in (1, 2)]
    assert main(["hep", "merge", parts[0], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "shard(s) 2/2 missing" in err and len(err.strip().splitlines()) == 1
    assert main(["hep", "merge", *parts, "--out", str(tmp_path / "q.csv")]) == 2
    assert "must end in one of" in capsys.readouterr().err
    assert main(["hep", "merge", *parts, "--out", str(out)]) == 0
    assert f"wrote 4 jets from 2 parts to {out}" in capsys.readouterr().out
    assert len(read_jets(out)["pt"]) == 4 and not (tmp_path / "qcd.npz.chunks").exists()


@pytest.mark.slow
def test_dask_local_cluster_gives_the_file_of_two_workers(tmp_path):
    """A LocalCluster of 2 worker processes (one thread each) generates the jets of `--workers 2`."""
    pytest.importorskip("distributed")
    kw = dict(n=4, seed=3, chunk_size=2, **SMALL)
    generate_jets("qcd", workers=2, out=tmp_path / "w2.npz", **kw)
    generate_jets("qcd", dask="local:2", out=tmp_path / "dk.npz", **kw)
    _same_file(tmp_path / "w2.npz", tmp_path / "dk.npz")
