"""``physnn hep``: particle-physics commands — generate collider jets (train / anomaly follow).

A typer sub-app, registered in :mod:`physnn.cli.app` with
``app.add_typer(hep.app, name="hep")``.  Each command is a thin layer over
:mod:`physnn.hep`; Pythia, FastJet and NumPy are imported inside the
commands so ``physnn --help`` stays fast.  Bad input raises
:class:`~physnn.errors.PhysnnError` (one line on stderr, exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import command_group, writes

app = command_group(
    "hep",
    (
        "Particle physics: collider jets from Pythia 8 + FastJet, jet tagging and anomaly detection.\n\n"
        "Start with:  physnn hep generate --signal top --n 1000 --out jets_top.parquet"
    ),
)


@app.callback()
def _hep() -> None:
    """Particle physics: collider jets from Pythia 8 + FastJet, jet tagging and anomaly detection."""


# ----------------------------------------------------------------------------- generate
_GENERATE_EPILOG = (
    "What it does: Pythia 8 generates pp collisions (top pairs with hadronic W decays for "
    "--signal top, W pairs with hadronic decays for w, QCD dijets for qcd) in a hard-scale "
    "window pTHat = (pT_min - 150, pT_max + 150) GeV; FastJet clusters the visible final-state "
    "particles with anti-kt R = 0.8 (E-scheme); the leading jet is kept if 550 < pT < 650 GeV and "
    "|eta| < 2 and, for signal, if the top (W) and its decay quarks lie within dR < 0.8. "
    "Per jet: pt, eta, phi, mass, tau1..tau4, tau21, tau32, n_constituents, label and the "
    "leading N constituents part_pt, part_deta, part_dphi (zero-padded).\n\n"
    "Examples:\n\n"
    "  physnn hep generate --signal top --n 1000 --seed 1 --out jets_top.parquet\n\n"
    "  physnn hep generate --signal qcd --n 1000 --seed 2 --workers 2 --out jets_qcd.root\n\n"
    "  physnn hep generate --signal w --n 200 --sqrt-s 14000 --no-mpi --out w.npz\n\n"
    "The output is identical for any --workers. An interrupted run keeps its finished chunks in "
    "OUT.chunks/ and the same command resumes.\n\n"
    "On a cluster: N array tasks each run the command with --shard K/N (K = 1..N); task K writes "
    "OUT-stem.part-K-of-N.npz beside OUT, and 'physnn hep merge' joins the parts into OUT: the jets of a "
    "one-machine run.\n\n"
    "  sbatch --array=1-10 --wrap 'physnn hep generate --signal qcd --n 100000 --out /shared/qcd.parquet "
    "--shard $SLURM_ARRAY_TASK_ID/10 -q'\n\n"
    "  physnn hep merge /shared/qcd.part-*.npz --out /shared/qcd.parquet\n\n"
    "On a Dask cluster: --dask tcp://HOST:8786 sends the chunks to its workers (--dask local:4 starts four "
    "local worker processes); the output is the same."
)


@app.command(epilog=_GENERATE_EPILOG)
@writes(out="file")
def generate(
    signal: str = typer.Option(..., "--signal", "-s", help="Which jets: top, w (signal, label 1) or qcd (background, label 0)."),
    n: int = typer.Option(..., "--n", "-n", help="Number of jets to generate."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .parquet, .npz or .root (TTree 'jets'). Written atomically."),
    seed: int = typer.Option(0, "--seed", help="Seed; each chunk's Pythia seed is derived from it."),
    workers: int = typer.Option(1, "--workers", "-j", help="Parallel processes (one thread each)."),
    sqrt_s: float = typer.Option(13000.0, "--sqrt-s", help="Centre-of-mass energy in GeV (the top-tagging reference sample used 14000)."),
    mpi: bool = typer.Option(True, "--mpi/--no-mpi", help="Multiparton interactions (underlying event) on or off."),
    constituents: int = typer.Option(100, "--constituents", help="How many leading constituents to store per jet (zero-padded)."),
    pt_min: float = typer.Option(550.0, "--pt-min", help="Leading-jet pT window, lower edge [GeV]."),
    pt_max: float = typer.Option(650.0, "--pt-max", help="Leading-jet pT window, upper edge [GeV]."),
    eta_max: float = typer.Option(2.0, "--eta-max", help="Leading-jet |eta| cut."),
    pthat_min: Optional[float] = typer.Option(None, "--pthat-min", help="Hard-scale window, lower edge [GeV] (default pt-min - 150). Lower = less bias, slower."),
    pthat_max: Optional[float] = typer.Option(None, "--pthat-max", help="Hard-scale window, upper edge [GeV] (default pt-max + 150)."),
    prefilter: bool = typer.Option(True, "--prefilter/--no-prefilter", help="Pythia's CellJet + SlowJet pre-filters (SlowJet's fjcore finds the jets: ~1.5x faster event loop; CellJet loses ~0.01 % of the jets). --no-prefilter clusters every event with FastJet."),
    pythia: Optional[list[str]] = typer.Option(None, "--pythia", help="Extra Pythia setting, e.g. --pythia 'Tune:pp = 21' (repeatable; applied last)."),
    chunk_size: int = typer.Option(200, "--chunk-size", help="Jets per reproducible chunk (the unit of parallel work and of resuming)."),
    keep_cache: bool = typer.Option(False, "--keep-cache", help="Keep OUT.chunks/ after writing OUT."),
    shard: Optional[str] = typer.Option(None, "--shard", help="K/N: one task of a cluster job array; generates chunks K-1, K-1+N, ... and writes them to OUT-stem.part-K-of-N.npz beside OUT (not OUT). Then 'physnn hep merge' joins the N parts into OUT."),
    dask: Optional[str] = typer.Option(None, "--dask", help="Run the chunks on a Dask cluster: a scheduler address (tcp://HOST:8786) or local[:N] for N local worker processes (default --workers)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Generate labelled jets with Pythia 8 + FastJet and write them to a file."""
    from physnn.errors import PhysnnError
    from physnn.hep.generate import generate_jets
    from physnn.workers import check_shard

    pthat = None
    if pthat_min is not None or pthat_max is not None:
        if pthat_min is None or pthat_max is None:
            raise PhysnnError("hep generate: give both --pthat-min and --pthat-max, or neither (default: the pT window +- 150 GeV).")
        pthat = (pthat_min, pthat_max)
    _, stats = generate_jets(
        signal, n, seed, workers=workers, sqrt_s=sqrt_s, mpi=mpi, n_constituents=constituents,
        pt_range=(pt_min, pt_max), eta_max=eta_max, pthat_range=pthat, prefilter=prefilter, settings=tuple(pythia or ()),
        chunk_size=chunk_size, out=out, keep_cache=keep_cache, progress=not quiet, return_stats=True,
        shard=None if shard is None else check_shard(shard, owner="hep generate"), dask=dask,
    )
    if shard is not None:
        typer.echo(f"shard {shard}: {stats['jets']} {signal} jets (chunks {stats['shard_chunks']}) written to "
                   f"{stats['part']}; once every shard is done: physnn hep merge PARTS --out {out}")
        return
    reused = f", {stats['chunks_reused']} chunk(s) reused" if stats["chunks_reused"] else ""
    typer.echo(
        f"wrote {n} {signal} jets to {out}: {stats['events']} events, acceptance "
        f"{stats['acceptance']:.1%}, {stats['jets_per_s']:.1f} jets/s "
        f"({stats['jets_per_cpu_s']:.1f} per CPU second){reused}"
    )


_MERGE_EPILOG = (
    "PARTS are the files the N tasks of 'physnn hep generate --shard K/N --out OUT' wrote beside OUT "
    "(OUT-stem.part-K-of-N.npz). The merged file holds the jets a single run of the same command without "
    "--shard writes, in the same order, with the same metadata except the timings in its stats and the "
    "list of parts (merged_from). A missing or repeated shard, or parts of other settings or seeds, are "
    "refused.\n\n"
    "Example:\n\n"
    "  physnn hep merge /shared/qcd.part-*.npz --out /shared/qcd.parquet"
)


@app.command(epilog=_MERGE_EPILOG)
@writes(out="file")
def merge(
    parts: list[Path] = typer.Argument(..., help="The part files of every shard (e.g. OUT.part-*.npz)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .parquet, .npz or .root. Written atomically."),
) -> None:
    """Join the parts written by 'hep generate --shard K/N' tasks into one jet file."""
    from physnn.hep.generate import merge_jets

    stats = merge_jets(parts, out)
    typer.echo(f"wrote {stats['jets']} jets from {len(parts)} parts to {out}: {stats['events']} events, "
               f"acceptance {stats['acceptance']:.1%}")


# tagging and anomaly detection are written in their own module; `physnn hep` is one group
from physnn.cli import hep_learn as learn_cli  # noqa: E402

app.registered_commands.extend(learn_cli.app.registered_commands)
