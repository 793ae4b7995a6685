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
        "Materials science: predict alloy properties (mixing energy, lattice constant, bulk modulus) "
        "from atomic structure, learned from ASE EMT simulations.\n\n"
        "Start with:  physnn materials generate --task A --n 500 --out alloys.npz\n\n"
        "then:        physnn materials train alloys.npz --out runs/mat"
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
    "The output is bit-identical for any --workers. Finished chunks are kept in OUT.cache/ and the "
    "same command resumes an interrupted run. Expect ~0.5 CPU seconds per structure (the relaxation "
    "dominates)."
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Simulate random FCC alloys with ASE's EMT and write their labels to an .npz file."""
    import time

    import numpy as np

    from physnn.materials.generate import generate as run

    t0 = time.perf_counter()
    d = run(task, n, seed=seed, workers=workers, out=out, chunk=chunk, fmax=fmax, steps=steps,
            progress=None if not quiet else False)
    n_bad = int((~d["ok"]).sum())
    cpu = float(np.nanmean(d["t_single"] + d["t_eos"] + d["t_relax"]))
    typer.echo(
        f"wrote {n} task-{task.upper()} structures to {out}: {n - n_bad} labelled, {n_bad} failed (skipped "
        f"in training); {cpu:.2f} CPU s per structure, {time.perf_counter() - t0:.0f} s wall"
    )
    if n_bad:
        reasons, counts = np.unique(d["status"][~d["ok"]], return_counts=True)
        typer.echo("failures: " + "; ".join(f"{c} x {r}" for r, c in zip(reasons, counts)))


_TRAIN_EPILOG = (
    "What it does: splits the labelled structures (failed ones skipped and counted) into train / "
    "validation / test, fits the baselines - predict the mean; a regular-solution ridge on composition "
    "(x_i and x_i*x_j); a ridge on the SOAP descriptor (dscribe, average='outer') - and trains a "
    "per-atom network (a shared MLP on each atom's SOAP environment, averaged over atoms; for task A "
    "plus a linear regular-solution branch started at the ridge fit) on physnn's training loop with "
    "early stopping. Task A predicts e_mix_relaxed, a_relaxed and B from the unrelaxed structure; "
    "task B e_mix_relaxed. Prints MAE and R² on the test structures next to the label's standard "
    "deviation and the baselines, and the speed-up per structure (descriptor included) over the "
    "relaxation.\n\n"
    "Writes OUT/: model.safetensors, state.json, metrics.json, history.csv, figures/parity.png, "
    "figures/learning_curve.png (error vs training-set size), figures/loss.png.\n\n"
    "Examples:\n\n"
    "  physnn materials train alloys.npz --out runs/mat\n\n"
    "  physnn materials train cuau.npz --out runs/cuau --targets e_mix_relaxed,e_mix_unrelaxed\n\n"
    "  physnn materials train cuau.npz --out runs/cuau --epochs 400 --hidden 32,32"
)


@app.command(epilog=_TRAIN_EPILOG)
@writes(out="run")
def train(
    data: Path = typer.Argument(..., help="An .npz written by 'physnn materials generate'."),
    out: Path = typer.Option(Path("runs/materials"), "--out", "-o", help="Run directory (never overwritten: -2, -3… added)."),
    targets: Optional[str] = typer.Option(None, "--targets", help="Comma-separated labels to predict (default: the task's)."),
    epochs: int = typer.Option(800, "--epochs", help="Most epochs (early stopping usually ends sooner)."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate (halved on a validation plateau)."),
    hidden: str = typer.Option("64,64", "--hidden", help="Hidden sizes of the per-atom MLP, e.g. 64,64."),
    batch_size: int = typer.Option(32, "--batch-size", help="Structures per mini-batch."),
    patience: int = typer.Option(100, "--patience", help="Early-stopping patience in epochs (validation loss)."),
    test: float = typer.Option(0.2, "--test", help="Held-out test fraction."),
    val: float = typer.Option(0.1, "--val", help="Validation fraction (early stopping)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the initial weights and the batch order."),
    ensemble: int = typer.Option(
        1, "--ensemble",
        help="Networks averaged (the benchmark uses 5 with --patience 200: task B 0.22-0.25 meV/atom)."),
    curve: bool = typer.Option(True, "--curve/--no-curve", help="Also refit at 1/8, 1/4, 1/2 of the training set (error vs size)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train the per-atom network and the baselines on an alloy data set; print error and speed-up."""
    from physnn.errors import PhysnnError
    from physnn.materials.generate import load_alloys
    from physnn.materials.train import train_materials

    try:
        sizes = [int(h) for h in hidden.split(",") if h.strip()]
    except ValueError:
        raise PhysnnError(f"materials train: --hidden must be comma-separated integers like 64,64; got {hidden!r}.") from None
    if not sizes:
        raise PhysnnError("materials train: --hidden needs at least one layer size, e.g. 64,64.")
    tlist = None if targets is None else [t.strip() for t in targets.split(",") if t.strip()]
    d = load_alloys(data)
    res = train_materials(d, targets=tlist, epochs=epochs, lr=lr, hidden=sizes, batch_size=batch_size,
                          patience=patience, test=test, val=val, seed=seed, ensemble=ensemble,
                          learning_curve=(0.125, 0.25, 0.5, 1.0) if curve else (), out=out,
                          progress=None if not quiet else False)
    typer.echo(
        f"task {res.task}: {res.n_total} structures, {res.n_failed} failed and skipped; "
        f"train {res.n_train} / val {res.n_val} / test {res.n_test}; stopped: "
        f"{res.history.stop_reason.value} after {res.history.epochs_run} epochs"
    )
    typer.echo(res.table())
    typer.echo(f"run written to {res.directory}")
