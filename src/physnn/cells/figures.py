"""Figures for cells: image / truth / prediction overlays, the AP-vs-IoU curve, tracks over time (matplotlib, Agg)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["overlay_figure", "ap_curve_figure", "tracks_figure", "confusion_figure"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _contours(ax: Any, labels: np.ndarray, color: str) -> None:
    from skimage.segmentation import find_boundaries

    b = find_boundaries(labels, mode="inner")
    rgba = np.zeros(labels.shape + (4,))
    import matplotlib.colors as mc

    rgba[b] = mc.to_rgba(color)
    ax.imshow(rgba, interpolation="nearest")


def overlay_figure(image: np.ndarray, truth: np.ndarray | None, predictions: Mapping[str, np.ndarray],
                   *, title: str = "", zoom: tuple[slice, slice] | None = None) -> Any:
    """One panel for the image with the truth outlines (green), one per prediction (outlines in orange)."""
    from physnn.cells.segment import normalize

    plt = _plt()
    n = 1 + len(predictions)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.4), squeeze=False)
    sl = zoom or (slice(None), slice(None))
    img = np.clip(normalize(image), 0, 1)[sl]
    ax = axes[0, 0]
    ax.imshow(img, cmap="gray")
    if truth is not None:
        _contours(ax, truth[sl], "lime")
    ax.set_title("image + truth" if truth is not None else "image")
    for ax, (name, pred) in zip(axes[0, 1:], predictions.items()):
        ax.imshow(img, cmap="gray")
        _contours(ax, pred[sl], "orange")
        ax.set_title(name)
    for ax in axes[0]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def ap_curve_figure(curves: Mapping[str, Mapping[float, float]], *, title: str = "AP vs IoU threshold") -> Any:
    """AP(τ) for each method (a dict threshold → AP)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for name, ap in curves.items():
        th = sorted(ap)
        ax.plot(th, [ap[t] for t in th], marker="o", label=name)
    ax.set_xlabel("IoU threshold τ")
    ax.set_ylabel("AP = TP / (TP + FP + FN)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def tracks_figure(frames: np.ndarray, labels: np.ndarray, tracks: np.ndarray, *, title: str = "tracks") -> Any:
    """The last frame with every track's centroid path drawn over time (daughters dashed)."""
    from scipy import ndimage as ndi

    plt = _plt()
    from physnn.cells.segment import normalize

    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.imshow(np.clip(normalize(frames[-1]), 0, 1), cmap="gray")
    cmap = plt.get_cmap("tab20")
    for lab, b, e, p in np.asarray(tracks).reshape(-1, 4):
        pts = []
        for t in range(int(b), int(e) + 1):
            m = labels[t] == lab
            if m.any():
                pts.append(ndi.center_of_mass(m))
        if not pts:
            continue
        pts = np.array(pts)
        ax.plot(pts[:, 1], pts[:, 0], "--" if p else "-", color=cmap(int(lab) % 20), lw=1.5)
        ax.plot(pts[-1, 1], pts[-1, 0], "o", color=cmap(int(lab) % 20), ms=3)
    ax.set_title(title)
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def confusion_figure(cms: Mapping[str, np.ndarray], names: Sequence[str]) -> Any:
    """Confusion matrices side by side (rows: true class, columns: predicted)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(cms), figsize=(4.3 * len(cms), 4), squeeze=False)
    for ax, (title, cm) in zip(axes[0], cms.items()):
        ax.imshow(cm, cmap="Blues")
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                ax.text(j, i, str(int(cm[i, j])), ha="center", va="center",
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
        ax.set_xticks(range(len(names)), names, rotation=30)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title)
        ax.grid(False)
    fig.tight_layout()
    return fig
