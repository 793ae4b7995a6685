"""The playground's data: TF Playground's six sets, the lecture's, jets and the user's own.

Every set is two coordinates per point in the plot's frame, ``[-6, 6]²`` as in
TF Playground, and a label: a class (0, 1, ... ; TF's +1 is class 1, blue,
and its −1 is class 0, orange) or, for regression, a value in about
``[-1, 1]``.  Sets given in other units (jets in GeV, an uploaded CSV) are
mapped linearly onto the frame; :attr:`PlayData.axes` keeps the original units
for the axis labels.

The generators follow TF Playground's ``dataset.ts`` (the same shapes, radii,
noise scaling and sample counts: 500 points to classify, 1,200 to regress),
drawn with NumPy's seeded generator instead of JavaScript's.
"""

from __future__ import annotations

import csv
import io
import math
import zlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from physnn.errors import PhysnnError

__all__ = ["PlayData", "make_dataset", "seed_of", "features", "FEATURE_NAMES", "read_csv_table",
           "table_dataset", "MAX_UPLOAD_BYTES", "MAX_ROWS", "DOMAIN"]

#: The plot's frame: both coordinates in [-DOMAIN, DOMAIN].
DOMAIN = 6.0
NUM_SAMPLES_CLASSIFY = 500
NUM_SAMPLES_REGRESS = 1200
#: Largest CSV accepted from the page.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Most rows of an uploaded table used for training (more would make every frame slow).
MAX_ROWS = 20_000
MAX_CLASSES = 10
#: The input features by TF Playground's key, with their label in the page.
FEATURE_NAMES = {"x": "X₁", "y": "X₂", "xSquared": "X₁²", "ySquared": "X₂²", "xTimesY": "X₁X₂",
                 "sinX": "sin(X₁)", "sinY": "sin(X₂)"}


@dataclass
class PlayData:
    """Points in the plot's frame, their labels and which are for training.

    Attributes
    ----------
    xy : (N, 2) float64 array
        Coordinates in ``[-6, 6]``.
    label : (N,) array
        Class index (int) for classification, value (float) for regression.
    train : (N,) bool array
        True for training points, False for test points.
    task : {"classification", "regression"}
    n_classes : int
        Number of classes (0 for regression).
    name : str
    axes : list of (name, low, high)
        What the frame's -6 and 6 are in the original units, per axis.
    curve : bool
        A 1-D regression ``x₂ = f(x₁)`` (the noisy polynomial): the network
        sees ``x₁`` only and its curve is drawn over the points.
    """

    xy: np.ndarray
    label: np.ndarray
    train: np.ndarray
    task: str
    n_classes: int
    name: str
    axes: list[tuple[str, float, float]] = field(default_factory=lambda: [("X₁", -DOMAIN, DOMAIN), ("X₂", -DOMAIN, DOMAIN)])
    curve: bool = False
    class_names: list[str] = field(default_factory=list)
    #: tensors made from these points (inputs of the grid, the split), kept by frames.py
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        return int(self.xy.shape[0])

    def target_values(self) -> np.ndarray:
        """Regression targets: the label, or for a curve the point's height scaled to about [-1, 1]."""
        return (self.xy[:, 1] / DOMAIN) if self.curve else self.label.astype(np.float64)

    def with_point(self, x: float, y: float, label: float) -> "PlayData":
        """A copy with one more training point."""
        lab = np.concatenate([self.label, np.array([label], dtype=self.label.dtype)])
        return PlayData(np.vstack([self.xy, [[x, y]]]), lab, np.append(self.train, True), self.task,
                        self.n_classes, "custom" if self.task == "classification" else "custom-reg",
                        list(self.axes), self.curve, list(self.class_names))


def seed_of(seed: str) -> int:
    """TF Playground's seed is any text (``0.37502``); NumPy's is an int: its CRC-32."""
    return zlib.crc32(str(seed).encode())


def _rand_uniform(rng: np.random.Generator, a: float, b: float, n: int) -> np.ndarray:
    return rng.uniform(a, b, size=n)


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    pts, labels = [], []
    for lo, hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        m = n // 2
        r = rng.uniform(lo, hi, m)
        a = rng.uniform(0, 2 * math.pi, m)
        x, y = r * np.sin(a), r * np.cos(a)
        nx, ny = rng.uniform(-radius, radius, m) * noise, rng.uniform(-radius, radius, m) * noise
        lab = (np.hypot(x + nx, y + ny) < radius * 0.5).astype(int)
        pts.append(np.c_[x, y])
        labels.append(lab)
    return np.vstack(pts), np.concatenate(labels)


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pad = 0.3
    x = rng.uniform(-5, 5, n)
    x += np.where(x > 0, pad, -pad)
    y = rng.uniform(-5, 5, n)
    y += np.where(y > 0, pad, -pad)
    nx, ny = rng.uniform(-5, 5, n) * noise, rng.uniform(-5, 5, n) * noise
    return np.c_[x, y], ((x + nx) * (y + ny) >= 0).astype(int)


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + (4 - 0.5) * noise / 0.5  # TF: scale [0, .5] -> [0.5, 4]
    m = n // 2
    sd = math.sqrt(variance)
    pos = rng.normal([2, 2], sd, (m, 2))
    neg = rng.normal([-2, -2], sd, (m, 2))
    return np.vstack([pos, neg]), np.r_[np.ones(m, int), np.zeros(m, int)]


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    m = n // 2
    i = np.arange(m)
    r = i / m * 5
    pts, labels = [], []
    for delta, lab in ((0.0, 1), (math.pi, 0)):
        t = 1.75 * i / m * 2 * math.pi + delta
        x = r * np.sin(t) + rng.uniform(-1, 1, m) * noise
        y = r * np.cos(t) + rng.uniform(-1, 1, m) * noise
        pts.append(np.c_[x, y])
        labels.append(np.full(m, lab))
    return np.vstack(pts), np.concatenate(labels)


def _blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    sd = math.sqrt(0.5 + (4 - 0.5) * noise / 0.5) * 0.6
    m = n // 3
    pts, labels = [], []
    for k in range(3):
        a = math.pi / 2 + 2 * math.pi * k / 3
        pts.append(rng.normal([3.2 * math.cos(a), 3.2 * math.sin(a)], sd, (m, 2)))
        labels.append(np.full(m, k))
    return np.vstack(pts), np.concatenate(labels)


def _reg_plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    x, y = rng.uniform(-radius, radius, n), rng.uniform(-radius, radius, n)
    nx, ny = rng.uniform(-radius, radius, n) * noise, rng.uniform(-radius, radius, n) * noise
    return np.c_[x, y], (x + nx + y + ny) / 10.0


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _reg_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    x, y = rng.uniform(-radius, radius, n), rng.uniform(-radius, radius, n)
    nx, ny = rng.uniform(-radius, radius, n) * noise, rng.uniform(-radius, radius, n) * noise
    px, py = x + nx, y + ny
    label = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:
        new = sign * np.clip(1 - np.hypot(px - cx, py - cy) / 2, 0, 1)  # TF: scale [0, 2] -> [1, 0], clamped
        label = np.where(np.abs(new) > np.abs(label), new, label)
    return np.c_[x, y], label


def _to_frame(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Map a column linearly so its range fills [-5, 5] of the frame; return it and the units at ±6."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi - lo < 1e-12:
        hi = lo + 1.0
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    scaled = (values - mid) / half * 5.0
    return scaled, mid - half * DOMAIN / 5.0, mid + half * DOMAIN / 5.0


def _split(n: int, perc: int, rng: np.random.Generator) -> np.ndarray:
    """TF Playground shuffles, then the first ``perc`` % are for training."""
    order = rng.permutation(n)
    train = np.zeros(n, bool)
    train[order[: max(1, min(n - 1, int(round(n * perc / 100))))]] = True
    return train


def _jets_table() -> tuple[np.ndarray, np.ndarray]:
    text = resources.files("physnn.playground").joinpath("data/jets.csv").read_text()
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
    header, body = rows[0], np.array(rows[1:], dtype=float)
    cols = {name: body[:, i] for i, name in enumerate(header)}
    return np.c_[cols["mass"], cols["tau32"]], cols["label"].astype(int)


def make_dataset(params: dict[str, Any]) -> PlayData:
    """The data set the settings name (``dataset`` or ``regDataset``, ``noise``, ``seed`` ...).

    ``custom`` sets are not made here: they come from an upload or clicks.
    """
    rng = np.random.default_rng(seed_of(params["seed"]))
    noise = params["noise"] / 100.0
    perc = params["percTrainData"]
    if params["problem"] == "regression":
        name = params["regDataset"]
        if name == "polynomial":
            from physnn.data.toy import polynomial

            d = polynomial(30, noise=0.3 + 2 * noise, seed=seed_of(params["seed"]) % (2**31))
            x = d.X[:, 0] * 5.0
            y = np.clip(d.y[:, 0], -1.2, 1.2) * 5.0
            return PlayData(np.c_[x, y], np.asarray(d.y[:, 0], float), _split(30, perc, rng), "regression", 0,
                            name, [("x", -1.2, 1.2), ("y", -1.2, 1.2)], curve=True)
        gen = {"reg-plane": _reg_plane, "reg-gauss": _reg_gauss}.get(name, _reg_plane)
        xy, label = gen(NUM_SAMPLES_REGRESS, noise, rng)
        return PlayData(xy, label.astype(np.float64), _split(len(label), perc, rng), "regression", 0, name)
    name = params["dataset"]
    if name == "xor4":
        xy = np.array([[-3.0, -3.0], [-3.0, 3.0], [3.0, -3.0], [3.0, 3.0]])
        return PlayData(xy, np.array([0, 1, 1, 0]), np.ones(4, bool), "classification", 2, name,
                        [("x₁", -1.0, 2.0), ("x₂", -1.0, 2.0)], class_names=["0", "1"])
    if name == "jets":
        raw, label = _jets_table()
        sx, lo0, hi0 = _to_frame(raw[:, 0])
        sy, lo1, hi1 = _to_frame(raw[:, 1])
        return PlayData(np.c_[sx, sy], label, _split(len(label), perc, rng), "classification", 2, name,
                        [("jet mass [GeV]", lo0, hi0), ("τ₃₂", lo1, hi1)], class_names=["QCD", "top"])
    gen = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral, "blobs": _blobs}.get(name, _circle)
    xy, label = gen(NUM_SAMPLES_CLASSIFY, noise, rng)
    k = 3 if name == "blobs" else 2
    return PlayData(xy, label.astype(int), _split(len(label), perc, rng), "classification", k, name)


def features(xy: np.ndarray, params: dict[str, Any], *, curve: bool = False) -> np.ndarray:
    """The network's inputs for points ``xy``: the selected features, in TF Playground's order.

    For a curve (1-D regression) the features of ``x₂`` are left out.

        >>> features(np.array([[1.0, 2.0]]), {"x": True, "y": False, "xSquared": False, "ySquared": True,
        ...          "xTimesY": True, "sinX": False, "sinY": False}).tolist()
        [[1.0, 4.0, 2.0]]
    """
    x, y = xy[:, 0], xy[:, 1]
    cols = {"x": x, "y": y, "xSquared": x * x, "ySquared": y * y, "xTimesY": x * y,
            "sinX": np.sin(x), "sinY": np.sin(y)}
    keys = selected_features(params, curve=curve)
    return np.stack([cols[k] for k in keys], axis=1)


def selected_features(params: dict[str, Any], *, curve: bool = False) -> list[str]:
    """The feature keys in use (``x`` alone when a curve has none of its own)."""
    keys = [k for k in FEATURE_NAMES if params.get(k)]
    if curve:
        keys = [k for k in keys if k in ("x", "xSquared", "sinX")] or ["x"]
    return keys


# ---------------------------------------------------------------- the user's own table

@dataclass
class Table:
    """An uploaded CSV: column names and, per column, the raw text cells."""

    name: str
    columns: list[str]
    cells: list[list[str]]

    @property
    def n_rows(self) -> int:
        return len(self.cells[0]) if self.cells else 0


def read_csv_table(name: str, text: str) -> Table:
    """Read an uploaded CSV (a header row, then rows); raise PhysnnError with what to fix."""
    if len(text.encode("utf-8", "replace")) > MAX_UPLOAD_BYTES:
        raise PhysnnError(f"upload: {name!r} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
                          "upload a smaller sample of it.")
    if "\x00" in text[:4096]:
        raise PhysnnError(f"upload: {name!r} is not a text file; upload a CSV (a header row, then one row per point).")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t ")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise PhysnnError(f"upload: {name!r} has no data rows; it needs a header row and at least 10 rows.")
    header = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])]
    if len(header) < 3:
        raise PhysnnError(f"upload: {name!r} has {len(header)} column(s); it needs two input columns and a "
                          "label column (e.g. x1,x2,label).")
    body = rows[1:]
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise PhysnnError(f"upload: row {i + 2} of {name!r} has {len(r)} fields but the header has "
                              f"{len(header)}; every row needs one value per column.")
    if len(body) < 10:
        raise PhysnnError(f"upload: {name!r} has {len(body)} data row(s); give at least 10.")
    if len(body) > MAX_ROWS:
        raise PhysnnError(f"upload: {name!r} has {len(body)} rows; the playground takes at most {MAX_ROWS:,} "
                          "(upload a random sample).")
    cells = [[r[j].strip() for r in body] for j in range(len(header))]
    return Table(name, header, cells)


def _numeric(table: Table, col: str) -> np.ndarray:
    if col not in table.columns:
        raise PhysnnError(f"upload: there is no column {col!r}; the columns are {', '.join(map(repr, table.columns))}.")
    j = table.columns.index(col)
    out = np.empty(table.n_rows)
    for i, c in enumerate(table.cells[j]):
        if c == "" or c.lower() in ("na", "nan", "null", "none"):
            raise PhysnnError(f"upload: column {col!r} has a missing or NaN value in row {i + 2}; "
                              "remove that row or fill it in.")
        try:
            v = float(c)
        except ValueError:
            raise PhysnnError(f"upload: column {col!r} is not numeric (row {i + 2} is {c[:30]!r}); "
                              "pick a numeric column.") from None
        if not math.isfinite(v):
            raise PhysnnError(f"upload: column {col!r} has {c!r} in row {i + 2}; values must be finite numbers.")
        out[i] = v
    return out


def table_dataset(table: Table, x: str, y: str, label: str, *, perc: int, seed: str) -> PlayData:
    """The PlayData for two input columns and a label column of an uploaded table (see :func:`_table_dataset`)."""
    try:
        return _table_dataset(table, x, y, label, perc=perc, seed=seed)
    except PhysnnError as exc:
        raise PhysnnError(str(exc).replace("upload: ", f"upload: {table.name!r}: ", 1)) from None


def _table_dataset(table: Table, x: str, y: str, label: str, *, perc: int, seed: str) -> PlayData:
    """The PlayData for two input columns and a label column of an uploaded table.

    A label column with at most 10 distinct values that are all integers (or
    any text) is a class; otherwise it is a regression target, mapped onto
    ``[-1, 1]``.
    """
    if len({x, y, label}) < 3:
        raise PhysnnError(f"upload: pick three different columns for X₁, X₂ and the label; got {x!r}, {y!r}, {label!r}.")
    xs, ys = _numeric(table, x), _numeric(table, y)
    j = table.columns.index(label) if label in table.columns else None
    if j is None:
        raise PhysnnError(f"upload: there is no column {label!r}; the columns are {', '.join(map(repr, table.columns))}.")
    raw = table.cells[j]
    if any(c == "" or c.lower() in ("na", "nan") for c in raw):
        i = next(i for i, c in enumerate(raw) if c == "" or c.lower() in ("na", "nan"))
        raise PhysnnError(f"upload: the label column {label!r} is missing in row {i + 2}; remove that row or fill it in.")
    distinct = sorted(set(raw))
    try:
        values = np.array([float(c) for c in raw])
        numeric = bool(np.all(np.isfinite(values)))
    except ValueError:
        numeric = False
    integers = numeric and np.all(values == np.round(values))
    rng = np.random.default_rng(seed_of(seed))
    sx, lo0, hi0 = _to_frame(xs)
    sy, lo1, hi1 = _to_frame(ys)
    axes = [(x, lo0, hi0), (y, lo1, hi1)]
    if not numeric or (integers and len(distinct) <= MAX_CLASSES):
        if numeric:
            distinct = sorted(set(raw), key=float)
        if len(distinct) < 2:
            raise PhysnnError(f"upload: the label column {label!r} has a single class ({distinct[0]!r}); "
                              "a classifier needs at least two.")
        if len(distinct) > MAX_CLASSES:
            raise PhysnnError(f"upload: the label column {label!r} has {len(distinct)} classes; the playground "
                              f"draws at most {MAX_CLASSES}.")
        index = {c: k for k, c in enumerate(distinct)}
        lab = np.array([index[c] for c in raw])
        return PlayData(np.c_[sx, sy], lab, _split(len(lab), perc, rng), "classification", len(distinct),
                        "custom", axes, class_names=[str(c) for c in distinct])
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-12:
        raise PhysnnError(f"upload: the label column {label!r} is constant; nothing to learn.")
    target = (values - lo) / (hi - lo) * 2 - 1
    return PlayData(np.c_[sx, sy], target, _split(len(target), perc, rng), "regression", 0, "custom-reg", axes)
