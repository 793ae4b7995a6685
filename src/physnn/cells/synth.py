r"""Synthetic fluorescence microscopy of cell nuclei, with exact instance masks.

The image formation follows the physics of a widefield fluorescence camera:

1. **Objects.** Each nucleus is a *star-convex* shape: an ellipse (semi-axes
   :math:`a \ge b`, orientation :math:`\varphi`) whose radius is modulated by a
   few Fourier harmonics,

   .. math:: r(\theta) = r_{ell}(\theta)\,\Big(1 + \sum_{k=2}^{5} c_k \cos(k\theta + \psi_k)\Big),

   and a pixel at polar position :math:`(\rho, \theta)` from the centre belongs
   to it if :math:`s = \rho / r(\theta) \le 1`.  Where two nuclei overlap the
   pixel goes to the one with the smaller :math:`s` — touching nuclei are
   split along a sensible, curved line.
2. **Brightness.** Expected photons per pixel
   :math:`\lambda = P\,B_i\,(1 - 0.3 s^2)(1 + t\,T(x))` with :math:`B_i`
   lognormal per nucleus, :math:`T` a smooth random texture and :math:`P` the
   preset's photon level, plus an uneven background (a slow random field
   and a gradient).
3. **Optics.** A Gaussian point-spread function of width :math:`\sigma_{PSF}`.
4. **Camera.** Photon shot noise :math:`\mathrm{Poisson}(\lambda)`, Gaussian
   read noise, a camera offset, rounding to ``uint16``.

Presets: ``easy`` (sparse, bright, ~300 photons) and ``hard`` (dense,
touching, ~25 photons, uneven background, wider PSF; the default).
Phenotypes for classification: ``interphase`` (large, dim, smooth),
``mitotic`` (condensed: small, elongated, bright) and ``apoptotic``
(fragmented into several small bright bodies, one label).
:func:`generate_timelapse` adds drift, Brownian motion, growth and division
with ground-truth tracks in the Cell Tracking Challenge format.

    >>> s = generate(64, preset="easy", seed=0)
    >>> s.image.dtype, s.image.shape, s.labels.shape, int(s.labels.max()) == len(s.phenotype) - 1
    (dtype('uint16'), (64, 64), (64, 64), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from physnn.errors import PhysnnError, check_choice, check_int, check_range

__all__ = [
    "PRESETS", "PHENOTYPES", "SynthImage", "TimeLapse", "generate", "generate_dataset", "generate_timelapse",
]

#: phenotype names, index = class id
PHENOTYPES: tuple[str, ...] = ("interphase", "mitotic", "apoptotic")

#: the generator's settings per preset (any can be overridden by keyword)
PRESETS: dict[str, dict[str, Any]] = {
    "easy": dict(
        density=0.15, radius=11.0, radius_sd=0.15, min_sep=1.05, photons=300.0, brightness_sd=0.3,
        background=0.05, background_var=0.3, psf_sigma=1.0, read_noise=2.0, offset=100.0, gain=1.0,
        texture=0.15, phenotypes=(0.92, 0.05, 0.03), debris=0.0, edge_dim=0.3,
    ),
    "hard": dict(
        density=0.40, radius=11.0, radius_sd=0.2, min_sep=0.75, photons=25.0, brightness_sd=0.6,
        background=0.25, background_var=0.6, psf_sigma=1.6, read_noise=3.0, offset=100.0, gain=1.0,
        texture=0.3, phenotypes=(0.9, 0.06, 0.04), debris=0.0, edge_dim=0.3,
    ),
}


@dataclass
class SynthImage:
    """One synthetic image and its truth.

    Attributes:
        image: ``uint16`` camera image, shape (H, W).
        labels: ``int32`` instance mask (0 = background, 1..n = nuclei), shape (H, W).
        phenotype: ``int`` array of length n+1: class id of label i (index 0 is -1).
        centers: (n, 2) float array of (row, col) centres.
        radii: (n,) mean radii in pixels.
        photons: the expected photon image before noise (float, (H, W)).
        settings: the resolved generator settings.
    """

    image: np.ndarray
    labels: np.ndarray
    phenotype: np.ndarray
    centers: np.ndarray
    radii: np.ndarray
    photons: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class TimeLapse:
    """A synthetic time-lapse: frames, instance masks whose label = track id, and the tracks.

    Attributes:
        frames: ``uint16`` (T, H, W).
        labels: ``int32`` (T, H, W); a nucleus keeps its label while it lives.
        tracks: (n_tracks, 4) int array, rows ``(label, start, end, parent)``
            as in the Cell Tracking Challenge ``man_track.txt`` (parent 0: none).
    """

    frames: np.ndarray
    labels: np.ndarray
    tracks: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)


def _settings(preset: str, overrides: dict[str, Any], owner: str) -> dict[str, Any]:
    preset = check_choice("preset", preset, list(PRESETS), owner=owner)
    st = dict(PRESETS[preset])
    for k, v in overrides.items():
        if k not in st:
            check_choice("setting", k, list(st), owner=owner)
        if v is not None:
            st[k] = v
    for k in ("density", "radius", "photons", "min_sep"):
        st[k] = check_range(k, st[k], low=0.0, low_inclusive=False, owner=owner)
    for k in ("radius_sd", "brightness_sd", "background", "background_var", "psf_sigma", "read_noise",
              "offset", "texture", "debris", "edge_dim"):
        st[k] = check_range(k, st[k], low=0.0, owner=owner)
    st["gain"] = check_range("gain", st["gain"], low=0.0, low_inclusive=False, owner=owner)
    p = np.asarray(st["phenotypes"], dtype=float)
    if p.shape != (len(PHENOTYPES),) or (p < 0).any() or p.sum() <= 0:
        raise PhysnnError(
            f"{owner}: 'phenotypes' must be {len(PHENOTYPES)} non-negative weights for "
            f"{', '.join(PHENOTYPES)}; got {st['phenotypes']!r}."
        )
    st["phenotypes"] = tuple(float(x) for x in p / p.sum())
    st["preset"] = preset
    return st


def _size(size: Any, owner: str) -> tuple[int, int]:
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise PhysnnError(f"{owner}: 'size' must be an int or (height, width); got {size!r}.")
        return (check_int("size[0]", size[0], low=16, owner=owner), check_int("size[1]", size[1], low=16, owner=owner))
    s = check_int("size", size, low=16, owner=owner)
    return s, s


@dataclass
class _Nucleus:
    y: float
    x: float
    r: float  # mean radius
    ratio: float  # b/a
    angle: float
    harm: np.ndarray  # (4, 2): amplitude, phase for k = 2..5
    bright: float
    kind: int
    blobs: list[tuple[float, float, float]] = field(default_factory=list)  # apoptotic fragments (dy, dx, r)

    def extent(self) -> float:
        a = self.r / math.sqrt(self.ratio)
        return a * (1.0 + float(np.abs(self.harm[:, 0]).sum())) + 2.0


def _new_nucleus(rng: np.random.Generator, y: float, x: float, st: dict, kind: int) -> _Nucleus:
    r = st["radius"] * float(np.exp(rng.normal(0.0, st["radius_sd"])))
    ratio = float(rng.uniform(0.6, 1.0))
    bright = float(np.exp(rng.normal(0.0, st["brightness_sd"])))
    harm = np.stack([rng.uniform(0, 0.12, 4) / np.arange(2, 6) ** 0.7, rng.uniform(0, 2 * np.pi, 4)], axis=1)
    nuc = _Nucleus(y, x, r, ratio, float(rng.uniform(0, np.pi)), harm, bright, kind)
    if kind == 1:  # mitotic: condensed, elongated, bright
        nuc.r *= 0.7
        nuc.ratio = float(rng.uniform(0.35, 0.6))
        nuc.bright *= 3.0
        nuc.harm[:, 0] *= 0.5
    elif kind == 2:  # apoptotic: fragmented into small bright bodies
        nuc.bright *= 2.0
        n = int(rng.integers(3, 7))
        for _ in range(n):
            rho = nuc.r * 0.6 * math.sqrt(rng.uniform())
            th = rng.uniform(0, 2 * np.pi)
            nuc.blobs.append((rho * math.sin(th), rho * math.cos(th), nuc.r * float(rng.uniform(0.22, 0.38))))
    return nuc


def _s_map(nuc: _Nucleus, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Normalised radius s = ρ / r(θ) of the pixels (yy, xx); s ≤ 1 inside."""
    if nuc.blobs:
        s = np.full(yy.shape, np.inf)
        for dy, dx, rb in nuc.blobs:
            s = np.minimum(s, np.hypot(yy - nuc.y - dy, xx - nuc.x - dx) / rb)
        return s
    dy, dx = yy - nuc.y, xx - nuc.x
    rho = np.hypot(dy, dx)
    th = np.arctan2(dy, dx)
    a = nuc.r / math.sqrt(nuc.ratio)
    b = nuc.r * math.sqrt(nuc.ratio)
    t = th - nuc.angle
    r_ell = a * b / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2)
    mod = 1.0
    for i, (amp, ph) in enumerate(nuc.harm):
        mod = mod + amp * np.cos((i + 2) * th + ph)
    return rho / (r_ell * mod)


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    f = ndi.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    sd = f.std()
    return f / sd if sd > 0 else f


def _render(nuclei: list[_Nucleus], shape: tuple[int, int], st: dict, rng: np.random.Generator,
            label_of: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rasterise the nuclei and form the camera image: (image uint16, labels int32, photons float)."""
    h, w = shape
    labels = np.zeros(shape, np.int32)
    best = np.full(shape, np.inf)
    inten = np.zeros(shape)
    tex = _smooth_field(rng, shape, 1.5)
    fine = _smooth_field(rng, shape, 0.7)
    for i, nuc in enumerate(nuclei):
        e = nuc.extent()
        y0, y1 = max(0, int(nuc.y - e)), min(h, int(nuc.y + e) + 2)
        x0, x1 = max(0, int(nuc.x - e)), min(w, int(nuc.x + e) + 2)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(float)
        s = _s_map(nuc, yy, xx)
        win = (s <= 1.0) & (s < best[y0:y1, x0:x1])
        if not win.any():
            continue
        lab = (i + 1) if label_of is None else label_of[i]
        labels[y0:y1, x0:x1][win] = lab
        best[y0:y1, x0:x1][win] = s[win]
        t = fine[y0:y1, x0:x1] if nuc.kind == 1 else tex[y0:y1, x0:x1]
        tfac = st["texture"] * (2.0 if nuc.kind == 1 else 1.0)
        val = nuc.bright * (1.0 - st["edge_dim"] * s**2) * np.clip(1.0 + tfac * t, 0.2, None)
        inten[y0:y1, x0:x1][win] = val[win]
    yy, xx = np.mgrid[0:h, 0:w]
    theta = rng.uniform(0, 2 * np.pi)
    grad = (np.cos(theta) * (xx / w - 0.5) + np.sin(theta) * (yy / h - 0.5))
    bg = st["background"] * (1.0 + st["background_var"] * (0.5 * _smooth_field(rng, shape, max(h, w) / 6) + grad))
    if st.get("debris", 0.0) > 0:
        bg = bg + _debris(rng, shape, st)
    lam = st["photons"] * (inten + np.clip(bg, 0.0, None))
    if st["psf_sigma"] > 0:
        lam = ndi.gaussian_filter(lam, st["psf_sigma"], mode="reflect")
    counts = rng.poisson(np.clip(lam, 0.0, None)).astype(float)
    adu = st["gain"] * counts + rng.normal(0.0, st["read_noise"], shape) + st["offset"]
    image = np.clip(np.rint(adu), 0, 65535).astype(np.uint16)
    return image, labels, lam


def _debris(rng: np.random.Generator, shape: tuple[int, int], st: dict) -> np.ndarray:
    r"""Unlabelled light (relative brightness units): out-of-focus nuclei and small specks.

    ``debris`` objects per nucleus-sized area :math:`\pi r^2`, half of them
    out-of-focus nuclei of another focal plane (Gaussian blobs of width
    0.3-0.7 r, 0.1-0.5 of a nucleus' brightness), half small bright specks
    (width 0.7-2.5 px, 0.3-1.5 of a nucleus' brightness) — light that no
    annotator labels, so the network must learn to ignore it.
    """
    h, w = shape
    n = int(rng.poisson(st["debris"] * h * w / (math.pi * st["radius"] ** 2)))
    out = np.zeros(shape)
    for i in range(n):
        y, x = rng.uniform(0, h), rng.uniform(0, w)
        if i % 2 == 0:
            sig, amp = st["radius"] * rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.5)
        else:
            sig, amp = rng.uniform(0.7, 2.5), rng.uniform(0.3, 1.5)
        e = 3.0 * sig + 1
        y0, y1, x0, x1 = max(0, int(y - e)), min(h, int(y + e) + 2), max(0, int(x - e)), min(w, int(x + e) + 2)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        out[y0:y1, x0:x1] += amp * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * sig**2))
    return out


def _place(rng: np.random.Generator, shape: tuple[int, int], st: dict) -> list[_Nucleus]:
    h, w = shape
    n_target = max(1, int(round(st["density"] * h * w / (math.pi * st["radius"] ** 2))))
    kinds = rng.choice(len(PHENOTYPES), size=n_target, p=st["phenotypes"])
    nuclei: list[_Nucleus] = []
    for kind in kinds:
        for _ in range(60):
            y, x = rng.uniform(-0.3 * st["radius"], h + 0.3 * st["radius"]), rng.uniform(-0.3 * st["radius"], w + 0.3 * st["radius"])
            cand = _new_nucleus(rng, y, x, st, int(kind))
            if all(math.hypot(n.y - y, n.x - x) >= st["min_sep"] * (n.r + cand.r) for n in nuclei):
                nuclei.append(cand)
                break
    return nuclei


def _relabel(labels: np.ndarray, nuclei: list[_Nucleus]) -> tuple[np.ndarray, list[_Nucleus]]:
    """Drop nuclei that got no pixel (hidden or outside) and number the rest 1..n."""
    present = np.unique(labels)
    present = present[present > 0]
    lut = np.zeros(len(nuclei) + 1, np.int32)
    lut[present] = np.arange(1, len(present) + 1)
    return lut[labels], [nuclei[i - 1] for i in present]


def generate(size: int | tuple[int, int] = 256, *, preset: str = "hard", seed: int = 0, **overrides: Any) -> SynthImage:
    r"""Generate one synthetic fluorescence image with its instance mask.

    Args:
        size: image side (or ``(height, width)``), at least 16.
        preset: ``"hard"`` (default) or ``"easy"`` (see :data:`PRESETS`).
        seed: the random seed; the same seed gives the same image bit for bit.
        **overrides: any preset setting: ``density`` (area fraction covered),
            ``radius`` (px), ``radius_sd`` (log-normal), ``min_sep`` (centre
            distance in units of :math:`r_i + r_j`; below 1 nuclei touch),
            ``photons`` (expected photons per nucleus pixel), ``brightness_sd``,
            ``background`` (fraction of ``photons``), ``background_var``,
            ``psf_sigma`` (px), ``read_noise`` (ADU), ``offset`` (ADU),
            ``gain`` (ADU / photon), ``texture``, ``phenotypes`` (3 weights),
            ``debris`` (unlabelled out-of-focus nuclei and specks per
            :math:`\pi r^2` of image; 0 in both presets), ``edge_dim`` (a nucleus'
            brightness falls by this fraction from centre to edge, ``1 - edge_dim s^2``;
            0.3 in both presets: touching nuclei meet in a dip of that depth).

    Returns:
        :class:`SynthImage` (``image`` uint16 (H, W), ``labels`` int32 (H, W), ...).

        >>> a = generate(48, seed=3); b = generate(48, seed=3)
        >>> bool((a.image == b.image).all() and (a.labels == b.labels).all())
        True
        >>> generate(48, preset="medium")
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: generate: 'preset' must be one of 'easy', 'hard'; got 'medium'.
    """
    shape = _size(size, "generate")
    st = _settings(preset, overrides, "generate")
    seed = check_int("seed", seed, low=0, owner="generate")
    rng = np.random.default_rng(seed)
    nuclei = _place(rng, shape, st)
    image, labels, lam = _render(nuclei, shape, st, rng)
    labels, nuclei = _relabel(labels, nuclei)
    phen = np.array([-1] + [n.kind for n in nuclei], dtype=int)
    centers = np.array([[n.y, n.x] for n in nuclei], dtype=float).reshape(-1, 2)
    radii = np.array([n.r for n in nuclei], dtype=float)
    return SynthImage(image, labels, phen, centers, radii, lam, st)


def generate_dataset(n: int, size: int | tuple[int, int] = 256, *, preset: str = "hard", seed: int = 0,
                     **overrides: Any) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images and masks as arrays ``(n, H, W)`` uint16 and int32; image i uses seed ``seed*100003 + i``.

        >>> X, Y = generate_dataset(2, 32, seed=1)
        >>> X.shape, X.dtype, Y.dtype
        ((2, 32, 32), dtype('uint16'), dtype('int32'))
    """
    n = check_int("n", n, low=1, owner="generate_dataset")
    seed = check_int("seed", seed, low=0, owner="generate_dataset")
    out = [generate(size, preset=preset, seed=seed * 100003 + i, **overrides) for i in range(n)]
    return np.stack([s.image for s in out]), np.stack([s.labels for s in out])


def generate_timelapse(
    frames: int = 30, size: int | tuple[int, int] = 128, *, preset: str = "easy", seed: int = 0,
    drift: tuple[float, float] = (0.4, 0.25), diffusion: float = 0.3, growth: float = 0.012,
    division_radius: float = 1.3, **overrides: Any,
) -> TimeLapse:
    r"""A time-lapse of moving, growing and dividing nuclei with ground-truth tracks.

    Per frame, every nucleus moves by the global stage ``drift`` (px/frame,
    (row, col)) plus a Brownian step :math:`\mathcal N(0, 2D)` per axis
    (``diffusion`` :math:`D` in px²/frame), grows by the factor
    ``1 + growth`` in radius, and once its radius exceeds ``division_radius``
    × its birth radius divides (probability 1/2 per frame) into two
    daughters of radius :math:`r/\sqrt2` (area conserved) placed
    :math:`\pm 0.55 r` apart along a random axis.  Overlapping nuclei are
    pushed apart; nuclei whose centre leaves the field end their track.
    Daughters get new labels; the tracks table has one row per label:
    ``(label, first frame, last frame, parent label or 0)``.

        >>> tl = generate_timelapse(6, 64, seed=0)
        >>> tl.frames.shape, tl.labels.shape, tl.tracks.shape[1]
        ((6, 64, 64), (6, 64, 64), 4)
        >>> all(set(np.unique(tl.labels[t])) - {0} == {int(r[0]) for r in tl.tracks if r[1] <= t <= r[2]}
        ...     for t in range(6))
        True
    """
    owner = "generate_timelapse"
    frames = check_int("frames", frames, low=1, owner=owner)
    shape = _size(size, owner)
    st = _settings(preset, overrides, owner)
    seed = check_int("seed", seed, low=0, owner=owner)
    diffusion = check_range("diffusion", diffusion, low=0.0, owner=owner)
    growth = check_range("growth", growth, low=0.0, owner=owner)
    division_radius = check_range("division_radius", division_radius, low=1.0, low_inclusive=False, owner=owner)
    dy, dx = (check_range("drift", d, owner=owner) for d in drift)
    rng = np.random.default_rng(seed)
    h, w = shape
    st_place = dict(st, min_sep=max(st["min_sep"], 1.2), phenotypes=(1.0, 0.0, 0.0))
    cells = _place(rng, shape, st_place)
    for c in cells:
        c.y, c.x = float(np.clip(c.y, 4, h - 5)), float(np.clip(c.x, 4, w - 5))
    label = list(range(1, len(cells) + 1))
    birth_r = [c.r for c in cells]
    start = {lab: 0 for lab in label}
    parent = {lab: 0 for lab in label}
    next_label = len(cells) + 1
    imgs, labs = [], []
    for t in range(frames):
        if t > 0:
            new_cells, new_label, new_birth = [], [], []
            for c, lab, r0 in zip(cells, label, birth_r):
                c.y += dy + rng.normal(0, math.sqrt(2 * diffusion))
                c.x += dx + rng.normal(0, math.sqrt(2 * diffusion))
                c.r *= 1.0 + growth
                if c.r > division_radius * r0 and rng.uniform() < 0.5:
                    ang = rng.uniform(0, np.pi)
                    for sgn in (-1.0, 1.0):
                        d = _new_nucleus(rng, c.y + sgn * 0.55 * c.r * math.sin(ang),
                                         c.x + sgn * 0.55 * c.r * math.cos(ang), st, 0)
                        d.r = c.r / math.sqrt(2.0)
                        d.bright = c.bright
                        new_cells.append(d)
                        new_label.append(next_label)
                        new_birth.append(d.r)
                        start[next_label], parent[next_label] = t, lab
                        next_label += 1
                else:
                    new_cells.append(c)
                    new_label.append(lab)
                    new_birth.append(r0)
            # push overlapping nuclei apart (a few relaxation sweeps)
            for _ in range(5):
                for i in range(len(new_cells)):
                    for j in range(i + 1, len(new_cells)):
                        a, b = new_cells[i], new_cells[j]
                        d = math.hypot(a.y - b.y, a.x - b.x)
                        need = 0.9 * (a.r + b.r)
                        if d < need:
                            uy, ux = ((a.y - b.y) / d, (a.x - b.x) / d) if d > 1e-6 else (1.0, 0.0)
                            m = 0.5 * (need - d)
                            a.y += uy * m; a.x += ux * m; b.y -= uy * m; b.x -= ux * m
            keep = [i for i, c in enumerate(new_cells) if 2 <= c.y < h - 2 and 2 <= c.x < w - 2]
            cells = [new_cells[i] for i in keep]
            label = [new_label[i] for i in keep]
            birth_r = [new_birth[i] for i in keep]
        image, lab_img, _ = _render(cells, shape, st, rng, label_of=label)
        imgs.append(image)
        labs.append(lab_img)
    labels = np.stack(labs)
    rows = []
    for lab in sorted(start):
        present = np.flatnonzero([(labels[t] == lab).any() for t in range(frames)])
        if present.size == 0:
            continue
        rows.append((lab, int(present[0]), int(present[-1]), parent[lab]))
    have = {r[0] for r in rows}
    tracks = np.array([(l, b, e, p if p in have else 0) for l, b, e, p in rows], dtype=int).reshape(-1, 4)
    return TimeLapse(np.stack(imgs), labels, tracks, dict(st, drift=(dy, dx), diffusion=diffusion, growth=growth))
