"""Section 12 of the lecture report: jets from Pythia, a tagger, the overtraining test, an autoencoder."""

import pytest


def test_section_metadata():
    from physnn.lecture import hep

    assert hep.NUMBER == 12 and "Particle physics" in hep.TITLE and callable(hep.run)


def test_simulations_name_the_cached_samples():
    from physnn.lecture import hep

    plan = hep.simulations(quick=True, seed=3)
    assert [kw["signal"] for _, kw in plan] == ["top", "qcd"]
    assert all(name == "simulate" and kw["n"] == hep.SIZES["quick"] and kw["seed"] == 3 for name, kw in plan)
    assert hep.simulations(quick=False, seed=0)[0][1]["n"] == hep.SIZES["full"]


@pytest.mark.slow
def test_section_quick_confirms_its_claims(tmp_path, monkeypatch):
    pytest.importorskip("pythia8mc")
    monkeypatch.setenv("PHYSNN_CACHE", str(tmp_path))  # generate fresh jets, keep them out of the user's cache
    from physnn.lecture import hep

    r = hep.run(quick=True)
    assert r.number == 12 and r.figures
    # the section's claims, as it states them: MLP AUC > 0.9, KS p > 0.01, autoencoder AUC > 0.7
    for claim, low in (("An MLP on jet substructure", 0.9), ("Kolmogorov", 0.01), ("autoencoder", 0.7)):
        c = r.check(claim)
        assert c.passed and c.value > low, (c.claim, c.measured)
    assert r.passed
    assert list((tmp_path / "hep").glob("*.parquet"))  # the sample was cached for the next run
    again = hep.run(quick=True)  # read back from the cache: the same jets, the same numbers
    assert again.data["auc_mlp"] == r.data["auc_mlp"]


def test_rejection_interval_is_clopper_pearson_and_never_quoted_on_few_jets():
    import numpy as np
    from scipy import stats

    from physnn.lecture import hep

    bkg = np.r_[np.zeros(380), np.ones(20)]  # 20 of 400 background jets pass a threshold of 0.5
    r = hep.rejection_interval(bkg, 0.5)
    ci = stats.binomtest(20, 400).proportion_ci(method="exact")
    assert (r["k"], r["n"]) == (20, 400) and r["rejection"] == pytest.approx(20.0)
    assert r["lower_limit"] == pytest.approx(1 / ci.high) and r["upper_limit"] == pytest.approx(1 / ci.low)
    assert r["lower_limit"] < 20.0 < r["upper_limit"]
    one = hep.rejection_interval(np.r_[np.zeros(149), 1.0], 0.5)  # one QCD jet: no value, only a limit
    assert one["rejection"] is None and 1 < one["lower_limit"] < 150
    none = hep.rejection_interval(np.zeros(100), 0.5)
    assert none["k"] == 0 and none["upper_limit"] == float("inf") and none["lower_limit"] == pytest.approx(
        1 / stats.binomtest(0, 100).proportion_ci(method="exact").high)
    assert one["k"] == 1 < hep.MIN_BACKGROUND
