r"""Cell tracking: frame-to-frame Hungarian linking with divisions, Cell Tracking Challenge export and scores.

For frames :math:`t` and :math:`t+1` with nucleus centroids :math:`c_i` and
:math:`c'_j`:

1. the global stage drift :math:`d` is estimated by phase correlation of the
   two foreground masks (``skimage.registration.phase_cross_correlation``);
2. the cost of linking :math:`i \to j` is the distance
   :math:`\|c_i + d - c'_j\|`; pairs farther than ``max_distance`` are
   forbidden, and ``scipy.optimize.linear_sum_assignment`` finds the
   assignment of least total cost;
3. a **division**: a new nucleus :math:`j` left unmatched lies within
   ``division_distance`` of a nucleus :math:`i` whose own match :math:`j'`
   (or a second unmatched nucleus) is also smaller than :math:`i`, with
   :math:`0.6 < (A_j + A_{j'}) / A_i < 1.6` and sisters of similar size,
   :math:`\min(A_j, A_{j'}) \ge 0.5 \max(A_j, A_{j'})` — then :math:`i`'s track ends at
   :math:`t` and :math:`j, j'` start two tracks with parent :math:`i`;
4. any other unmatched nucleus starts a new track.

The result is a label stack whose labels are track ids and a table of
``(label, start, end, parent)`` rows — exactly the Cell Tracking Challenge
``res_track.txt``.  :func:`write_ctc` writes results (``mask000.tif``,
``res_track.txt``) or ground truth (``TRA/man_track*.tif``, ``SEG/man_seg*.tif``),
and :func:`ctc_scores` computes the official TRA and SEG measures with the
``py-ctcmetrics`` package, offline.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_range

__all__ = ["link", "write_ctc", "ctc_scores", "TrackResult", "read_stack", "segment_stack", "read_ctc_truth",
           "track_recalls", "MAX_DISTANCE_PER_D", "DIVISION_DISTANCE_PER_D"]


class TrackResult:
    """Tracked label stack ``labels`` (T, H, W) and ``tracks`` rows ``(label, start, end, parent)``."""

    def __init__(self, labels: np.ndarray, tracks: np.ndarray, divisions: int) -> None:
        self.labels = labels
        self.tracks = tracks
        self.divisions = divisions

    def __repr__(self) -> str:
        return f"TrackResult(frames={self.labels.shape[0]}, tracks={len(self.tracks)}, divisions={self.divisions})"


def _objects(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy import ndimage as ndi

    ids = np.unique(lab)
    ids = ids[ids > 0]
    if ids.size == 0:
        return ids, np.zeros((0, 2)), np.zeros(0)
    cents = np.array(ndi.center_of_mass(np.ones_like(lab), lab, ids)).reshape(-1, 2)
    areas = ndi.sum_labels(np.ones_like(lab), lab, ids).astype(float)
    return ids, cents, areas


def _split_merged(lab: np.ndarray, pred: np.ndarray, areas: np.ndarray) -> np.ndarray:
    r"""Split an object into which two or more nuclei of the previous frame are predicted to move.

    Touching nuclei that a segmenter merged in one frame (and not in the one before) are cut
    apart again along the power diagram of the predicted centroids :math:`p_i` with the
    predecessors' radii :math:`r_i = \sqrt{A_i/\pi}` (a pixel :math:`x` goes to the nucleus of
    least :math:`|x - p_i|^2 - r_i^2`: a straight cut between two touching convex nuclei, placed
    by their sizes); only when the predecessors' areas add up to the object's (0.6-1.5) and
    every part keeps at least a fifth of it.  Predecessors whose area is NaN are left out.
    """
    h, w = lab.shape
    py = np.clip(np.round(pred[:, 0]).astype(int), 0, h - 1)
    px = np.clip(np.round(pred[:, 1]).astype(int), 0, w - 1)
    owner = np.where(np.isfinite(areas), lab[py, px], 0)
    out = lab
    nxt = int(lab.max()) + 1
    for j in np.unique(owner[owner > 0]):
        idx = np.flatnonzero(owner == j)
        if idx.size < 2 or len({(py[i], px[i]) for i in idx}) < idx.size:
            continue
        mask = lab == j
        area = float(mask.sum())
        if not 0.6 <= float(areas[idx].sum()) / area <= 1.5:
            continue
        yy, xx = np.nonzero(mask)
        power = ((yy[:, None] - pred[idx, 0]) ** 2 + (xx[:, None] - pred[idx, 1]) ** 2
                 - areas[idx][None, :] / np.pi)
        part = np.argmin(power, axis=1)
        sizes = np.bincount(part, minlength=idx.size)
        if (sizes < 0.2 * area).any():
            continue
        if out is lab:
            out = lab.copy()
        for k in range(1, idx.size):
            sel = part == k
            out[yy[sel], xx[sel]] = nxt
            nxt += 1
    return out


def link(labels: Any, *, max_distance: float = 10.0, division_distance: float = 18.0,
         drift: bool = True, split_merges: bool = True, min_sister_ratio: float = 0.5,
         undo_false_divisions: bool = True) -> TrackResult:
    """Link the objects of a label stack (T, H, W) into tracks (see module docs).

    Args:
        labels: integer instance masks per frame (from ground truth or a segmenter).
        max_distance: largest allowed displacement (px) after drift correction.
        division_distance: largest mother–daughter centroid distance (px).
        drift: estimate the global shift between frames by phase correlation.
        min_sister_ratio: the smaller daughter has at least this fraction of the larger one's
            area (a nucleus cut unevenly by the segmenter is not a division).
        undo_false_divisions: a division whose one daughter lives a single frame and touches
            her sister is a nucleus the segmenter cut in two for a frame: join the pieces back
            under the mother's track, which goes on with the surviving piece.
        split_merges: cut an object into which two or more nuclei of the previous frame are
            predicted to move (two touching nuclei a segmenter merged) along its distance
            transform's watershed, seeded at their predicted centroids.

        >>> lab = np.zeros((3, 20, 20), int)
        >>> for t in range(3): lab[t, 5:9, 3 + 2*t:7 + 2*t] = 4
        >>> r = link(lab, drift=False)
        >>> r.tracks.tolist(), int(r.labels[2].max())
        ([[1, 0, 2, 0]], 1)
    """
    from scipy.optimize import linear_sum_assignment

    lab = np.asarray(labels)
    if lab.ndim != 3 or not np.issubdtype(lab.dtype, np.integer):
        raise PhysnnError(
            f"link: 'labels' must be an integer label stack of shape (T, H, W); got dtype {lab.dtype}, shape {lab.shape}."
        )
    max_distance = check_range("max_distance", max_distance, low=0.0, low_inclusive=False, owner="link")
    division_distance = check_range("division_distance", division_distance, low=0.0, low_inclusive=False, owner="link")
    T = lab.shape[0]
    out = np.zeros(lab.shape, np.int32)
    start: dict[int, int] = {}
    end: dict[int, int] = {}
    parent: dict[int, int] = {}
    ids, cents, areas = _objects(lab[0])
    track_of = {}
    nxt = 1
    for k, i in enumerate(ids):
        track_of[k] = nxt
        start[nxt], parent[nxt] = 0, 0
        out[0][lab[0] == i] = nxt
        nxt += 1
    n_div = 0
    for t in range(1, T):
        cur = lab[t]
        shift = np.zeros(2)
        if drift and ids.size and cur.any():
            from skimage.registration import phase_cross_correlation

            shift = np.asarray(phase_cross_correlation((lab[t - 1] > 0).astype(float), (cur > 0).astype(float))[0])
            shift = -shift  # the displacement from frame t-1 to t
        pred = cents + shift
        if split_merges and ids.size > 1:
            # only nuclei followed for 2 frames or more: a piece of a nucleus cut in two at t-1 (a new track)
            # must not cut the whole nucleus at t again
            old = np.array([start[track_of[k]] <= t - 2 for k in range(ids.size)])
            cur = _split_merged(cur, pred, np.where(old, areas, np.nan))
        ids2, cents2, areas2 = _objects(cur)
        d = np.linalg.norm(pred[:, None, :] - cents2[None, :, :], axis=2) if ids.size and ids2.size else np.zeros((ids.size, ids2.size))
        match: dict[int, int] = {}
        if d.size:
            cost = np.where(d <= max_distance, d, 1e6)
            rows, cols = linear_sum_assignment(cost)
            match = {int(r): int(c) for r, c in zip(rows, cols) if d[r, c] <= max_distance}
        matched2 = set(match.values())
        unmatched2 = [j for j in range(ids2.size) if j not in matched2]
        new_track: dict[int, int] = {}
        mothers: set[int] = set()
        # divisions: an unmatched object near a mother, with a sister (her match or another unmatched one)
        for j in list(unmatched2):
            if j in new_track or not ids.size:
                continue
            dist = np.linalg.norm(pred - cents2[j], axis=1)
            for i in np.argsort(dist):
                i = int(i)
                if dist[i] > division_distance or i in mothers:
                    break
                sisters = [match[i]] if i in match else [
                    s for s in unmatched2 if s != j and s not in new_track and np.linalg.norm(pred[i] - cents2[s]) <= division_distance
                ]
                sisters = [s for s in sisters if areas2[s] < areas[i] and areas2[j] < areas[i]
                           and 0.6 < (areas2[s] + areas2[j]) / areas[i] < 1.6
                           and min(areas2[s], areas2[j]) >= min_sister_ratio * max(areas2[s], areas2[j])]
                if sisters:
                    s = min(sisters, key=lambda s: np.linalg.norm(pred[i] - cents2[s]))
                    mothers.add(i)
                    mom = track_of[i]
                    for child in (j, s):
                        new_track[child] = nxt
                        start[nxt], parent[nxt] = t, mom
                        nxt += 1
                    match.pop(i, None)
                    n_div += 1
                    break
        new_of = {}
        for i, j in match.items():
            new_of[j] = track_of[i]
        for j, tr in new_track.items():
            new_of[j] = tr
        for j in range(ids2.size):
            if j not in new_of:
                new_of[j] = nxt
                start[nxt], parent[nxt] = t, 0
                nxt += 1
        # tracks of frame t-1 that were not continued end at t-1
        continued = {track_of[i] for i in match}
        for k, tr in track_of.items():
            if tr not in continued:
                end[tr] = t - 1
        lut = np.zeros(int(cur.max()) + 1, np.int32)
        for j, tr in new_of.items():
            lut[ids2[j]] = tr
        out[t] = lut[cur]
        ids, cents, areas = ids2, cents2, areas2
        track_of = {j: new_of[j] for j in range(ids2.size)}
    for tr in track_of.values():
        end[tr] = T - 1
    if undo_false_divisions:
        n_div -= _undo_false_divisions(out, start, end, parent, T)
    rows = [(tr, start[tr], end.get(tr, T - 1), parent[tr]) for tr in sorted(start)]
    return TrackResult(out, np.array(rows, dtype=int).reshape(-1, 4), n_div)


def _undo_false_divisions(out: np.ndarray, start: dict, end: dict, parent: dict, T: int) -> int:
    """Merge back the two 'daughters' of a division when one lives a single frame and touches her sister.

    A nucleus that the segmenter cut in two for one frame looks like a division whose one
    daughter vanishes at once; the two pieces are joined again under the mother's track, which
    continues with the surviving piece.  ``out`` and the track tables are changed in place;
    returns the number of divisions undone.
    """
    from scipy import ndimage as ndi

    def children() -> dict[int, list[int]]:
        kids: dict[int, list[int]] = {}
        for tr, p in parent.items():
            if p:
                kids.setdefault(p, []).append(tr)
        return kids

    undone = 0
    tried: set[int] = set()
    while True:
        found = None
        family = children()
        for mom, kids in sorted(family.items()):
            if mom in tried or len(kids) != 2 or start[kids[0]] != start[kids[1]]:
                continue
            tried.add(mom)
            t = start[kids[0]]
            short = [k for k in kids if end.get(k, T - 1) == t]
            if len(short) != 1 or t >= T - 1 or family.get(short[0]):
                continue
            a = short[0]
            b = kids[1] if kids[0] == a else kids[0]
            if (ndi.binary_dilation(out[t] == a, iterations=2) & (out[t] == b)).any():
                found = (mom, a, b, t)
                break
        if found is None:
            return undone
        mom, a, b, t = found
        out[t][out[t] == a] = mom
        for u in range(t, end.get(b, T - 1) + 1):
            out[u][out[u] == b] = mom
        end[mom] = end.get(b, T - 1)
        for k, p in list(parent.items()):
            if p == b:
                parent[k] = mom
        for k in (a, b):
            del start[k], parent[k]
            end.pop(k, None)
        tried.discard(mom)  # her new daughters (if b divided later) may be looked at again
        undone += 1


def write_ctc(directory: str | Path, labels: np.ndarray, tracks: np.ndarray, *, kind: str = "result") -> Path:
    """Write a label stack and its track table in the Cell Tracking Challenge layout.

    ``kind="result"``: ``directory/mask000.tif ...`` and ``res_track.txt``;
    ``kind="truth"``: ``directory/TRA/man_track000.tif ...``, ``TRA/man_track.txt``
    and ``directory/SEG/man_seg000.tif ...`` (every frame annotated).
    Each ``.txt`` line is ``L B E P``: label, first frame, last frame, parent (0 = none).
    """
    from physnn.cells.io import write_tiff
    from physnn.files import write_text

    from physnn.errors import check_choice

    kind = check_choice("kind", kind, ["result", "truth"], owner="write_ctc")
    lab = np.asarray(labels)
    if lab.ndim != 3:
        raise PhysnnError(f"write_ctc: 'labels' must be a stack (T, H, W); got shape {lab.shape}.")
    d = Path(directory)
    text = "".join(f"{int(l)} {int(b)} {int(e)} {int(p)}\n" for l, b, e, p in np.asarray(tracks).reshape(-1, 4))
    width = max(3, len(str(lab.shape[0] - 1)))
    if kind == "result":
        d.mkdir(parents=True, exist_ok=True)
        for t in range(lab.shape[0]):
            write_tiff(d / f"mask{t:0{width}d}.tif", lab[t].astype(np.uint16))
        write_text(d / "res_track.txt", text)
    else:
        (d / "TRA").mkdir(parents=True, exist_ok=True)
        (d / "SEG").mkdir(parents=True, exist_ok=True)
        for t in range(lab.shape[0]):
            write_tiff(d / "TRA" / f"man_track{t:0{width}d}.tif", lab[t].astype(np.uint16))
            write_tiff(d / "SEG" / f"man_seg{t:0{width}d}.tif", lab[t].astype(np.uint16))
        write_text(d / "TRA" / "man_track.txt", text)
    return d


def ctc_scores(result_dir: str | Path, truth_dir: str | Path) -> dict[str, float]:
    """TRA and SEG of a CTC result against CTC ground truth, computed by ``py-ctcmetrics`` (offline).

    TRA = 1 − min(AOGM, AOGM₀)/AOGM₀ (the weighted graph edits that turn the
    result's lineage graph into the truth's, relative to building it from
    nothing); SEG = mean Jaccard index of truth objects matched with > 50 % overlap.
    """
    try:
        from ctc_metrics.scripts.evaluate import evaluate_sequence
    except ImportError:
        raise PhysnnError("ctc_scores: needs the 'py-ctcmetrics' package; install it with `pip install py-ctcmetrics`.") from None
    res_txt = Path(result_dir) / "res_track.txt"
    if res_txt.is_file() and not res_txt.read_text().strip():
        # an empty result (nothing segmented): py-ctcmetrics cannot parse it; by definition
        # TRA = 1 - min(AOGM, AOGM_0)/AOGM_0 = 0 (every node and edge must be added) and SEG = 0
        return {"TRA": 0.0, "SEG": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        res = evaluate_sequence(str(result_dir), str(truth_dir), ["TRA", "SEG"], threads=1)
    return {k: float(res[k]) for k in ("TRA", "SEG") if k in res and res[k] is not None}


# ---------------------------------------------------------------- the user's own time-lapse

#: link distances as fractions of the nucleus diameter D: the generator's defaults (10 and 18 px) at D = 22 px
MAX_DISTANCE_PER_D, DIVISION_DISTANCE_PER_D = 0.5, 0.85


def read_stack(path: str | Path) -> np.ndarray:
    """A time-lapse (T, H, W) from a multi-page TIFF or a folder of single-frame images (sorted by name).

        >>> import tempfile, tifffile
        >>> p = Path(tempfile.mkdtemp()) / "s.tif"
        >>> tifffile.imwrite(p, np.zeros((3, 8, 8), np.uint16), photometric="minisblack")
        >>> read_stack(p).shape
        (3, 8, 8)
    """
    from physnn.cells.io import check_image, read_image

    p = Path(path)
    if p.is_dir():
        from physnn.cells.runs import image_files

        frames = [read_image(f) for f in image_files(p, owner="cells track", what="frames")]
        shapes = {f.shape for f in frames}
        if len(shapes) > 1:
            raise PhysnnError(f"cells track: the frames in {str(p)!r} have different shapes {sorted(shapes)}; "
                              "every frame of a time-lapse must have the same size.")
        stack = np.stack(frames)
    else:
        from physnn.cells.io import read_pixels

        stack = np.squeeze(read_pixels(p, owner="cells track", what="time-lapse"))
        if stack.ndim == 2:
            raise PhysnnError(f"cells track: {str(p)!r} has 1 frame {stack.shape}; tracking needs 2 or more "
                              "(a multi-page TIFF, or a folder of one image per frame).")
        if stack.ndim == 4 and stack.shape[-1] in (3, 4):
            stack = stack[..., :3].mean(axis=-1)
        if stack.ndim != 3:
            raise PhysnnError(f"cells track: {str(p)!r} holds an array of shape {stack.shape}; a time-lapse is a "
                              "multi-page TIFF of 2-D frames (T, H, W), or a folder of one image per frame.")
    if stack.shape[0] < 2:
        raise PhysnnError(f"cells track: {str(p)!r} has {stack.shape[0]} frame; tracking needs 2 or more.")
    for t in range(stack.shape[0]):
        check_image(f"frame {t}", stack[t], owner="cells track")
    return stack


def segment_stack(model: Any, frames: np.ndarray, *, train_diameter: float, diameter: float | None = None,
                  progress: Any = None, tta: bool = True, split_ratio: float | None = None) -> tuple[np.ndarray, float]:
    """Instance masks (T, H, W) of every frame with a U-Net, at one scale for the whole stack.

    The nucleus diameter is ``diameter`` or estimated on the middle frame
    (:func:`physnn.cells.segment.choose_scale`); returns ``(labels, diameter)``.  ``tta``: the
    U-Net averaged over the 8 symmetries of the square (:func:`physnn.cells.segment.segment_image`).
    ``split_ratio``: the shape-only split of large objects (:func:`physnn.cells.segment.split_large`);
    off by default here, since :func:`link` splits merged nuclei with the previous frame's nuclei
    (on our own time-lapses, seeds 7-10, the shape-only split on top of it lowered the link recall
    by 0.006 on average).
    """
    from physnn.cells.segment import choose_scale, segment_image

    factor, d = choose_scale(model, frames[frames.shape[0] // 2], train_diameter=train_diameter, diameter=diameter)
    out = []
    for t in range(frames.shape[0]):
        out.append(segment_image(model, frames[t], train_diameter=train_diameter, factor=factor, tta=tta,
                                 split_ratio=split_ratio))
        if progress is not None:
            progress()
    return np.stack(out).astype(np.int32), d


def read_ctc_truth(directory: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The ground truth of a Cell Tracking Challenge sequence: ``TRA/man_track*.tif`` and ``TRA/man_track.txt``."""
    import tifffile

    d = Path(directory)
    if not d.is_dir():
        state = "is a file, not a folder" if d.exists() else "does not exist"
        raise PhysnnError(f"cells track: the ground-truth folder {str(d)!r} {state}; give a Cell Tracking "
                          "Challenge ground truth (a folder with TRA/man_track*.tif and TRA/man_track.txt).")
    tra = d / "TRA" if (d / "TRA").is_dir() else d
    files = sorted(tra.glob("man_track*.tif"))
    txt = tra / "man_track.txt"
    if not files or not txt.is_file():
        raise PhysnnError(f"cells track: {str(d)!r} is not a Cell Tracking Challenge ground-truth folder "
                          "(TRA/man_track000.tif ... and TRA/man_track.txt), e.g. 01_GT from "
                          "'physnn cells generate --timelapse'.")
    labels = np.stack([np.asarray(tifffile.imread(f)) for f in files]).astype(np.int64)
    try:
        tracks = np.loadtxt(txt, dtype=int, ndmin=2).reshape(-1, 4)
    except ValueError as exc:
        raise PhysnnError(f"cells track: cannot read {str(txt)!r} as 'L B E P' lines ({exc}).") from None
    return labels, tracks


def _match_truth(res: np.ndarray, gt: np.ndarray) -> dict[int, int]:
    """Truth label -> result label covering more than half of it (CTC's detection criterion), one frame."""
    m: dict[int, int] = {}
    g = gt.ravel()
    r = res.ravel()
    sel = g > 0
    if not sel.any():
        return m
    pairs, counts = np.unique(np.stack([g[sel], r[sel]]), axis=1, return_counts=True)
    sizes = np.bincount(g[sel])
    for (gl, rl), c in zip(pairs.T, counts):
        if rl > 0 and c > 0.5 * sizes[gl]:
            m[int(gl)] = int(rl)
    return m


def _links(labels: np.ndarray, tracks: np.ndarray) -> set[tuple[int, int, int]]:
    """Links ``(t, label at t, label at t+1)``: a label in consecutive frames, and mother -> daughter."""
    out = set()
    present = [set(np.unique(labels[t]).tolist()) - {0} for t in range(labels.shape[0])]
    for t in range(labels.shape[0] - 1):
        for lab in present[t] & present[t + 1]:
            out.add((t, int(lab), int(lab)))
    for lab, b, _, p in np.asarray(tracks).reshape(-1, 4):
        if p > 0 and b > 0 and int(p) in present[b - 1] and int(lab) in present[b]:
            out.add((int(b) - 1, int(p), int(lab)))
    return out


def track_recalls(res_labels: Any, res_tracks: Any, gt_labels: Any, gt_tracks: Any) -> dict[str, float]:
    r"""Detection and link recall of a tracking result against ground truth.

    A true nucleus is *detected* when one result object covers more than half of
    its pixels (the Cell Tracking Challenge's criterion).  A true *link* (the same
    nucleus in frames :math:`t, t+1`, or a mother at :math:`t` and her daughter at
    :math:`t+1`) is *recalled* when both ends are detected and their result
    objects are linked the same way.  Also returned: the detection precision
    (result objects that cover a true one) and the counts.

        >>> lab = np.zeros((2, 8, 8), int); lab[:, 2:6, 2:6] = 1
        >>> track_recalls(lab, [[1, 0, 1, 0]], lab, [[1, 0, 1, 0]])["link_recall"]
        1.0
    """
    res, gt = np.asarray(res_labels), np.asarray(gt_labels)
    if res.shape != gt.shape:
        raise PhysnnError(f"track_recalls: the result has shape {res.shape} but the truth {gt.shape}; "
                          "they must be the same time-lapse.")
    matches = [_match_truth(res[t], gt[t]) for t in range(gt.shape[0])]
    n_true = sum(len(set(np.unique(gt[t]).tolist()) - {0}) for t in range(gt.shape[0]))
    n_res = sum(len(set(np.unique(res[t]).tolist()) - {0}) for t in range(res.shape[0]))
    n_det = sum(len(m) for m in matches)
    n_res_hit = sum(len(set(m.values())) for m in matches)
    true_links = _links(gt, np.asarray(gt_tracks))
    res_links = _links(res, np.asarray(res_tracks))
    hit = 0
    for t, a, b in true_links:
        ra, rb = matches[t].get(a), matches[t + 1].get(b)
        if ra is not None and rb is not None and (t, ra, rb) in res_links:
            hit += 1
    return {"detection_recall": n_det / n_true if n_true else 1.0,
            "detection_precision": n_res_hit / n_res if n_res else 1.0,
            "link_recall": hit / len(true_links) if true_links else 1.0,
            "true_nuclei": n_true, "true_links": len(true_links), "result_nuclei": n_res}
