r"""What a particle physicist checks on a tagger: ROC, rejection, overtraining, SIC, ranking, sculpting.

Given labels :math:`y \in \{0, 1\}` (1 = signal) and classifier scores ``s``
(higher = more signal-like), a cut :math:`s > t` keeps the fractions

.. math:: \varepsilon_S(t) = P(s > t \mid S), \qquad \varepsilon_B(t) = P(s > t \mid B)

of signal and background.  The HEP ROC curve plots the *background rejection*
:math:`1/\varepsilon_B` (log scale) against :math:`\varepsilon_S`; the working
points :math:`1/\varepsilon_B` at :math:`\varepsilon_S = 0.3` and ``0.5`` are
the numbers top-tagging papers quote (Kasieczka et al. 2019).  At a working
point the cut is the score of the :math:`\lceil \varepsilon_S N_S\rceil`-th
best signal jet; :math:`\varepsilon_B` is the fraction of background at or above
it, and the number of background jets behind that fraction is reported with
it (a rejection of 1000 from 5 background jets is a statement about 5 jets).
Errors come from the bootstrap: signal and background are resampled
separately, with replacement.

* :func:`roc` — the curve (scikit-learn's ``roc_curve``) and the AUC;
* :func:`rejection_at` — :math:`1/\varepsilon_B` at a signal efficiency, with the jets behind it;
* :func:`bootstrap_rejection` — the same with a bootstrap error;
* :func:`overtraining` — Kolmogorov–Smirnov test of train vs test scores per class
  (``scipy.stats.ks_2samp``; TMVA prints the same probability, from binned
  histograms — an unbinned test is exact here);
* :func:`significance_improvement` — :math:`\varepsilon_S/\sqrt{\varepsilon_B}`;
* :func:`permutation_ranking` — AUC lost when one input feature is shuffled across jets;
* :func:`sculpting` — how the background mass spectrum changes under a cut;
* :func:`diagnose` — all of these as one JSON-able dict; :func:`diagnostic_figures` — the figures.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.ones(20000), np.zeros(20000)]
    >>> s = np.r_[rng.normal(2, 1, 20000), rng.normal(0, 1, 20000)]
    >>> r = rejection_at(y, s, 0.5)    # exact: 1 / (1 - Phi(2)) = 43.96
    >>> 38 < r["rejection"] < 50, r["n_background_passing"] > 300
    (True, True)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_array, check_int, check_range

__all__ = [
    "check_labels",
    "roc",
    "rejection_at",
    "bootstrap_rejection",
    "bootstrap_auc",
    "overtraining",
    "significance_improvement",
    "permutation_ranking",
    "sculpting",
    "diagnose",
    "diagnostic_figures",
    "hep_style",
]

#: the signal efficiencies of the quoted working points
WORKING_POINTS: tuple[float, ...] = (0.3, 0.5)


def check_labels(y: Any, *, owner: str = "hep", name: str = "label", both: bool = True) -> np.ndarray:
    """Return ``y`` as a 1-D int array of 0/1 labels with both classes present (unless ``both=False``).

        >>> check_labels([0, 1, 1]).tolist()
        [0, 1, 1]
        >>> check_labels([0, 2])
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: hep: 'label' must hold 0 (background) and 1 (signal) only; found the value(s) 2. Map the classes to 0/1 first (e.g. label = (process == 'top')).
    """
    a = check_array(name, y, owner=owner).ravel()
    bad = np.setdiff1d(np.unique(a), [0, 1])
    if bad.size:
        shown = ", ".join(f"{v:g}" for v in bad[:5]) + (" ..." if bad.size > 5 else "")
        raise PhysnnError(
            f"{owner}: {name!r} must hold 0 (background) and 1 (signal) only; found the value(s) "
            f"{shown}. Map the classes to 0/1 first (e.g. label = (process == 'top'))."
        )
    a = a.astype(np.int64)
    n1 = int(a.sum())
    if both and (n1 == 0 or n1 == a.size):
        which = "background (0)" if n1 == 0 else "signal (1)"
        raise PhysnnError(
            f"{owner}: all {a.size} jets are {which}; a tagger needs both signal (label 1) and "
            "background (label 0) — pass a signal and a background file together "
            "(e.g. --data top.parquet --data qcd.parquet)."
        )
    return a


def _pair(y: Any, score: Any, owner: str) -> tuple[np.ndarray, np.ndarray]:
    y = check_labels(y, owner=owner)
    s = check_array("score", score, owner=owner).ravel().astype(np.float64)
    if s.size != y.size:
        raise PhysnnError(f"{owner}: {y.size} labels but {s.size} scores; they must describe the same jets.")
    return y, s


def roc(y: Any, score: Any) -> dict[str, Any]:
    r"""The ROC curve: ``eff_s`` (:math:`\varepsilon_S`), ``eff_b`` (:math:`\varepsilon_B`), ``thresholds``, ``auc``.

    From :func:`sklearn.metrics.roc_curve` (all thresholds kept) and
    :func:`physnn.train.metrics.roc_auc` (rank sum); the AUC is the probability that a
    random signal jet scores above a random background jet.

        >>> r = roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> r["auc"]
        0.75
    """
    from sklearn.metrics import roc_curve

    from physnn.train.metrics import roc_auc

    y, s = _pair(y, score, "roc")
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    return {"eff_s": tpr, "eff_b": fpr, "thresholds": thr, "auc": float(roc_auc(y, s))}


def _rej(sig_sorted_desc: np.ndarray, bkg: np.ndarray, eff_s: float) -> tuple[float, int, float]:
    k = max(1, math.ceil(eff_s * sig_sorted_desc.size - 1e-9))
    t = sig_sorted_desc[k - 1]
    n_pass = int(np.count_nonzero(bkg >= t))
    return t, n_pass, n_pass / bkg.size


def rejection_at(y: Any, score: Any, eff_s: float = 0.5) -> dict[str, Any]:
    r"""Background rejection :math:`1/\varepsilon_B` at signal efficiency ``eff_s``.

    Returns ``rejection`` (``None`` when no background jet passes: then the
    rejection is only known to exceed ``rejection_lower_bound`` = :math:`N_B`),
    ``eff_b``, ``threshold``, ``n_background_passing`` (the jets behind
    :math:`\varepsilon_B`) and ``n_background``.

        >>> rejection_at([1, 1, 1, 1, 0, 0, 0, 0], [0.9, 0.8, 0.3, 0.2, 0.85, 0.1, 0.1, 0.1], 0.5)["rejection"]
        4.0
    """
    eff_s = check_range("eff_s", eff_s, low=0.0, high=1.0, low_inclusive=False, owner="rejection_at")
    y, s = _pair(y, score, "rejection_at")
    sig = np.sort(s[y == 1])[::-1]
    bkg = s[y == 0]
    t, n_pass, eb = _rej(sig, bkg, eff_s)
    return {
        "eff_s": eff_s,
        "rejection": (1.0 / eb) if n_pass else None,
        "rejection_lower_bound": float(bkg.size),
        "eff_b": eb,
        "threshold": float(t),
        "n_background_passing": n_pass,
        "n_background": int(bkg.size),
    }


def bootstrap_rejection(y: Any, score: Any, eff_s: float = 0.5, *, n_boot: int = 200,
                        seed: int = 0) -> dict[str, Any]:
    r""":func:`rejection_at` plus a bootstrap error ``rejection_err`` (std. dev. over ``n_boot`` resamples).

    Signal and background are resampled separately (their counts stay fixed).
    Resamples where no background passes are left out of the spread
    (``n_boot_used`` says how many counted).
    """
    n_boot = check_int("n_boot", n_boot, low=2, owner="bootstrap_rejection")
    out = rejection_at(y, score, eff_s)
    y, s = _pair(y, score, "bootstrap_rejection")
    sig, bkg = s[y == 1], s[y == 0]
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        sb = np.sort(rng.choice(sig, sig.size))[::-1]
        bb = rng.choice(bkg, bkg.size)
        _, n_pass, eb = _rej(sb, bb, out["eff_s"])
        if n_pass:
            vals.append(1.0 / eb)
    out["rejection_err"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    out["n_boot_used"] = len(vals)
    return out


def bootstrap_auc(y: Any, score: Any, *, n_boot: int = 200, seed: int = 0) -> tuple[float, float]:
    """The AUC and its bootstrap standard deviation (classes resampled separately)."""
    from physnn.train.metrics import roc_auc

    y, s = _pair(y, score, "bootstrap_auc")
    sig, bkg = s[y == 1], s[y == 0]
    yy = np.r_[np.ones(sig.size), np.zeros(bkg.size)]
    rng = np.random.default_rng(seed)
    vals = [roc_auc(yy, np.r_[rng.choice(sig, sig.size), rng.choice(bkg, bkg.size)])
            for _ in range(check_int("n_boot", n_boot, low=2, owner="bootstrap_auc"))]
    return float(roc_auc(y, s)), float(np.std(vals, ddof=1))


def overtraining(y_train: Any, s_train: Any, y_test: Any, s_test: Any, *, alpha: float = 0.05) -> dict[str, Any]:
    """Kolmogorov–Smirnov test of the classifier output, train vs test, for signal and background.

    ``ks_p_signal`` / ``ks_p_background`` are the p-values of
    :func:`scipy.stats.ks_2samp` (two-sided): the probability of a difference
    at least as large if train and test scores came from one distribution.
    TMVA flags overtraining when this is small; here ``overtrained`` is true
    when either p-value is below ``alpha``.
    """
    from scipy.stats import ks_2samp

    ytr, str_ = _pair(y_train, s_train, "overtraining (train)")
    yte, ste = _pair(y_test, s_test, "overtraining (test)")
    out: dict[str, Any] = {}
    for name, c in (("signal", 1), ("background", 0)):
        r = ks_2samp(str_[ytr == c], ste[yte == c])
        out[f"ks_stat_{name}"] = float(r.statistic)
        out[f"ks_p_{name}"] = float(r.pvalue)
    out["alpha"] = float(alpha)
    out["overtrained"] = bool(min(out["ks_p_signal"], out["ks_p_background"]) < alpha)
    return out


def significance_improvement(y: Any, score: Any, *, min_background: int = 10) -> dict[str, Any]:
    r"""The significance-improvement curve :math:`\varepsilon_S/\sqrt{\varepsilon_B}` and its maximum.

    A cut that keeps :math:`\varepsilon_S` of the signal and :math:`\varepsilon_B`
    of the background multiplies :math:`S/\sqrt B` by this factor.  Points with
    fewer than ``min_background`` background jets passing are dropped (their
    :math:`\varepsilon_B` is mostly noise).
    """
    r = roc(y, score)
    n_b = int(np.count_nonzero(check_labels(y, owner="significance_improvement") == 0))
    keep = r["eff_b"] * n_b >= min_background
    es, eb = r["eff_s"][keep], r["eff_b"][keep]
    sic = es / np.sqrt(eb)
    i = int(np.argmax(sic)) if sic.size else 0
    return {"eff_s": es, "sic": sic, "max_sic": float(sic[i]) if sic.size else float("nan"),
            "eff_s_at_max": float(es[i]) if sic.size else float("nan")}


def permutation_ranking(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: Any,
                        names: Sequence[str], *, mask: np.ndarray | None = None, n_repeats: int = 3,
                        seed: int = 0) -> list[dict[str, Any]]:
    """Rank input features by the AUC lost when each is shuffled across jets (Breiman's permutation importance).

    ``X`` is ``(N, d)`` (jet features: column ``j`` is shuffled across jets) or
    ``(N, P, F)`` with its ``mask`` (constituents: feature ``j`` is shuffled
    across all real particles of all jets; padded slots stay empty).  Returns one dict per
    feature (``feature``, ``auc_drop``, ``auc_drop_err``), largest drop first.
    """
    from physnn.train.metrics import roc_auc

    y = check_labels(y, owner="permutation_ranking")
    X = np.asarray(X)
    if X.shape[-1] != len(names):
        raise PhysnnError(f"permutation_ranking: {len(names)} names for {X.shape[-1]} features.")
    base = roc_auc(y, predict(X))
    rng = np.random.default_rng(seed)
    rows = []
    for j, name in enumerate(names):
        drops = []
        for _ in range(check_int("n_repeats", n_repeats, low=1, owner="permutation_ranking")):
            Xp = X.copy()
            if mask is not None:
                col = Xp[..., j]
                col[mask] = rng.permutation(col[mask])
            else:
                Xp[..., j] = X[rng.permutation(X.shape[0])][..., j]
            drops.append(base - roc_auc(y, predict(Xp)))
        rows.append({"feature": name, "auc_drop": float(np.mean(drops)),
                     "auc_drop_err": float(np.std(drops, ddof=1)) if len(drops) > 1 else 0.0})
    rows.sort(key=lambda r: -r["auc_drop"])
    return rows


def sculpting(y: Any, score: Any, mass: Any, *, eff_s: Sequence[float] = WORKING_POINTS,
              bins: int = 20, mass_range: tuple[float, float] | None = None) -> dict[str, Any]:
    r"""Does a cut on the score sculpt the background mass spectrum?

    For background jets: the Pearson correlation of score and mass, the mean
    score in mass bins, and for each working point the Jensen–Shannon
    divergence (base 2, in [0, 1]) between the background mass histograms before
    and after the cut (0 = the cut leaves the spectrum's shape unchanged;
    ATLAS/CMS quote :math:`1/\mathrm{JSD}`).
    """
    from scipy.spatial.distance import jensenshannon

    y, s = _pair(y, score, "sculpting")
    m = check_array("mass", mass, owner="sculpting").ravel().astype(np.float64)
    if m.size != y.size:
        raise PhysnnError(f"sculpting: {y.size} labels but {m.size} masses.")
    bm, bs = m[y == 0], s[y == 0]
    lo, hi = mass_range if mass_range is not None else (float(np.min(m)), float(np.max(m)))
    edges = np.linspace(lo, hi, check_int("bins", bins, low=2, owner="sculpting") + 1)
    h_all, _ = np.histogram(bm, edges)
    idx = np.clip(np.digitize(bm, edges) - 1, 0, bins - 1)
    sums = np.bincount(idx, weights=bs, minlength=bins)
    mean_score = np.where(h_all > 0, sums / np.maximum(h_all, 1), np.nan)
    corr = float(np.corrcoef(bm, bs)[0, 1]) if np.std(bs) > 0 and np.std(bm) > 0 else 0.0
    cuts = []
    sig_sorted = np.sort(s[y == 1])[::-1]
    for e in eff_s:
        t, n_pass, _ = _rej(sig_sorted, bs, float(e))
        h_cut, _ = np.histogram(bm[bs >= t], edges)
        jsd = float(jensenshannon(h_all, h_cut, base=2) ** 2) if h_cut.sum() > 0 else None
        cuts.append({"eff_s": float(e), "threshold": float(t), "n_background_passing": n_pass,
                     "jsd": jsd, "hist_after": h_cut})
    return {"pearson_mass_score_background": corr, "edges": edges, "hist_before": h_all,
            "mean_score_per_bin": mean_score, "cuts": cuts}


def diagnose(y_test: Any, s_test: Any, *, y_train: Any = None, s_train: Any = None, mass: Any = None,
             n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """All scalar diagnostics of a tagger on its test set, as a JSON-able dict.

    Keys: ``auc``, ``auc_err``, ``n_signal``, ``n_background``,
    ``rejection_at_0.3`` / ``rejection_at_0.5`` (each a dict from
    :func:`bootstrap_rejection`), ``max_sic``, ``eff_s_at_max_sic``; with
    train scores the KS test (``overtraining``), with ``mass`` the sculpting
    numbers (``sculpting``: Pearson correlation and JSD per working point).
    """
    y, s = _pair(y_test, s_test, "diagnose")
    auc, auc_err = bootstrap_auc(y, s, n_boot=n_boot, seed=seed)
    out: dict[str, Any] = {"auc": auc, "auc_err": auc_err, "n_signal": int(y.sum()),
                           "n_background": int((y == 0).sum())}
    for e in WORKING_POINTS:
        out[f"rejection_at_{e}"] = bootstrap_rejection(y, s, e, n_boot=n_boot, seed=seed)
    sic = significance_improvement(y, s)
    out["max_sic"], out["eff_s_at_max_sic"] = sic["max_sic"], sic["eff_s_at_max"]
    if y_train is not None and s_train is not None:
        out["overtraining"] = overtraining(y_train, s_train, y, s)
    if mass is not None:
        sc = sculpting(y, s, mass)
        out["sculpting"] = {"pearson_mass_score_background": sc["pearson_mass_score_background"],
                            "jsd": {str(c["eff_s"]): c["jsd"] for c in sc["cuts"]}}
    return out


# ------------------------------------------------------------------ figures
@contextlib.contextmanager
def hep_style() -> Iterator[None]:
    """matplotlib style context: mplhep's ROOT style where mplhep is installed, else matplotlib's default."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    try:
        import mplhep

        style: Any = mplhep.style.ROOT
    except Exception:  # mplhep missing or without that style
        style = {}
    with plt.style.context(style):
        yield


def _save(fig: Any, path: Path) -> Path:
    from physnn.files import atomic_path

    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_roc(curves: dict[str, tuple[Any, Any]], ax: Any = None) -> Any:
    r"""ROC curves as :math:`1/\varepsilon_B` (log) vs :math:`\varepsilon_S`; ``curves``: name -> (y, score)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5.5))
    for name, (y, s) in curves.items():
        r = roc(y, s)
        ok = r["eff_b"] > 0
        ax.plot(r["eff_s"][ok], 1.0 / r["eff_b"][ok], label=f"{name} (AUC {r['auc']:.3f})")
    es = np.linspace(0.01, 1, 100)
    ax.plot(es, 1 / es, "k:", label="random")
    ax.set_yscale("log")
    ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
    ax.set_ylabel(r"background rejection $1/\varepsilon_B$")
    ax.set_xlim(0, 1)
    ax.legend()
    return ax


def plot_output(y_train: Any, s_train: Any, y_test: Any, s_test: Any, ax: Any = None, bins: int = 40) -> Any:
    """TMVA-style overtraining plot: test scores filled, train scores as points, KS p-values in the legend."""
    import matplotlib.pyplot as plt

    ot = overtraining(y_train, s_train, y_test, s_test)
    ytr, str_ = _pair(y_train, s_train, "plot_output")
    yte, ste = _pair(y_test, s_test, "plot_output")
    lo, hi = float(min(str_.min(), ste.min())), float(max(str_.max(), ste.max()))
    edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5.5))
    for c, name, color in ((1, "signal", "tab:blue"), (0, "background", "tab:red")):
        ax.hist(ste[yte == c], edges, density=True, alpha=0.35, color=color, label=f"{name} (test)")
        h, _ = np.histogram(str_[ytr == c], edges, density=True)
        n = max(1, int((ytr == c).sum()))
        err = np.sqrt(np.histogram(str_[ytr == c], edges)[0]) / (n * np.diff(edges))
        ax.errorbar(centers, h, yerr=err, fmt="o", ms=3, color=color,
                    label=f"{name} (train), KS p = {ot['ks_p_' + name]:.3f}")
    ax.set_xlabel("classifier output")
    ax.set_ylabel("normalised")
    ax.legend(fontsize=9)
    return ax


def diagnostic_figures(directory: str | Path, *, y_test: Any, s_test: Any, y_train: Any = None,
                       s_train: Any = None, mass: Any = None, ranking: list[dict[str, Any]] | None = None,
                       name: str = "classifier", extra_curves: dict[str, tuple[Any, Any]] | None = None) -> list[Path]:
    """Write ``roc.png``, ``output.png`` (with train scores), ``sic.png``, ``ranking.png`` and ``sculpting.png``."""
    import matplotlib.pyplot as plt

    d = Path(directory)
    paths = []
    with hep_style():
        fig, ax = plt.subplots(figsize=(7, 5.5))
        plot_roc({name: (y_test, s_test), **(extra_curves or {})}, ax)
        paths.append(_save(fig, d / "roc.png"))
        if y_train is not None and s_train is not None:
            fig, ax = plt.subplots(figsize=(7, 5.5))
            plot_output(y_train, s_train, y_test, s_test, ax)
            paths.append(_save(fig, d / "output.png"))
        sic = significance_improvement(y_test, s_test)
        fig, ax = plt.subplots(figsize=(7, 5.5))
        ax.plot(sic["eff_s"], sic["sic"])
        ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
        ax.set_ylabel("significance improvement ε_S/√ε_B")
        paths.append(_save(fig, d / "sic.png"))
        if ranking:
            fig, ax = plt.subplots(figsize=(7, 0.4 * len(ranking) + 2))
            ax.barh([r["feature"] for r in ranking][::-1], [r["auc_drop"] for r in ranking][::-1],
                    xerr=[r["auc_drop_err"] for r in ranking][::-1])
            ax.set_xlabel("AUC lost when shuffled")
            paths.append(_save(fig, d / "ranking.png"))
        if mass is not None:
            sc = sculpting(y_test, s_test, mass)
            fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 5.5))
            e = sc["edges"]
            a1.stairs(sc["hist_before"] / max(1, sc["hist_before"].sum()), e, label="background, no cut")
            for c in sc["cuts"]:
                h = c["hist_after"]
                a1.stairs(h / max(1, h.sum()), e, label=f"cut at $\\varepsilon_S$={c['eff_s']} (JSD {c['jsd'] or 0:.3f})")
            a1.set_xlabel("jet mass [GeV]")
            a1.set_ylabel("normalised")
            a1.legend(fontsize=9)
            a2.plot(0.5 * (e[1:] + e[:-1]), sc["mean_score_per_bin"], "o-")
            a2.set_xlabel("jet mass [GeV]")
            a2.set_ylabel("mean score (background)")
            paths.append(_save(fig, d / "sculpting.png"))
    return paths
