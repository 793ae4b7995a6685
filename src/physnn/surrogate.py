"""Simulate, learn, measure: the shared yardstick of physnn's surrogate models.

A *surrogate* replaces an expensive simulator (an ASE relaxation, a spectral
fluid solver) by a network.  Two numbers decide whether it is worth it:

* **error** on held-out samples, next to the spread of the labels and to the
  simplest baselines — :func:`regression_report`;
* **speed-up** per sample against the simulator — :func:`time_per_sample` and
  :func:`speedup`.

Both :mod:`physnn.materials` and :mod:`physnn.fluids` report through these, so
their tables read the same.  NumPy only; nothing here imports torch.

    >>> import numpy as np
    >>> y = np.array([1.0, 2.0, 3.0, 4.0])
    >>> rep = regression_report(y, y + 0.1, {"zero": np.zeros(4)})
    >>> round(rep["mae"], 6), round(rep["baselines"]["zero"]["mae"], 6)
    (0.1, 2.5)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_array, check_choice, check_int, check_range

__all__ = ["error_metrics", "regression_report", "time_per_sample", "speedup"]


def _as_2d(name: str, y: Any, owner: str) -> np.ndarray:
    a = np.asarray(check_array(name, y, owner=owner), dtype=np.float64)
    if a.ndim == 0:
        raise PhysnnError(f"{owner}: {name!r} must have one row per sample; got a scalar.")
    return a.reshape(a.shape[0], -1)


def error_metrics(y_true: Any, y_pred: Any, *, owner: str = "error_metrics") -> dict[str, float]:
    r"""MAE, R² and relative L2 error of ``y_pred`` against ``y_true``.

    Both arrays have shape (N, ...) — the first axis counts samples; the rest
    (a scalar label, several labels, a field on a grid) is flattened to
    (N, m).  With :math:`e_i = y_i - \hat y_i`:

    .. math::

        \mathrm{MAE} = \frac{1}{Nm}\sum_{i,j} |e_{ij}|, \qquad
        R^2 = 1 - \frac{\sum_{i,j} e_{ij}^2}{\sum_{i,j} (y_{ij} - \bar y_j)^2}, \qquad
        \mathrm{rel\,L2} = \frac1N \sum_i \frac{\lVert e_i\rVert_2}{\lVert y_i\rVert_2}

    (R² pools all columns; the relative L2 is the per-sample mean used by the
    Fourier-neural-operator papers).  A sample with :math:`\lVert y_i\rVert=0`
    makes the relative error undefined: it is reported as ``nan``.

        >>> error_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])["mae"]
        0.3333333333333333
    """
    t = _as_2d("y_true", y_true, owner)
    p = _as_2d("y_pred", y_pred, owner)
    if t.shape != p.shape:
        raise PhysnnError(
            f"{owner}: 'y_true' has shape {np.shape(y_true)} but 'y_pred' has shape "
            f"{np.shape(y_pred)}; they must match (one prediction per label)."
        )
    if t.shape[0] == 0:
        raise PhysnnError(f"{owner}: no samples to score (y_true is empty).")
    e = t - p
    ss_res = float(np.sum(e**2))
    ss_tot = float(np.sum((t - t.mean(axis=0)) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    norms = np.linalg.norm(t, axis=1)
    rel = float(np.mean(np.linalg.norm(e, axis=1) / norms)) if np.all(norms > 0) else math.nan
    return {"mae": float(np.mean(np.abs(e))), "r2": r2, "rel_l2": rel}


def regression_report(
    y_true: Any,
    y_pred: Any,
    baselines: Mapping[str, Any] | None = None,
    *,
    y_train: Any = None,
) -> dict[str, Any]:
    r"""Score a surrogate on held-out data next to its baselines.

    Parameters
    ----------
    y_true, y_pred : array, shape (N, ...)
        Held-out labels and the model's predictions (see :func:`error_metrics`).
    baselines : dict name -> array of shape (N, ...), optional
        Predictions of other models on the same samples (e.g. a ridge fit).
    y_train : array, shape (M, ...), optional
        Training labels.  The *predict-the-mean* baseline predicts their mean
        for every sample (the honest version: no peeking at the test set).
        Without it the mean of ``y_true`` is used, whose MAE is then the mean
        absolute deviation of the test labels and whose R² is exactly 0.

    Returns
    -------
    dict with ``mae``, ``r2``, ``rel_l2`` of the model, ``label_std`` (standard
    deviation of ``y_true`` over all entries), ``n`` (samples), ``mean_baseline``
    (its ``mae``/``r2``/``rel_l2``) and ``baselines`` (``{name: metrics}``).

        >>> import numpy as np
        >>> y = np.array([0.0, 1.0, 2.0, 3.0])
        >>> rep = regression_report(y, y, y_train=np.array([1.5, 1.5]))
        >>> rep["mae"], rep["r2"], rep["mean_baseline"]["mae"], rep["label_std"]
        (0.0, 1.0, 1.0, 1.118033988749895)
    """
    owner = "regression_report"
    model = error_metrics(y_true, y_pred, owner=owner)
    t = _as_2d("y_true", y_true, owner)
    if y_train is not None:
        tr = _as_2d("y_train", y_train, owner)
        if tr.shape[1] != t.shape[1]:
            raise PhysnnError(
                f"{owner}: 'y_train' has {tr.shape[1]} value(s) per sample but 'y_true' has "
                f"{t.shape[1]}; pass the training labels of the same quantity."
            )
        mean = tr.mean(axis=0)
    else:
        mean = t.mean(axis=0)
    mean_pred = np.broadcast_to(mean, t.shape)
    out: dict[str, Any] = dict(model)
    out["label_std"] = float(np.std(t))
    out["n"] = int(t.shape[0])
    out["mean_baseline"] = error_metrics(t, mean_pred, owner=owner)
    out["baselines"] = {
        str(name): error_metrics(y_true, pred, owner=f"{owner} (baseline {name!r})")
        for name, pred in (baselines or {}).items()
    }
    return out


def time_per_sample(
    fn: Callable[[], Any],
    n: int,
    repeats: int = 3,
    *,
    clock: str = "wall",
    warmup: int = 1,
) -> float:
    r"""Seconds per sample of ``fn()``, which processes ``n`` samples per call.

    ``fn`` is called ``warmup`` times untimed (first-call costs: imports, caches,
    allocator), then ``repeats`` times; the **minimum** over the repeats is
    divided by ``n`` — the minimum is the least disturbed by other processes on
    a shared machine.  ``clock="wall"`` uses :func:`time.perf_counter`;
    ``clock="cpu"`` uses :func:`time.process_time` (CPU seconds of this
    process, all its threads — the fair figure when the machine is busy, but
    blind to work done in child processes).

    .. math:: t = \min_r T_r / n

        >>> t = time_per_sample(lambda: sum(range(1000)), n=10, repeats=2)
        >>> 0 < t < 1
        True
    """
    owner = "time_per_sample"
    if not callable(fn):
        raise PhysnnError(f"{owner}: 'fn' must be a callable taking no arguments; got {type(fn).__name__}.")
    n = check_int("n", n, low=1, owner=owner)
    repeats = check_int("repeats", repeats, low=1, owner=owner)
    warmup = check_int("warmup", warmup, low=0, owner=owner)
    clock = check_choice("clock", clock, ["wall", "cpu"], owner=owner)
    timer = time.perf_counter if clock == "wall" else time.process_time
    for _ in range(warmup):
        fn()
    best = math.inf
    for _ in range(repeats):
        t0 = timer()
        fn()
        best = min(best, timer() - t0)
    return best / n


def speedup(simulate_seconds_per_sample: float, predict_seconds_per_sample: float) -> float:
    r"""How many times faster the surrogate is: :math:`t_\mathrm{sim} / t_\mathrm{pred}`.

    Include everything the surrogate needs per sample in ``predict`` (the
    descriptor, not just the network's forward pass) for an honest figure.

        >>> speedup(1.0, 0.004)
        250.0
    """
    s = check_range("simulate_seconds_per_sample", simulate_seconds_per_sample, low=0,
                    low_inclusive=False, owner="speedup")
    p = check_range("predict_seconds_per_sample", predict_seconds_per_sample, low=0,
                    low_inclusive=False, owner="speedup")
    return s / p
