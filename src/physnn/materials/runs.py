"""Materials runs on disk, and how ``physnn predict`` and ``physnn show`` work on them.

``physnn materials train`` writes one of two models into the one run format
(:mod:`physnn.rundir`, kind ``materials``):

* from the user's structures (extended XYZ or any file ASE reads): an
  interatomic potential (:class:`~physnn.materials.potential.AtomicPotential`,
  model kind ``atomic_potential``) that predicts total energies, forces and stress;
* from the generator's ``.npz`` (``physnn materials generate``): the alloy
  surrogate (:class:`~physnn.materials.models.PerAtomNet` on dscribe SOAP, model
  kind ``peratom``) that predicts the generator's labels (mixing energy, lattice
  constant, bulk modulus).

::

    RUN/
      state.json          kind "materials"; model config, species, descriptor settings, what it was trained on
      config.toml         the settings of the training command
      model.safetensors   the weights
      metrics.json        test errors of the network and of the baselines (energies in meV/atom)
      history.csv         per epoch: loss, val_loss, validation energy (and force) MAE, lr
      figures/            loss.png, parity.png

``physnn predict RUN structures.extxyz --out pred.csv`` reads any file ASE reads and
writes one row per structure: ``pred_energy`` (the total energy in eV, like the
input) and ``pred_energy_per_atom``; ``--out pred.extxyz`` writes the structures
with the predicted energies and forces instead.  Runs of the alloy surrogate write
``pred_<label>`` per structure.  Runs written by physnn 0.1 (``physnn-materials-1``)
are read too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError
from physnn.rundir import RunKind, create_run_dir, output_name, read_state, write_metrics, write_state

__all__ = ["RUN_KIND", "KIND", "write_potential_run", "write_alloy_run", "load_potential", "load_materials_run"]

KIND = "materials"
#: model kinds of materials runs -> "module:function" that builds them (for rundir.MODEL_BUILDERS)
BUILDERS = {"atomic_potential": "physnn.materials.potential:build_potential",
            "peratom": "physnn.materials.models:build_peratom"}


# ---------------------------------------------------------------- writing

def _toml(settings: dict[str, Any]) -> str:
    import tomli_w

    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if x is not None}
        if isinstance(v, (tuple, list)):
            return [clean(x) for x in v]
        if isinstance(v, (np.integer, np.floating)):
            return v.item()
        return v

    return "# physnn materials train: the settings of this run\n" + tomli_w.dumps(
        {"materials_train": clean(settings)})


def _parity_figure(result: Any):
    from physnn.viz.plots import pyplot

    plt = pyplot()
    k = 2 if result.has_forces else 1
    fig, axes = plt.subplots(1, k, figsize=(4.4 * k, 4.0), squeeze=False)
    ax = axes[0, 0]
    yt = result.y_test * 1000.0
    for name, style in (("SOAP kernel ridge", dict(color="0.6", marker="x", s=14)),
                        ("per-atom network", dict(color="C0", marker="o", s=12))):
        if name in result.predictions:
            yp = result.predictions[name] * 1000.0
            ax.scatter(yt, yp, label=f"{name}: MAE {np.mean(np.abs(yt - yp)):.3g}", **style)
    lo, hi = float(np.min(yt)), float(np.max(yt))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("energy per atom, reference [meV/atom]")
    ax.set_ylabel("predicted [meV/atom]")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    if result.has_forces and result.test_forces is not None:
        ax = axes[0, 1]
        ft, fp = result.test_forces
        ax.scatter(ft.ravel(), fp.ravel(), s=2, alpha=0.3, color="C1")
        lo, hi = float(ft.min()), float(ft.max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel("force component, reference [eV/Å]")
        ax.set_ylabel("predicted [eV/Å]")
        ax.set_title(f"MAE {1000 * np.mean(np.abs(ft - fp)):.3g} meV/Å", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle(f"held-out structures (n={result.metrics['n_test']})")
    fig.tight_layout()
    return fig


def write_potential_run(directory: str | os.PathLike, result: Any, *, data_path: str | os.PathLike | None,
                        settings: dict[str, Any], seed: int, unique: bool = True) -> Path:
    """Write a potential run (:func:`~physnn.materials.potential.train_potential`'s result) at ``directory``.

    Parameters
    ----------
    directory : path-like
        The run directory (``-2``, ``-3``... added when taken, unless ``unique`` is False: the CLI
        passes the directory it already made unique).
    result : PotentialResult
    data_path : path-like or None
        The structure file trained on (recorded in ``state.json`` and ``config.toml``).
    settings : dict
        The training settings, written to ``config.toml``.
    seed : int
        The seed (provenance).
    """
    from physnn.files import write_text
    from physnn.train.checkpoint import save_weights
    from physnn.viz.plots import plot_history, save_figure

    d = create_run_dir(directory, unique=unique)
    model = result.model
    save_weights(model, d / "model.safetensors")
    write_state(d, KIND, {
        "task": "potential",
        "model": model.config(),
        "targets": ["energy"],
        "species": list(model.species),
        "trained_on": result.metrics["trained_on"],
        "data": {"file": None if data_path is None else str(data_path), "n_structures": result.n_total,
                 "has_forces": bool(result.has_forces)},
        "units": {"energy": "eV", "forces": "eV/Å", "stress": "eV/Å³"},
    }, seed=seed)
    write_text(d / "config.toml", _toml({"data": None if data_path is None else str(data_path), **settings}))
    write_metrics(d, result.metrics)
    result.history.to_csv(d / "history.csv")
    plot_history(result.history, path=d / "figures" / "loss.png")
    save_figure(_parity_figure(result), d / "figures" / "parity.png")
    return d


def write_alloy_run(directory: str | os.PathLike, result: Any, meta: dict[str, Any], *,
                    settings: dict[str, Any] | None = None, seed: int | None = None, unique: bool = True) -> Path:
    """Write an alloy-surrogate run (:func:`~physnn.materials.train.train_materials`'s result)."""
    from physnn.files import write_text
    from physnn.materials.train import learning_curve_figure, parity_figure as alloy_parity
    from physnn.train.checkpoint import save_weights
    from physnn.viz.plots import plot_history, save_figure

    d = create_run_dir(directory, unique=unique)
    save_weights(result.model.net, d / "model.safetensors")
    write_state(d, KIND, {
        "task": result.task, "targets": result.targets,
        "model": {"kind": "peratom", **result.model.net.config()}, "species": result.model.species,
        "soap_options": result.model.soap_options,
        "data": {k: meta.get(k) for k in ("task", "seed", "n", "n_failed")},
    }, seed=seed)
    if settings is not None:
        write_text(d / "config.toml", _toml(settings))
    write_metrics(d, {
        "n_total": result.n_total, "n_failed": result.n_failed, "n_train": result.n_train,
        "n_val": result.n_val, "n_test": result.n_test, "units": "stored units: eV/atom, Å, GPa",
        "reports": result.reports, "timing": result.timing, "learning_curve": result.learning_curve,
        "stop_reason": result.history.stop_reason.value, "best_epoch": result.history.best_epoch,
        "epochs_run": result.history.epochs_run, "ensemble": len(result.histories),
        "members": [{"stop_reason": h.stop_reason.value, "best_epoch": h.best_epoch, "epochs_run": h.epochs_run}
                    for h in result.histories],
        "validation": result.validation,
    })
    result.history.to_csv(d / "history.csv")
    plot_history(result.history, path=d / "figures" / "loss.png")
    save_figure(alloy_parity(result), d / "figures" / "parity.png")
    if result.learning_curve:
        save_figure(learning_curve_figure(result), d / "figures" / "learning_curve.png")
    return d


# ---------------------------------------------------------------- reading

def _weights(d: Path, owner: str) -> Path:
    from physnn.errors import check_file

    return check_file(d / "model.safetensors", owner=owner, what="weights")


def load_potential(directory: str | os.PathLike, state: dict[str, Any] | None = None):
    """The :class:`~physnn.materials.potential.AtomicPotential` of a potential run, weights loaded, in eval mode."""
    from physnn.materials.potential import MODEL_KIND, build_potential
    from physnn.train.checkpoint import load_weights

    d = Path(directory)
    state = read_state(d, kind=KIND, owner="load_potential") if state is None else state
    cfg = state.get("model", {})
    if cfg.get("kind") != MODEL_KIND:
        raise PhysnnError(f"load_potential: {str(d)!r} is an alloy-surrogate run (trained on a "
                          "'physnn materials generate' .npz), not a potential; load it with load_materials_model.")
    model = build_potential(cfg)
    load_weights(model, _weights(d, "load_potential"))
    return model.eval()


def load_materials_run(directory: str | os.PathLike):
    """The model of any materials run: an ``AtomicPotential`` (potential runs) or a ``MaterialsModel`` (alloys)."""
    d = Path(directory)
    state = read_state(d, kind=KIND, owner="load_materials_run")
    if state.get("model", {}).get("kind") == "atomic_potential":
        return load_potential(d, state)
    from physnn.materials.train import load_materials_model

    return load_materials_model(d)


# ---------------------------------------------------------------- the verbs

def _write_table(columns: dict[str, np.ndarray], out: Path) -> Path:
    """CSV and NPZ at full precision (float64), other suffixes through :func:`physnn.data.write_data`."""
    from physnn.files import atomic_write

    if out.suffix.lower() in (".csv", ""):
        names = list(columns)
        rows = zip(*(columns[n] for n in names))
        with atomic_write(out) as fh:
            fh.write(",".join(names) + "\n")
            for row in rows:
                fh.write(",".join(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v) for v in row)
                         + "\n")
        return out
    if out.suffix.lower() == ".npz":  # float64 columns (write_data keeps features as float32)
        with atomic_write(out, "wb") as fh:
            np.savez(fh, **{k: np.asarray(v) for k, v in columns.items()})
        return out
    from physnn.data import ArrayData, write_data

    names = list(columns)
    X = np.stack([np.asarray(columns[n], dtype=np.float64) for n in names], axis=1)
    write_data(ArrayData(X, None, feature_names=names, name="predictions"), out)
    return out


def _predict(directory: Path, state: dict[str, Any], data: Path, out: Path) -> Path:
    from physnn.materials.structures import read_structures, write_structures

    structures = read_structures(data, need_energy=False, owner="predict")
    kind = state.get("model", {}).get("kind")
    out = Path(out)
    xyz = out.suffix.lower() in (".extxyz", ".xyz")
    if kind == "atomic_potential":
        model = load_potential(directory, state)
        unknown = sorted(set(structures.species) - set(model.species))
        if unknown:
            raise PhysnnError(f"predict: {str(data)!r} contains {unknown}; the run knows only {model.species} "
                              "(a potential predicts only the elements it was trained on).")
        pred = model.predict(structures.atoms, forces=xyz)
        e = pred["energy"]
        n = structures.n_atoms
        if xyz:
            return write_structures(out, structures.atoms, energies=e, forces=pred["forces"],
                                    info={output_name("pred", "energy_per_atom"): list(e / n)})
        return _write_table({"structure": np.arange(len(e)), "n_atoms": n, output_name("pred", "energy"): e,
                             output_name("pred", "energy_per_atom"): e / n}, out)
    # the alloy surrogate: the generator's labels, per structure
    from physnn.materials.train import load_materials_model

    model = load_materials_model(directory)
    unknown = sorted(set(structures.species) - set(model.species))
    if unknown:
        raise PhysnnError(f"predict: {str(data)!r} contains {unknown}; the run knows only {model.species}.")
    if len(set(structures.n_atoms.tolist())) > 1:
        raise PhysnnError(f"predict: {str(data)!r} mixes structures of {sorted(set(structures.n_atoms.tolist()))} "
                          "atoms; this alloy-surrogate run takes structures of one size (its SOAP stacks atoms).")
    y = model.predict(structures.atoms)
    cols = {output_name("pred", t): y[:, j] for j, t in enumerate(model.targets)}
    if xyz:
        return write_structures(out, structures.atoms, info={k: list(v) for k, v in cols.items()})
    return _write_table({"structure": np.arange(len(y)), "n_atoms": structures.n_atoms, **cols}, out)


def _describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    model = state.get("model", {})
    info: dict[str, Any] = {"task": state.get("task")}
    data = state.get("data") or {}
    if model.get("kind") == "atomic_potential":
        desc = model.get("descriptor", {})
        info["data"] = f"{data.get('file')} ({data.get('n_structures')} structures)"
        info["net"] = (f"per-atom MLP {'-'.join(str(h) for h in model.get('hidden', []))} on local descriptors "
                       f"(r_cut {desc.get('r_cut')} Å, {desc.get('n_radial')} radial, {desc.get('n_angular')} "
                       "angular)")
        info["trained on"] = ", ".join(state.get("trained_on", []))
    else:
        info["data"] = f"generator task {data.get('task')}, {data.get('n')} structures"
        info["net"] = (f"PerAtomNet {model.get('n_features')}-{'-'.join(str(h) for h in model.get('hidden', []))}-"
                       f"{model.get('n_out')} on SOAP")
    info["species"] = ", ".join(state.get("species", []))
    info["targets"] = ", ".join(state.get("targets", []))
    return info


RUN_KIND = RunKind(
    kind=KIND,
    predicts="structures in any file ASE reads (extxyz, POSCAR, CIF, ...) -> one row per structure: pred_energy "
             "(total, eV) and pred_energy_per_atom (alloy runs: pred_<label>); --out *.extxyz: the structures "
             "with predicted energies and forces",
    predict=_predict,
    onnx=None,
    no_onnx="the network's input is a neighbour list built from the atomic positions (outside the network, "
            "by physnn/ASE), and the alloy surrogate's SOAP comes from dscribe; ONNX would hold neither. Use "
            "'physnn predict RUN structures.extxyz --out pred.csv'.",
    describe=_describe,
)
