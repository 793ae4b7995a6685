r"""Nuclei of any size: estimate the nucleus diameter from an image, and rescale to the training scale.

A U-Net learns nuclei at the scale it was trained on (the bundled model: a
median diameter :math:`D_{train} \approx 21` px, stored in its ``state.json``).
A user's nuclei may be 15 or 60 px across, so, as Cellpose does with its size
model, the image is resized by :math:`f = D_{train} / D` before the network
and the masks are resized back (nearest neighbour) to the image's own size.

:func:`estimate_diameter` measures :math:`D` from the image alone, with no
network: the image is normalised and smoothed, thresholded by Otsu's method,
and each connected object of the foreground is measured.  Objects that are
*convex* (solidity :math:`\ge 0.9`), roundish (the diameter of the largest
inscribed circle at least 0.75 times the equivalent diameter: an ellipse of
axis ratio above 0.56, but not two touching nuclei) and do not touch the
border are taken as single nuclei, and the median of their equivalent
diameters :math:`2\sqrt{A/\pi}`, weighted by area (so that specks of noise
count little), is the estimate.  When fewer than three objects qualify, the
largest inscribed circle of each object (twice the maximum of its distance
transform, which a cluster of touching nuclei shares with a single one) is
used instead.  :func:`physnn.cells.segment.choose_scale` then refines
:math:`D` once with the U-Net's own objects (their median equivalent diameter
at the first scale), which removes the bias of the threshold (the blur halo
around a nucleus makes Otsu's objects a little larger).  Measured errors:
``benchmarks/README.md`` (``cells_own_data.py``).

    >>> import numpy as np
    >>> yy, xx = np.mgrid[:128, :128]
    >>> img = np.zeros((128, 128))
    >>> for cy, cx in [(30, 30), (30, 90), (90, 30), (90, 90)]:
    ...     img[(yy - cy) ** 2 + (xx - cx) ** 2 <= 15 ** 2] = 1.0   # discs of diameter ~31 px
    >>> round(estimate_diameter(img))
    30
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_range

__all__ = ["estimate_diameter", "equivalent_diameter", "rescale_image", "resize_labels", "check_diameter"]

#: smallest and largest diameter estimate returned [px]; outside it an image is read as having no nuclei
MIN_DIAMETER, MAX_DIAMETER = 4.0, 400.0


def check_diameter(diameter: Any, *, owner: str) -> float | None:
    """``None`` (estimate it) or a diameter in pixels in [4, 400], as a float; else a PhysnnError."""
    if diameter is None:
        return None
    return check_range("diameter", diameter, low=MIN_DIAMETER, high=MAX_DIAMETER, owner=owner)


def equivalent_diameter(labels: np.ndarray, *, exclude_border: bool = True) -> float | None:
    r"""The median equivalent diameter :math:`2\sqrt{A/\pi}` of the objects of a label image, or None.

    Objects touching the border (cut by it) are left out unless none would remain.

        >>> lab = np.zeros((20, 20), int); lab[5:15, 5:15] = 1
        >>> round(equivalent_diameter(lab), 2)
        11.28
    """
    lab = np.asarray(labels)
    if not lab.any():
        return None
    areas = np.bincount(lab.ravel())
    ids = np.flatnonzero(areas)
    ids = ids[ids > 0]
    if exclude_border:
        edge = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
        inner = np.setdiff1d(ids, edge)
        if inner.size:
            ids = inner
    return float(2.0 * math.sqrt(float(np.median(areas[ids])) / math.pi))


def estimate_diameter(image: Any, *, sigma: float = 1.5, min_area: int = 12) -> float:
    """The typical nucleus diameter of an image in pixels, from Otsu's foreground (see module docs).

    Parameters
    ----------
    image : array-like, (H, W)
        A fluorescence image (bright nuclei on a dark background).
    sigma : float
        Gaussian smoothing before the threshold [px].
    min_area : int
        Objects smaller than this many pixels (noise) are ignored.

    Returns
    -------
    float
        The estimated diameter, clipped to [4, 400] px.

    Raises
    ------
    PhysnnError
        When the image has no foreground objects at all (a blank image).
    """
    from scipy import ndimage as ndi
    from skimage.filters import gaussian, threshold_otsu
    from skimage.measure import label, regionprops

    from physnn.cells.segment import normalize

    a = normalize(image)
    if float(a.max() - a.min()) <= 0:
        raise PhysnnError("estimate_diameter: the image is constant (no nuclei to measure); give --diameter PX "
                          "or check the file.")
    sm = gaussian(a, sigma=sigma, preserve_range=True) if sigma > 0 else a
    fg = sm > threshold_otsu(sm)
    lab = label(fg)
    singles, inscribed = [], []
    h, w = lab.shape
    for r in regionprops(lab):
        if r.area < min_area:
            continue
        r0, c0, r1, c1 = r.bbox
        dist = ndi.distance_transform_edt(np.pad(r.image, 1))
        d_in, d_eq = 2.0 * float(dist.max()), 2.0 * math.sqrt(r.area / math.pi)
        inscribed.append((d_in, float(r.area)))
        # one nucleus: convex, roundish (an ellipse of axis ratio q has d_in / d_eq = sqrt(q); two touching
        # discs 0.71, a row of them less), not cut by the border
        if r.solidity >= 0.9 and d_in >= 0.75 * d_eq and r0 > 0 and c0 > 0 and r1 < h and c1 < w:
            singles.append((d_eq, float(r.area)))
    if len(singles) >= 3:
        d = _weighted_median(singles)
    elif inscribed:
        # the inscribed circle of an ellipse is narrower than its equivalent circle: for the
        # synthetic nuclei (axis ratio ~0.8) 2 max(dt) / (2 sqrt(A/pi)) ~ 0.9
        d = _weighted_median(inscribed) / 0.9
    else:
        raise PhysnnError("estimate_diameter: no nuclei found in the image (nothing above Otsu's threshold larger "
                          f"than {min_area} px); give the size with --diameter PX.")
    return float(np.clip(d, MIN_DIAMETER, MAX_DIAMETER))


def _weighted_median(values_weights: list[tuple[float, float]]) -> float:
    """The median of the values weighted by their weights (here: object areas, so specks of noise count little)."""
    v, w = np.array(values_weights, dtype=float).T
    order = np.argsort(v)
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, 0.5 * cum[-1])])


def rescale_image(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` (float) resized by ``factor`` (bilinear; Gaussian anti-aliasing when shrinking)."""
    from skimage.transform import rescale

    a = np.asarray(image, dtype=np.float32)
    if abs(factor - 1.0) < 1e-3:
        return a
    return rescale(a, factor, order=1, anti_aliasing=factor < 1, preserve_range=True).astype(np.float32)


def resize_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A label image resized to ``shape`` by nearest neighbour (labels stay labels), int32."""
    from skimage.transform import resize

    lab = np.asarray(labels)
    if lab.shape == tuple(shape):
        return lab.astype(np.int32)
    out = resize(lab, shape, order=0, preserve_range=True, anti_aliasing=False)
    return np.rint(out).astype(np.int32)
