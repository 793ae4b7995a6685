r"""Instance segmentation metrics: IoU matching with the Hungarian algorithm, AP, F1, Dice.

For a truth object :math:`T_i` and a predicted object :math:`P_j`,

.. math:: \mathrm{IoU}_{ij} = \frac{|T_i \cap P_j|}{|T_i \cup P_j|}.

At a threshold :math:`\tau` a one-to-one assignment of truth to predicted
objects is found with the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``); it maximises first the number of
pairs with :math:`\mathrm{IoU} \ge \tau` and then their total IoU.  Matched
pairs are true positives (TP), unmatched predictions false positives (FP),
unmatched truths false negatives (FN).  Then (the DSB2018 / StarDist convention)

.. math::

    \mathrm{AP}_\tau = \frac{TP}{TP + FP + FN},\qquad
    F1_\tau = \frac{2\,TP}{2\,TP + FP + FN},

and the mean matched IoU is the average IoU over the TPs.  For
:math:`\tau \ge 0.5` the matching is unique (an object cannot overlap two
others by more than half), so the Hungarian step matters for :math:`\tau < 0.5`.

    >>> t = np.array([[1, 1, 0, 2, 2]]); p = np.array([[3, 3, 0, 0, 4]])
    >>> m = matching(t, p, 0.6)     # object 2 vs 4: IoU 1/2 < 0.6
    >>> m.tp, m.fp, m.fn, m.ap, round(m.mean_iou, 3)
    (1, 1, 1, 0.3333333333333333, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from physnn.cells.io import check_labels
from physnn.errors import PhysnnError, check_range

__all__ = ["Matching", "iou_matrix", "matching", "matching_dataset", "average_precision", "dice", "THRESHOLDS"]

#: the IoU thresholds of the AP curve, 0.5, 0.55, ..., 0.9
THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(9))


@dataclass
class Matching:
    """The result of matching predicted to truth objects at one IoU threshold."""

    thresh: float
    tp: int
    fp: int
    fn: int
    n_true: int
    n_pred: int
    sum_iou: float  #: total IoU of the TPs
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  #: (truth label, predicted label, IoU)

    @property
    def ap(self) -> float:
        """TP / (TP + FP + FN) (0 when there is nothing at all)."""
        d = self.tp + self.fp + self.fn
        return self.tp / d if d else 0.0

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if (self.tp + self.fp) else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if (self.tp + self.fn) else 0.0

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the matched pairs (0 without any)."""
        return self.sum_iou / self.tp if self.tp else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"thresh": self.thresh, "ap": self.ap, "f1": self.f1, "precision": self.precision,
                "recall": self.recall, "mean_iou": self.mean_iou, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "n_true": self.n_true, "n_pred": self.n_pred}


def iou_matrix(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IoU of every truth object with every predicted object.

    Returns ``(iou, true_labels, pred_labels)``: ``iou`` has shape
    (n_true, n_pred), rows/columns in the order of the label arrays.

        >>> iou, lt, lp = iou_matrix(np.array([[1, 1, 0]]), np.array([[0, 5, 5]]))
        >>> iou.tolist(), lt.tolist(), lp.tolist()
        ([[0.3333333333333333]], [1], [5])
    """
    t = check_labels("y_true", y_true, owner="iou_matrix")
    p = check_labels("y_pred", y_pred, shape=t.shape, owner="iou_matrix")
    lt, ti = np.unique(t, return_inverse=True)
    lp, pi = np.unique(p, return_inverse=True)
    nt, np_ = len(lt), len(lp)
    overlap = np.bincount(ti.ravel() * np_ + pi.ravel(), minlength=nt * np_).reshape(nt, np_).astype(float)
    area_t = overlap.sum(axis=1, keepdims=True)
    area_p = overlap.sum(axis=0, keepdims=True)
    union = area_t + area_p - overlap
    iou = np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0)
    rt = slice(1, None) if lt[0] == 0 else slice(0, None)
    rp = slice(1, None) if lp[0] == 0 else slice(0, None)
    return iou[rt, rp], lt[rt], lp[rp]


def _match(iou: np.ndarray, thresh: float) -> list[tuple[int, int]]:
    """Hungarian assignment maximising (#pairs with IoU ≥ τ, then their total IoU)."""
    if iou.size == 0:
        return []
    ok = iou >= thresh
    big = float(min(iou.shape) + 1)
    weight = np.where(ok, big + iou, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if ok[r, c]]


def matching(y_true: Any, y_pred: Any, thresh: float = 0.5) -> Matching:
    """Match the objects of ``y_pred`` to those of ``y_true`` at IoU ≥ ``thresh`` (see module docs).

    Args:
        y_true, y_pred: 2-D integer label images of the same shape (0 = background).
        thresh: IoU threshold in (0, 1].

        >>> t = np.array([[1, 1, 2, 2]])
        >>> matching(t, t).ap                      # a perfect prediction
        1.0
        >>> matching(t, (t > 0).astype(int)).ap    # both merged into one: IoU 0.5 with each, one TP
        0.5
    """
    thresh = check_range("thresh", thresh, low=0.0, high=1.0, low_inclusive=False, owner="matching")
    iou, lt, lp = iou_matrix(y_true, y_pred)
    pairs = _match(iou, thresh)
    tp = len(pairs)
    return Matching(
        thresh=thresh, tp=tp, fp=len(lp) - tp, fn=len(lt) - tp, n_true=len(lt), n_pred=len(lp),
        sum_iou=float(sum(iou[r, c] for r, c in pairs)),
        pairs=[(int(lt[r]), int(lp[c]), float(iou[r, c])) for r, c in pairs],
    )


def matching_dataset(
    y_true: Sequence[Any], y_pred: Sequence[Any], thresholds: Sequence[float] = THRESHOLDS,
) -> dict[float, Matching]:
    """Match image by image and add up TP, FP, FN over the dataset, per threshold.

    The IoU matrix of each image is computed once and reused for every
    threshold.  A dataset whose truth masks hold no object at all raises.
    """
    if len(y_true) != len(y_pred):
        raise PhysnnError(f"matching_dataset: {len(y_true)} truth masks but {len(y_pred)} predictions; pass one per image.")
    if len(y_true) == 0:
        raise PhysnnError("matching_dataset: no images to score; pass at least one (truth, prediction) pair.")
    ths = [check_range("thresholds", t, low=0.0, high=1.0, low_inclusive=False, owner="matching_dataset") for t in thresholds]
    ious = [iou_matrix(t, p) for t, p in zip(y_true, y_pred)]
    if sum(len(lt) for _, lt, _ in ious) == 0:
        raise PhysnnError(
            "matching_dataset: the truth masks hold no objects at all (all zeros); AP is undefined. "
            "Check that the masks were read correctly."
        )
    out = {}
    for th in ths:
        tp = fp = fn = nt = npred = 0
        s = 0.0
        for iou, lt, lp in ious:
            pairs = _match(iou, th)
            tp += len(pairs); fp += len(lp) - len(pairs); fn += len(lt) - len(pairs)
            nt += len(lt); npred += len(lp)
            s += float(sum(iou[r, c] for r, c in pairs))
        out[th] = Matching(th, tp, fp, fn, nt, npred, s)
    return out


def average_precision(y_true: Any, y_pred: Any, thresholds: Sequence[float] = THRESHOLDS) -> dict[float, float]:
    """AP at each threshold for one image or a list of images (counts pooled over images).

        >>> t = np.array([[1, 1, 0, 2, 2]])
        >>> average_precision(t, t, [0.5, 0.9])
        {0.5: 1.0, 0.9: 1.0}
    """
    if isinstance(y_true, np.ndarray) and y_true.ndim == 2:
        y_true, y_pred = [y_true], [y_pred]
    return {th: m.ap for th, m in matching_dataset(y_true, y_pred, thresholds).items()}


def dice(y_true: Any, y_pred: Any) -> float:
    r"""Foreground Dice coefficient :math:`2|A\cap B| / (|A| + |B|)` of the object pixels (1 if both empty).

        >>> dice(np.array([[1, 1, 0, 0]]), np.array([[0, 2, 2, 0]]))
        0.5
    """
    t = np.asarray(y_true) > 0
    p = np.asarray(y_pred) > 0
    if t.shape != p.shape:
        raise PhysnnError(f"dice: y_true has shape {t.shape} but y_pred {p.shape}; they must be the same.")
    s = int(t.sum()) + int(p.sum())
    return 1.0 if s == 0 else 2.0 * int((t & p).sum()) / s
