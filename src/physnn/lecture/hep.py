"""Section 12 — particle physics: jet tagging and anomaly detection on generated collider jets.

Pythia 8 generates top-pair and QCD-dijet events at 13 TeV, FastJet clusters
anti-kt R = 0.8 jets (physnn.hep.generate); the leading jet with
550 < pT < 650 GeV is kept.  A network learns to tell top jets (three prongs,
mass ≈ 175 GeV) from QCD jets, and is judged the way a particle physicist
judges a tagger: the ROC as background rejection 1/ε_B against signal
efficiency ε_S, and the Kolmogorov–Smirnov overtraining check of the
classifier output on training vs test jets (as TMVA prints it).
"""

from __future__ import annotations

import time
from typing import Any

from physnn.lecture.base import (
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    progress,
    result_block,
    subplots,
    timed,
)

NUMBER = 12
TITLE = "Particle physics: jet tagging and anomaly detection"

CLAIM = (
    "“Applications in physics: classifying particle tracks at the LHC … event classification and "
    "anomaly detection in collider data, identifying rare particle signatures.”"
)

CODE = '''\
from physnn.hep import generate_jets
from physnn.hep.features import jets_from_columns
from physnn.hep.classify import train_tagger

jets = jets_from_columns([generate_jets("top", n=400, seed=1), generate_jets("qcd", n=400, seed=2)])
tagger = train_tagger(jets, model="mlp")          # 8 jet features: mass, tau32, ...
print(tagger.metrics["auc"], tagger.metrics["rejection_at_0.5"], tagger.metrics["overtraining"])
'''

#: jets per class generated for the section
SIZES = {"quick": 120, "full": 400}


def _path(signal: str, n: int, seed: int):
    from physnn.files import cache_dir

    k = 1 if signal == "top" else 2
    return cache_dir("hep") / f"lecture_hep_{signal}_{n}_seed{seed * 100 + k}.parquet", seed * 100 + k


def simulate(signal: str, n: int, seed: int) -> None:
    """Generate ``n`` ``signal`` jets into the cache unless they are there (reporting progress every 20 %)."""
    from physnn.hep import generate_jets

    path, s = _path(signal, n, seed)
    if path.exists():
        return
    step = max(1, n // 5)

    def tick(done: int, total: int) -> None:
        if done % step == 0 and done < total:
            progress(f"simulating {total} {signal} jets with Pythia 8 ... {100 * done // total}%")

    with timed(f"simulating {n} {signal} jets with Pythia 8 + FastJet"):
        generate_jets(signal, n=n, seed=s, workers=1, progress=tick, n_constituents=64, out=path)


def simulations(*, quick: bool, seed: int) -> list[tuple[str, dict]]:
    """The simulations this section reads (``(function name, kwargs)``); the runner may start them early."""
    n = SIZES["quick" if quick else "full"]
    return [("simulate", {"signal": s, "n": n, "seed": seed}) for s in ("top", "qcd")]


def _generate(n: int, seed: int):
    """Columns of ``n`` top and ``n`` QCD jets, generated once and kept in :func:`physnn.files.cache_dir`
    (``$PHYSNN_CACHE/hep``) so a second run of the lecture reads the same jets instead of regenerating them.
    The columns are always read back from the file, so a run that generated them and one that found them
    in the cache (e.g. made by the runner's simulation worker) see the same numbers."""
    from physnn.hep import read_jets

    t0 = time.perf_counter()
    cols = []
    for signal in ("top", "qcd"):
        simulate(signal, n, seed)
        cols.append(read_jets(_path(signal, n, seed)[0]))
    return cols, time.perf_counter() - t0


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Generate a small top/QCD sample, train an MLP (and, in full mode, a PFN), show ROC and KS check."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 12: the jets, the taggers, the cut-based baseline, the autoencoder."""
    from physnn.hep.anomaly import ANOMALY_FEATURES, train_anomaly
    from physnn.hep.classify import split_indices, train_tagger
    from physnn.hep.features import jets_from_columns

    n = SIZES["quick" if quick else "full"]
    cols, t_gen = _generate(n, seed)
    jets = jets_from_columns(cols, n_particles=64)
    sp = split_indices(jets.y, val=0.2, test=0.3, seed=seed)
    mlp = train_tagger(jets, model="mlp", hidden=(64, 64), lr=3e-3, epochs=200, batch_size=32, patience=20,
                       split=sp, seed=seed, n_boot=100, ranking=False)
    taggers = {"MLP on 8 jet features": mlp}
    # the same MLP trained for the whole budget without early stopping: what early stopping is compared with
    no_es = train_tagger(jets, model="mlp", hidden=(64, 64), lr=3e-3, epochs=200, batch_size=32, patience=20,
                         early_stopping=False, split=sp, seed=seed, n_boot=100, ranking=False)
    if not quick:
        taggers["PFN on constituents"] = train_tagger(jets, model="pfn", phi=(64, 64), f=(64,), epochs=100,
                                                      batch_size=64, split=sp, seed=seed, n_boot=100,
                                                      align=True, ranking=False)
    te = sp["test"]
    fi = {c: j for j, c in enumerate(jets.feature_names)}
    cut = -jets.X[te, fi["tau32"]] + 10.0 * ((jets.X[te, fi["mass"]] > 140) & (jets.X[te, fi["mass"]] < 210))
    anomaly = train_anomaly(jets_from_columns(cols, features=ANOMALY_FEATURES, particles=None), epochs=80 if quick else 200, batch_size=64, seed=seed, test=0.3, val=0.2)
    return {"n": n, "t_gen": t_gen, "jets": jets, "split": sp, "taggers": taggers, "mlp": mlp, "cut": cut,
            "anomaly": anomaly, "quick": quick, "no_es": no_es}


#: fewer QCD jets than this passing a cut: the rejection is not quoted, only its 95 % CL lower limit
MIN_BACKGROUND = 10


def rejection_interval(scores_bkg: Any, threshold: float, *, level: float = 0.95) -> dict[str, Any]:
    """Background rejection 1/ε_B above ``threshold`` with its Clopper–Pearson interval.

    ``k`` of the ``n`` background jets pass; ε_B's exact binomial interval
    ``[lo, hi]`` (scipy) gives the rejection interval ``[1/hi, 1/lo]`` (``inf``
    if ``lo = 0``).  With fewer than :data:`MIN_BACKGROUND` jets passing the
    rejection itself is not quoted (``rejection`` is ``None``); the lower limit
    ``1/hi`` still is.

        >>> r = rejection_interval([0.1, 0.2, 0.9], 0.5)
        >>> r["k"], r["n"], r["rejection"], round(r["lower_limit"], 2)
        (1, 3, None, 1.1)
    """
    import numpy as np

    from physnn.lecture.base import clopper_pearson

    b = np.asarray(scores_bkg, dtype=float)
    k, n = int(np.sum(b >= threshold)), int(b.size)
    lo, hi = clopper_pearson(k, n, level)
    return dict(k=k, n=n, rejection=(n / k) if k >= MIN_BACKGROUND else None,
                lower_limit=1.0 / hi, upper_limit=float("inf") if lo == 0 else 1.0 / lo)


def _rejection_text(r: dict[str, Any]) -> str:
    if r["rejection"] is None:
        return f"> {r['lower_limit']:.0f} (95 % CL; only {r['k']} of {r['n']} QCD jets pass — too few to quote a value)"
    return f"{r['rejection']:.1f}, 95 % CI [{r['lower_limit']:.1f}, {r['upper_limit']:.1f}] ({r['k']} of {r['n']} QCD jets pass)"


def _threshold_at(scores_sig: Any, eff: float) -> float:
    import numpy as np

    return float(np.quantile(np.asarray(scores_sig, dtype=float), 1.0 - eff))


def figures(m: dict[str, Any]) -> list[Figure]:
    """The ROC of every tagger (and the cut) and the MLP's output on training vs test jets."""
    from physnn.hep.diagnostics import plot_output, plot_roc

    taggers, mlp, cut = m["taggers"], m["mlp"], m["cut"]
    y_te = m["jets"].y[m["split"]["test"]]
    fig, axes = subplots(1, 2, width=6.5, height=5.0)
    curves = {name: (t.labels["test"], t.scores["test"]) for name, t in taggers.items()}
    curves["cut: 140<m<210 GeV, then τ32"] = (y_te, cut)
    plot_roc(curves, axes[0, 0])
    axes[0, 0].set_title("ROC on the test jets")
    plot_output(mlp.labels["train"], mlp.scores["train"], mlp.labels["test"], mlp.scores["test"], axes[0, 1], bins=20)
    axes[0, 1].set_title("MLP output: train (points) vs test (filled)")
    fig1 = figure_from_matplotlib(fig, "hep_roc_overtraining.png",
                                  "Left: background rejection vs signal efficiency. Right: the classifier output "
                                  "for top (blue) and QCD (red) jets, test filled, train as points, with the KS p-values.")
    return [fig1]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 12: the taggers' table, the AUC / overtraining / anomaly checks, the text."""
    n, t_gen, jets, sp, taggers, mlp, cut, anomaly, quick = (
        m[k] for k in ("n", "t_gen", "jets", "split", "taggers", "mlp", "cut", "anomaly", "quick"))
    te = sp["test"]
    y_te = jets.y[te]
    rows, checks = [], []
    rej_rows = {}
    no_es = m["no_es"]
    for name, t in list(taggers.items()) + [("MLP without early stopping (all 200 epochs)", no_es)]:
        tm = t.metrics
        yt, st = t.labels["test"], t.scores["test"]
        r5 = rejection_interval(st[yt == 0], _threshold_at(st[yt == 1], 0.5))
        rej_rows[name] = r5
        rows.append([name, f"{tm['auc']:.3f} ± {tm['auc_err']:.3f}", _rejection_text(r5),
                     f"{tm['overtraining']['ks_p_signal']:.2f} / {tm['overtraining']['ks_p_background']:.2f}"])
    from physnn.train.metrics import roc_auc

    cut_auc = roc_auc(y_te, cut)
    r_cut = rejection_interval(cut[y_te == 0], _threshold_at(cut[y_te == 1], 0.5))
    rows.append(["cut 140 < m < 210 GeV, τ32", f"{cut_auc:.3f}", _rejection_text(r_cut), ""])
    rows.append(["autoencoder (QCD only), anomaly score", f"{anomaly.metrics['auc']:.3f} ± {anomaly.metrics['auc_err']:.3f}", "", ""])
    table = markdown_table(["tagger", "AUC (test)", "1/ε_B at ε_S = 0.5 (Clopper–Pearson)", "KS p sig / bkg (train vs test)"], rows)

    auc = mlp.metrics["auc"]
    checks.append(Check("An MLP on jet substructure tells top from QCD jets", expected="AUC > 0.9",
                        measured=f"AUC = {auc:.3f} on {len(te)} test jets", passed=auc > 0.9, value=auc))
    ot = mlp.metrics["overtraining"]
    pmin = min(ot["ks_p_signal"], ot["ks_p_background"])
    checks.append(Check("With early stopping the tagger does not overtrain: Kolmogorov–Smirnov test of its "
                        "output on training vs test jets (TMVA's check; the run without it is in the table)",
                        expected="both KS p-values > 0.01",
                        measured=f"p = {ot['ks_p_signal']:.3f} (top), {ot['ks_p_background']:.3f} (QCD)",
                        passed=pmin > 0.01, value=pmin))
    a_auc = anomaly.metrics["auc"]
    checks.append(Check("An autoencoder trained on QCD jets only flags top jets as anomalous",
                        expected="AUC > 0.7", measured=f"AUC = {a_auc:.3f}", passed=a_auc > 0.7, value=a_auc))
    if "PFN on constituents" in taggers:
        p_auc = taggers["PFN on constituents"].metrics["auc"]
        checks.append(Check("A permutation-invariant network on the raw constituents learns the same task",
                            expected="AUC > 0.9", measured=f"AUC = {p_auc:.3f}", passed=p_auc > 0.9, value=p_auc))
    text = (
        f"Pythia 8 + FastJet generated {n} top and {n} QCD jets (550 < pT < 650 GeV, anti-kt R = 0.8; "
        f"{t_gen:.0f} s to generate or read from the cache). The jets were split into {len(sp['train'])} training, {len(sp['val'])} validation "
        f"and {len(te)} test jets. An MLP learns from 8 jet features (pT, mass, τ1, τ2, τ3, τ21, τ32, "
        "constituent count)" + ("; a Particle-Flow Network F(Σ Φ(particle)) from the 64 leading constituents"
                                 if not quick else "") +
        ". The background rejection 1/ε_B at ε_S = 0.5 is a count: k of the n QCD test jets pass the cut "
        "that keeps half the top jets. We give its exact (Clopper–Pearson) 95 % interval, and with fewer than "
        f"{MIN_BACKGROUND} jets passing we quote only the lower limit — a bootstrap error on one or two jets "
        "means nothing. The autoencoder never sees a top jet in training (inputs: mass and τ1…τ4); its "
        "reconstruction error alone ranks jets as anomalous."
        f"\n\n**Early stopping, and the run without it.** The same MLP trained for all 200 epochs without "
        f"early stopping reaches AUC {no_es.metrics['auc']:.3f} (with: {auc:.3f}) and KS p-values "
        f"{no_es.metrics['overtraining']['ks_p_signal']:.3f} / {no_es.metrics['overtraining']['ks_p_background']:.3f} "
        f"(with: {ot['ks_p_signal']:.3f} / {ot['ks_p_background']:.3f}); "
        + ("without it the training and test outputs differ significantly (KS p < 0.01) while with it they "
           "do not: here early stopping prevents measurable overtraining."
           if min(no_es.metrics['overtraining']['ks_p_signal'], no_es.metrics['overtraining']['ks_p_background']) < 0.01
           <= pmin
           else "neither run shows overtraining by this test (p < 0.01 on either class would), so this experiment "
                "does not show that early stopping was needed at this size.")
    )
    if "PFN on constituents" in taggers:
        p_auc = taggers["PFN on constituents"].metrics["auc"]
        text += (f"\n\n**A lesson about data size.** The constituent network (AUC {p_auc:.3f}) "
                 + ("does not beat" if p_auc <= max(cut_auc, auc) else "beats")
                 + f" the two-variable cut ({cut_auc:.3f}) and the 8-feature MLP ({auc:.3f}) with only "
                 f"{len(sp['train'])} training jets: it must learn from 64 × 4 raw numbers per jet what mass and "
                 "τ₃₂ give the cut for free. Published constituent taggers beat such cuts with 10⁵–10⁶ training "
                 "jets; at a few hundred, physics-motivated features win.")
    return result_block(__name__, started=started, text=text, figures=figs, tables=[table], checks=checks,
                        data={"auc_mlp": auc, "n_jets_per_class": n, "generation_s": t_gen,
                               "anomaly_auc": a_auc, "ks_p_min": pmin, "cut_auc": float(cut_auc),
                               "auc_no_early_stopping": float(no_es.metrics["auc"]),
                               "ks_p_min_no_early_stopping": float(min(no_es.metrics["overtraining"]["ks_p_signal"],
                                                                       no_es.metrics["overtraining"]["ks_p_background"])),
                               "rejection": {k: {kk: (None if v is None else float(v)) for kk, v in r.items()}
                                             for k, r in {**rej_rows, "cut": r_cut}.items()}})
