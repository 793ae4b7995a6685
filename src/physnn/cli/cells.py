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
        "Computational biology: nucleus segmentation with a U-Net that ships with physnn (trained on synthetic "
        "data only), nuclei of any size (the size is estimated per image), tracking of your own time-lapses, "
        "fine-tuning on your own annotated images, synthetic fluorescence microscopy.\n\n"
        "Your images:  physnn cells segment IMAGE.tif [MORE.tif | FOLDER] --out masks/\n\n"
        "Time-lapse:   physnn cells track STACK.tif|FRAMES/ --out res/   (CTC layout: mask000.tif, res_track.txt)\n\n"
        "Fine-tune:    physnn cells train --images imgs/ --masks masks/ --out runs/mine   then --model runs/mine\n\n"
        "The bundled U-Net is rebuilt (same seed, same weights) by:  "
        "python -m physnn.cells.pretrained --out src/physnn/cells/pretrained"
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
    "  physnn cells train --images imgs/ --masks masks/ --out runs/mine     # fine-tune the bundled U-Net\n\n"
    "  physnn cells train --images imgs/ --masks masks/ --model runs/mine --out runs/mine2\n\n"
    "  physnn cells train --out runs/unet                    # from scratch on synthetic images (~8 CPU minutes)\n\n"
    "  physnn cells train --out runs/quick --epochs 3 --steps 5 --n-train 8\n\n"
    "--images/--masks: one instance mask (label image: 0 background, 1..n nuclei) per image, paired in sorted "
    "file-name order; each pair is resized so that its nuclei have the model's training diameter. Without "
    "them the U-Net is trained from scratch on synthetic images (settings drawn at random per image) and "
    "scored on held-out synthetic sets and the real DSB2018 image shipped with stardist, beside Otsu + watershed."
))
@writes(out="run")
def train(
    out: Path = typer.Option(Path("runs/cells"), "--out", "-o",
                             help="Run directory (never overwritten: -2, -3... are appended)."),
    images: Optional[Path] = typer.Option(None, "--images", help="Folder of your images (TIFF/PNG): fine-tune."),
    masks: Optional[Path] = typer.Option(None, "--masks", help="Folder of their instance masks (with --images)."),
    model: Optional[Path] = typer.Option(None, "--model", help="With --images: the run to fine-tune "
                                         "(default: the bundled U-Net)."),
    n_train: int = typer.Option(48, "--n-train", help="Synthetic training images (without --images)."),
    size: int = typer.Option(192, "--size", help="Synthetic training image side."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs of --steps steps (default 80 synthetic, "
                                         "~470 CPU s; 20 fine-tuning)."),
    steps: Optional[int] = typer.Option(None, "--steps", help="Mini-batches per epoch (default 25; 10 fine-tuning)."),
    crop: int = typer.Option(96, "--crop", help="Random crop size of the training batches."),
    batch_size: int = typer.Option(8, "--batch-size"),
    depth: int = typer.Option(3, "--depth", help="U-Net poolings (synthetic training)."),
    base: int = typer.Option(16, "--base", help="U-Net width of the first level (synthetic training)."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate (default 2e-3; 5e-4 fine-tuning)."),
    seed: int = typer.Option(0, "--seed"),
    n_test: int = typer.Option(8, "--n-test", help="Held-out synthetic test images per preset (synthetic training)."),
    device: str = typer.Option("cpu", "--device", help="Where the U-Net trains: cpu, cuda, cuda:N or auto (a GPU when there is one)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a 3-class U-Net (background / interior / boundary): fine-tune on your images, or on synthetic ones."""
    from physnn.errors import PhysnnError
    from physnn.train.loop import resolve_device

    resolve_device(device, owner="cells train")
    if (images is None) != (masks is None):
        raise PhysnnError("cells train: --images and --masks go together (a folder of images and a folder of "
                          "their instance masks); give both, or neither to train on synthetic images.")
    if images is not None:
        from physnn.cells.runs import finetune_run

        m = finetune_run(out, images, masks, model=model, epochs=20 if epochs is None else epochs, steps=10 if steps is None else steps, crop=crop,
                         batch_size=batch_size, lr=5e-4 if lr is None else lr, seed=seed, progress=False if quiet else None,
                         unique=False, device=device)
        typer.echo(f"run: {m['directory']}  (fine-tuned on {m['n_train']} images, {m['train_cpu_s']:.0f} CPU s)")
        if "val_ap50_after" in m:
            typer.echo(f"AP@0.5 on {m['n_val']} held-out images: {m['val_ap50_before']:.3f} before, "
                       f"{m['val_ap50_after']:.3f} after")
        return
    if model is not None:
        raise PhysnnError("cells train: --model is the run to fine-tune and needs --images and --masks; "
                          "leave it out to train from scratch on synthetic images.")
    from physnn.cells.runs import train_segmentation_run

    m = train_segmentation_run(out, n_train=n_train, size=size, epochs=80 if epochs is None else epochs,
                               steps=25 if steps is None else steps, crop=crop,
                               batch_size=batch_size, depth=depth, base=base, lr=2e-3 if lr is None else lr, seed=seed, n_test=n_test,
                               progress=False if quiet else None, unique=False, device=device)
    typer.echo(f"run: {m['directory']}  (training {m['train_cpu_s']:.0f} CPU s, {m['train_wall_s']:.0f} wall s, "
               f"load {m['loadavg']:.1f})")
    typer.echo(f"{'test set':10s} {'U-Net AP@0.5':>13s} {'Otsu+ws AP@0.5':>15s}")
    for s in ("hard", "easy", "dsb", "dsb_x2"):
        if f"{s}/unet" in m:
            unet = m.get(f"{s}/unet_any_size", m[f"{s}/unet"]) if s == "dsb_x2" else m[f"{s}/unet"]
            typer.echo(f"{s:10s} {unet['ap50']:13.3f} {m[f'{s}/otsu_watershed']['ap50']:15.3f}")


def _segmenter(model: Optional[str]):
    """``(name, model, state)``: 'baseline' (Otsu + watershed), a run, or the bundled U-Net (None)."""
    if model is not None and model.lower() == "baseline":
        return "Otsu + watershed", None, None
    from physnn.cells.segment import load_run

    net, state = load_run(model)
    return (model or "bundled U-Net"), net, state


def _baseline(image, diameter):
    """Otsu + watershed; with a diameter, its smoothing and seed distance scaled to it."""
    from physnn.cells.segment import otsu_watershed

    if diameter is None:
        return otsu_watershed(image)
    return otsu_watershed(image, sigma=max(1.0, diameter / 20), min_distance=max(3, int(diameter / 4)),
                          min_size=max(15, int(0.05 * diameter**2)))


@app.command(epilog=(
    "Examples:\n\n"
    "  physnn cells segment image.tif --out masks/                  # the bundled U-Net; masks/image.tif\n\n"
    "  physnn cells segment imgs/ more.png --out masks/ --diameter 40   # every image of a folder; nuclei ~40 px\n\n"
    "  physnn cells segment image.tif --out lab.tif --mask truth.tif  # prints AP at IoU 0.5..0.9\n\n"
    "  physnn cells segment image.tif --model runs/mine --out masks/  # your own (fine-tuned) run\n\n"
    "  physnn cells segment image.png --model baseline --mask truth.png   # Otsu + watershed, no network\n\n"
    "  physnn cells segment dsb                                      # the real DSB2018 image shipped with stardist\n\n"
    "The nucleus size is estimated per image (Otsu's foreground, then the U-Net's own objects) and the image "
    "is resized to the model's training scale; the masks come back at the image's size."
))
@writes(out="dir", figure="file")
def segment(
    images: list[str] = typer.Argument(..., help="TIFF/PNG images or folders of them; 'dsb' for the DSB2018 example."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the masks (NAME.tif, uint16); "
                                       "FILE.tif for one image."),
    model: Optional[str] = typer.Option(None, "--model", help="A run from 'physnn cells train', or 'baseline' "
                                        "(Otsu + watershed); default: the bundled U-Net."),
    diameter: Optional[float] = typer.Option(None, "--diameter", help="Nucleus diameter in pixels "
                                             "(default: estimated from each image)."),
    mask: Optional[Path] = typer.Option(None, "--mask", "-m", help="Truth instance mask (one image): score it."),
    figure: Optional[Path] = typer.Option(None, "--figure", help="Write an overlay PNG (one image)."),
) -> None:
    """Segment the nuclei of your images into instance masks (uint16 TIFF), nuclei of any size."""
    from physnn.cells.io import check_image_file, check_labels, dsb2018_example, read_image, read_mask, write_tiff
    from physnn.cells.runs import image_files
    from physnn.cells.scale import check_diameter
    from physnn.cells.segment import choose_scale, segment_image
    from physnn.errors import PhysnnError

    diameter = check_diameter(diameter, owner="cells segment")
    inputs: list[tuple[str, object, object]] = []  # (name, image or its path (read when its turn comes), truth)
    for item in images:
        if item.lower() == "dsb" and not Path(item).exists():
            img, truth = dsb2018_example()
            inputs.append(("dsb2018", img, truth))
        elif Path(item).is_dir():
            inputs += [(f.stem, check_image_file(f, owner="cells segment"), None)
                       for f in image_files(item, owner="cells segment")]
        else:
            inputs.append((Path(item).stem, check_image_file(item, owner="cells segment"), None))
    if len(inputs) == 1 and isinstance(inputs[0][1], Path):
        inputs[0] = (inputs[0][0], read_image(inputs[0][1]), inputs[0][2])
    if (mask is not None or figure is not None) and len(inputs) > 1:
        raise PhysnnError(f"cells segment: --mask and --figure take one image; got {len(inputs)}.")
    names = [n for n, _, _ in inputs]
    if out is not None and len(set(names)) < len(names):
        raise PhysnnError(f"cells segment: two images are named alike ({sorted(names)}); their masks would "
                          "overwrite each other in --out. Rename one or run twice.")
    if mask is not None:
        inputs[0] = (inputs[0][0], inputs[0][1], read_mask(mask, shape=inputs[0][1].shape))
    single_file = out is not None and out.suffix.lower() in (".tif", ".tiff")
    if single_file and len(inputs) > 1:
        raise PhysnnError(f"cells segment: --out {out} is one file but there are {len(inputs)} images; "
                          "give a folder.")
    name, net, state = _segmenter(model)
    for stem, img, truth in inputs:
        if isinstance(img, Path):
            img = read_image(img)
        if net is None:
            d, how = diameter, "given" if diameter else "not used"
            pred = _baseline(img, diameter)
        else:
            factor, d = choose_scale(net, img, train_diameter=state["diameter"], diameter=diameter)
            how = "given" if diameter else "estimated"
            pred = segment_image(net, img, train_diameter=state["diameter"], factor=factor)
        size = f"diameter {d:.1f} px ({how})" if d else "no size"
        typer.echo(f"{stem}: {int(pred.max())} nuclei found ({name}; {size})")
        if out is not None:
            target = out if single_file else out / f"{stem}.tif"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_tiff(target, pred.astype("uint16"))
        if truth is not None:
            from physnn.cells.metrics import THRESHOLDS, dice, matching_dataset

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
    if out is not None:
        typer.echo(f"masks written to {out}")


@app.command(epilog=(
    "Examples:\n\n"
    "  physnn cells track stack.tif --out res/                 # a multi-page TIFF, the bundled U-Net\n\n"
    "  physnn cells track frames/ --out res/ --diameter 30     # a folder of frames (sorted by name)\n\n"
    "  physnn cells track stack.tif --out res/ --model runs/mine --max-distance 25\n\n"
    "  physnn cells generate data/tl --timelapse && physnn cells track data/tl/01 --out data/tl/01_RES "
    "--truth data/tl/01_GT\n\n"
    "Writes the Cell Tracking Challenge result layout: OUT/mask000.tif ... (uint16, label = track id) and "
    "OUT/res_track.txt (lines 'L B E P': label, first frame, last frame, parent). With --truth (a CTC "
    "ground-truth folder with TRA/) it prints and writes OUT/scores.json: detection and link recall, and TRA/SEG "
    "from py-ctcmetrics."
))
@writes(out="dir", figure="file")
def track(
    stack: Path = typer.Argument(..., help="A multi-page TIFF (T, H, W) or a folder of one image per frame."),
    out: Path = typer.Option(..., "--out", "-o", help="Result folder (CTC layout)."),
    model: Optional[str] = typer.Option(None, "--model", help="A run from 'physnn cells train', or 'baseline' "
                                        "(Otsu + watershed); default: the bundled U-Net."),
    diameter: Optional[float] = typer.Option(None, "--diameter", help="Nucleus diameter in pixels "
                                             "(default: estimated on the middle frame)."),
    max_distance: Optional[float] = typer.Option(None, "--max-distance", help="Largest frame-to-frame displacement "
                                                 "after drift correction [px] (default: half the diameter)."),
    truth: Optional[Path] = typer.Option(None, "--truth", help="CTC ground truth (folder with TRA/): score the result."),
    figure: Optional[Path] = typer.Option(None, "--figure", help="Write a PNG of the tracks."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Track the nuclei of your own time-lapse: segment every frame, link them, write the CTC result layout."""
    from physnn.cells.track import (
        DIVISION_DISTANCE_PER_D, MAX_DISTANCE_PER_D, link, read_ctc_truth, read_stack, segment_stack, track_recalls,
        write_ctc,
    )
    from physnn.errors import check_range

    from physnn.cells.scale import check_diameter

    diameter = check_diameter(diameter, owner="cells track")
    if max_distance is not None:
        max_distance = check_range("max_distance", max_distance, low=0.0, low_inclusive=False, owner="cells track")
    frames = read_stack(stack)
    gt = read_ctc_truth(truth) if truth is not None else None
    if gt is not None and gt[0].shape != frames.shape:
        from physnn.errors import PhysnnError

        raise PhysnnError(f"cells track: the truth in {truth} has shape {gt[0].shape} but the time-lapse "
                          f"{frames.shape}; give the ground truth of this sequence.")
    name, net, state = _segmenter(model)
    with _progress(not quiet and sys.stderr.isatty()) as prog:
        task = prog.add_task("segmenting", total=frames.shape[0])
        if net is None:
            import numpy as np

            labels = []
            for t in range(frames.shape[0]):
                labels.append(_baseline(frames[t], diameter))
                prog.advance(task)
            labels = np.stack(labels)
            d = diameter or 22.0
        else:
            labels, d = segment_stack(net, frames, train_diameter=state["diameter"], diameter=diameter,
                                      progress=lambda: prog.advance(task))
    res = link(labels, max_distance=max_distance or MAX_DISTANCE_PER_D * d,
               division_distance=DIVISION_DISTANCE_PER_D * d)
    write_ctc(out, res.labels, res.tracks, kind="result")
    typer.echo(f"{frames.shape[0]} frames, nucleus diameter {d:.1f} px; {len(res.tracks)} tracks "
               f"({res.divisions} divisions) with {name}; written to {out}/mask*.tif and res_track.txt")
    if figure is not None:
        from physnn.cells.figures import tracks_figure
        from physnn.viz.plots import save_figure

        save_figure(tracks_figure(frames, res.labels, res.tracks, title=f"{len(res.tracks)} tracks"), figure)
    if gt is not None:
        from physnn.files import write_json

        scores = track_recalls(res.labels, res.tracks, *gt)
        try:
            from physnn.cells.track import ctc_scores

            scores.update(ctc_scores(out, truth))
        except Exception as exc:  # noqa: BLE001 - py-ctcmetrics missing or failing: the recalls still stand
            scores["ctc_error"] = f"{type(exc).__name__}: {exc}"
        write_json(out / "scores.json", {**scores, "tracks": len(res.tracks), "divisions": res.divisions,
                                         "true_tracks": len(gt[1]), "model": name, "diameter": d})
        typer.echo(", ".join(f"{k} = {v:.4f}" for k, v in scores.items() if isinstance(v, float)))
