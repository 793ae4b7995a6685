"""Section 14 — materials science: alloy properties from simulation data.

The pattern of every surrogate: simulate (ASE's EMT on random FCC alloys),
describe (composition, SOAP), learn (a per-atom network on the common loop),
and measure — error against the simplest baselines, and speed against the
simulator it replaces.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from physnn.lecture.base import (
    SELF_CHECK,
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

NUMBER = 14
TITLE = "Materials science: alloy properties from simulation data"

CLAIM = (
    "“Materials science: predicting material properties from atomic structure and simulation "
    "data.” A network trained on simulations can stand in for the simulation: as accurate as the "
    "best simple model, and hundreds of times faster."
)

CODE = '''\
from physnn.materials import generate, load_alloys
from physnn.materials.train import train_materials

data = generate("B", 400, seed=0, workers=2, out="cuau.npz")   # EMT: E-V fit + relaxation per structure
res = train_materials(data, learning_curve=(0.125, 0.25, 0.5, 1.0), out="runs/cuau")
print(res.table())          # MAE, R² vs label std, predict-the-mean, ridge baselines, speed-up
'''


def _single_point_data(n: int, seed: int) -> dict:
    """Cu16Au16 orderings labelled with the unrelaxed EMT mixing energy only (5 ms each)."""
    from physnn.materials.generate import LABELS, fcc_alloy, mixing_energy, sample_symbols

    atoms = [fcc_alloy(sample_symbols("B", i, seed)) for i in range(n)]
    t = time.process_time()
    e = np.array([mixing_energy(a) for a in atoms])
    t_single = (time.process_time() - t) / n
    d = {"numbers": np.array([a.numbers for a in atoms], dtype=np.int16),
         "cell": np.array([np.asarray(a.cell) for a in atoms]),
         "positions": np.array([a.positions for a in atoms]),
         "ok": np.isfinite(e), "status": np.array(["ok"] * n)}
    for k in LABELS:
        d[k] = e.copy() if k == "e_mix_unrelaxed" else np.full(n, np.nan)
    d["t_single"] = np.full(n, t_single)
    d["t_eos"] = np.zeros(n)
    d["t_relax"] = np.full(n, np.nan)  # filled by the caller with a measured relaxation time
    d["meta"] = json.dumps({"task": "B", "seed": seed, "n": n, "labels": "single point"})
    return d


def _relax_seconds(seed: int, n: int = 3) -> float:
    """CPU seconds per full relaxation (UnitCellFilter + FIRE) of Cu16Au16 orderings, measured here."""
    from physnn.materials.generate import fcc_alloy, relax, sample_symbols

    t = time.process_time()
    for i in range(n):
        relax(fcc_alloy(sample_symbols("B", 10_000 + i, seed)))
    return (time.process_time() - t) / n


#: structures labelled in full mode (relaxed mixing energy); quick mode labels single points only
N_FULL = 128


def simulate(n: int, seed: int, workers: int = 2) -> dict:
    """Label ``n`` Cu16Au16 orderings with EMT (E–V fit + full relaxation each), cached chunk by chunk.

    ``workers`` spawn processes with one BLAS thread each; the data are bit-identical for any number
    of workers and whether the chunks are computed now or read from the cache
    (:func:`physnn.materials.generate.generate`).
    """
    from physnn.files import cache_dir
    from physnn.materials.generate import generate

    step = max(1, n // 5)
    last = [0]

    def tick(done: int, total: int) -> None:
        if done < total and done // step > last[0]:
            last[0] = done // step
            progress(f"relaxing {total} alloys with ASE's EMT ... {100 * done // total}%")

    with timed(f"relaxing {n} Cu16Au16 alloys with ASE's EMT (E–V fit + relaxation each, {workers} processes)"):
        return generate("B", n, seed=seed, workers=workers, cache=cache_dir("materials") / f"lecture_B_{seed}",
                        progress=tick)


def simulations(*, quick: bool, seed: int) -> list[tuple[str, dict]]:
    """The simulation this section reads in full mode (``(function name, kwargs)``); quick mode needs none."""
    # one process: the lecture's runner already keeps both cores busy (a pool of 2 here made 3 busy processes)
    return [] if quick else [("simulate", {"n": N_FULL, "seed": seed, "workers": 1})]


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Check the simulator and the descriptor, then learn structure → energy and measure error and speed."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 14: reference states, E–V fit, SOAP averaging, the trained network."""
    import torch

    torch.set_num_threads(1)
    from ase.units import GPa

    from physnn.materials.features import soap
    from physnn.materials.generate import ELEMENTS, eos_fit, fcc_alloy, mixing_energy, reference, sample_symbols
    from physnn.materials.train import train_materials

    # 1. the reference states: pure elements have zero mixing energy at their own lattice constant
    worst = max(abs(mixing_energy(fcc_alloy([el] * 32, a=reference(el).a))) for el in ELEMENTS)

    # 2. the Birch–Murnaghan fit against an independent curvature
    a0, b_bm, _ = eos_fit(fcc_alloy(["Cu"] * 32))
    base = fcc_alloy(["Cu"] * 4, a=reference("Cu").a)
    v0 = base.get_volume()
    h = 1e-3 * v0

    def e_at(v: float) -> float:
        at = base.copy()
        at.set_cell(base.cell * (v / v0) ** (1 / 3), scale_atoms=True)
        return mixing_energy(at) * len(at)

    b_fd = v0 * (e_at(v0 + h) - 2 * e_at(v0) + e_at(v0 - h)) / h**2 / GPa

    # 3. the descriptor: inner-averaged SOAP cannot tell orderings apart, outer can
    s1, s2 = (fcc_alloy(sample_symbols("B", i, seed)) for i in (0, 1))
    inner = soap([s1, s2], ["Cu", "Au"], average="inner")
    outer = soap([s1, s2], ["Cu", "Au"], average="outer")
    d_in = float(np.linalg.norm(inner[0] - inner[1]) / np.linalg.norm(inner[0]))
    d_out = float(np.linalg.norm(outer[0] - outer[1]) / np.linalg.norm(outer[0]))

    # 4. learn: task B, structure -> energy
    if quick:
        n = 200
        data = _single_point_data(n, seed)
        t_relax = _relax_seconds(seed, 2)
        data["t_relax"] = np.full(n, t_relax)
        target, what = "e_mix_unrelaxed", "unrelaxed (single-point) mixing energy — quick mode"
        kw = dict(epochs=150, patience=40, learning_curve=(0.25, 1.0))
    else:
        n = N_FULL
        data = simulate(n, seed)
        target, what = "e_mix_relaxed", "relaxed mixing energy (E–V fit and full relaxation per structure)"
        kw = dict(epochs=400, patience=60, learning_curve=(0.125, 0.25, 0.5, 1.0))
    with timed(f"training the per-atom network on {n} structures (SOAP descriptors, ridge baselines)"):
        res = train_materials(data, targets=[target], seed=seed, progress=False, **kw)
    pair = pair_model_baseline(data, target, seed=seed)
    return {"quick": quick, "n_elements": len(ELEMENTS), "worst": worst, "a0": a0, "b_bm": b_bm, "b_fd": b_fd,
            "d_in": d_in, "d_out": d_out, "n": n, "target": target, "what": what, "res": res, "pair": pair}


def unlike_pair_fractions(atoms: Any) -> np.ndarray:
    r"""Fraction of unlike (A–B) pairs in the first three FCC neighbour shells of a binary structure.

    Shells at :math:`a/\sqrt2`, :math:`a` and :math:`a\sqrt{3/2}` (``a`` from the cubic cell of 2×2×2
    conventional cells); periodic images included.  These are the features of a pair (Ising-like)
    model :math:`E = J_0 + \sum_s J_s\, x_s^{AB}` — the simplest model that sees the ordering.
    """
    from ase.neighborlist import neighbor_list

    a = float(np.linalg.norm(atoms.cell[0])) / 2.0
    shells = a * np.array([np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    i, j, d = neighbor_list("ijd", atoms, shells[-1] * 1.08)
    z = atoms.numbers
    out = np.zeros(3)
    for k, r in enumerate(shells):
        sel = np.abs(d - r) < 0.08 * a
        out[k] = float(np.mean(z[i[sel]] != z[j[sel]])) if np.any(sel) else 0.0
    return out


def pair_model_baseline(data: dict, target: str, *, seed: int, test: float = 0.2, val: float = 0.1) -> dict[str, Any]:
    """A ridge fit of the label on :func:`unlike_pair_fractions`, on the same split as ``train_materials``.

    At fixed composition the regular-solution ridge equals predicting the mean by construction; this
    pair model is the simplest baseline that does not.  Trained on the training + validation structures,
    scored on the same held-out structures as the network (``split_indices`` with the same seed).
    """
    from sklearn.linear_model import RidgeCV

    from physnn.materials.train import split_indices

    y_all = np.asarray(data[target], dtype=float)
    ok = np.asarray(data["ok"], dtype=bool) & np.isfinite(y_all)
    idx = np.flatnonzero(ok)
    tr, va, te = (idx[x] for x in split_indices(len(idx), test=test, val=val, seed=seed))
    X = np.array([unlike_pair_fractions(fcc_alloy_from(data, i)) for i in range(len(y_all))])
    fit_ids = np.r_[tr, va]
    model = RidgeCV(alphas=np.logspace(-6, 2, 17)).fit(X[fit_ids], y_all[fit_ids])
    pred = model.predict(X[te])
    err = pred - y_all[te]
    ss = float(np.sum((y_all[te] - y_all[te].mean()) ** 2))
    return {"mae": float(np.mean(np.abs(err))), "r2": 1.0 - float(np.sum(err ** 2)) / ss, "y_test": y_all[te],
            "pred": pred, "coef": model.coef_.tolist()}


def fcc_alloy_from(data: dict, i: int) -> Any:
    """Structure ``i`` of a data set (numbers, cell, positions) as ASE ``Atoms`` with periodic boundaries."""
    from ase import Atoms

    return Atoms(numbers=data["numbers"][i], cell=data["cell"][i], positions=data["positions"][i], pbc=True)


def figures(m: dict[str, Any]) -> list[Figure]:
    """Prediction against EMT on the held-out structures, and the error against training-set size."""
    return [_parity(m["res"], m["target"]), _curve(m["res"])]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 14: the simulator's checks, the network against baselines, speed-up."""
    worst, a0, b_bm, b_fd, d_in, d_out = (m[k] for k in ("worst", "a0", "b_bm", "b_fd", "d_in", "d_out"))
    n, what, res = m["n"], m["what"], m["res"]
    checks = [
        Check("mixing energy of each pure element at its EMT lattice constant is zero",
              "|E_mix| < 1e-12 eV/atom", f"max {worst:.1e} eV/atom over {m['n_elements']} elements",
              worst < 1e-12, worst, kind=SELF_CHECK),
        Check("the E–V fit gives Cu's bulk modulus B = V d²E/dV² (finite differences at the minimum)",
              "within 2 %", f"B = {b_bm:.1f} GPa (fit) vs {b_fd:.1f} GPa (FD), a = {a0:.4f} Å",
              abs(b_bm - b_fd) <= 0.02 * b_fd, b_bm, kind=SELF_CHECK),
        Check("at fixed composition SOAP average='inner' is identical for every ordering; 'outer' is not",
              "inner < 1e-9 and outer > 1e-3 (relative difference)",
              f"inner {d_in:.1e}, outer {d_out:.1e}", d_in < 1e-9 and d_out > 1e-3, d_out, kind=SELF_CHECK),
    ]
    rep = res.reports[m["target"]]
    b = rep["baselines"]
    f = 1000.0
    pair = m["pair"]
    same_split = bool(np.allclose(pair["y_test"], res.y_test[:, 0]))
    beats = rep["mae"] < min(pair["mae"], b["SOAP ridge (outer)"]["mae"]) and same_split
    checks.append(Check("a structure-aware network beats the ridge baselines that see the ordering, on held-out "
                        "Cu16Au16 orderings",
                        "network MAE < nearest-neighbour pair model (ridge on unlike-pair fractions) and < SOAP ridge",
                        f"{rep['mae'] * f:.3f} vs {pair['mae'] * f:.3f} and "
                        f"{b['SOAP ridge (outer)']['mae'] * f:.3f} meV/atom (label std {rep['label_std'] * f:.2f})"
                        + ("" if same_split else " — the pair model's test set differs from the network's"),
                        beats, rep["mae"] * f))
    tm = res.timing
    checks.append(Check("the surrogate is much faster than the relaxation it replaces (descriptor included)",
                        "speed-up ≥ 200×",
                        f"{tm['speedup_vs_relax']:.0f}× ({tm['predict_s'] * 1e3:.2f} ms vs {tm['relax_s']:.2f} s per structure, CPU)",
                        tm["speedup_vs_relax"] >= 200, tm["speedup_vs_relax"]))

    rows = [["predict the mean", f"{rep['mean_baseline']['mae'] * f:.3f}", f"{rep['mean_baseline']['r2']:.3f}"]]
    rows += [[k + (" (= the mean by construction: composition is fixed)" if k == "regular-solution ridge" else ""),
              f"{v['mae'] * f:.3f}", f"{v['r2']:.3f}"] for k, v in b.items()]
    rows += [["pair model: ridge on unlike-pair fractions, 3 shells", f"{pair['mae'] * f:.3f}", f"{pair['r2']:.3f}"]]
    rows += [["per-atom network", f"{rep['mae'] * f:.3f}", f"{rep['r2']:.3f}"]]
    table = markdown_table(["model", "test MAE [meV/atom]", "R²"], rows)
    text = (
        f"**Simulate.** Random orderings of Cu16Au16 on a 2×2×2 cubic FCC cell (32 sites) at Vegard's "
        f"lattice constant, labelled with ASE's EMT: here the {what}; {n} structures, "
        f"{res.n_failed} failed and skipped. Mixing energies are relative to the pure elements at their "
        f"own EMT equilibrium (check 1); the E–V fit is checked against finite differences (check 2).\n\n"
        f"**Describe.** Composition alone is the same for every structure, so the regular-solution "
        f"model can only predict the mean — beating it says nothing. The baseline that counts is the "
        f"simplest model that sees the ordering: a pair (Ising-like) model, E = J₀ + Σₛ Jₛ·xₛ, with xₛ the "
        f"fraction of Cu–Au pairs in neighbour shell s = 1, 2, 3, fitted by ridge regression "
        f"(MAE {pair['mae'] * f:.3f} meV/atom, R² {pair['r2']:.3f}). SOAP (dscribe) describes each atom's neighbour shells by "
        f"species; averaged *outside* the power spectrum it sees the ordering, averaged *inside* it "
        f"does not (check 3).\n\n"
        f"**Learn.** A per-atom network — one MLP applied to every atom's SOAP environment, averaged — "
        f"trained with physnn's loop (Adam, early stopping). On {res.n_test} held-out structures "
        f"(label std {rep['label_std'] * f:.2f} meV/atom) it reaches MAE {rep['mae'] * f:.3f} meV/atom, "
        f"R² {rep['r2']:.3f}.\n\n"
        f"**Measure the speed.** Descriptor plus network: {tm['predict_s'] * 1e3:.2f} ms per structure "
        f"(one structure alone: {tm['single_s'] * 1e3:.2f} ms) against {tm['relax_s']:.2f} s for a "
        f"relaxation: **{tm['speedup_vs_relax']:.0f}×**. The `physnn materials` commands and "
        f"`benchmarks/materials_surrogate.py` run both tasks (A: mixed compositions → energy, lattice "
        f"constant, bulk modulus) at full size."
    )
    return result_block(
        __name__, started=started, text=text, figures=figs, tables=[table], checks=checks,
        data={"mae_meV": rep["mae"] * f, "baselines_meV": {**{k: v["mae"] * f for k, v in b.items()},
                                                           "pair model": pair["mae"] * f},
              "speedup": tm["speedup_vs_relax"], "n": n, "bulk_modulus_cu": b_bm},
    )


def _parity(res, target):
    fig, ax = subplots(1, 1, width=5.0, height=4.6)
    yt = res.y_test[:, 0] * 1000
    for name, style in (("SOAP ridge (outer)", dict(color="0.6", marker="x")), ("network", dict(color="C0", marker="o"))):
        yp = res.predictions[name][:, 0] * 1000
        ax.scatter(yt, yp, s=16, label=f"{name}: MAE {np.mean(np.abs(yt - yp)):.3f}", **style)
    lo, hi = float(yt.min()), float(yt.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel(f"EMT {target} [meV/atom]")
    ax.set_ylabel("predicted [meV/atom]")
    ax.legend(frameon=False, fontsize=9)
    return figure_from_matplotlib(fig, "materials_parity.png", "Held-out Cu16Au16 orderings: prediction vs EMT.")


def _curve(res):
    c = res.learning_curve
    fig, ax = subplots(1, 1, width=5.5, height=4.2)
    for name, st in (("mean", "k:"), ("SOAP ridge (outer)", "x-"), ("network", "o-")):
        ax.plot(c["n_train"], np.asarray(c[name]) * 1000, st, label="predict the mean" if name == "mean" else name)
    ax.set_xscale("log")
    ax.set_xticks(c["n_train"], [str(m) for m in c["n_train"]])
    ax.minorticks_off()
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")  # decades with every 1-2-5 tick labelled (a log axis alone labelled only one)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training structures")
    ax.set_ylabel("test MAE [meV/atom]")
    ax.legend(frameon=False, fontsize=9)
    return figure_from_matplotlib(fig, "materials_learning_curve.png", "Error vs training-set size.")
