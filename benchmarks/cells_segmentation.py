"""Cells benchmark: U-Net vs Otsu + watershed on synthetic and real nuclei; phenotypes; tracking.

Prints the issue's figures of merit beside their baselines and goals:

* segmentation AP@0.5 (TP / (TP + FP + FN)) of a 3-class U-Net trained on
  synthetic images only, on held-out ``hard`` and ``easy`` synthetic sets and
  on the real DSB2018 image shipped in the stardist wheel, beside Otsu +
  watershed (goals: >= 0.85 hard, >= 0.75 DSB, training <= 10 CPU minutes);
* phenotype classification accuracy: ConvNet (with a centre-distance input
  channel) vs hand-crafted features + logistic regression, on the same
  training crops, per seed and the median over 3 seeds;
* tracking TRA / SEG (py-ctcmetrics) on a synthetic time-lapse, linking the
  true masks and the U-Net's / the baseline's segmentations (goal TRA >= 0.95).

CPU time is ``time.process_time`` of this process with one torch thread, so
it is what the same run costs on one free core; wall time and the load
average are printed beside it (the machine may be shared).

    python benchmarks/cells_segmentation.py             # the full setting (U-Net training ~470 CPU s; ~12 CPU minutes in all)
    python benchmarks/cells_segmentation.py --quick     # a smoke run (~1 CPU minute; far from the goals)
    python benchmarks/cells_segmentation.py --epochs 40 --skip classify,track    # half the U-Net training
    python benchmarks/cells_segmentation.py --skip segment,track  # phenotypes only (3 seeds, ~3 CPU minutes)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings: a smoke test, not the goal figures")
    ap.add_argument("--epochs", type=int, default=None, help="U-Net epochs (default 80; quick 6)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--n-train", type=int, default=None)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    ap.add_argument("--cls-epochs", type=int, default=None, help="ConvNet phenotype epochs (default 30; quick 10)")
    ap.add_argument("--n-crops", type=int, default=None, help="phenotype training crops per class (default 900; quick 60)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: segment,classify,track")
    a = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from physnn.cells.runs import train_segmentation_run

    skip = set(a.skip.split(","))
    if "segment" in skip and "track" not in skip:
        ap.error("--skip segment needs --skip track too (tracking uses the trained U-Net)")
    if "segment" not in skip:
        epochs = a.epochs or (6 if a.quick else 80)
        steps = a.steps or (10 if a.quick else 25)
        n_train = a.n_train or (12 if a.quick else 48)
        out = a.out or os.path.join(tempfile.mkdtemp(), "unet")
        print(f"== segmentation: U-Net depth 3, base {a.base}, {epochs}x{steps} steps of 8 crops {a.crop}², "
              f"{n_train} synthetic training images (seed {a.seed})")
        m = train_segmentation_run(out, n_train=n_train, epochs=epochs, steps=steps, crop=a.crop, base=a.base,
                                   seed=a.seed, n_test=4 if a.quick else 8, progress=False)
        print(f"training: {m['train_cpu_s']:.0f} CPU s (goal <= 600), {m['train_wall_s']:.0f} wall s, "
              f"load average {m['loadavg']:.2f}; best val AP@0.5 {m['best_val_ap50']:.3f} at epoch {m['best_epoch']}")
        goals = {"hard": ">= 0.85", "easy": "-", "dsb": ">= 0.75"}
        anchors = {"hard": "0.33", "easy": "0.85", "dsb": "0.30"}
        print(f"{'test set':8s} {'U-Net':>7s} {'Otsu+ws':>8s} {'goal':>8s} {'issue baseline':>15s}  U-Net F1 / mean IoU / Dice / AP@0.9"
              "  [U-Net AP@0.5 without the size prior]")
        for s in ("hard", "easy", "dsb"):
            if f"{s}/unet" not in m:
                print(f"{s:8s} (not available: stardist's data files are not installed)")
                continue
            u, b = m[f"{s}/unet"], m[f"{s}/otsu_watershed"]
            print(f"{s:8s} {u['ap50']:7.3f} {b['ap50']:8.3f} {goals[s]:>8s} {anchors[s]:>15s}  "
                  f"{u['f1']:.3f} / {u['mean_iou']:.3f} / {u['dice']:.3f} / {u['ap']['0.9']:.3f}"
                  + (f"  [{m[f'{s}/unet_no_size_prior']['ap50']:.3f}]" if f"{s}/unet_no_size_prior" in m else ""))
        print(f"run directory: {m['directory']}")

    if "classify" not in skip:
        from physnn.cells.classify import (
            confusion_matrix, feature_baseline, phenotype_crops, predict_classes, train_classifier,
        )

        import numpy as np

        n = a.n_crops or (60 if a.quick else 900)
        n_test = 30 if a.quick else 150  # per class; the same test crops whatever n is
        cls_epochs = a.cls_epochs or (10 if a.quick else 30)
        seeds = [a.seed] if a.quick else [a.seed, a.seed + 1, a.seed + 2]
        print(f"\n== phenotypes (hard preset crops, {3 * n} train / {3 * n_test} test per seed; ConvNet 16-32-64 "
              f"with a centre-distance channel, {cls_epochs} epochs, dihedral augmentation)")
        accs: dict[str, list[float]] = {"ConvNet": [], "features + logistic regression": []}
        for seed in seeds:
            t0 = time.process_time()
            X, y = phenotype_crops(n, seed=seed)
            Xv, yv = phenotype_crops(n_test // 2, seed=seed + 1000)
            Xt, yt = phenotype_crops(n_test, seed=seed + 2000)
            pb = feature_baseline(X, y, Xt)
            model, h = train_classifier(X, y, val=(Xv, yv), epochs=cls_epochs, progress=False, seed=seed)
            pc = predict_classes(model, Xt)
            accs["ConvNet"].append(float((pc == yt).mean()))
            accs["features + logistic regression"].append(float((pb == yt).mean()))
            print(f"seed {seed}: ConvNet accuracy {accs['ConvNet'][-1]:.3f}   features + logistic regression "
                  f"{accs['features + logistic regression'][-1]:.3f}   ({time.process_time() - t0:.0f} CPU s)")
            print("  confusion (rows true interphase/mitotic/apoptotic): ConvNet", confusion_matrix(yt, pc).tolist(),
                  " baseline", confusion_matrix(yt, pb).tolist())
        print("median over seeds: " + "   ".join(f"{k} {np.median(v):.3f}" for k, v in accs.items()))

    if "track" not in skip:
        import numpy as np

        from physnn.cells.segment import load_model, otsu_watershed, segment
        from physnn.cells.synth import generate_timelapse
        from physnn.cells.track import ctc_scores, link, write_ctc

        unet = load_model(m["directory"])
        print("\n== tracking (synthetic time-lapse 40 frames 128², easy preset, drift + Brownian + growth + division)")
        for seed in ([a.seed] if a.quick else [a.seed, a.seed + 1, a.seed + 2]):
            tl = generate_timelapse(40, 128, seed=seed)
            d = tempfile.mkdtemp()
            write_ctc(os.path.join(d, "GT"), tl.labels, tl.tracks, kind="truth")
            row = []
            for name, labs in (("truth masks", tl.labels),
                               ("U-Net", np.stack([segment(unet, f) for f in tl.frames])),
                               ("Otsu+ws", np.stack([otsu_watershed(f) for f in tl.frames]))):
                r = link(labs)
                write_ctc(os.path.join(d, name.replace(" ", "_")), r.labels, r.tracks)
                s = ctc_scores(os.path.join(d, name.replace(" ", "_")), os.path.join(d, "GT"))
                row.append(f"{name}: TRA {s['TRA']:.4f} SEG {s['SEG']:.3f}")
            print(f"seed {seed} ({len(tl.tracks)} true tracks, {int((tl.tracks[:, 3] > 0).sum())} daughters): " + "; ".join(row))
    print(f"\ntotal {time.process_time():.0f} CPU s; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
