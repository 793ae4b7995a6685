"""Figures, one function each, drawn with matplotlib's Agg backend (no screen needed).

Each function takes an optional ``ax`` to draw into and an optional ``path``
to save a PNG (atomically); it returns the ``Axes``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["pyplot", "plot_history", "plot_decision_boundary", "save_figure"]


def pyplot():
    """``matplotlib.pyplot`` on a non-interactive backend (Agg unless a notebook set one): for figures saved to files."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        try:
            matplotlib.use("Agg", force=False)
        except Exception:  # pragma: no cover - backend already fixed by the user
            pass
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, *, dpi: int = 120) -> Path:
    """Save ``fig`` as PNG to ``path`` atomically and close it."""
    from physnn.files import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return Path(path)


def plot_history(history: Any, *, ax: Any = None, path: str | Path | None = None, logy: bool | None = None):
    """Training and validation loss against epoch, best epoch marked.

    ``history`` is a :class:`physnn.train.History`.  With validation loss the
    epoch where it was lowest is marked: past it, a falling training loss and a
    rising validation loss are the lecture's sign of overfitting.
    """
    plt = pyplot()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    epochs = history["epoch"]
    keys = history.keys()
    ax.plot(epochs, history["loss"], label="training loss", color="C0")
    allv = [v for v in history["loss"] if np.isfinite(v)]
    if "val_loss" in keys:
        ax.plot(epochs, history["val_loss"], label="validation loss", color="C1")
        allv += [v for v in history["val_loss"] if np.isfinite(v)]
    if history.best_epoch is not None:
        ax.axvline(history.best_epoch, color="grey", ls="--", lw=1,
                   label=f"best {history.monitor} (epoch {history.best_epoch})")
    if logy is None:
        pos = [v for v in allv if v > 0]
        logy = bool(pos) and max(pos) / min(pos) > 100
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"Loss per epoch — stopped: {history.stop_reason.value}")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    if path is not None:
        save_figure(ax.figure, path)
    return ax


def plot_decision_boundary(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    ax: Any = None,
    path: str | Path | None = None,
    transform: Any = None,
    to_score: Any = None,
    resolution: int = 200,
    title: str | None = None,
    feature_names: tuple[str, str] = ("x0", "x1"),
):
    """The model's output over the plane of a 2-D input, with the data on top.

    ``model`` maps (N, 2) float tensors to (N, 1) scores (probabilities, or
    logits when ``to_score`` is given, e.g. ``torch.sigmoid``) or (N, k)
    class scores.  ``transform`` (e.g. a fitted Standardizer's ``transform``)
    is applied to the grid before the model sees it; the plot stays in the
    original units.  The 0.5 contour is the decision boundary.
    """
    import torch

    plt = pyplot()
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        from physnn.errors import PhysnnError

        raise PhysnnError(f"plot_decision_boundary: X must have 2 features; got shape {X.shape}.")
    pad = 0.1 * (X.max(0) - X.min(0) + 1e-9)
    lo, hi = X.min(0) - pad, X.max(0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    g = transform(grid) if transform is not None else grid
    was = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(np.asarray(g, dtype=np.float32)))
        if to_score is not None:
            out = to_score(out)
    if hasattr(model, "train"):
        model.train(was)
    out = out.cpu().numpy()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    if out.ndim == 2 and out.shape[1] > 1:
        z = out.argmax(1).reshape(gx.shape)
        ax.contourf(gx, gy, z, levels=np.arange(out.shape[1] + 1) - 0.5, cmap="tab10", alpha=0.3)
    else:
        z = out.reshape(gx.shape)
        if np.nanmin(z) >= 0.0 and np.nanmax(z) <= 1.0:  # probabilities: one fixed 0-1 scale on every panel
            cs = ax.contourf(gx, gy, z, levels=np.linspace(0.0, 1.0, 21), cmap="RdBu_r", vmin=0.0, vmax=1.0,
                             alpha=0.6)
        else:
            cs = ax.contourf(gx, gy, z, levels=20, cmap="RdBu_r", alpha=0.6)
        if np.nanmin(z) < 0.5 < np.nanmax(z):
            ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1.5)
        ax.figure.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="model output")
    labels = y.reshape(-1) if y.ndim > 1 and y.shape[-1] == 1 else (y.argmax(1) if y.ndim > 1 else y)
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="RdBu_r" if len(np.unique(labels)) <= 2 else "tab10",
               edgecolors="k", s=18, linewidths=0.5)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(ax.figure, path)
    return ax
