"""``physnn hep train`` / ``physnn hep anomaly``.

A typer sub-app (``app``) with the learning commands of :mod:`physnn.hep`,
merged into the ``hep`` app (``physnn predict`` / ``export`` / ``show`` work on
their runs: :mod:`physnn.cli.runs`).  torch, scikit-learn and
matplotlib are imported inside the commands.  Bad input raises
:class:`~physnn.errors.PhysnnError` (one line on stderr, exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import command_group, writes
from physnn.errors import PhysnnError

app = command_group(
    "hep",
    "Particle physics: jet tagging and anomaly detection on jet files.",
)


@app.callback()
def _hep_learn() -> None:
    """Particle physics: jet tagging and anomaly detection on jet files."""


def _names(text: Optional[str], default: tuple[str, ...] | None) -> list[str] | None:
    if text is None:
        return None if default is None else list(default)
    names = [t.strip() for t in text.split(",") if t.strip()]
    return names


_TRAIN_EPILOG = (
    "Examples:\n\n"
    "  physnn hep train --data top.parquet --data qcd.parquet --model mlp\n\n"
    "  physnn hep train --data top.parquet --data qcd.parquet --model pfn --n-particles 64\n\n"
    "  physnn hep train --data events.root --tree jets --features mass,tau32 --label is_top\n\n"
    "Writes RUN/config.toml, state.json, model.safetensors, history.csv, metrics.json (AUC, 1/eps_B at "
    "eps_S = 0.3 and 0.5 with bootstrap errors and the background jets behind them, KS overtraining "
    "test, SIC, permutation ranking, mass sculpting) and figures/*.png.\n\n"
    "Then: physnn predict RUN jets.parquet --out scores.csv (prob_<label>, or prob_signal for the label "
    "column 'label'), physnn export RUN --onnx tagger.onnx, physnn show RUN."
)


@app.command(epilog=_TRAIN_EPILOG)
@writes(out="run")
def train(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Jet file(s): .parquet .npz .root .h5 .csv; repeat for signal + background."),
    model: str = typer.Option("mlp", "--model", "-m", help="mlp (jet features), pfn (Particle-Flow Network) or particlenet (EdgeConv)."),
    features: Optional[str] = typer.Option(None, "--features", help="Comma-separated jet-feature columns (mlp default: pt,mass,tau1,tau2,tau3,tau21,tau32,n_constituents). With pfn/particlenet: jet features fed to the set network beside its constituents (a hybrid tagger); none by default."),
    particles: Optional[str] = typer.Option(None, "--particles", help="Comma-separated constituent columns (default for pfn/particlenet: part_pt,part_deta,part_dphi)."),
    n_particles: Optional[int] = typer.Option(None, "--n-particles", help="Pad/truncate constituents to this many (needed for jagged columns)."),
    label: str = typer.Option("label", "--label", help="The 0/1 label column (1 = signal)."),
    weights: Optional[str] = typer.Option(None, "--weights", help="Per-jet weight column for the loss."),
    tree: Optional[str] = typer.Option(None, "--tree", help="ROOT TTree name (default: the file's only tree)."),
    epochs: int = typer.Option(100, "--epochs", help="Maximum epochs (early stopping on val_loss, patience 10)."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    batch_size: int = typer.Option(256, "--batch-size", help="Mini-batch size."),
    seed: int = typer.Option(0, "--seed", help="Seed for split, initialisation and batches."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (default runs/hep-<model>; never overwritten)."),
    device: str = typer.Option("cpu", "--device", help="Where the network trains: cpu, cuda, cuda:N or auto (a GPU when there is one)."),
    stream: bool = typer.Option(False, "--stream", help="Jets larger than memory (mlp, Parquet/ROOT): read in chunks (row groups / --chunk-rows entries) through shuffle buffers, split by chunk."),
    chunk_rows: int = typer.Option(262144, "--chunk-rows", help="--stream, ROOT: entries per chunk (Parquet chunks are its row groups)."),
    buffer_chunks: int = typer.Option(4, "--buffer-chunks", help="--stream: chunks mixed in one shuffle buffer."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a jet tagger and write a run directory with HEP diagnostics."""
    from physnn.errors import check_choice, check_int
    from physnn.hep.classify import MODELS, train_tagger, write_tagger_run
    from physnn.hep.features import JET_FEATURES, PARTICLE_FEATURES, load_jets
    from physnn.train.loop import resolve_device

    resolve_device(device, owner="hep train")
    model = check_choice("--model", model, MODELS, owner="hep train")
    if n_particles is not None:
        check_int("--n-particles", n_particles, low=1, owner="hep train")
    set_model = model != "mlp"
    feats = _names(features, JET_FEATURES if not set_model else ())
    if stream:
        from physnn.data.stream import TableStream
        from physnn.hep.classify import train_tagger_stream

        if set_model or particles or weights:
            raise PhysnnError("hep train: --stream trains the mlp on flat jet features; leave out --model "
                              f"{model}, --particles and --weights (or train in memory).")
        check_int("--buffer-chunks", buffer_chunks, low=1, owner="hep train")
        table = TableStream(data, features=feats, target=label, tree=tree, chunk_rows=chunk_rows,
                            owner="hep train --stream")
        tagger = train_tagger_stream(table, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                                     progress=False if quiet else None, device=device, buffer_chunks=buffer_chunks)
        typer.echo(table.describe())
    else:
        check_int("--chunk-rows", chunk_rows, low=1, owner="hep train")
        tagger = None
    parts = _names(particles, PARTICLE_FEATURES if set_model else None)
    if set_model and not parts:
        raise PhysnnError(f"hep train: --model {model} needs constituent columns (--particles part_pt,part_deta,part_dphi).")
    if tagger is None:
        jets = load_jets(data if len(data) > 1 else data[0], features=feats, particles=parts, n_particles=n_particles,
                         label=label, weights=weights, tree=tree)
        tagger = train_tagger(jets, model=model, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                              jet_features=set_model and bool(feats), progress=False if quiet else None,
                              device=device)
    d = write_tagger_run(tagger, out or Path("runs") / f"hep-{model}", data=",".join(str(p) for p in data),
                         label=label)
    m = tagger.metrics
    counted = (f"{table.n_rows} jets" if stream else f"{len(jets)} jets ({int(jets.y.sum())} signal)")
    typer.echo(f"{counted}; train/val/test = "
               f"{m['n_train']}/{m['n_val']}/{m['n_test']}; stopped: {m['stop_reason']} after {m['epochs_run']} epochs")
    typer.echo(f"test AUC = {m['auc']:.4f} ± {m['auc_err']:.4f}")
    for e in ("0.3", "0.5"):
        r = m[f"rejection_at_{e}"]
        rej = f"{r['rejection']:.1f} ± {r['rejection_err'] or 0:.1f}" if r["rejection"] else f"> {r['rejection_lower_bound']:.0f}"
        typer.echo(f"1/eps_B at eps_S = {e}: {rej}  ({r['n_background_passing']} of {r['n_background']} background jets pass)")
    ot = m["overtraining"]
    typer.echo(f"KS test train vs test: p(signal) = {ot['ks_p_signal']:.3f}, p(background) = {ot['ks_p_background']:.3f}"
               + ("  -> possible overtraining" if ot["overtrained"] else ""))
    typer.echo(f"run written to {d}")


@app.command(epilog=(
    "Example:\n\n  physnn hep anomaly --data qcd.parquet --data top.parquet --decorrelate disco\n\n"
    "The autoencoder trains on background jets (label 0) of the training split only; signal jets "
    "(label 1) are used only for the test AUC.\n\n"
    "Then: physnn predict RUN jets.parquet --out scores.csv (score_anomaly, one row per jet), "
    "physnn export RUN --onnx anomaly.onnx, physnn show RUN."))
@writes(out="run")
def anomaly(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Jet file(s) with background (label 0) and signal (label 1)."),
    features: Optional[str] = typer.Option(None, "--features", help="Comma-separated jet features (default mass,tau1,tau2,tau3,tau4)."),
    label: str = typer.Option("label", "--label", help="The 0/1 label column."),
    tree: Optional[str] = typer.Option(None, "--tree", help="ROOT TTree name."),
    decorrelate: str = typer.Option("none", "--decorrelate", help="none, or disco (loss + lam * distance correlation of score and mass)."),
    lam: float = typer.Option(10.0, "--lam", help="DisCo weight."),
    latent: int = typer.Option(2, "--latent", help="Bottleneck size."),
    epochs: int = typer.Option(200, "--epochs", help="Maximum epochs (early stopping, patience 15)."),
    seed: int = typer.Option(0, "--seed"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (default runs/hep-anomaly)."),
    device: str = typer.Option("cpu", "--device", help="Where the autoencoder trains: cpu, cuda, cuda:N or auto."),
) -> None:
    """Train an autoencoder on background jets; report the anomaly AUC and the score-mass correlation."""
    from physnn.errors import check_int, check_range
    from physnn.hep.anomaly import ANOMALY_FEATURES, train_anomaly, write_anomaly_run
    from physnn.hep.features import load_jets
    from physnn.train.loop import resolve_device

    resolve_device(device, owner="hep anomaly")
    check_int("--seed", seed, low=0, owner="hep anomaly")
    check_range("--lam", lam, low=0.0, owner="hep anomaly")
    jets = load_jets(data if len(data) > 1 else data[0], features=_names(features, ANOMALY_FEATURES),
                     label=label, tree=tree)
    res = train_anomaly(jets, latent=latent, decorrelate=decorrelate, lam=lam, epochs=epochs, seed=seed,
                        device=device)
    d = write_anomaly_run(res, out or Path("runs") / "hep-anomaly", data=",".join(str(p) for p in data))
    m = res.metrics
    typer.echo(f"trained on {m['n_train_background']} background jets; test: {m['n_test']} jets "
               f"({m['n_test_signal']} signal)")
    typer.echo(f"anomaly AUC = {m['auc']:.4f} ± {m['auc_err']:.4f}  (decorrelation: {m['decorrelate']})")
    if "pearson_mass_score_background" in m:
        typer.echo(f"background score-mass correlation: Pearson {m['pearson_mass_score_background']:.3f}, "
                   f"dCor^2 {m['dcor2_mass_score_background']:.3f}")
    typer.echo(f"run written to {d}")
