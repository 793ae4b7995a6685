"""Segmentation runs on disk: train a U-Net on synthetic data, score it beside the baseline, write everything.

A run directory holds (every file written atomically)::

    config.json         the arguments of the run (repeat it with the same numbers)
    model.safetensors   the U-Net weights (best val_ap50 epoch)
    state.json          the UNet config, normalisation, target encoding (load_model reads it)
    history.csv         per epoch: loss, val_loss, val_ap50, lr, time
    metrics.json        AP@0.5..0.9, F1, mean IoU, Dice on the hard and easy synthetic test sets and
                        the real DSB2018 image, for the U-Net (also without the relative size prior,
                        ``unet_no_size_prior``) and for Otsu + watershed; CPU seconds
    figures/            loss.png, overlay_hard.png, overlay_dsb.png, ap_curve.png

Test images never overlap training or validation images: the seeds are disjoint
(training 50000+, validation 20000+, test 10000+), and the real image is never trained on.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import check_int

__all__ = ["train_segmentation_run", "test_sets", "score_methods"]


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
    """``{set: {method: scores}}`` with :func:`physnn.cells.segment.evaluate_segmenter` (predictions dropped)."""
    from physnn.cells.segment import evaluate_segmenter

    res: dict[str, dict[str, Any]] = {}
    for sname, (imgs, masks) in sets.items():
        res[sname] = {}
        for mname, fn in methods.items():
            r = evaluate_segmenter(fn, imgs, masks)
            res[sname][mname] = {k: v for k, v in r.items() if k != "predictions"}
            res[sname][mname]["_predictions"] = r["predictions"]
    return res


def train_segmentation_run(
    directory: str | Path, *, n_train: int = 48, size: int = 192, n_val: int = 4, epochs: int = 80,
    steps: int = 25, crop: int = 96, batch_size: int = 8, depth: int = 3, base: int = 16, lr: float = 2e-3,
    seed: int = 0, n_test: int = 8, progress: bool | None = None, figures: bool = True,
) -> dict[str, Any]:
    """Train a 3-class U-Net on domain-randomised synthetic images and write a run directory.

    Returns the metrics dict written to ``metrics.json``.  CPU seconds are
    ``time.process_time`` of this process (one torch thread), wall seconds
    and the load average are recorded beside them.
    """
    import torch

    from physnn.cells.segment import otsu_watershed, save_model, segment, train_unet, training_set
    from physnn.cells.synth import generate
    from physnn.files import write_json
    from physnn.rundir import unique_run_dir

    n_train = check_int("n_train", n_train, low=1, owner="train_segmentation_run")
    d = unique_run_dir(Path(directory))
    d.mkdir(parents=True)
    config = dict(n_train=n_train, size=size, n_val=n_val, epochs=epochs, steps=steps, crop=crop,
                  batch_size=batch_size, depth=depth, base=base, lr=lr, seed=seed, n_test=n_test)
    write_json(d / "config.json", config)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    X, Y = training_set(n_train, size, seed=seed)
    vs = [generate(128, preset="hard", seed=20000 + 1000 * seed + i) for i in range(n_val)]
    model, history = train_unet(X, Y, val_images=[s.image for s in vs], val_masks=[s.labels for s in vs],
                                depth=depth, base=base, epochs=epochs, steps=steps, crop=crop,
                                batch_size=batch_size, lr=lr, seed=seed, progress=progress)
    train_cpu, train_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    save_model(model, d, extra={"seed": seed, "torch": torch.__version__})
    history.to_csv(d / "history.csv")
    sets = test_sets(n_test, 256, seed=seed)
    scores = score_methods({"unet": lambda im: segment(model, im), "otsu_watershed": otsu_watershed,
                            "unet_no_size_prior": lambda im: segment(model, im, min_rel_size=0.0)}, sets)
    metrics: dict[str, Any] = {
        "train_cpu_s": train_cpu, "train_wall_s": train_wall, "loadavg": os.getloadavg()[0],
        "epochs_run": history.epochs_run, "best_epoch": history.best_epoch, "best_val_ap50": history.best_value,
        "n_steps": epochs * steps, "threads": 1,
    }
    for sname, per in scores.items():
        for mname, r in per.items():
            metrics[f"{sname}/{mname}"] = {k: (v if not isinstance(v, dict) else {str(t): a for t, a in v.items()})
                                           for k, v in r.items() if not k.startswith("_")}
    write_json(d / "metrics.json", metrics)
    if figures:
        from physnn.cells.figures import ap_curve_figure, overlay_figure
        from physnn.viz.plots import plot_history, save_figure

        (d / "figures").mkdir(exist_ok=True)
        fig = plot_history(history)
        save_figure(fig.figure if hasattr(fig, "figure") else fig, d / "figures" / "loss.png")
        for sname in ("hard", "dsb"):
            if sname not in scores:
                continue
            imgs, masks = sets[sname]
            preds = {m: scores[sname][m]["_predictions"][0] for m in ("unet", "otsu_watershed")}
            title = " · ".join(f"{m}: AP@0.5 = {scores[sname][m]['ap50']:.2f}" for m in preds)
            save_figure(overlay_figure(imgs[0], masks[0], preds, title=title), d / "figures" / f"overlay_{sname}.png")
        curves = {f"{m} ({s})": scores[s][m]["ap"] for s in scores for m in ("unet", "otsu_watershed") if s != "easy"}
        save_figure(ap_curve_figure(curves), d / "figures" / "ap_curve.png")
    metrics["directory"] = str(d)
    return metrics
