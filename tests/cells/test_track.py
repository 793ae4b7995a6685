"""Tracking: linking with drift and divisions, CTC files, TRA/SEG by py-ctcmetrics."""

from __future__ import annotations

import numpy as np
import pytest

from physnn.cells.synth import generate_timelapse
from physnn.cells.track import ctc_scores, link, write_ctc
from physnn.errors import PhysnnError


def test_linking_true_masks_recovers_the_lineage():
    tl = generate_timelapse(16, 96, seed=3, growth=0.04)
    r = link(tl.labels)
    truth_div = {int(p) for p in tl.tracks[:, 3] if p}
    assert r.divisions >= 1 and len(truth_div) >= 1
    # every true track maps onto exactly one result track over its whole life (no switches)
    for lab, b, e, _ in tl.tracks:
        ids = {int(np.bincount(r.labels[t][tl.labels[t] == lab]).argmax()) for t in range(b, e + 1)}
        assert len(ids) == 1
    # a mother whose second daughter is hidden or outside the field has one child in the truth;
    # the linker continues her track instead: at most that many tracks differ
    one_child = sum(1 for p in truth_div if (tl.tracks[:, 3] == p).sum() == 1)
    assert abs(len(r.tracks) - len(tl.tracks)) <= one_child


def test_a_division_by_hand():
    lab = np.zeros((3, 30, 30), np.int32)
    lab[0, 10:20, 10:20] = 1                          # mother, area 100
    lab[1, 10:20, 10:20] = 1
    lab[2, 8:14, 10:18], lab[2, 16:22, 10:18] = 5, 6  # two daughters, area 48 each
    r = link(lab, drift=False)
    assert r.divisions == 1
    assert r.tracks.tolist() == [[1, 0, 1, 0], [2, 2, 2, 1], [3, 2, 2, 1]]


def test_ctc_round_trip_scores_perfect_for_truth(tmp_path):
    pytest.importorskip("ctc_metrics")
    tl = generate_timelapse(6, 64, seed=0)
    write_ctc(tmp_path / "01_GT", tl.labels, tl.tracks, kind="truth")
    write_ctc(tmp_path / "01_RES", tl.labels, tl.tracks)
    assert (tmp_path / "01_GT" / "TRA" / "man_track.txt").read_text().splitlines()[0].count(" ") == 3
    s = ctc_scores(tmp_path / "01_RES", tmp_path / "01_GT")
    assert s["TRA"] == pytest.approx(1.0) and s["SEG"] == pytest.approx(1.0)
    # a result that loses every link: TRA drops
    broken = tl.labels.copy()
    rows = []
    nxt = 1
    for t in range(broken.shape[0]):
        ids = [i for i in np.unique(broken[t]) if i]
        lut = np.zeros(int(broken[t].max()) + 1, np.int32)
        for i in ids:
            lut[i] = nxt
            rows.append((nxt, t, t, 0))
            nxt += 1
        broken[t] = lut[broken[t]]
    write_ctc(tmp_path / "bad", broken, np.array(rows))
    assert ctc_scores(tmp_path / "bad", tmp_path / "01_GT")["TRA"] < 0.95


def test_errors():
    with pytest.raises(PhysnnError, match=r"\(T, H, W\)"):
        link(np.zeros((4, 4), int))
    with pytest.raises(PhysnnError, match=r"\(T, H, W\)"):
        link(np.zeros((2, 4, 4)))


def _consistent(r) -> bool:
    """Every label of the stack is a row of the table, present exactly over its frames B..E."""
    rows = {int(l): (int(b), int(e)) for l, b, e, _ in r.tracks}
    for t in range(r.labels.shape[0]):
        for lab in set(np.unique(r.labels[t]).tolist()) - {0}:
            if lab not in rows or not rows[lab][0] <= t <= rows[lab][1]:
                return False
    return True


def test_two_nuclei_merged_in_one_frame_are_cut_apart():
    """Two touching squares the segmenter merged in frame 2 keep their two tracks (4 frames)."""
    lab = np.zeros((4, 40, 60), np.int32)
    for t in range(4):
        lab[t, 10:30, 5 + t:25 + t] = 1
        lab[t, 10:30, 25 + t:45 + t] = 2
    lab[2][lab[2] == 2] = 1  # merged
    r = link(lab, drift=False, max_distance=5, division_distance=15)
    assert r.tracks.tolist() == [[1, 0, 3, 0], [2, 0, 3, 0]] and _consistent(r)
    assert len(np.unique(r.labels[2])) == 3 and r.labels[2, 20, 10] != r.labels[2, 20, 40]
    r = link(lab, drift=False, max_distance=5, division_distance=15, split_merges=False)
    assert len(r.tracks) > 2


def test_a_nucleus_cut_in_two_for_one_frame_is_not_a_division():
    lab = np.zeros((4, 40, 40), np.int32)
    for t in range(4):
        lab[t, 10:30, 10:30] = 1
    lab[1, 10:30, 20:30] = 2  # frame 1: two touching halves
    r = link(lab, drift=False, max_distance=8, division_distance=15)
    assert r.tracks.tolist() == [[1, 0, 3, 0]] and r.divisions == 0 and _consistent(r)
    assert (r.labels[1][lab[1] > 0] == 1).all()
    r = link(lab, drift=False, max_distance=8, division_distance=15, undo_false_divisions=False)
    assert r.divisions == 1 and _consistent(r)
