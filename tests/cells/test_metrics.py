"""Instance matching and AP against hand-computed cases and a brute-force matcher."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from physnn.cells.metrics import THRESHOLDS, average_precision, dice, iou_matrix, matching, matching_dataset
from physnn.errors import PhysnnError


def squares(shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.zeros((40, 40), np.int32)
    t[5:15, 5:15] = 1
    t[20:30, 20:30] = 2
    p = np.zeros_like(t)
    p[5:15, 5 + shift:15 + shift] = 7
    p[20:30, 20 + shift:30 + shift] = 3
    return t, p


def test_perfect_prediction_scores_one_everywhere():
    t, _ = squares()
    relabelled = np.where(t == 1, 9, np.where(t == 2, 4, 0))  # label values do not matter
    ap = average_precision(t, relabelled)
    assert ap == {th: 1.0 for th in THRESHOLDS}
    m = matching(t, relabelled, 0.9)
    assert (m.tp, m.fp, m.fn, m.f1, m.mean_iou) == (2, 0, 0, 1.0, 1.0)


def test_shifted_prediction_by_hand():
    # a 10x10 square shifted by 2 px: overlap 10*8 = 80, union 120, IoU = 2/3
    t, p = squares(shift=2)
    iou, lt, lp = iou_matrix(t, p)
    assert lt.tolist() == [1, 2] and lp.tolist() == [3, 7]
    assert iou[0, 1] == pytest.approx(2 / 3) and iou[1, 0] == pytest.approx(2 / 3)
    assert iou[0, 0] == 0 and iou[1, 1] == 0
    assert matching(t, p, 0.65).ap == 1.0
    m = matching(t, p, 0.7)
    assert (m.tp, m.fp, m.fn, m.ap, m.f1) == (0, 2, 2, 0.0, 0.0)
    assert matching(t, p, 0.5).mean_iou == pytest.approx(2 / 3)


def test_merged_prediction_by_hand():
    # two touching 4x4 nuclei predicted as one 4x8 object: IoU 16/32 = 0.5 with each
    t = np.zeros((6, 10), np.int32)
    t[1:5, 1:5], t[1:5, 5:9] = 1, 2
    p = (t > 0).astype(np.int32)
    m = matching(t, p, 0.5)
    assert (m.tp, m.fp, m.fn) == (1, 0, 1) and m.ap == pytest.approx(1 / 2)
    assert m.f1 == pytest.approx(2 / 3)
    assert matching(t, p, 0.55).ap == 0.0
    assert dice(t, p) == 1.0  # the foreground is right, only the instances are not


def test_dataset_pools_counts():
    t, p = squares(shift=2)
    m = matching_dataset([t, t], [t, p], [0.7])[0.7]
    assert (m.tp, m.fp, m.fn) == (2, 2, 2) and m.ap == pytest.approx(2 / 6)


def brute_force(iou: np.ndarray, thresh: float) -> tuple[int, float]:
    """Best (number of matches with IoU >= thresh, then total IoU) over all one-to-one assignments."""
    n, m = iou.shape
    best = (0, 0.0)
    for k in range(min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                vals = [iou[r, c] for r, c in zip(rows, cols)]
                if all(v >= thresh for v in vals):
                    cand = (k, float(sum(vals)))
                    if cand[0] > best[0] or (cand[0] == best[0] and cand[1] > best[1] + 1e-12):
                        best = cand
    return best


@pytest.mark.parametrize("seed", range(12))
def test_hungarian_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 4, (6, 6)).astype(np.int32)   # up to 3 objects of scattered pixels: low IoUs
    p = rng.integers(0, 5, (6, 6)).astype(np.int32)
    iou, _, _ = iou_matrix(t, p)
    for th in (0.05, 0.1, 0.2, 0.3):
        m = matching(t, p, th)
        k, s = brute_force(iou, th)
        assert m.tp == k
        assert m.sum_iou == pytest.approx(s)


def test_bad_labels_are_clear_errors():
    t, p = squares()
    with pytest.raises(PhysnnError, match="integer labels.*non-integer values such as 3.5"):
        matching(t, p * 0.5)
    with pytest.raises(PhysnnError, match=r"astype\(np.int32\)"):
        matching(t, p.astype(float))
    with pytest.raises(PhysnnError, match="same.*shape|shape .* but the image"):
        matching(t, p[:20])
    with pytest.raises(PhysnnError, match="2-D label image"):
        matching(t[None], p[None])
    with pytest.raises(PhysnnError, match=r"skimage.measure.label"):
        matching(t, p > 0)
    with pytest.raises(PhysnnError, match="no objects"):
        matching_dataset([np.zeros_like(t)], [p])
    with pytest.raises(PhysnnError, match="negative"):
        matching(t, -p)
    with pytest.raises(PhysnnError, match="thresh"):
        matching(t, p, 0.0)
