r"""Learn alloy properties from EMT data and measure the surrogate: error, baselines, speed-up.

:func:`train_materials` takes a data set from :func:`~physnn.materials.generate.generate`
and, on a seeded train / validation / test split of the structures that
succeeded (failed ones are counted and skipped):

1. fits the baselines — *predict the mean* of the training labels; a
   *regular-solution ridge* on composition (:math:`x_i`, :math:`x_i x_j`,
   scikit-learn ``RidgeCV``); a *SOAP ridge* on dscribe's ``average="outer"``
   power spectrum;
2. trains a :class:`~physnn.materials.models.PerAtomNet` on per-atom SOAP with
   the common loop :func:`physnn.train.fit` (Adam, MSE on standardised labels,
   early stopping on the validation loss, best weights kept) — or, with
   ``ensemble=K``, K of them from different initial weights, whose mean
   prediction is the model (:class:`~physnn.materials.models.NetEnsemble`);
3. reports MAE and R² on the held-out test structures next to the label's
   standard deviation (:func:`physnn.surrogate.regression_report`);
4. times the surrogate per structure — descriptor *and* network — against the
   relaxation it replaces (CPU seconds of one thread, as recorded by the
   generator): the speed-up :math:`t_\text{relax}/t_\text{predict}`;
5. optionally repeats 1-2 on growing training subsets (error vs training size)
   and writes a run directory with figures.

Task A predicts ``e_mix_relaxed`` (eV/atom), ``a_relaxed`` (Å) and
``bulk_modulus`` (GPa) from the unrelaxed structure; task B (fixed composition
Cu16Au16) predicts ``e_mix_relaxed``, which composition alone cannot.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_choice, check_int, check_range

__all__ = ["TARGETS", "UNITS", "MaterialsModel", "MaterialsResult", "split_indices", "train_materials",
           "load_materials_model", "parity_figure", "learning_curve_figure"]

#: task -> predicted labels
TARGETS = {"A": ["e_mix_relaxed", "a_relaxed", "bulk_modulus"], "B": ["e_mix_relaxed"]}
#: label -> (display unit, factor from stored unit): energies in meV/atom
UNITS = {"e_mix_relaxed": ("meV/atom", 1000.0), "e_mix_unrelaxed": ("meV/atom", 1000.0),
         "e_mix_eos": ("meV/atom", 1000.0), "a_relaxed": ("Å", 1.0), "a_eos": ("Å", 1.0),
         "bulk_modulus": ("GPa", 1.0)}


def split_indices(n: int, *, test: float = 0.2, val: float = 0.1, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Seeded random split of ``range(n)`` into (train, val, test) index arrays.

        >>> tr, va, te = split_indices(10, test=0.2, val=0.1, seed=0)
        >>> len(tr), len(va), len(te), sorted(np.concatenate([tr, va, te]).tolist()) == list(range(10))
        (7, 1, 2, True)
    """
    n = check_int("n", n, low=3, owner="split_indices")
    test = check_range("test", test, low=0, high=0.8, low_inclusive=False, owner="split_indices")
    val = check_range("val", val, low=0, high=0.5, low_inclusive=False, owner="split_indices")
    perm = np.random.default_rng(seed).permutation(n)
    n_te = max(1, int(round(test * n)))
    n_va = max(1, int(round(val * n)))
    if n - n_te - n_va < 2:
        raise PhysnnError(f"split_indices: {n} structures leave fewer than 2 for training; generate more.")
    return perm[n_te + n_va:], perm[n_te:n_te + n_va], perm[:n_te]


def _ridge(kind: str):
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "composition":
        return RidgeCV(alphas=np.logspace(-8, 1, 19))
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 5, 17)))


class MaterialsModel:
    """A trained per-atom network with the descriptor settings it needs: ``predict(structures)``.

    ``predict`` returns shape (n, n_targets) in the stored units (eV/atom, Å, GPa).
    """

    def __init__(self, net: Any, species: list[str], soap_options: dict[str, Any], targets: list[str]) -> None:
        self.net = net
        self.species = list(species)
        self.soap_options = dict(soap_options)
        self.targets = list(targets)

    def features(self, structures: Sequence[Any]) -> np.ndarray:
        """The network's input: per-atom SOAP ‖ one-hot, flattened, then the regular-solution terms
        when the network has a global branch; shape (n, N·d [+ 28])."""
        from physnn.materials.features import per_atom, regular_solution

        x = per_atom(structures, self.species, **self.soap_options)
        x = x.reshape(len(x), -1)
        if self.net is not None and getattr(self.net, "n_global", 0):
            x = np.concatenate([x, regular_solution(np.array([a.numbers for a in structures]))], axis=1)
        return x

    def predict(self, structures: Sequence[Any]) -> np.ndarray:
        import torch

        x = torch.as_tensor(self.features(structures), dtype=torch.float32)
        self.net.eval()
        with torch.no_grad():
            return self.net(x).double().numpy()


@dataclass
class MaterialsResult:
    """What :func:`train_materials` measured (all errors on the held-out test structures)."""

    task: str
    targets: list[str]
    n_total: int
    n_failed: int
    n_train: int
    n_val: int
    n_test: int
    reports: dict[str, dict[str, Any]]  # target -> regression_report (stored units)
    timing: dict[str, float]
    learning_curve: dict[str, Any]
    model: MaterialsModel
    history: Any  # the first member's
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    y_test: np.ndarray | None = None
    directory: Path | None = None
    histories: list[Any] = field(default_factory=list)  # every ensemble member's
    validation: dict[str, dict[str, float]] = field(default_factory=dict)  # target -> {"mae", "member_maes"}

    def table(self) -> str:
        """A plain-text table: MAE and R² per model next to the label std, and the speed-up."""
        lines = []
        for t in self.targets:
            unit, f = UNITS[t]
            r = self.reports[t]
            lines.append(f"{t} [{unit}]  label std {r['label_std'] * f:.4g}  (test n={r['n']})")
            k = len(self.histories)
            name = "per-atom network" if k <= 1 else f"per-atom network ×{k} (ens.)"
            rows = [("predict the mean", r["mean_baseline"])] + list(r["baselines"].items()) + [(name, r)]
            for name, m in rows:
                lines.append(f"  {name:<28s} MAE {m['mae'] * f:10.4g}   R² {m['r2']:8.4f}")
        tm = self.timing
        lines.append(
            f"speed per structure (CPU s, 1 thread): relaxation {tm['relax_s']:.3g}, all labels "
            f"{tm['simulate_s']:.3g}; surrogate {tm['predict_s']:.3g} (descriptor {tm['descriptor_s']:.3g}) "
            f"-> speed-up vs relaxation {tm['speedup_vs_relax']:.0f}x, vs all labels {tm['speedup_vs_all']:.0f}x; "
            f"one structure alone {tm['single_s']:.3g} s ({tm['speedup_single']:.0f}x)"
        )
        return "\n".join(lines)


def _train_net(x_tr, g_tr, y_tr, x_va, g_va, y_va, *, hidden, epochs, lr, batch_size, patience, seed,
               weight_decay, progress):
    """Train a PerAtomNet with physnn.train.fit; ``g_*`` None: no global branch."""
    import torch
    from torch import nn

    from physnn.materials.models import PerAtomNet
    from physnn.train import EarlyStopping, ProgressBar, fit

    torch.manual_seed(seed)
    xt = torch.as_tensor(x_tr, dtype=torch.float32)
    yt = torch.as_tensor(y_tr, dtype=torch.float32)
    n_global = 0 if g_tr is None else g_tr.shape[1]
    net = PerAtomNet(xt.shape[2], hidden, yt.shape[1], n_global=n_global, seed=seed)
    net.set_scaling(xt, yt, None if g_tr is None else torch.as_tensor(g_tr, dtype=torch.float64))
    if n_global:
        # start at the regular-solution ridge (in standard units); the per-atom part starts at zero
        gs = net.scaled_global(torch.as_tensor(g_tr, dtype=torch.float32)).double().numpy()
        ys = ((yt - net.y_mean) / net.y_std).double().numpy()
        r = _ridge("composition").fit(gs, ys)
        net.init_global(torch.as_tensor(np.atleast_2d(r.coef_)), torch.as_tensor(np.atleast_1d(r.intercept_)))

    class Std(nn.Module):  # shares net's parameters; outputs standard units
        def __init__(self, inner: PerAtomNet) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.inner.standardized(x)

    def scale(y):
        return (torch.as_tensor(y, dtype=torch.float32) - net.y_mean) / net.y_std

    def flat(x, g):
        x = np.asarray(x).reshape(len(x), -1)
        if g is not None:
            x = np.concatenate([x, g], axis=1)
        return torch.as_tensor(x, dtype=torch.float32)

    callbacks = [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)]
    if progress:
        callbacks.append(ProgressBar(enabled=True, description="per-atom network"))
    history = fit(Std(net), (flat(x_tr, g_tr), scale(y_tr)), val=(flat(x_va, g_va), scale(y_va)), loss="mse",
                  optimizer="adam", lr=lr, weight_decay=weight_decay, epochs=epochs, batch_size=batch_size,
                  schedule="plateau", schedule_options={"factor": 0.5, "patience": max(patience // 3, 5)},
                  metrics=["mae"], callbacks=callbacks, seed=seed, threads=1, progress=False)
    net.eval()
    return net, history


def _predict(net, x, g) -> np.ndarray:
    import torch

    x = np.asarray(x).reshape(len(x), -1)
    if g is not None:
        x = np.concatenate([x, g], axis=1)
    with torch.no_grad():
        return net(torch.as_tensor(x, dtype=torch.float32)).double().numpy()


def train_materials(
    data: dict[str, Any],
    *,
    targets: Sequence[str] | None = None,
    test: float = 0.2,
    val: float = 0.1,
    hidden: Sequence[int] = (64, 64),
    epochs: int = 800,
    lr: float = 1e-3,
    batch_size: int = 32,
    patience: int = 100,
    weight_decay: float = 0.0,
    ensemble: int = 1,
    seed: int = 0,
    soap_options: dict[str, Any] | None = None,
    learning_curve: Sequence[float] = (),
    global_branch: bool = True,
    out: str | os.PathLike | None = None,
    progress: bool | None = None,
    unique_out: bool = True,
) -> MaterialsResult:
    """Fit baselines and the per-atom network on ``data`` and measure them (see module docs).

    Parameters
    ----------
    data : dict
        From :func:`~physnn.materials.generate.generate` or
        :func:`~physnn.materials.generate.load_alloys`.
    targets : labels to predict; default :data:`TARGETS` of the data's task.
    test, val : held-out fractions of the successful structures.
    hidden, epochs, lr, batch_size, patience, weight_decay : the network and its training
        (Adam; learning rate halved on a validation plateau; early stopping with ``patience``).
    ensemble : train this many networks (initial-weight seeds ``seed + 1000 k``, same split) and
        predict their mean (:class:`~physnn.materials.models.NetEnsemble`); 1: a single network.
        Training and the network part of prediction (hence the timing) cost ``ensemble``× more.
    soap_options : passed to :func:`~physnn.materials.features.soap` (``r_cut``, ``n_max``, ``l_max``,
        ``sigma``, ``compression``); default r_cut 5 Å, n_max 4, l_max 4, and the ``crossover``
        compression when more than 3 species occur.
    global_branch : give the network a linear branch on the regular-solution terms, started at
        the ridge fit (used only where composition varies, i.e. task A).
    learning_curve : fractions of the training set (e.g. ``(0.125, 0.25, 0.5, 1)``) at which every
        model is refitted for the error-vs-training-size figure; empty: skip.
    out : run directory to write (``model.safetensors``, ``state.json``, ``metrics.json``,
        ``history.csv``, ``config.toml``, ``figures/``; :func:`physnn.materials.runs.write_alloy_run`);
        ``None``: write nothing.
    unique_out : add ``-2``, ``-3``... to ``out`` when it exists (False: the caller made it unique).

    Returns
    -------
    MaterialsResult
    """
    import torch

    from physnn.materials.features import regular_solution, soap, species_of
    from physnn.materials.generate import LABELS, to_atoms
    from physnn.materials.models import NetEnsemble
    from physnn.surrogate import regression_report, speedup, time_per_sample

    owner = "train_materials"
    if not isinstance(data, dict) or "numbers" not in data or "ok" not in data:
        raise PhysnnError(f"{owner}: 'data' must be a data set from physnn.materials.generate / load_alloys.")
    meta = data.get("meta", {})
    if isinstance(meta, (np.ndarray, str)):
        import json

        meta = json.loads(str(meta))
    task = meta.get("task", "A")
    targets = list(TARGETS.get(task, TARGETS["A"]) if targets is None else targets)
    if not targets:
        raise PhysnnError(f"{owner}: 'targets' is empty; name at least one of {list(LABELS)}.")
    targets = [check_choice("target", t, list(LABELS), owner=owner) for t in targets]
    epochs = check_int("epochs", epochs, low=1, owner=owner)
    ensemble = check_int("ensemble", ensemble, low=1, high=64, owner=owner)
    fractions = [check_range("learning_curve fraction", f, low=0, high=1, low_inclusive=False, owner=owner)
                 for f in learning_curve]

    ok = np.asarray(data["ok"], dtype=bool)
    y_all = np.stack([np.asarray(data[t], dtype=float) for t in targets], axis=1)
    ok &= np.all(np.isfinite(y_all), axis=1)  # never keep a NaN label, whatever 'ok' says
    idx = np.flatnonzero(ok)
    n_failed = int(len(ok) - len(idx))
    if len(idx) < 10:
        raise PhysnnError(f"{owner}: only {len(idx)} successful structures ({n_failed} failed); generate at least 10.")
    tr, va, te = (idx[s] for s in split_indices(len(idx), test=test, val=val, seed=seed))
    y = y_all

    species = species_of(data["numbers"][idx])
    sopt = {"r_cut": 5.0, "n_max": 4, "l_max": 4, "sigma": 0.5,
            "compression": "crossover" if len(species) > 3 else "off"}
    sopt.update(soap_options or {})

    structures = to_atoms(data, idx)
    pos = {int(i): k for k, i in enumerate(idx)}
    rows = lambda ids: [pos[int(i)] for i in ids]  # noqa: E731
    t0 = time.process_time()
    from physnn.materials.features import per_atom

    x_atom_all = per_atom(structures, species, **sopt)
    outer_opts = {k: v for k, v in sopt.items()}
    soap_outer = soap(structures, species, average="outer", **outer_opts)
    t_desc_total = time.process_time() - t0
    comp = regular_solution(data["numbers"][idx])
    # the global (regular-solution) branch only where composition varies (task A)
    use_global = bool(global_branch) and len(np.unique(comp, axis=0)) > 1

    def fit_all(train_ids: np.ndarray, *, show: bool) -> tuple[dict[str, np.ndarray], Any, Any]:
        r_tr = rows(train_ids)
        preds: dict[str, np.ndarray] = {}
        preds["regular-solution ridge"] = _ridge("composition").fit(comp[r_tr], y[train_ids]).predict(comp[rows(te)])
        preds["SOAP ridge (outer)"] = _ridge("soap").fit(soap_outer[r_tr], y[train_ids]).predict(soap_outer[rows(te)])
        g = (lambda r: comp[r]) if use_global else (lambda r: None)  # noqa: E731
        nets, hists = [], []
        for k in range(ensemble):
            net_k, hist_k = _train_net(x_atom_all[r_tr], g(r_tr), y[train_ids], x_atom_all[rows(va)], g(rows(va)),
                                       y[va], hidden=hidden, epochs=epochs, lr=lr, batch_size=batch_size,
                                       patience=patience, seed=seed + 1000 * k, weight_decay=weight_decay,
                                       progress=show)
            nets.append(net_k)
            hists.append(hist_k)
        net = nets[0] if ensemble == 1 else NetEnsemble(nets).eval()
        preds["network"] = _predict(net, x_atom_all[rows(te)], g(rows(te)))
        # validation error of the model and of each member (what model choices may look at)
        va_err = lambda m: np.mean(np.abs(_predict(m, x_atom_all[rows(va)], g(rows(va))) - y[va]), axis=0)  # noqa: E731
        val_rep = {"mae": va_err(net), "member_maes": np.stack([va_err(m) for m in nets])}
        return {k: v.reshape(len(te), -1) for k, v in preds.items()}, net, (hists, val_rep)

    import sys

    show = sys.stderr.isatty() if progress is None else bool(progress)
    preds, net, (histories, val_rep) = fit_all(tr, show=show)
    history = histories[0]
    validation = {t: {"mae": float(val_rep["mae"][j]), "member_maes": val_rep["member_maes"][:, j].tolist()}
                  for j, t in enumerate(targets)}
    reports = {}
    for j, t in enumerate(targets):
        base = {k: v[:, j] for k, v in preds.items() if k != "network"}
        reports[t] = regression_report(y[te, j], preds["network"][:, j], base, y_train=y[tr, j])

    # learning curve: error vs training-set size, first target
    curve: dict[str, Any] = {}
    if fractions:
        curve = {"n_train": [], "target": targets[0], "mean": [], "regular-solution ridge": [],
                 "SOAP ridge (outer)": [], "network": []}
        rng = np.random.default_rng(seed + 1)
        order = rng.permutation(tr)
        for f in sorted(fractions):
            m = max(8, int(round(f * len(tr))))
            sub = order[:m]
            p, _, _ = fit_all(sub, show=False)
            curve["n_train"].append(int(m))
            curve["mean"].append(float(np.mean(np.abs(y[te, 0] - y[sub, 0].mean()))))
            for k in ("regular-solution ridge", "SOAP ridge (outer)", "network"):
                curve[k].append(float(np.mean(np.abs(y[te, 0] - p[k][:, 0]))))

    # speed: descriptor + network per structure, this process, one thread
    model = MaterialsModel(net, species, sopt, targets)
    test_structs = to_atoms(data, te)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t_pred = time_per_sample(lambda: model.predict(test_structs), n=len(te), repeats=3, clock="cpu")
        t_desc = time_per_sample(lambda: model.features(test_structs), n=len(te), repeats=3, clock="cpu")
        t_single = time_per_sample(lambda: model.predict(test_structs[:1]), n=1, repeats=5, clock="cpu")
        t_pred_wall = time_per_sample(lambda: model.predict(test_structs), n=len(te), repeats=3)
    finally:
        torch.set_num_threads(old)
    t_relax = float(np.nanmean(np.asarray(data["t_relax"])[idx]))
    t_all = float(np.nanmean((np.asarray(data["t_single"]) + np.asarray(data["t_eos"]) + np.asarray(data["t_relax"]))[idx]))
    timing = {"relax_s": t_relax, "simulate_s": t_all, "predict_s": t_pred, "descriptor_s": t_desc,
              "predict_wall_s": t_pred_wall, "single_s": t_single,
              "speedup_vs_relax": speedup(t_relax, t_pred), "speedup_vs_all": speedup(t_all, t_pred),
              "speedup_single": speedup(t_relax, t_single),
              "descriptor_all_structures_s": t_desc_total}

    result = MaterialsResult(task=task, targets=targets, n_total=len(ok), n_failed=n_failed, n_train=len(tr),
                             n_val=len(va), n_test=len(te), reports=reports, timing=timing,
                             learning_curve=curve, model=model, history=history, predictions=preds,
                             y_test=y[te], histories=histories, validation=validation)
    if out is not None:
        from physnn.materials.runs import write_alloy_run

        settings = {"targets": targets, "test": test, "val": val, "hidden": list(hidden), "epochs": epochs,
                    "lr": lr, "batch_size": batch_size, "patience": patience, "weight_decay": weight_decay,
                    "ensemble": ensemble, "seed": seed, "soap_options": sopt, "learning_curve": list(fractions),
                    "global_branch": bool(global_branch)}
        result.directory = write_alloy_run(Path(out), result, meta, settings=settings, seed=seed,
                                           unique=unique_out)
    return result


# ------------------------------------------------------------------ run on disk

def parity_figure(result: MaterialsResult):
    """Predicted vs true values of every target on the held-out structures (a matplotlib figure)."""
    from physnn.viz.plots import pyplot

    plt = pyplot()
    k = len(result.targets)
    fig, axes = plt.subplots(1, k, figsize=(4.2 * k, 4.0), squeeze=False)
    for j, t in enumerate(result.targets):
        unit, f = UNITS[t]
        ax = axes[0, j]
        yt = result.y_test[:, j] * f
        for name, style in (("SOAP ridge (outer)", dict(color="0.6", marker="x", s=14)),
                            ("network", dict(color="C0", marker="o", s=12))):
            yp = result.predictions[name][:, j] * f
            mae = np.mean(np.abs(yt - yp))
            ax.scatter(yt, yp, label=f"{name}: MAE {mae:.3g}", **style)
        lo, hi = float(np.min(yt)), float(np.max(yt))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel(f"EMT {t} [{unit}]")
        ax.set_ylabel(f"predicted [{unit}]")
        ax.legend(frameon=False, fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Task {result.task}: held-out structures (n={result.n_test})")
    fig.tight_layout()
    return fig


def learning_curve_figure(result: MaterialsResult):
    """Test MAE against training-set size for the network and its baselines (a matplotlib figure)."""
    from physnn.viz.plots import pyplot

    plt = pyplot()
    c = result.learning_curve
    unit, f = UNITS[c["target"]]
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    for name, st in (("mean", "k:"), ("regular-solution ridge", "s-"), ("SOAP ridge (outer)", "x-"), ("network", "o-")):
        ax.plot(c["n_train"], np.asarray(c[name]) * f, st, label="predict the mean" if name == "mean" else name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(c["n_train"], [str(m) for m in c["n_train"]])
    ax.minorticks_off()
    ax.set_xlabel("training structures")
    ax.set_ylabel(f"test MAE of {c['target']} [{unit}]")
    ax.set_title(f"Task {result.task}: error vs training-set size")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


def load_materials_model(directory: str | os.PathLike) -> MaterialsModel:
    """Rebuild the :class:`MaterialsModel` saved in a run directory by :func:`train_materials`.

    Reads runs of this physnn (``physnn-run-2``, kind ``materials``) and of physnn 0.1
    (``physnn-materials-1``).  A potential run (trained on the user's structures) is loaded with
    :func:`physnn.materials.runs.load_potential`.
    """
    from physnn.materials.models import build_peratom
    from physnn.rundir import read_state
    from physnn.train.checkpoint import load_weights

    d = Path(directory)
    state = read_state(d, kind="materials", owner="load_materials_model")
    cfg = state["model"]
    if cfg.get("kind") == "atomic_potential":
        raise PhysnnError(f"load_materials_model: {str(d)!r} is a potential run (trained on structures with "
                          "energies); load it with physnn.materials.runs.load_potential.")

    from physnn.errors import check_file

    net = build_peratom(cfg)
    load_weights(net, check_file(d / "model.safetensors", owner="load_materials_model", what="weights"))
    net.eval()
    return MaterialsModel(net, state["species"], state["soap_options"], state["targets"])
