"""``physnn cells``: synthetic microscopy, U-Net segmentation, tracking.

A typer sub-app, registered in :mod:`physnn.cli.app` with
``app.add_typer(cells.app, name="cells")``.  Each command is a thin layer over
:mod:`physnn.cells`; torch, scikit-image and matplotlib are imported inside the
commands so ``physnn --help`` stays fast.  Bad input raises
:class:`~physnn.errors.PhysnnError` (one line on stderr, exit code 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import command_group, writes

app = command_group(
    "cells",
    (
        "Computational biology: synthetic fluorescence microscopy, nucleus segmentation with a U-Net "
        "(trained on synthetic data only), tracking in time-lapses.\n\n"
        "Start with:  physnn cells generate data/hard --n 4\n\n"
        "then:        physnn cells train runs/unet   ·   physnn cells segment runs/unet IMAGE.tif --mask MASK.tif"
        "   ·   physnn cells track runs/track"
    ),
)


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), disable=not enabled)


@app.command(epilog=(
    "Examples:\n\n"
    "  physnn cells generate data/hard --n 8 --size 256             # images/img000.tif, masks/mask000.tif\n\n"
    "  physnn cells generate data/easy --preset easy --n 8\n\n"
    "  physnn cells generate data/tl --timelapse --frames 30 --size 128   # CTC layout: 01/t000.tif, 01_GT/TRA, 01_GT/SEG"
))
@writes(out="dir")
def generate(
    out: Path = typer.Argument(..., help="Output directory (created)."),
    n: int = typer.Option(4, "--n", "-n", help="Number of images."),
    size: int = typer.Option(256, "--size", help="Image side in pixels."),
    preset: str = typer.Option("hard", "--preset", help="hard (dense, ~25 photons) or easy."),
    seed: int = typer.Option(0, "--seed", help="Image i uses seed SEED*100003 + i."),
    timelapse: bool = typer.Option(False, "--timelapse", help="One time-lapse in the Cell Tracking Challenge layout instead."),
    frames: int = typer.Option(30, "--frames", help="Frames of the time-lapse."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Write synthetic fluorescence images (uint16 TIFF) with their instance masks."""
    from physnn.cells.io import write_tiff
    from physnn.cells.synth import generate as gen
    from physnn.cells.synth import generate_timelapse
    from physnn.cells.track import write_ctc
    from physnn.errors import check_int

    n = check_int("n", n, low=1, owner="cells generate")
    out.mkdir(parents=True, exist_ok=True)
    if timelapse:
        tl = generate_timelapse(frames, size, preset=preset, seed=seed)
        with _progress(not quiet and sys.stderr.isatty()) as prog:
            task = prog.add_task("frames", total=tl.frames.shape[0])
            (out / "01").mkdir(exist_ok=True)
            for t in range(tl.frames.shape[0]):
                write_tiff(out / "01" / f"t{t:03d}.tif", tl.frames[t])
                prog.advance(task)
        write_ctc(out / "01_GT", tl.labels, tl.tracks, kind="truth")
        n_div = int((tl.tracks[:, 3] > 0).sum())
        typer.echo(f"wrote {tl.frames.shape[0]} frames, {len(tl.tracks)} tracks ({n_div} daughters) to {out}")
        return
    (out / "images").mkdir(exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    total = 0
    with _progress(not quiet and sys.stderr.isatty()) as prog:
        task = prog.add_task("images", total=n)
        for i in range(n):
            s = gen(size, preset=preset, seed=seed * 100003 + i)
            write_tiff(out / "images" / f"img{i:03d}.tif", s.image)
            write_tiff(out / "masks" / f"mask{i:03d}.tif", s.labels.astype("uint16"))
            total += int(s.labels.max())
            prog.advance(task)
    typer.echo(f"wrote {n} images with {total} nuclei to {out}/images and {out}/masks")


@app.command(epilog=(
    "Examples:\n\n"
    "  physnn cells train runs/unet                       # ~40x25 steps; ~4-10 CPU minutes\n\n"
    "  physnn cells train runs/quick --epochs 3 --steps 5 --n-train 8\n\n"
    "Training images are synthetic with settings drawn at random per image (domain randomisation); the run is "
    "scored on held-out hard and easy synthetic sets and on the real DSB2018 image shipped with stardist, "
    "beside Otsu + watershed."
))
@writes(out="run")
def train(
    out: Path = typer.Argument(..., help="Run directory (never overwritten: -2, -3... are appended)."),
    n_train: int = typer.Option(48, "--n-train", help="Synthetic training images."),
    size: int = typer.Option(192, "--size", help="Training image side."),
    epochs: int = typer.Option(80, "--epochs", help="Epochs of --steps steps (80: the measured setting, ~470 CPU s)."),
    steps: int = typer.Option(25, "--steps", help="Mini-batches per epoch."),
    crop: int = typer.Option(96, "--crop", help="Random crop size of the training batches."),
    batch_size: int = typer.Option(8, "--batch-size"),
    depth: int = typer.Option(3, "--depth", help="U-Net poolings."),
    base: int = typer.Option(16, "--base", help="U-Net width of the first level."),
    lr: float = typer.Option(2e-3, "--lr"),
    seed: int = typer.Option(0, "--seed"),
    n_test: int = typer.Option(8, "--n-test", help="Held-out synthetic test images per preset."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a 3-class U-Net (background / interior / boundary) on synthetic images and score it."""
    from physnn.cells.runs import train_segmentation_run

    m = train_segmentation_run(out, n_train=n_train, size=size, epochs=epochs, steps=steps, crop=crop,
                               batch_size=batch_size, depth=depth, base=base, lr=lr, seed=seed, n_test=n_test,
                               progress=False if quiet else None)
    typer.echo(f"run: {m['directory']}  (training {m['train_cpu_s']:.0f} CPU s, {m['train_wall_s']:.0f} wall s, "
               f"load {m['loadavg']:.1f})")
    typer.echo(f"{'test set':10s} {'U-Net AP@0.5':>13s} {'Otsu+ws AP@0.5':>15s}")
    for s in ("hard", "easy", "dsb"):
        if f"{s}/unet" in m:
            typer.echo(f"{s:10s} {m[f'{s}/unet']['ap50']:13.3f} {m[f'{s}/otsu_watershed']['ap50']:15.3f}")


@app.command(epilog=(
    "Examples:\n\n"
    "  physnn cells segment runs/unet image.tif --out labels.tif\n\n"
    "  physnn cells segment runs/unet image.tif --mask truth.tif     # prints AP at IoU 0.5..0.9\n\n"
    "  physnn cells segment baseline image.png --mask truth.png      # Otsu + watershed, no model\n\n"
    "  physnn cells segment runs/unet dsb                           # the real DSB2018 image shipped with stardist"
))
@writes(out="file", figure="file")
def segment(
    run: str = typer.Argument(..., help="A run directory from 'physnn cells train', or 'baseline' for Otsu + watershed."),
    image: str = typer.Argument(..., help="A TIFF/PNG image, or 'dsb' for the DSB2018 example (its mask is used)."),
    mask: Optional[Path] = typer.Option(None, "--mask", "-m", help="Truth instance mask: score the result."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the instance mask as a uint16 TIFF."),
    figure: Optional[Path] = typer.Option(None, "--figure", help="Write an overlay PNG."),
) -> None:
    """Segment nuclei in one image; with a truth mask, print AP, F1, mean IoU and Dice."""
    from physnn.cells.io import dsb2018_example, read_image, read_mask, write_tiff
    from physnn.cells.metrics import THRESHOLDS, dice, matching_dataset
    from physnn.cells.segment import load_model, otsu_watershed
    from physnn.cells.segment import segment as seg

    truth = None
    if image.lower() == "dsb":
        img, truth = dsb2018_example()
    else:
        img = read_image(image)
    if mask is not None:
        truth = read_mask(mask, shape=img.shape)
    if run.lower() == "baseline":
        pred = otsu_watershed(img)
    else:
        pred = seg(load_model(run), img)
    typer.echo(f"{int(pred.max())} nuclei found")
    if out is not None:
        write_tiff(out, pred.astype("uint16"))
    if truth is not None:
        from physnn.cells.io import check_labels

        check_labels("mask", truth, allow_empty=False, owner="cells segment")
        ms = matching_dataset([truth], [pred], THRESHOLDS)
        typer.echo("AP: " + "  ".join(f"{t:.2f}: {m.ap:.3f}" for t, m in ms.items()))
        m5 = ms[0.5]
        typer.echo(f"AP@0.5 = {m5.ap:.3f}, F1 = {m5.f1:.3f}, mean matched IoU = {m5.mean_iou:.3f}, "
                   f"Dice = {dice(truth, pred):.3f} (truth {m5.n_true}, predicted {m5.n_pred})")
    if figure is not None:
        from physnn.cells.figures import overlay_figure
        from physnn.viz.plots import save_figure

        save_figure(overlay_figure(img, truth, {"prediction": pred}), figure)


@app.command(epilog=(
    "Examples:\n\n"
    "  physnn cells track runs/track                         # link the true masks (tests the linker)\n\n"
    "  physnn cells track runs/track2 --segment baseline     # segment each frame with Otsu + watershed first\n\n"
    "  physnn cells track runs/track3 --segment runs/unet    # ... or with a trained U-Net\n\n"
    "Writes the Cell Tracking Challenge layout (01_GT/TRA, 01_GT/SEG, 01_RES) and scores TRA and SEG with py-ctcmetrics."
))
@writes(out="dir")
def track(
    out: Path = typer.Argument(..., help="Output directory."),
    frames: int = typer.Option(30, "--frames"),
    size: int = typer.Option(128, "--size"),
    preset: str = typer.Option("easy", "--preset", help="Imaging preset of the time-lapse."),
    seed: int = typer.Option(0, "--seed"),
    segment_with: str = typer.Option("truth", "--segment", help="'truth' (true masks), 'baseline' (Otsu + watershed) or a U-Net run directory."),
    max_distance: float = typer.Option(10.0, "--max-distance", help="Largest frame-to-frame displacement after drift correction [px]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Generate a synthetic time-lapse, segment it, link nuclei into tracks, export CTC and score TRA/SEG."""
    import numpy as np

    from physnn.cells.segment import load_model, otsu_watershed
    from physnn.cells.segment import segment as seg
    from physnn.cells.synth import generate_timelapse
    from physnn.cells.track import ctc_scores, link, write_ctc
    from physnn.files import write_json

    tl = generate_timelapse(frames, size, preset=preset, seed=seed)
    if segment_with.lower() == "truth":
        labels = tl.labels
    else:
        fn = otsu_watershed if segment_with.lower() == "baseline" else (lambda im, m=load_model(segment_with): seg(m, im))
        labs = []
        with _progress(not quiet and sys.stderr.isatty()) as prog:
            task = prog.add_task("segmenting", total=tl.frames.shape[0])
            for t in range(tl.frames.shape[0]):
                labs.append(fn(tl.frames[t]))
                prog.advance(task)
        labels = np.stack(labs)
    res = link(labels, max_distance=max_distance)
    out.mkdir(parents=True, exist_ok=True)
    write_ctc(out / "01_GT", tl.labels, tl.tracks, kind="truth")
    write_ctc(out / "01_RES", res.labels, res.tracks, kind="result")
    scores = ctc_scores(out / "01_RES", out / "01_GT")
    write_json(out / "scores.json", {**scores, "tracks": len(res.tracks), "divisions": res.divisions,
                                     "true_tracks": len(tl.tracks), "segment": segment_with})
    from physnn.cells.figures import tracks_figure
    from physnn.viz.plots import save_figure

    save_figure(tracks_figure(tl.frames, res.labels, res.tracks, title=f"{len(res.tracks)} tracks"), out / "tracks.png")
    typer.echo(f"{len(res.tracks)} tracks ({res.divisions} divisions) vs {len(tl.tracks)} true; "
               + ", ".join(f"{k} = {v:.4f}" for k, v in scores.items()))
