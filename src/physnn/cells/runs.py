"""Segmentation runs on disk: train a U-Net (on synthetic images, or fine-tune on the user's), predict, export.

A run directory (kind ``segmentation``, written through :mod:`physnn.rundir`; every file atomically)::

    config.toml         the settings of the run (repeat it with the same numbers)
    model.safetensors   the U-Net weights (best val_ap50 epoch when there is validation data)
    state.json          the UNet config, target encoding, normalisation, the training scale ``diameter``
                        [px], the data it was trained on; provenance (versions, seed, command, commit)
    history.csv         per epoch: loss, val_loss, val_ap50, lr, time
    metrics.json        synthetic runs: AP@0.5..0.9, F1, mean IoU, Dice on held-out hard and easy synthetic
                        sets and the real DSB2018 image, for the U-Net and for Otsu + watershed; CPU seconds.
                        Fine-tuned runs: AP on the held-out validation images before and after
    figures/            loss.png (synthetic runs also overlay_hard.png, overlay_dsb.png, ap_curve.png)

Synthetic test images never overlap training or validation images: the seeds are
disjoint (training 50000+, validation 20000+, test 10000+), and the real image is
never trained on.  :func:`finetune_run` starts from the bundled U-Net
(:mod:`physnn.cells.pretrained`) or another run and trains on the user's own
annotated images (instance masks as label images), each resized so that its
nuclei (measured on its mask) have the run's training diameter.

``RUN_KIND`` is how ``physnn predict``, ``physnn export`` and ``physnn show`` work
on these runs: predict writes instance masks (uint16 TIFF) for an image or a
folder of images; export writes the network with its normalisation in front and
the softmax behind (probabilities of background, interior, boundary).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_int, check_range
from physnn.rundir import RunKind

__all__ = ["train_segmentation_run", "finetune_run", "write_segmentation_run", "test_sets", "score_methods",
           "read_image_folder", "image_files", "RUN_KIND"]

KIND = "segmentation"

_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg")


def test_sets(n: int = 8, size: int = 256, *, seed: int = 0) -> dict[str, tuple[list[np.ndarray], list[np.ndarray]]]:
    """Held-out evaluation sets: ``hard`` and ``easy`` synthetic (seeds 10000+), and ``dsb`` (the real image, if available)."""
    from physnn.cells.synth import generate

    out: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for preset in ("hard", "easy"):
        ss = [generate(size, preset=preset, seed=10000 + 1000 * seed + i) for i in range(n)]
        out[preset] = ([s.image for s in ss], [s.labels for s in ss])
    try:
        from physnn.cells.io import dsb2018_example

        img, mask = dsb2018_example()
        out["dsb"] = ([img], [mask])
    except Exception:  # noqa: BLE001 - stardist not installed: no real image, say so in the metrics
        pass
    return out


def score_methods(methods: dict[str, Any], sets: dict[str, tuple[list, list]]) -> dict[str, dict[str, Any]]:
    """``{set: {method: scores}}`` with :func:`physnn.cells.segment.evaluate_segmenter` (predictions kept as ``_predictions``)."""
    from physnn.cells.segment import evaluate_segmenter

    res: dict[str, dict[str, Any]] = {}
    for sname, (imgs, masks) in sets.items():
        res[sname] = {}
        for mname, fn in methods.items():
            r = evaluate_segmenter(fn, imgs, masks)
            res[sname][mname] = {k: v for k, v in r.items() if k != "predictions"}
            res[sname][mname]["_predictions"] = r["predictions"]
    return res


def _config_toml(settings: dict[str, Any], table: str) -> str:
    import tomli_w

    clean = {k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v)
             for k, v in settings.items() if v is not None}
    return f"# physnn {table.replace('_', ' ')}: the settings of this run\n" + tomli_w.dumps({table: clean})


def write_segmentation_run(directory: str | Path, model: Any, history: Any, *, settings: dict[str, Any],
                           table: str, seed: int, diameter: float, metrics: dict[str, Any],
                           state: dict[str, Any] | None = None, figures: bool = True,
                           command: str | None = None) -> Path:
    """Write the files of a segmentation run into ``directory`` (made by the caller); return it."""
    from physnn.cells.segment import save_model
    from physnn.files import write_text
    from physnn.rundir import write_metrics

    d = Path(directory)
    (d / "figures").mkdir(parents=True, exist_ok=True)
    write_text(d / "config.toml", _config_toml(settings, table))
    history.to_csv(d / "history.csv")
    write_metrics(d, metrics)
    if figures:
        from physnn.viz.plots import plot_history, save_figure

        fig = plot_history(history)
        save_figure(fig.figure if hasattr(fig, "figure") else fig, d / "figures" / "loss.png")
    save_model(model, d, diameter=diameter, seed=seed, extra=state, command=command)  # state.json last: the run is finished
    return d


def _scores_to_metrics(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sname, per in scores.items():
        for mname, r in per.items():
            out[f"{sname}/{mname}"] = {k: (v if not isinstance(v, dict) else {str(t): a for t, a in v.items()})
                                       for k, v in r.items() if not k.startswith("_")}
    return out


def train_segmentation_run(
    directory: str | Path, *, n_train: int = 48, size: int = 192, n_val: int = 4, epochs: int = 80,
    steps: int = 25, crop: int = 96, batch_size: int = 8, depth: int = 3, base: int = 16, lr: float = 2e-3,
    seed: int = 0, n_test: int = 8, progress: bool | None = None, figures: bool = True,
    training: str = "domain", unique: bool = True, command: str | None = None, device: str = "cpu",
) -> dict[str, Any]:
    """Train a 3-class U-Net on domain-randomised synthetic images and write a run directory.

    ``training`` picks the synthetic training images: ``"domain"``
    (:func:`physnn.cells.segment.training_set`), ``"wide"``
    (:func:`physnn.cells.pretrained.wide_training_set`) or ``"touching"``
    (:func:`physnn.cells.pretrained.touching_training_set`, the bundled model's).
    Returns the metrics written to ``metrics.json``, with ``directory`` added.  CPU
    seconds are ``time.process_time`` of this process (one torch thread); wall seconds
    and the load average are recorded beside them.
    """
    from physnn.cells.scale import equivalent_diameter
    from physnn.cells.segment import otsu_watershed, segment, segment_image, train_unet, training_set
    from physnn.cells.synth import generate
    from physnn.errors import check_choice
    from physnn.rundir import create_run_dir

    owner = "train_segmentation_run"
    n_train = check_int("n_train", n_train, low=1, owner=owner)
    training = check_choice("training", training, ("domain", "wide", "touching"), owner=owner)
    settings = dict(training=training, n_train=n_train, size=size, n_val=n_val, epochs=epochs, steps=steps,
                    crop=crop, batch_size=batch_size, depth=depth, base=base, lr=lr, seed=seed, n_test=n_test)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if training in ("wide", "touching"):
        from physnn.cells.pretrained import touching_training_set, wide_training_set

        make = wide_training_set if training == "wide" else touching_training_set
        X, Y = make(n_train, size, seed=seed)
    else:
        X, Y = training_set(n_train, size, seed=seed)
    diameter = float(np.median([d for d in (equivalent_diameter(y) for y in Y) if d is not None]))
    vs = [generate(128, preset="hard", seed=20000 + 1000 * seed + i) for i in range(n_val)]
    model, history = train_unet(X, Y, val_images=[s.image for s in vs] or None,
                                val_masks=[s.labels for s in vs] or None, depth=depth, base=base, epochs=epochs,
                                steps=steps, crop=crop, batch_size=batch_size, lr=lr, seed=seed, progress=progress,
                                device=device)
    train_cpu, train_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    sets = test_sets(n_test, 256, seed=seed) if n_test > 0 else {}
    methods = {"unet": lambda im: segment(model, im), "otsu_watershed": otsu_watershed,
               "unet_no_size_prior": lambda im: segment(model, im, min_rel_size=0.0)}
    if "dsb" in sets:  # the real image at twice its scale (nuclei ~40 px), no size hint: the rescaling at work
        from physnn.cells.scale import resize_labels

        img, mask = sets["dsb"][0][0], sets["dsb"][1][0]
        big = np.kron(img.astype(np.float32), np.ones((2, 2), np.float32))
        sets["dsb_x2"] = ([big], [resize_labels(mask, big.shape)])
        methods["unet_any_size"] = lambda im: segment_image(model, im, train_diameter=diameter)
    scores = score_methods(methods, sets)
    metrics: dict[str, Any] = {
        "train_cpu_s": train_cpu, "train_wall_s": train_wall, "loadavg": os.getloadavg()[0],
        "epochs_run": history.epochs_run, "best_epoch": history.best_epoch, "best_val_ap50": history.best_value,
        "n_steps": epochs * steps, "threads": 1, "diameter": diameter,
        **_scores_to_metrics(scores),
    }
    d = create_run_dir(directory, unique=unique)
    write_segmentation_run(d, model, history, settings=settings, table="cells_train", seed=seed,
                           diameter=diameter, metrics=metrics,
                           state={"data": f"synthetic ({training}), {n_train} images of {size} px"},
                           figures=figures, command=command)
    if figures and scores:
        from physnn.cells.figures import ap_curve_figure, overlay_figure
        from physnn.viz.plots import save_figure

        for sname in ("hard", "dsb"):
            if sname not in scores:
                continue
            imgs, masks = sets[sname]
            preds = {m: scores[sname][m]["_predictions"][0] for m in ("unet", "otsu_watershed")}
            title = " · ".join(f"{m}: AP@0.5 = {scores[sname][m]['ap50']:.2f}" for m in preds)
            save_figure(overlay_figure(imgs[0], masks[0], preds, title=title), d / "figures" / f"overlay_{sname}.png")
        curves = {f"{m} ({s})": scores[s][m]["ap"] for s in ("hard", "dsb") if s in scores
                  for m in ("unet", "otsu_watershed")}
        save_figure(ap_curve_figure(curves), d / "figures" / "ap_curve.png")
    metrics["directory"] = str(d)
    return metrics


# ---------------------------------------------------------------- the user's own images

def image_files(folder: str | Path, *, owner: str, what: str = "images") -> list[Path]:
    """The image files (TIFF/PNG/JPEG) of a folder, sorted by name; a PhysnnError when there are none."""
    d = Path(folder)
    if not d.is_dir():
        state = "is a file, not a folder" if d.exists() else "does not exist"
        raise PhysnnError(f"{owner}: the {what} folder {str(d)!r} {state}; give a folder of TIFF/PNG images.")
    files = sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
    if not files:
        raise PhysnnError(f"{owner}: the {what} folder {str(d)!r} has no images (.tif, .tiff, .png, .jpg); "
                          "put one image per file there.")
    return files


def read_image_folder(images: str | Path, masks: str | Path, *, owner: str) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """Images and their instance masks from two folders, paired in sorted order (``img000.tif`` ↔ ``mask000.tif``)."""
    from physnn.cells.io import read_image, read_mask

    fi = image_files(images, owner=owner, what="images")
    fm = image_files(masks, owner=owner, what="masks")
    if len(fi) != len(fm):
        raise PhysnnError(f"{owner}: {len(fi)} images in {str(images)!r} but {len(fm)} masks in {str(masks)!r}; "
                          "give one instance mask per image (paired in sorted file-name order).")
    xs, ys = [], []
    for a, b in zip(fi, fm):
        x = read_image(a)
        ys.append(read_mask(b, shape=x.shape).astype(np.int32))
        xs.append(x)
    if not any(y.any() for y in ys):
        raise PhysnnError(f"{owner}: every mask in {str(masks)!r} is empty (all zeros); the masks must label the "
                          "nuclei 1, 2, ... (instance masks), not be blank.")
    return xs, ys, [p.name for p in fi]


def _to_training_scale(images: list[np.ndarray], masks: list[np.ndarray], train_diameter: float,
                       min_side: int) -> tuple[list[np.ndarray], list[np.ndarray], list[float]]:
    """Images (normalised) and masks resized so their nuclei have ``train_diameter``; padded to one shape."""
    from physnn.cells.scale import equivalent_diameter, rescale_image, resize_labels
    from physnn.cells.segment import normalize

    ds = [equivalent_diameter(m) for m in masks]
    known = [d for d in ds if d is not None]
    default = float(np.median(known))
    xs, ys, factors = [], [], []
    for x, m, d in zip(images, masks, ds):
        f = train_diameter / (d if d is not None else default)
        xi = rescale_image(normalize(x), f)
        xs.append(xi)
        ys.append(resize_labels(m, xi.shape))
        factors.append(f)
    h = max(min_side, max(x.shape[0] for x in xs))
    w = max(min_side, max(x.shape[1] for x in xs))
    xs = [np.pad(x, ((0, h - x.shape[0]), (0, w - x.shape[1])), constant_values=float(np.percentile(x, 1)))
          for x in xs]
    ys = [np.pad(y, ((0, h - y.shape[0]), (0, w - y.shape[1]))) for y in ys]
    return xs, ys, factors


def finetune_run(
    directory: str | Path, images: str | Path, masks: str | Path, *, model: str | Path | None = None,
    epochs: int = 20, steps: int = 10, crop: int = 96, batch_size: int = 8, lr: float = 5e-4, seed: int = 0,
    val_fraction: float = 0.25, progress: bool | None = None, figures: bool = True, unique: bool = True,
    device: str = "cpu",
) -> dict[str, Any]:
    """Fine-tune a segmentation U-Net on the user's annotated images; write a run directory.

    Parameters
    ----------
    directory : path-like
        The run directory (``-2``, ``-3``, ... appended when it exists and ``unique``).
    images, masks : path-like
        Folders of images and of their instance masks (label images: 0 background,
        1..n nuclei), paired in sorted file-name order.
    model : path-like, optional
        The run to start from; default the bundled U-Net.
    epochs, steps, crop, batch_size, lr, seed :
        Training settings (Adam, cosine schedule; ``steps`` mini-batches of random crops per epoch).
    val_fraction : float
        With 4 or more images, this fraction (at least one) is held out: the best epoch by
        AP@0.5 on them is kept, and their AP before and after is recorded.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``, with ``directory`` added.
    """
    from physnn.cells.metrics import matching_dataset
    from physnn.cells.segment import load_run, segment_image, train_unet
    from physnn.rundir import create_run_dir

    owner = "cells train"
    epochs = check_int("epochs", epochs, low=1, owner=owner)
    crop = check_int("crop", crop, low=16, owner=owner)
    val_fraction = check_range("val_fraction", val_fraction, low=0.0, high=0.9, owner=owner)
    xs, ys, names = read_image_folder(images, masks, owner=owner)
    base, base_state = load_run(model)
    train_d = float(base_state["diameter"])
    n_val = max(1, int(round(val_fraction * len(xs)))) if len(xs) >= 4 and val_fraction > 0 else 0
    val_idx = list(range(len(xs)))[-n_val:] if n_val else []
    tr_idx = [i for i in range(len(xs)) if i not in val_idx]
    X, Y, factors = _to_training_scale([xs[i] for i in tr_idx], [ys[i] for i in tr_idx], train_d, crop)
    Xv = Yv = None
    before = None
    if val_idx:
        Xv, Yv, _ = _to_training_scale([xs[i] for i in val_idx], [ys[i] for i in val_idx], train_d, 16)
        before = matching_dataset([ys[i] for i in val_idx],
                                  [segment_image(base, xs[i], train_diameter=train_d) for i in val_idx], [0.5])[0.5].ap
    cpu0 = time.process_time()
    tuned, history = train_unet(X, Y, val_images=Xv, val_masks=Yv, epochs=epochs, steps=steps, crop=crop,
                                batch_size=batch_size, lr=lr, seed=seed, progress=progress, model=base,
                                device=device)
    metrics: dict[str, Any] = {"train_cpu_s": time.process_time() - cpu0, "epochs_run": history.epochs_run,
                               "n_train": len(tr_idx), "n_val": len(val_idx), "diameter": train_d,
                               "scale_factors": [float(f) for f in factors]}
    if val_idx:
        metrics["val_ap50_before"] = float(before)
        metrics["val_ap50_after"] = float(matching_dataset(
            [ys[i] for i in val_idx], [segment_image(tuned, xs[i], train_diameter=train_d) for i in val_idx],
            [0.5])[0.5].ap)
    settings = dict(images=str(images), masks=str(masks), model=str(model) if model else "bundled", epochs=epochs,
                    steps=steps, crop=crop, batch_size=batch_size, lr=lr, seed=seed, val_fraction=val_fraction)
    state = {"data": f"{len(xs)} images from {images} (masks {masks})", "images": names,
             "finetuned_from": str(model) if model else "bundled"}
    d = create_run_dir(directory, unique=unique)
    write_segmentation_run(d, tuned, history, settings=settings, table="cells_train", seed=seed, diameter=train_d,
                           metrics=metrics, state=state, figures=figures)
    metrics["directory"] = str(d)
    return metrics


# ---------------------------------------------------------------- the verbs

def _predict(directory: Path, state: dict[str, Any], data: Path, out: Path, *, diameter: float | None = None) -> Path:
    """Instance masks (uint16 TIFF) of an image, or of every image of a folder (``OUT/<name>.tif``)."""
    from physnn.cells.io import check_image_file, read_image, write_tiff
    from physnn.cells.scale import check_diameter
    from physnn.cells.segment import load_run, segment_image

    diameter = check_diameter(diameter, owner="predict")
    model, st = load_run(directory)
    data, out = Path(data), Path(out)
    if data.is_dir():
        files = image_files(data, owner="predict")
        if out.exists() and not out.is_dir():
            raise PhysnnError(f"predict: DATA {str(data)!r} is a folder, so --out must be a folder for the masks; "
                              f"{str(out)!r} is a file.")
        targets = [(f, out / f"{f.stem}.tif") for f in files]
    else:
        if out.is_dir():
            target = out / f"{data.stem}.tif"
        elif out.suffix.lower() in (".tif", ".tiff"):
            target = out
        else:
            raise PhysnnError(f"predict: segmentation runs write instance masks as TIFF; give --out MASK.tif "
                              f"(or a folder); got {str(out)!r}.")
        targets = [(data, target)]
    for f, _ in targets:  # every file's format checked before anything is written
        check_image_file(f, owner="predict")
    for f, t in targets:
        img = read_image(f)
        lab = segment_image(model, img, train_diameter=st["diameter"], diameter=diameter)
        if int(lab.max()) > 65535:
            raise PhysnnError(f"predict: {int(lab.max())} nuclei do not fit a uint16 mask; split the image.")
        t.parent.mkdir(parents=True, exist_ok=True)
        write_tiff(t, lab.astype(np.uint16))
    return out


def _onnx(directory: Path, state: dict[str, Any]) -> tuple[Any, tuple[Any, ...], list[str]]:
    """The U-Net with its percentile normalisation in front and the softmax behind (256 × 256 images)."""
    import torch

    from physnn.cells.segment import load_run

    net, st = load_run(directory)
    lo, hi = (float(q) / 100.0 for q in st.get("normalize", [1.0, 99.8]))

    class Probabilities(torch.nn.Module):
        """image (N, 1, H, W), raw intensities at the training scale -> (N, 3, H, W) probabilities."""

        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            flat = image.flatten(1)
            n = flat.shape[1]
            srt = torch.sort(flat, dim=1).values
            qs = []
            for q in (lo, hi):  # linear interpolation between order statistics, as np.percentile
                pos = q * (n - 1)
                k = int(math.floor(pos))
                frac = pos - k
                k1 = min(k + 1, n - 1)
                qs.append(srt[:, k] + frac * (srt[:, k1] - srt[:, k]))
            low, high = qs[0].view(-1, 1, 1, 1), qs[1].view(-1, 1, 1, 1)
            x = (image - low) / torch.clamp(high - low, min=1e-6)
            return torch.softmax(self.net(x), dim=1)

    g = torch.Generator().manual_seed(0)
    example = 100.0 + 1000.0 * torch.rand(2, 1, 256, 256, generator=g)
    return Probabilities().eval(), (example,), ["image"]


def _describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    m = state.get("model", {})
    info: dict[str, Any] = {
        "data": state.get("data", "synthetic images" if state.get("legacy_format") else None),
        "net": f"U-Net depth {m.get('depth')}, base {m.get('base')}, {m.get('norm')} norm",
        "targets": state.get("targets"),
        "nucleus diameter": f"{float(state.get('diameter') or 20.0):.1f} px (images are resized to it)",
    }
    if state.get("finetuned_from"):
        info["fine-tuned from"] = state["finetuned_from"]
    return info


#: how ``physnn predict`` / ``export`` / ``show`` work on segmentation runs
RUN_KIND = RunKind(
    kind=KIND,
    predicts="an image (TIFF/PNG) or a folder of images -> instance masks (uint16 TIFF: 0 background, 1..n "
             "nuclei); nuclei of any size (estimated per image, or --diameter PX)",
    predict=_predict, onnx=_onnx, describe=_describe,
)
