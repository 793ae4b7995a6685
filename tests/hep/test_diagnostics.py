"""Diagnostics against known truths: scikit-learn's ROC/AUC, Gaussian closed forms, scipy's KS test."""

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp, norm
from sklearn.metrics import roc_auc_score, roc_curve

from physnn.errors import PhysnnError
from physnn.hep import diagnostics as D


def _gauss(mu, n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n), np.zeros(n)].astype(int)
    s = np.r_[rng.normal(mu, 1, n), rng.normal(0, 1, n)]
    return y, s


def test_roc_and_auc_match_sklearn():
    y, s = _gauss(1.0, 500)
    r = D.roc(y, s)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_array_equal(r["eff_s"], tpr)
    np.testing.assert_array_equal(r["eff_b"], fpr)
    assert r["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-15)


def test_auc_of_gaussians_matches_closed_form():
    # AUC = P(S > B) = Phi(mu / sqrt(2))
    y, s = _gauss(1.5, 40000, seed=1)
    auc, err = D.bootstrap_auc(y, s, n_boot=20)
    assert abs(auc - norm.cdf(1.5 / math.sqrt(2))) < 4 * err + 1e-3
    assert 0 < err < 0.01


@pytest.mark.parametrize("eff_s", [0.3, 0.5])
def test_rejection_gaussian_closed_form(eff_s):
    # signal N(mu,1): cut t = mu + Phi^-1(1 - eff_s); background N(0,1): eff_b = 1 - Phi(t)
    mu = 2.0
    y, s = _gauss(mu, 100000, seed=2)
    truth = 1.0 / norm.sf(mu + norm.ppf(1 - eff_s))
    r = D.bootstrap_rejection(y, s, eff_s, n_boot=30, seed=0)
    assert r["n_background"] == 100000
    assert r["n_background_passing"] == pytest.approx(100000 / truth, rel=0.15)
    assert abs(r["rejection"] - truth) < 4 * r["rejection_err"]
    assert r["rejection_err"] < 0.1 * truth


def test_rejection_counts_exact_small_case():
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    s = [0.9, 0.8, 0.3, 0.2, 0.85, 0.1, 0.1, 0.1]
    r = D.rejection_at(y, s, 0.5)  # 2 best signal pass at t=0.8; 1 of 4 background >= 0.8
    assert (r["threshold"], r["n_background_passing"], r["rejection"]) == (0.8, 1, 4.0)
    r = D.rejection_at([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], 0.5)
    assert r["rejection"] is None and r["rejection_lower_bound"] == 2


def test_ks_matches_scipy_and_flags_shift():
    rng = np.random.default_rng(3)
    ytr = np.r_[np.ones(300), np.zeros(300)]
    yte = np.r_[np.ones(200), np.zeros(200)]
    str_ = np.r_[rng.normal(1, 1, 300), rng.normal(0, 1, 300)]
    ste = np.r_[rng.normal(1, 1, 200), rng.normal(0, 1, 200)]
    ot = D.overtraining(ytr, str_, yte, ste)
    assert ot["ks_p_signal"] == pytest.approx(ks_2samp(str_[:300], ste[:200]).pvalue)
    assert ot["ks_p_background"] == pytest.approx(ks_2samp(str_[300:], ste[200:]).pvalue)
    ste2 = ste.copy()
    ste2[:200] -= 0.7  # test signal scores lower than train: overtraining pattern
    assert D.overtraining(ytr, str_, yte, ste2)["overtrained"]


def test_sic_gaussian_and_ranking():
    y, s = _gauss(2.0, 100000, seed=4)
    sic = D.significance_improvement(y, s, min_background=1000)
    # closed form at eff_s = 0.5: cut t = mu = 2, eff_b = 1 - Phi(2): SIC = 0.5 / sqrt(0.02275) = 3.315
    at_half = np.interp(0.5, sic["eff_s"], sic["sic"])
    assert at_half == pytest.approx(0.5 / math.sqrt(norm.sf(2.0)), rel=0.06)  # ~2 % statistical
    t = np.linspace(-1, 3, 2000)  # the maximum over cuts keeping >= 1% of the background jets
    best = np.max((norm.sf(t - 2.0) / np.sqrt(norm.sf(t)))[norm.sf(t) >= 0.01])
    assert sic["max_sic"] == pytest.approx(best, rel=0.1)
    rng = np.random.default_rng(0)
    X = np.c_[y + rng.normal(0, 0.5, y.size), rng.normal(size=y.size)]
    rank = D.permutation_ranking(lambda A: A[:, 0] + 0.0 * A[:, 1], X, y, ["useful", "noise"])
    assert rank[0]["feature"] == "useful" and rank[0]["auc_drop"] > 0.3
    assert abs(rank[1]["auc_drop"]) < 1e-12


def test_sculpting_detects_mass_correlated_score():
    rng = np.random.default_rng(5)
    n = 5000
    y = np.r_[np.ones(n), np.zeros(n)]
    m = np.r_[rng.normal(175, 10, n), rng.exponential(60, n)]
    flat = np.r_[rng.normal(1, 1, n), rng.normal(0, 1, n)]  # independent of mass
    sculpting = D.sculpting(y, m / 100 + rng.normal(0, 0.1, 2 * n), m)
    independent = D.sculpting(y, flat, m)
    assert sculpting["pearson_mass_score_background"] > 0.9
    assert abs(independent["pearson_mass_score_background"]) < 0.05
    assert sculpting["cuts"][1]["jsd"] > 10 * independent["cuts"][1]["jsd"]


def test_bad_labels():
    with pytest.raises(PhysnnError, match="0 .background. and 1 .signal. only"):
        D.roc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(PhysnnError, match="all 3 jets are signal"):
        D.roc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(PhysnnError, match="all 2 jets are background"):
        D.check_labels([0, 0])
    with pytest.raises(PhysnnError, match="3 labels but 2 scores"):
        D.roc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(PhysnnError, match="eff_s"):
        D.rejection_at([0, 1], [0.1, 0.2], 1.5)


def test_diagnose_and_figures(tmp_path):
    pytest.importorskip("matplotlib")
    y, s = _gauss(1.5, 300, seed=6)
    m = np.random.default_rng(0).uniform(20, 200, 600)
    d = D.diagnose(y, s, y_train=y, s_train=s + 0.01, mass=m, n_boot=20)
    assert d["n_signal"] == d["n_background"] == 300
    assert set(d) >= {"auc", "auc_err", "rejection_at_0.3", "rejection_at_0.5", "overtraining", "sculpting"}
    paths = D.diagnostic_figures(tmp_path, y_test=y, s_test=s, y_train=y, s_train=s, mass=m,
                                 ranking=[{"feature": "a", "auc_drop": 0.1, "auc_drop_err": 0.01}])
    assert sorted(p.name for p in paths) == ["output.png", "ranking.png", "roc.png", "sculpting.png", "sic.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
