r"""Figures of merit: classification and regression metrics in NumPy.

Every metric is ``metric(y_true, y_pred) -> float`` and accepts NumPy arrays,
lists or torch tensors (detached and moved to the CPU for you).

**Classification** — ``y_true`` holds integer class labels, shape ``(n,)`` or
``(n, 1)``; ``y_pred`` holds what the model predicts *after* the sigmoid/softmax
(see :func:`physnn.train.losses.predict_proba_fn`):

* *binary*: ``y_pred`` of shape ``(n,)`` or ``(n, 1)`` is the score of class 1;
  the predicted class is 1 where ``y_pred >= threshold`` (default 0.5) and
  ``y_true`` must be 0/1;
* *multiclass*: ``y_pred`` of shape ``(n, k)``, ``k >= 2``, holds class
  probabilities (or any scores); the predicted class is the ``argmax`` of each row.

With :math:`TP, FP, FN` the counts of true positives, false positives and false
negatives of a class:

=============  ==============================================================
``accuracy``   fraction of samples whose predicted class equals the true one
``precision``  :math:`TP/(TP+FP)` — of the predicted positives, how many are right
``recall``     :math:`TP/(TP+FN)` — of the true positives, how many are found
``f1``         :math:`2PR/(P+R)=2TP/(2TP+FP+FN)`, the harmonic mean of precision and recall
``roc_auc``    area under the ROC curve = probability that a random positive
               scores higher than a random negative (ties count one half)
=============  ==============================================================

*Averaging* (``precision``, ``recall``, ``f1``; the ``average`` argument):
``"binary"`` scores class 1 only; ``"macro"`` computes the score of every class
that occurs in ``y_true`` or in the predictions and takes the unweighted mean,
so rare classes count as much as common ones. ``"auto"`` (default) is
``"binary"`` for a one-column ``y_pred`` and ``"macro"`` for ``(n, k)``. This
matches scikit-learn's ``average="binary"`` / ``average="macro"``; a ratio
0/0 (e.g. precision when nothing is predicted positive) counts as 0, as in
scikit-learn's default.

**Regression** — ``y_true`` and ``y_pred`` of the same shape, ``(n,)`` or
``(n, m)`` (``(n, 1)`` and ``(n,)`` are interchangeable):

=========  ===================================================================
``mse``    :math:`\frac1{nm}\sum (y-\hat y)^2`
``rmse``   :math:`\sqrt{\mathrm{mse}}` (in the units of :math:`y`)
``mae``    :math:`\frac1{nm}\sum |y-\hat y|`
``r2``     :math:`1-\sum(y-\hat y)^2/\sum(y-\bar y)^2` per output column, averaged over columns;
           1 for a perfect fit, 0 for always predicting the mean :math:`\bar y`
=========  ===================================================================

    >>> accuracy([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.1])
    0.75
    >>> compute_metrics(["mse", "r2"], [1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    {'mse': 0.3333333333333333, 'r2': 0.5}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_array, check_choice, check_range

__all__ = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "mse",
    "rmse",
    "mae",
    "r2",
    "METRICS",
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "TASKS",
    "compute_metrics",
    "default_metrics",
    "metric_mode",
]

_AVERAGES = ("auto", "binary", "macro")


# ---------------------------------------------------------------- helpers


def _labels(y_true: Any, owner: str) -> np.ndarray:
    """``y_true`` as a 1-D int64 array of class labels >= 0."""
    a = check_array("y_true", y_true, ndim=(1, 2), owner=owner)
    if a.ndim == 2:
        if a.shape[1] != 1:
            raise PhysnnError(
                f"{owner}: 'y_true' must hold class labels of shape (n,) or (n, 1); got shape "
                f"{a.shape}. If it is one-hot, convert it with y_true.argmax(axis=1)."
            )
        a = a[:, 0]
    if a.dtype == bool:
        return a.astype(np.int64)
    if np.issubdtype(a.dtype, np.floating) and (a != np.round(a)).any():
        bad = a[a != np.round(a)][0]
        raise PhysnnError(
            f"{owner}: 'y_true' must hold integer class labels; found {float(bad)!r}. "
            "For real-valued targets use a regression metric (mse, rmse, mae, r2)."
        )
    if (a < 0).any():
        raise PhysnnError(
            f"{owner}: class labels in 'y_true' must be >= 0; found {int(a[a < 0][0])}. "
            "Relabel classes as 0..k-1."
        )
    return a.astype(np.int64)


def _scores(y_pred: Any, n: int, owner: str) -> np.ndarray:
    """``y_pred`` as float array, shape (n,) (binary) or (n, k) (multiclass)."""
    p = check_array("y_pred", y_pred, ndim=(1, 2), owner=owner).astype(np.float64, copy=False)
    if p.shape[0] != n:
        raise PhysnnError(
            f"{owner}: 'y_true' has {n} samples but 'y_pred' has {p.shape[0]}; "
            "they must have the same number of rows."
        )
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    return p


def _classes(y_true: Any, y_pred: Any, threshold: float, owner: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """True labels, predicted labels, and whether the problem is binary (one score column)."""
    t = _labels(y_true, owner)
    p = _scores(y_pred, t.shape[0], owner)
    threshold = check_range("threshold", threshold, owner=owner)
    if p.ndim == 1:
        if t.max() > 1:
            raise PhysnnError(
                f"{owner}: 'y_pred' is one column (the score of class 1, binary) but 'y_true' holds "
                f"class {int(t.max())}; labels must be 0/1, or pass (n, k) class probabilities for "
                "k classes."
            )
        return t, (p >= threshold).astype(np.int64), True
    k = p.shape[1]
    if t.max() >= k:
        raise PhysnnError(
            f"{owner}: 'y_true' holds class {int(t.max())} but 'y_pred' has {k} columns "
            f"(classes 0..{k - 1}); give y_pred one column per class."
        )
    return t, p.argmax(axis=1).astype(np.int64), False


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den elementwise, 0 where den == 0."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _counts(t: np.ndarray, p: np.ndarray, binary: bool, average: str, owner: str):
    """Per-class (TP, FP, FN) for the classes that are scored."""
    average = check_choice("average", average, _AVERAGES, owner=owner)
    if average == "auto":
        average = "binary" if binary else "macro"
    if average == "binary":
        if max(t.max(), p.max()) > 1:
            raise PhysnnError(
                f"{owner}: average='binary' needs two classes (0/1); found class "
                f"{int(max(t.max(), p.max()))}. Use average='macro' for more classes."
            )
        labels = np.array([1])
    else:
        labels = np.union1d(t, p)
    tp = np.array([np.sum((t == c) & (p == c)) for c in labels])
    fp = np.array([np.sum((t != c) & (p == c)) for c in labels])
    fn = np.array([np.sum((t == c) & (p != c)) for c in labels])
    return tp, fp, fn


# ------------------------------------------------------- classification


def accuracy(y_true: Any, y_pred: Any, *, threshold: float = 0.5) -> float:
    """Fraction of samples classified correctly, :math:`\\frac1n\\sum_i [\\hat c_i = c_i]`.

    ``y_pred``: scores of class 1, shape ``(n,)``/``(n, 1)`` (class 1 where
    ``>= threshold``), or ``(n, k)`` class probabilities (argmax).

        >>> accuracy([0, 2, 1], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.3, 0.2]])
        0.6666666666666666
    """
    t, p, _ = _classes(y_true, y_pred, threshold, "accuracy")
    return float(np.mean(t == p))


def precision(y_true: Any, y_pred: Any, *, threshold: float = 0.5, average: str = "auto") -> float:
    """Precision :math:`TP/(TP+FP)`: binary (class 1) or macro-averaged over classes.

    See the module docstring for ``average``; 0 when nothing is predicted positive.

        >>> precision([0, 1, 1, 0], [0.6, 0.9, 0.2, 0.1])  # TP=1, FP=1
        0.5
    """
    t, p, binary = _classes(y_true, y_pred, threshold, "precision")
    tp, fp, _ = _counts(t, p, binary, average, "precision")
    return float(np.mean(_ratio(tp, tp + fp)))


def recall(y_true: Any, y_pred: Any, *, threshold: float = 0.5, average: str = "auto") -> float:
    """Recall (true-positive rate, efficiency) :math:`TP/(TP+FN)`: binary or macro-averaged.

        >>> recall([0, 1, 1, 1], [0.6, 0.9, 0.2, 0.7])  # TP=2, FN=1
        0.6666666666666666
    """
    t, p, binary = _classes(y_true, y_pred, threshold, "recall")
    tp, _, fn = _counts(t, p, binary, average, "recall")
    return float(np.mean(_ratio(tp, tp + fn)))


def f1(y_true: Any, y_pred: Any, *, threshold: float = 0.5, average: str = "auto") -> float:
    """F1 score :math:`2TP/(2TP+FP+FN)` (harmonic mean of precision and recall); macro = mean over classes.

        >>> f1([0, 1, 1, 1], [0.6, 0.9, 0.2, 0.7])  # TP=2, FP=1, FN=1
        0.6666666666666666
    """
    t, p, binary = _classes(y_true, y_pred, threshold, "f1")
    tp, fp, fn = _counts(t, p, binary, average, "f1")
    return float(np.mean(_ratio(2 * tp, 2 * tp + fp + fn)))


def roc_auc(y_true: Any, y_pred: Any) -> float:
    r"""Area under the ROC curve of a binary classifier, by the Mann–Whitney rank sum.

    .. math::
        \mathrm{AUC} = \frac{R_+ - n_+(n_+ + 1)/2}{n_+\,n_-}
        = P(s_+ > s_-) + \tfrac12 P(s_+ = s_-),

    where :math:`R_+` is the sum of the ranks of the positives among all scores
    (tied scores share their mean rank) and :math:`n_\pm` count positives and
    negatives. 1 = perfect separation, 0.5 = chance.

    ``y_pred``: scores of class 1, shape ``(n,)``/``(n, 1)``, or ``(n, 2)``
    probabilities (column 1 is used). Any monotonic score works (logits too).

        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
        >>> roc_auc([1, 1, 1], [0.2, 0.5, 0.9])
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: roc_auc: 'y_true' holds only class 1 (3 samples); the ROC AUC needs both classes 0 and 1. Evaluate on a larger or stratified sample.
    """
    owner = "roc_auc"
    t = _labels(y_true, owner)
    s = _scores(y_pred, t.shape[0], owner)
    if s.ndim == 2:
        if s.shape[1] != 2:
            raise PhysnnError(
                f"{owner}: the ROC AUC is for two classes; 'y_pred' has {s.shape[1]} columns. "
                "For k classes compute it one-vs-rest per class j: roc_auc(y_true == j, y_pred[:, j])."
            )
        s = s[:, 1]
    if t.max() > 1:
        raise PhysnnError(
            f"{owner}: 'y_true' must be 0/1 labels; found class {int(t.max())}. "
            "For k classes compute it one-vs-rest: roc_auc(y_true == j, y_pred[:, j])."
        )
    pos = t == 1
    n_pos = int(pos.sum())
    n_neg = t.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        only = 1 if n_pos else 0
        raise PhysnnError(
            f"{owner}: 'y_true' holds only class {only} ({t.shape[0]} samples); the ROC AUC needs "
            "both classes 0 and 1. Evaluate on a larger or stratified sample."
        )
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # rank of the last member of each tie group (1-based)
    midranks = ends - (counts - 1) / 2.0
    ranks = midranks[inverse.reshape(-1)]
    r_pos = float(ranks[pos].sum())
    return (r_pos - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


# ------------------------------------------------------------ regression


def _pair(y_true: Any, y_pred: Any, owner: str) -> tuple[np.ndarray, np.ndarray]:
    t = check_array("y_true", y_true, ndim=(1, 2), owner=owner).astype(np.float64, copy=False)
    p = check_array("y_pred", y_pred, ndim=(1, 2), owner=owner).astype(np.float64, copy=False)
    t = t.reshape(-1, 1) if t.ndim == 1 else t
    p = p.reshape(-1, 1) if p.ndim == 1 else p
    if t.shape != p.shape:
        raise PhysnnError(
            f"{owner}: 'y_true' has shape {np.shape(t)} but 'y_pred' has shape {np.shape(p)} "
            "((n,) counts as (n, 1)); they must match: one prediction per target value."
        )
    return t, p


def mse(y_true: Any, y_pred: Any) -> float:
    r"""Mean squared error :math:`\frac1{nm}\sum (y-\hat y)^2`.

        >>> mse([1.0, 2.0], [1.5, 1.0])
        0.625
    """
    t, p = _pair(y_true, y_pred, "mse")
    return float(np.mean((t - p) ** 2))


def rmse(y_true: Any, y_pred: Any) -> float:
    r"""Root mean squared error :math:`\sqrt{\mathrm{mse}}`, in the units of ``y``.

    For several outputs this is the square root of the mean over all of them
    (scikit-learn's ``root_mean_squared_error`` instead averages per-output RMSEs).

        >>> rmse([0.0, 0.0], [3.0, 4.0])  # sqrt((9 + 16) / 2)
        3.5355339059327378
    """
    t, p = _pair(y_true, y_pred, "rmse")
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true: Any, y_pred: Any) -> float:
    r"""Mean absolute error :math:`\frac1{nm}\sum |y-\hat y|`.

        >>> mae([1.0, 2.0], [1.5, 1.0])
        0.75
    """
    t, p = _pair(y_true, y_pred, "mae")
    return float(np.mean(np.abs(t - p)))


def r2(y_true: Any, y_pred: Any) -> float:
    r"""Coefficient of determination :math:`R^2 = 1 - \sum(y-\hat y)^2 / \sum(y-\bar y)^2`.

    Computed per output column and averaged over columns. 1 for a perfect fit,
    0 for predicting the mean of ``y_true``, negative for worse. A constant
    ``y_true`` column scores 1 if predicted exactly, else 0 (as scikit-learn).

        >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]), r2([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
        (1.0, 0.0)
    """
    t, p = _pair(y_true, y_pred, "r2")
    ss_res = np.sum((t - p) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    scores = np.where(ss_tot > 0, 1.0 - _ratio(ss_res, ss_tot), np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


# ------------------------------------------------------------- registry

METRICS: dict[str, Callable[..., float]] = {
    "accuracy": accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1,
    "roc_auc": roc_auc,
    "mse": mse,
    "rmse": rmse,
    "mae": mae,
    "r2": r2,
}
"""Metric name -> function ``f(y_true, y_pred) -> float``."""

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION_METRICS = ("mse", "rmse", "mae", "r2")
TASKS = ("binary", "multiclass", "regression")

_THRESHOLDED = ("accuracy", "precision", "recall", "f1")
_HIGHER_IS_BETTER = ("accuracy", "precision", "recall", "f1", "roc_auc", "r2")
_DEFAULTS = {
    "binary": ("accuracy", "roc_auc"),
    "multiclass": ("accuracy",),
    "regression": ("mse", "rmse", "mae", "r2"),
}


def compute_metrics(
    names: str | Iterable[str],
    y_true: Any,
    y_pred: Any,
    *,
    threshold: float = 0.5,
) -> dict[str, float]:
    """Evaluate the metrics ``names`` (one name or several) and return ``{name: float}``.

    ``threshold`` goes to the thresholded classification metrics (accuracy,
    precision, recall, f1). Names are checked before anything is computed.

        >>> compute_metrics(("accuracy", "roc_auc"), [0, 1, 1], [0.3, 0.6, 0.4])
        {'accuracy': 0.6666666666666666, 'roc_auc': 1.0}
        >>> compute_metrics(["acuracy"], [0, 1], [0.2, 0.8])
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: compute_metrics: 'metric' must be one of 'accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'mse', 'rmse', 'mae', 'r2'; got 'acuracy'. Did you mean 'accuracy'?
    """
    if isinstance(names, str):
        names = [names]
    keys = [check_choice("metric", n, METRICS, owner="compute_metrics") for n in names]
    out: dict[str, float] = {}
    for k in keys:
        fn = METRICS[k]
        out[k] = float(fn(y_true, y_pred, threshold=threshold) if k in _THRESHOLDED else fn(y_true, y_pred))
    return out


def default_metrics(task: str) -> tuple[str, ...]:
    """The metrics reported by default for ``task`` (``"binary"``, ``"multiclass"``, ``"regression"``).

        >>> default_metrics("binary"), default_metrics("regression")
        (('accuracy', 'roc_auc'), ('mse', 'rmse', 'mae', 'r2'))
    """
    return _DEFAULTS[check_choice("task", task, TASKS, owner="default_metrics")]


def metric_mode(name: str) -> str:
    """``"max"`` if a larger value of metric ``name`` is better, else ``"min"``.

    For early stopping or checkpointing on a metric.

        >>> metric_mode("roc_auc"), metric_mode("mse")
        ('max', 'min')
    """
    key = check_choice("metric", name, METRICS, owner="metric_mode")
    return "max" if key in _HIGHER_IS_BETTER else "min"
