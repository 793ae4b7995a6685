r"""The U-Net that ships with physnn: trained on synthetic images only, rebuilt by one command.

``physnn cells segment IMAGE --out DIR`` and ``physnn cells track STACK --out DIR``
use it when no ``--model RUN`` is given, and ``physnn cells train --images DIR
--masks DIR`` fine-tunes it.  It is an ordinary run directory of kind
``segmentation`` inside the package (``physnn/cells/pretrained/``: ``state.json``,
``model.safetensors`` (1.9 MB), ``config.toml``, ``history.csv``,
``metrics.json``, ``figures/``), so ``physnn show``, ``physnn predict`` and
``physnn export`` read it like any other run.

Rebuild it (the same weights on the same torch build and CPU: a fixed seed, one
torch thread) with::

    python -m physnn.cells.pretrained --out src/physnn/cells/pretrained

Training images: :func:`touching_training_set` (``training="touching"``) —
:func:`wide_training_set`, the synthetic generator (:mod:`physnn.cells.synth`)
with its settings drawn at random per image over a wider range than
:func:`physnn.cells.segment.training_set` (texture, nucleus size spread,
background structure, blur, photon level, read noise, debris), so that the
network meets more imaging conditions than any one preset, with every other
image replaced by a tightly packed cluster of look-alike nuclei (centre
separation down to 0.5, density up to 0.6, similar brightness, blurred seams):
the real nuclei's errors were false merges of touching nuclei.  Against the
``"wide"`` model it replaced (``--training wide``), AP@0.5 on the own sets of
``benchmarks/cells_own_data.py`` (no size hint, mean over D = 15/25/40/60 px)
0.976 -> 0.986 and on the real DSB2018 image at x1 0.820 -> 0.874.  The
training scale (the median nucleus diameter of the training masks, ~20 px) is
stored in ``state.json`` as ``diameter``: images are resized to it before the
network (:func:`physnn.cells.segment.segment_image`).
"""

from __future__ import annotations

import argparse
import sys
import math
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import check_int

__all__ = ["SETTINGS", "TRAININGS", "wide_training_set", "touching_training_set", "build", "main", "DIRECTORY"]

#: where the bundled run lives inside the package
DIRECTORY = Path(__file__).resolve().parent / "pretrained"

#: the settings of the bundled run (``train_segmentation_run`` arguments)
SETTINGS: dict[str, Any] = dict(training="touching", n_train=48, size=192, n_val=4, epochs=80, steps=25, crop=96,
                                batch_size=8, depth=3, base=16, lr=2e-3, seed=0, n_test=8)


def _wide_settings(rng: np.random.Generator) -> dict[str, float]:
    """One image's generator settings, drawn over the wide ranges (see :func:`wide_training_set`)."""
    return dict(
        photons=float(np.exp(rng.uniform(math.log(15), math.log(2000)))),
        density=float(rng.uniform(0.1, 0.45)), radius=float(rng.uniform(7, 15)),
        radius_sd=float(rng.uniform(0.1, 0.3)), psf_sigma=float(rng.uniform(0.7, 2.5)),
        background=float(rng.uniform(0.02, 0.35)), background_var=float(rng.uniform(0.1, 0.9)),
        brightness_sd=float(rng.uniform(0.2, 1.0)), texture=float(rng.uniform(0.0, 0.7)),
        min_sep=float(rng.uniform(0.6, 1.0)), read_noise=float(rng.uniform(1, 8)),
        debris=float(rng.uniform(0.0, 0.2)),
    )


def wide_training_set(n: int, size: int = 192, *, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n`` synthetic images and instance masks, the generator's settings drawn per image (see module docs).

    Photons log-uniform in [15, 2000], density [0.1, 0.45], radius [7, 15] px with a
    per-nucleus spread [0.1, 0.3], PSF σ [0.7, 2.5] px, background [0.02, 0.35] with
    structure [0.1, 0.9], brightness spread [0.2, 1.0], texture [0, 0.7], centre
    separation [0.6, 1.0] (touching clusters), read noise [1, 8], debris [0, 0.2].

        >>> X, Y = wide_training_set(2, 32, seed=1)
        >>> len(X), X[0].shape, Y[0].dtype
        (2, (32, 32), dtype('int32'))
    """
    from physnn.cells.synth import generate

    n = check_int("n", n, low=1, owner="wide_training_set")
    rng = np.random.default_rng(seed + 104729)
    imgs, masks = [], []
    for i in range(n):
        kw = _wide_settings(rng)
        s = generate(size, preset="hard", seed=seed * 100003 + 60000 + i, **kw)
        imgs.append(s.image)
        masks.append(s.labels)
    return imgs, masks


def touching_training_set(n: int, size: int = 192, *, seed: int = 0,
                          faint: bool = False) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`wide_training_set` with every other image a tightly packed cluster of look-alike nuclei.

    Even images are exactly those of :func:`wide_training_set` (same seed); odd images keep
    its draws but then take centre separation [0.5, 0.75], density [0.35, 0.6] and
    brightness spread [0.05, 0.3] (neighbours of similar brightness), PSF σ [1.2, 2.5]
    px (seams blurred to a faint dip), so that the network learns the boundary class
    between touching nuclei where there is no dark gap.  ``faint``: the packed images'
    nuclei are also flatter (``edge_dim`` [0, 0.15] instead of 0.3: a shallower seam).

        >>> X, Y = touching_training_set(2, 32, seed=1)
        >>> len(X), X[0].shape, Y[0].dtype
        (2, (32, 32), dtype('int32'))
    """
    from physnn.cells.synth import generate

    n = check_int("n", n, low=1, owner="touching_training_set")
    rng = np.random.default_rng(seed + 104729)
    rt = np.random.default_rng(seed + 130003)
    imgs, masks = [], []
    for i in range(n):
        kw = _wide_settings(rng)
        if i % 2 == 1:
            kw.update(min_sep=float(rt.uniform(0.5, 0.75)), density=float(rt.uniform(0.35, 0.6)),
                      brightness_sd=float(rt.uniform(0.05, 0.3)), psf_sigma=float(rt.uniform(1.2, 2.5)))
            if faint:
                kw.update(edge_dim=float(rt.uniform(0.0, 0.15)))
        s = generate(size, preset="hard", seed=seed * 100003 + 60000 + i, **kw)
        imgs.append(s.image)
        masks.append(s.labels)
    return imgs, masks


#: the ``training`` choices of :func:`build` (those of :func:`physnn.cells.runs.train_segmentation_run`)
TRAININGS = ("wide", "domain", "touching")


def build(out: str | Path = DIRECTORY, *, progress: bool | None = None, command: str | None = None,
          **overrides: Any) -> dict[str, Any]:
    """Train the bundled U-Net with :data:`SETTINGS` (``overrides`` change them) and write it to ``out``.

    ``out`` is written in place (not ``out-2``): the files are replaced one by one,
    atomically.  Returns the run's metrics.
    """
    import torch

    from physnn.cells.runs import train_segmentation_run

    torch.set_num_threads(1)  # one thread: the same weights from the same seed, whatever the machine's cores
    kw = {**SETTINGS, **overrides}
    return train_segmentation_run(out, **kw, progress=progress, unique=False, command=command)


def main(argv: list[str] | None = None) -> None:
    """``python -m physnn.cells.pretrained [--out DIR] [--seed N] [--epochs N] [--training wide|domain|touching]``."""
    ap = argparse.ArgumentParser(prog="python -m physnn.cells.pretrained",
                                 description="Rebuild the U-Net bundled with physnn (synthetic data only, fixed seed).")
    ap.add_argument("--out", default=str(DIRECTORY), help="run directory to write (default: inside the package)")
    ap.add_argument("--seed", type=int, default=SETTINGS["seed"])
    ap.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    ap.add_argument("--training", choices=TRAININGS, default=SETTINGS["training"],
                    help="synthetic training images: wide_training_set, physnn.cells.segment.training_set "
                         "or touching_training_set")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    command = " ".join(["python -m physnn.cells.pretrained", *(argv if argv is not None else sys.argv[1:])])
    m = build(a.out, seed=a.seed, epochs=a.epochs, training=a.training, progress=False if a.quiet else None,
              command=command)
    print(f"wrote {m['directory']}: training {m['train_cpu_s']:.0f} CPU s; nucleus diameter {m['diameter']:.1f} px")
    for s in ("hard", "easy", "dsb", "dsb_x2"):
        for meth in ("unet", "unet_any_size", "otsu_watershed"):
            if f"{s}/{meth}" in m:
                print(f"  {s:7s} {meth:15s} AP@0.5 = {m[f'{s}/{meth}']['ap50']:.3f}")


if __name__ == "__main__":
    main()
