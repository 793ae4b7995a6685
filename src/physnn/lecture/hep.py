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
    if not quick:
        taggers["PFN on constituents"] = train_tagger(jets, model="pfn", phi=(64, 64), f=(64,), epochs=100,
                                                      batch_size=64, split=sp, seed=seed, n_boot=100,
                                                      align=True, ranking=False)
    te = sp["test"]
    fi = {c: j for j, c in enumerate(jets.feature_names)}
    cut = -jets.X[te, fi["tau32"]] + 10.0 * ((jets.X[te, fi["mass"]] > 140) & (jets.X[te, fi["mass"]] < 210))
    anomaly = train_anomaly(jets_from_columns(cols, features=ANOMALY_FEATURES, particles=None), epochs=80 if quick else 200, batch_size=64, seed=seed, test=0.3, val=0.2)
    return {"n": n, "t_gen": t_gen, "jets": jets, "split": sp, "taggers": taggers, "mlp": mlp, "cut": cut,
            "anomaly": anomaly, "quick": quick}


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
    for name, t in taggers.items():
        tm = t.metrics
        r5 = tm["rejection_at_0.5"]
        rej = f"{r5['rejection']:.0f} ± {r5['rejection_err'] or 0:.0f} ({r5['n_background_passing']} QCD jet(s) pass)" \
            if r5["rejection"] else f"> {r5['rejection_lower_bound']:.0f} (0 jets)"
        rows.append([name, f"{tm['auc']:.3f} ± {tm['auc_err']:.3f}", rej,
                     f"{tm['overtraining']['ks_p_signal']:.2f} / {tm['overtraining']['ks_p_background']:.2f}"])
    from physnn.train.metrics import roc_auc

    rows.append(["cut 140 < m < 210 GeV, τ32", f"{roc_auc(y_te, cut):.3f}", "", ""])
    rows.append(["autoencoder (QCD only), anomaly score", f"{anomaly.metrics['auc']:.3f} ± {anomaly.metrics['auc_err']:.3f}", "", ""])
    table = markdown_table(["tagger", "AUC (test)", "1/ε_B at ε_S = 0.5", "KS p sig / bkg"], rows)

    auc = mlp.metrics["auc"]
    checks.append(Check("An MLP on jet substructure tells top from QCD jets", expected="AUC > 0.9",
                        measured=f"AUC = {auc:.3f} on {len(te)} test jets", passed=auc > 0.9, value=auc))
    ot = mlp.metrics["overtraining"]
    pmin = min(ot["ks_p_signal"], ot["ks_p_background"])
    checks.append(Check("Early stopping keeps the tagger from overtraining: Kolmogorov–Smirnov test of its "
                        "output on training vs test jets (TMVA's check)", expected="both KS p-values > 0.01",
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
        ". The background rejection 1/ε_B at ε_S = 0.5 is quoted with its bootstrap error and the number of "
        "QCD jets behind it — with a few hundred test jets it rests on a handful of jets. The autoencoder "
        "never sees a top jet in training (inputs: mass and τ1…τ4); its reconstruction error alone ranks "
        "jets as anomalous."
    )
    return result_block(__name__, started=started, text=text, figures=figs, tables=[table], checks=checks,
                        data={"auc_mlp": auc, "n_jets_per_class": n, "generation_s": t_gen,
                               "anomaly_auc": a_auc, "ks_p_min": pmin})
