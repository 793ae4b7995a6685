"""``physnn materials``: alloy data from ASE's EMT, and a network that learns it.

A typer sub-app, registered in :mod:`physnn.cli.app` with
``app.add_typer(materials.app, name="materials")``.  Each command is a thin
layer over :mod:`physnn.materials`; ASE, dscribe and torch are imported inside
the commands so ``physnn --help`` stays fast.  Bad input raises
:class:`~physnn.errors.PhysnnError` (one line on stderr, exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import command_group, writes

app = command_group(
    "materials",
    (
        "Materials science: learn the energies and forces of atomic structures from your own files "
        "(extended XYZ or anything ASE reads), or alloy properties (mixing energy, lattice constant, bulk "
        "modulus) from ASE EMT simulations.\n\n"
        "Your own structures:  physnn materials train structures.extxyz --out runs/pot\n\n"
        "then:                 physnn predict runs/pot new.extxyz --out pred.csv\n\n"
        "Simulated alloys:     physnn materials generate --task A --n 500 --out alloys.npz; "
        "physnn materials train alloys.npz --out runs/mat"
    ),
)

_GENERATE_EPILOG = (
    "What it does: each structure is a 2x2x2 cubic FCC supercell (32 sites) whose sites are filled at "
    "random - task A: 2-3 of Al, Ni, Cu, Pd, Ag, Pt, Au in random proportions; task B: Cu16Au16, only "
    "the ordering varies. The cell starts at Vegard's lattice constant (the composition-weighted mean "
    "of the pure elements'). ASE's EMT calculator then gives: the mixing energy per atom (relative to "
    "the pure elements at their own equilibrium) on the ideal lattice; a Birch-Murnaghan fit of E(V) "
    "over 7 volumes (lattice constant a_eos, bulk modulus B in GPa, e_mix_eos); and a full relaxation "
    "of positions and cell (UnitCellFilter + FIRE: e_mix_relaxed, a_relaxed). A relaxation that does "
    "not converge or a NaN energy is recorded (ok=False, status says why) and counted, never kept as a "
    "label.\n\n"
    "Examples:\n\n"
    "  physnn materials generate --task A --n 500 --seed 0 --workers 2 --out alloys.npz\n\n"
    "  physnn materials generate --task B --n 300 --out cuau.npz\n\n"
    "The output is bit-identical for any --workers. Finished chunks are kept in OUT.chunks/ and the "
    "same command resumes an interrupted run. Expect ~0.5 CPU seconds per structure (the relaxation "
    "dominates).\n\n"
    "On a cluster: N array tasks each run the command with --shard K/N (K = 1..N) and write "
    "OUT-stem.part-K-of-N.npz; 'physnn materials merge OUT-stem.part-*.npz --out OUT' joins them into what "
    "one machine writes. --dask tcp://HOST:8786 (or local:N) runs the chunks on a Dask cluster."
)


@app.command(epilog=_GENERATE_EPILOG)
@writes(out="file")
def generate(
    task: str = typer.Option("A", "--task", "-t", help="A: random 2-3 element alloys; B: Cu16Au16 orderings."),
    n: int = typer.Option(500, "--n", "-n", help="Number of structures (failed ones included, flagged)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .npz (written atomically)."),
    seed: int = typer.Option(0, "--seed", help="Structure i depends only on (seed, task, i)."),
    workers: int = typer.Option(1, "--workers", "-j", help="Parallel processes, one BLAS thread each."),
    fmax: float = typer.Option(0.01, "--fmax", help="Relaxation converged when every force (and stress) < FMAX [eV/Å]."),
    steps: int = typer.Option(500, "--steps", help="Give up a relaxation (recorded as failed) after this many FIRE steps."),
    chunk: int = typer.Option(8, "--chunk", help="Structures per cached chunk (the unit of parallel work and of resuming)."),
    shard: Optional[str] = typer.Option(None, "--shard", help="K/N: one task of a cluster job array; makes chunks K-1, K-1+N, ... and writes them to OUT-stem.part-K-of-N.npz beside OUT (not OUT). Then 'physnn materials merge' joins the N parts into OUT."),
    dask: Optional[str] = typer.Option(None, "--dask", help="Run the chunks on a Dask cluster: a scheduler address (tcp://HOST:8786) or local[:N] for N local worker processes (default --workers)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Simulate random FCC alloys with ASE's EMT and write their labels to an .npz file."""
    import time

    import numpy as np

    from physnn.materials.generate import generate as run

    t0 = time.perf_counter()
    d = run(task, n, seed=seed, workers=workers, out=out, chunk=chunk, fmax=fmax, steps=steps,
            progress=None if not quiet else False, shard=shard, dask=dask)
    if shard is not None:
        from physnn.parallel import part_path
        from physnn.workers import check_shard

        typer.echo(f"shard {shard}: {len(d['ok'])} structures written to {part_path(out, check_shard(shard))}; "
                   f"once every shard is done: physnn materials merge PARTS --out {out}")
        return
    n_bad = int((~d["ok"]).sum())
    cpu = float(np.nanmean(d["t_single"] + d["t_eos"] + d["t_relax"]))
    typer.echo(
        f"wrote {n} task-{task.upper()} structures to {out}: {n - n_bad} labelled, {n_bad} failed (skipped "
        f"in training); {cpu:.2f} CPU s per structure, {time.perf_counter() - t0:.0f} s wall"
    )
    if n_bad:
        reasons, counts = np.unique(d["status"][~d["ok"]], return_counts=True)
        typer.echo("failures: " + "; ".join(f"{c} x {r}" for r, c in zip(reasons, counts)))


@app.command(epilog=(
    "PARTS are the files the N tasks of 'physnn materials generate --shard K/N --out OUT' wrote beside OUT "
    "(OUT-stem.part-K-of-N.npz). The merged file holds the arrays a single run without --shard writes, in "
    "the same order, with the same meta except merged_from (the parts) and the CPU timings t_single, t_eos, "
    "t_relax. A missing or repeated shard, or parts of other settings or seeds, are refused.\n\n"
    "Example:\n\n  physnn materials merge /shared/alloys.part-*.npz --out /shared/alloys.npz"))
@writes(out="file")
def merge(
    parts: list[Path] = typer.Argument(..., help="The part files of every shard (e.g. OUT.part-*.npz)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .npz (written atomically)."),
) -> None:
    """Join the parts written by 'materials generate --shard K/N' tasks into one .npz."""
    from physnn.materials.generate import merge as join

    d = join(parts, out)
    n_bad = int((~d["ok"]).sum())
    typer.echo(f"wrote {len(d['ok'])} structures from {len(parts)} parts to {out}: {n_bad} failed")


_TRAIN_EPILOG = (
    "DATA is either the user's own structures - extended XYZ (energy=... on each comment line, a forces "
    "column where there are forces) or any file ase.io.read(DATA, index=':') reads (ASE .traj, VASP "
    "OUTCAR/vasprun.xml, ...) with a total energy per structure - or the .npz of 'physnn materials "
    "generate'.\n\n"
    "Own structures: trains a per-atom network on local descriptors (radial and angular invariants of each "
    "atom's neighbours within --r-cut, per element of the data; E = sum of atomic terms) on the energies and, "
    "when the file has forces, on the forces too (F = -dE/dr, exact derivatives of the predicted energy): "
    "loss = w_E MSE(E/atom)/s_E^2 + w_F MSE(F)/s_F^2, each term in units of its training spread. Beside "
    "it, on the same held-out structures: predict-the-mean, a ridge on composition and volume, and a "
    "kernel ridge on the SOAP power spectrum (dscribe). Prints the test MAE of the energy per atom in "
    "meV/atom (and of the forces in meV/Å) for all four. Predict new structures with 'physnn predict RUN "
    "structures.extxyz --out pred.csv' (total energies in eV, like the input).\n\n"
    "Generator .npz: the alloy surrogate (PerAtomNet on SOAP; task A predicts e_mix_relaxed, a_relaxed and "
    "B, task B e_mix_relaxed) with its baselines and the speed-up over the relaxation.\n\n"
    "Writes OUT/: model.safetensors, state.json, config.toml, metrics.json (every model's test errors), "
    "history.csv, figures/parity.png, figures/loss.png.\n\n"
    "Examples:\n\n"
    "  physnn materials train structures.extxyz --out runs/pot\n\n"
    "  physnn materials train structures.extxyz --out runs/pot --force-weight 0   (energies only)\n\n"
    "  physnn materials train alloys.npz --out runs/mat --ensemble 5"
)

#: defaults that differ between the two kinds of training data
_DEFAULTS = {"potential": {"epochs": 400, "lr": None, "hidden": None, "batch_size": 16, "patience": 60},
             "alloys": {"epochs": 800, "lr": 1e-3, "hidden": "64,64", "batch_size": 32, "patience": 100}}


@app.command(epilog=_TRAIN_EPILOG)
@writes(out="run")
def train(
    data: Path = typer.Argument(..., help="Structures with energies (extxyz or any file ASE reads), or an .npz "
                                "from 'physnn materials generate'."),
    out: Path = typer.Option(Path("runs/materials"), "--out", "-o", help="Run directory (never overwritten: -2, -3… added)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Most epochs (early stopping usually ends sooner); "
                                         "default 400 (structures), 800 (.npz)."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Adam learning rate (halved on a validation plateau); "
                                       "default 3e-3 (structures with forces), 1e-3 (energies only, .npz)."),
    hidden: Optional[str] = typer.Option(None, "--hidden", help="Hidden sizes of the per-atom MLP (default 64,64; "
                                         "structures without a force term: 32,32)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Structures per mini-batch; default 16 "
                                             "(structures), 32 (.npz)."),
    patience: Optional[int] = typer.Option(None, "--patience", help="Early-stopping patience in epochs (validation "
                                           "loss); default 60 (structures), 100 (.npz)."),
    test: float = typer.Option(0.2, "--test", help="Held-out test fraction."),
    val: float = typer.Option(0.1, "--val", help="Validation fraction (early stopping, baseline settings)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the initial weights and the batch order."),
    energy_weight: Optional[float] = typer.Option(None, "--energy-weight", help="Structures: w_E (default 1)."),
    force_weight: Optional[float] = typer.Option(None, "--force-weight", help="Structures: w_F (default 1; 0 trains "
                                                 "on energies only). Used when the structures have forces."),
    stress_weight: Optional[float] = typer.Option(None, "--stress-weight", help="Structures: w_S (default 0). Used "
                                                  "when the structures have stress."),
    r_cut: Optional[float] = typer.Option(None, "--r-cut", help="Structures: descriptor cutoff in Å (default 6)."),
    n_radial: Optional[int] = typer.Option(None, "--n-radial", help="Structures: radial Gaussians (default 16)."),
    n_angular: Optional[int] = typer.Option(None, "--n-angular", help="Structures: Gaussians of the angular (l=1, 2) "
                                            "terms (default 4; 0: radial terms only)."),
    targets: Optional[str] = typer.Option(None, "--targets", help=".npz: comma-separated labels to predict (default: "
                                          "the task's)."),
    ensemble: Optional[int] = typer.Option(
        None, "--ensemble",
        help="Networks trained independently and averaged (default 1; the .npz benchmark uses 5 with "
             "--patience 200: task B 0.22-0.25 meV/atom)."),
    curve: Optional[bool] = typer.Option(None, "--curve/--no-curve", help=".npz: also refit at 1/8, 1/4, 1/2 of "
                                         "the training set (error vs size; default on)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a per-atom network and its baselines on structures with energies (and forces), or on generator alloys."""
    from physnn.errors import PhysnnError, check_file, sniff_file

    path = check_file(data, owner="materials train", what="training data")
    mode = "alloys" if sniff_file(path) == "npz" else "potential"
    only = {"potential": {"--targets": targets, "--curve/--no-curve": curve},
            "alloys": {"--energy-weight": energy_weight, "--force-weight": force_weight,
                       "--stress-weight": stress_weight, "--r-cut": r_cut, "--n-radial": n_radial,
                       "--n-angular": n_angular}}[mode]
    given = [k for k, v in only.items() if v is not None]
    if given:
        what = ("structures (extxyz or any file ASE reads)" if mode == "potential"
                else "a generator .npz (physnn materials generate)")
        raise PhysnnError(f"materials train: {', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply "
                          f"when DATA is {what}; leave {'it' if len(given) == 1 else 'them'} out.")
    dflt = _DEFAULTS[mode]
    hidden = dflt["hidden"] if hidden is None else hidden
    sizes = None
    if hidden is not None:  # None: train_potential's default (64,64 with forces, 32,32 on energies only)
        try:
            sizes = [int(h) for h in hidden.split(",") if h.strip()]
        except ValueError:
            raise PhysnnError(f"materials train: --hidden must be comma-separated integers like 64,64; "
                              f"got {hidden!r}.") from None
        if not sizes:
            raise PhysnnError("materials train: --hidden needs at least one layer size, e.g. 64,64.")
    epochs = dflt["epochs"] if epochs is None else epochs
    lr = dflt["lr"] if lr is None else lr
    batch_size = dflt["batch_size"] if batch_size is None else batch_size
    patience = dflt["patience"] if patience is None else patience
    progress = None if not quiet else False
    if mode == "potential":
        _train_potential(path, out, epochs=epochs, lr=lr, hidden=sizes, batch_size=batch_size, patience=patience,
                         test=test, val=val, seed=seed,
                         energy_weight=1.0 if energy_weight is None else energy_weight,
                         force_weight=1.0 if force_weight is None else force_weight,
                         stress_weight=0.0 if stress_weight is None else stress_weight,
                         descriptor={k: v for k, v in (("r_cut", r_cut), ("n_radial", n_radial),
                                                       ("n_angular", n_angular)) if v is not None},
                         ensemble=ensemble, progress=progress)
        return

    from physnn.materials.generate import load_alloys
    from physnn.materials.train import train_materials

    tlist = None if targets is None else [t.strip() for t in targets.split(",") if t.strip()]
    d = load_alloys(path)
    res = train_materials(d, targets=tlist, epochs=epochs, lr=lr, hidden=sizes, batch_size=batch_size,
                          patience=patience, test=test, val=val, seed=seed, ensemble=1 if ensemble is None else ensemble,
                          learning_curve=(0.125, 0.25, 0.5, 1.0) if curve in (None, True) else (), out=out,
                          progress=progress, unique_out=False)
    typer.echo(
        f"task {res.task}: {res.n_total} structures, {res.n_failed} failed and skipped; "
        f"train {res.n_train} / val {res.n_val} / test {res.n_test}; stopped: "
        f"{res.history.stop_reason.value} after {res.history.epochs_run} epochs"
    )
    typer.echo(res.table())
    typer.echo(f"run written to {res.directory}")


def _train_potential(path: Path, out: Path, *, seed: int, descriptor: dict, progress, **settings) -> None:
    from physnn.materials.potential import train_potential
    from physnn.materials.runs import write_potential_run
    from physnn.materials.structures import read_structures

    data = read_structures(path, owner="materials train")
    labels = "energies" + (", forces" if data.has_forces else "") + (", stress" if data.has_stress else "")
    typer.echo(f"{path}: {len(data)} structures of {', '.join(data.species)} ({int(data.n_atoms.min())}-"
               f"{int(data.n_atoms.max())} atoms) with {labels}")
    res = train_potential(data, seed=seed, descriptor=descriptor, progress=progress, **settings)
    d = write_potential_run(out, res, data_path=path, settings=res.settings, seed=seed, unique=False)
    m = res.metrics
    typer.echo(f"trained on {' and '.join(m['trained_on'])}; stopped: {m['stop_reason']} after {m['epochs_run']} "
               f"epochs (best {m['best_epoch']})")
    typer.echo(res.table())
    typer.echo(f"run written to {d}")
