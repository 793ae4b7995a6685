r"""Jets from any file: a jet-feature matrix, a padded constituent tensor with its mask, labels.

A jet file (CSV, NPZ, Parquet, HDF5 or ROOT) holds one row per jet: flat
columns (``pt``, ``mass``, ``tau32`` …), a ``label`` (1 signal, 0 background)
and, optionally, the constituents as per-particle columns (``part_pt``,
``part_deta``, ``part_dphi``).  Constituent columns come either

* **padded**: a 2-D array ``(n_jets, N)`` (NPZ, HDF5, a fixed-size Parquet
  list), zero in empty slots — the width ``N`` is the file's unless
  ``n_particles`` is given; or
* **jagged**: one variable-length list per jet (a ROOT ``double[]`` branch, a
  Parquet list column) — these need ``n_particles`` (the padding length).

:func:`load_jets` returns a :class:`JetData` with ``X`` ``(n_jets, d)``,
``particles`` ``(n_jets, P, F)`` zero-padded/truncated to ``P = n_particles``
(the first ``P`` in file order, which the generator writes :math:`p_T`-ordered),
``mask`` ``(n_jets, P)`` (True = a real particle) and ``y`` (0/1).

:class:`ParticleScaler` turns constituents into network inputs: ``log`` of
the :math:`p_T`-like features, then each feature standardised over *real*
particles of the training jets; padded slots stay exactly zero.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "jets.npz"
    >>> _ = toy_jets(40, seed=0).save_npz(p)
    >>> jets = load_jets(p, particles=PARTICLE_FEATURES, n_particles=16)
    >>> jets.X.shape, jets.particles.shape, jets.mask.shape, int(jets.y.sum())
    ((40, 8), (40, 16, 3), (40, 16), 20)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_choice, check_columns, check_file, check_finite, check_int

__all__ = [
    "JET_FEATURES",
    "PARTICLE_FEATURES",
    "JetData",
    "load_jets",
    "concat_jets",
    "jets_from_columns",
    "pad_jagged",
    "ParticleScaler",
    "toy_jets",
]

#: the 8 jet features of the benchmark's jet-level taggers
JET_FEATURES: tuple[str, ...] = ("pt", "mass", "tau1", "tau2", "tau3", "tau21", "tau32", "n_constituents")
#: the per-constituent columns (pT, Δη, Δφ to the jet axis)
PARTICLE_FEATURES: tuple[str, ...] = ("part_pt", "part_deta", "part_dphi")

_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".dat": "csv", ".npz": "npz", ".parquet": "parquet",
            ".pq": "parquet", ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5", ".root": "root"}


@dataclass
class JetData:
    """Jets in memory.  Arrays share their first axis (jets).

    Attributes:
        X: jet features ``(N, d)`` float32 (``d`` may be 0).
        feature_names: names of ``X``'s columns.
        particles: constituents ``(N, P, F)`` float32, zero-padded, or ``None``.
        mask: ``(N, P)`` bool, True for a real particle, or ``None``.
        particle_names: names of the ``F`` constituent features.
        y: labels ``(N,)`` int64 in {0, 1}, or ``None`` (unlabelled).
        weights: per-jet weights ``(N,)`` or ``None``.
        mass: jet mass ``(N,)`` for sculpting checks, or ``None``.
    """

    X: np.ndarray
    feature_names: list[str]
    particles: np.ndarray | None = None
    mask: np.ndarray | None = None
    particle_names: list[str] = field(default_factory=list)
    y: np.ndarray | None = None
    weights: np.ndarray | None = None
    mass: np.ndarray | None = None
    name: str = "jets"

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def __repr__(self) -> str:
        parts = f", particles={tuple(self.particles.shape)}" if self.particles is not None else ""
        lab = "" if self.y is None else f", signal={int(self.y.sum())}, background={int((self.y == 0).sum())}"
        return f"JetData({self.name!r}, n_jets={len(self)}, features={self.feature_names}{parts}{lab})"

    def subset(self, idx: Any) -> JetData:
        """The jets at ``idx`` (indices or a boolean mask)."""
        def take(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return replace(self, X=self.X[idx], particles=take(self.particles), mask=take(self.mask),
                       y=take(self.y), weights=take(self.weights), mass=take(self.mass))

    def save_npz(self, path: str | Path) -> Path:
        """Write the jets as an NPZ of named columns (constituents as padded 2-D arrays), atomically."""
        from physnn.files import atomic_path

        cols: dict[str, np.ndarray] = {n: self.X[:, j] for j, n in enumerate(self.feature_names)}
        if self.particles is not None:
            cols.update({n: self.particles[:, :, j] for j, n in enumerate(self.particle_names)})
        if self.y is not None:
            cols["label"] = self.y
        if self.weights is not None:
            cols["weight"] = self.weights
        if self.mass is not None and "mass" not in cols:
            cols["mass"] = self.mass
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **cols)
        return Path(path)


def pad_jagged(values: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad/truncate a jagged array (awkward, or a list of lists) to ``n`` per row.

    Returns ``(padded (rows, n) float32, mask (rows, n) bool)``; rows longer
    than ``n`` keep their first ``n`` entries.

        >>> p, m = pad_jagged([[1.0, 2.0, 3.0], [4.0]], 2)
        >>> p.tolist(), m.tolist()
        ([[1.0, 2.0], [4.0, 0.0]], [[True, True], [True, False]])
    """
    import awkward as ak

    n = check_int("n_particles", n, low=1, owner="pad_jagged")
    arr = values if isinstance(values, ak.Array) else ak.Array(values)
    counts = np.minimum(ak.to_numpy(ak.num(arr, axis=1)), n)
    padded = ak.to_numpy(ak.fill_none(ak.pad_none(arr, n, axis=1, clip=True), 0.0)).astype(np.float32)
    mask = np.arange(n)[None, :] < counts[:, None]
    return padded, mask


def _format(p: Path) -> str:
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise PhysnnError(
            f"load_jets: cannot tell the format of {str(p)!r} from its suffix; use one of "
            f"{', '.join(sorted(_FORMATS))}."
        )
    return fmt


def _root_source(p: Path, tree: str | None) -> tuple[list[str], Callable[[list[str]], dict[str, Any]], Any]:
    import uproot

    from physnn.data.io import root_trees

    try:
        f = uproot.open(p)
    except Exception as exc:
        raise PhysnnError(f"load_jets({str(p)!r}): could not read the file as ROOT: {exc}") from exc
    trees = root_trees(f)
    if not trees:
        kinds = sorted(set(f.classnames().values()))
        f.close()
        raise PhysnnError(
            f"load_jets({str(p)!r}): the file holds no TTree or RNTuple (it holds: {', '.join(kinds) or 'nothing'}); "
            "write the jets with ROOT or uproot (file['jets'] = {'mass': array, ...})."
        )
    if tree is None and len(trees) > 1:
        f.close()
        check_choice("tree", None, trees, owner=f"load_jets({str(p)!r})")
    try:
        name = trees[0] if tree is None else check_choice("tree", tree, trees, owner=f"load_jets({str(p)!r})")
    except PhysnnError:
        f.close()
        raise
    t = f[name]
    return list(t.keys()), (lambda names: {n: t[n].array(library="ak") for n in names}), f


def _npz_source(p: Path) -> tuple[list[str], Callable[[list[str]], dict[str, Any]], Any]:
    import zipfile

    try:
        z = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise PhysnnError(f"load_jets({str(p)!r}): could not read the file as .npz: {exc}") from exc
    return list(z.files), (lambda names: {n: z[n] for n in names}), z


def _parquet_source(p: Path) -> tuple[list[str], Callable[[list[str]], dict[str, Any]], Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(p)
    except (OSError, pa.ArrowException) as exc:
        raise PhysnnError(f"load_jets({str(p)!r}): could not read the file as Parquet: {exc}") from exc

    def load(names: list[str]) -> dict[str, Any]:
        import awkward as ak

        table = pq.read_table(p, columns=names)
        out: dict[str, Any] = {}
        for n in names:
            col = table.column(n)
            t = col.type
            if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
                out[n] = ak.from_arrow(col)
            else:
                out[n] = col.to_numpy()
        return out

    return list(schema.names), load, None


def _hdf5_source(p: Path) -> tuple[list[str], Callable[[list[str]], dict[str, Any]], Any]:
    import h5py

    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise PhysnnError(f"load_jets({str(p)!r}): could not read the file as HDF5: {exc}") from exc
    names = [n for n, o in f.items() if isinstance(o, h5py.Dataset)]
    return names, (lambda ns: {n: f[n][()] for n in ns}), f


def _csv_source(p: Path) -> tuple[list[str], Callable[[list[str]], dict[str, Any]], Any]:
    from physnn.data.io import read_data

    with open(p, encoding="utf-8") as fh:
        header = fh.readline()
    delim = "\t" if "\t" in header else ","
    names = [h.strip() for h in header.strip().split(delim)]

    def load(ns: list[str]) -> dict[str, Any]:
        d = read_data(p, features=ns, target=[])
        return {n: d.X[:, j] for j, n in enumerate(d.feature_names)}

    return names, load, None


def _is_jagged(a: Any) -> bool:
    if isinstance(a, np.ndarray):
        return False
    import awkward as ak

    if isinstance(a, ak.Array):
        try:
            ak.to_numpy(a)  # regular (fixed-size) lists convert
            return False
        except ValueError:
            return True
    return False


def _flat(name: str, a: Any, owner: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        import awkward as ak

        if _is_jagged(a):
            raise PhysnnError(
                f"{owner}: column {name!r} is jagged (a list per jet); name it under particle features "
                "(--particles), not jet features."
            )
        a = ak.to_numpy(a)
    if a.ndim != 1:
        raise PhysnnError(
            f"{owner}: column {name!r} has shape {a.shape}, not one number per jet; name it under "
            "particle features (--particles) if it holds constituents."
        )
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise PhysnnError(f"{owner}: column {name!r} holds {a.dtype} values, not numbers.")
    return a


def load_jets(
    path: str | Path | Sequence[str | Path],
    *,
    features: Sequence[str] | None = JET_FEATURES,
    particles: Sequence[str] | None = None,
    n_particles: int | None = None,
    label: str | None = "label",
    weights: str | None = None,
    tree: str | None = None,
    mass: str | None = "mass",
) -> JetData:
    """Read jets from a file (or several, concatenated) into a :class:`JetData` (see module docs).

    Args:
        path: ``.csv``, ``.npz``, ``.parquet``, ``.h5`` or ``.root``; or a list
            of such files (e.g. a signal and a background file), concatenated
            in order — the labels must then hold both classes together.
        features: flat jet-feature columns (default :data:`JET_FEATURES`; ``[]`` for none).
        particles: constituent columns, e.g. :data:`PARTICLE_FEATURES`; ``None`` = none.
        n_particles: the padding length ``P``; required for jagged columns,
            optional for padded ones (default: the file's width).
        label: the 0/1 label column; ``None`` for unlabelled jets (prediction).
        weights: an optional per-jet weight column.
        tree: the ROOT TTree (default: the file's only tree).
        mass: a mass column kept for sculpting checks (skipped if absent).

    Raises :class:`PhysnnError` naming what is wrong: a missing tree or
    branch (listing what is there), jagged columns without ``n_particles``,
    labels other than 0/1, all-signal or all-background data, NaN/Inf.
    """
    from physnn.hep.diagnostics import check_labels

    kw = dict(features=features, particles=particles, n_particles=n_particles, label=label, weights=weights,
              tree=tree, mass=mass)
    if not isinstance(path, (str, Path)):
        paths = list(path)
        if not paths:
            raise PhysnnError("load_jets: give at least one jet file.")
        if len(paths) == 1:
            return load_jets(paths[0], **kw)
        parts_ = [_load_one(p, **kw) for p in paths]
        jd = concat_jets(parts_)
        if jd.y is not None:
            check_labels(jd.y, owner=f"load_jets({', '.join(str(p) for p in paths)})", name=label)
        return jd
    jd = _load_one(path, **kw)
    if jd.y is not None:
        check_labels(jd.y, owner=f"load_jets({str(path)!r})", name=label)
    return jd


def concat_jets(items: Sequence[JetData]) -> JetData:
    """Concatenate jet samples with the same columns; constituents padded to the widest.

        >>> a, b = toy_jets(10, n_max=5, seed=0), toy_jets(6, n_max=8, seed=1)
        >>> c = concat_jets([a, b]); len(c), c.particles.shape
        (16, (16, 8, 3))
    """
    items = list(items)
    first = items[0]
    for it in items[1:]:
        if it.feature_names != first.feature_names or it.particle_names != first.particle_names:
            raise PhysnnError(
                f"concat_jets: {it.name!r} has columns {it.feature_names + it.particle_names}, "
                f"{first.name!r} has {first.feature_names + first.particle_names}; read them with the same columns."
            )
    def cat(attr: str) -> np.ndarray | None:
        vals = [getattr(it, attr) for it in items]
        if all(v is None for v in vals):
            return None
        if any(v is None for v in vals):
            raise PhysnnError(f"concat_jets: some files have {attr!r} and some do not.")
        return np.concatenate(vals)
    P = M = None
    if first.particles is not None:
        width = max(it.particles.shape[1] for it in items)
        P = np.concatenate([np.pad(it.particles, ((0, 0), (0, width - it.particles.shape[1]), (0, 0)))
                            for it in items])
        M = np.concatenate([np.pad(it.mask, ((0, 0), (0, width - it.mask.shape[1]))) for it in items])
    return JetData(X=np.concatenate([it.X for it in items]), feature_names=list(first.feature_names),
                   particles=P, mask=M, particle_names=list(first.particle_names), y=cat("y"),
                   weights=cat("weights"), mass=cat("mass"), name="+".join(it.name for it in items))


def _load_one(path: str | Path, *, features: Sequence[str] | None, particles: Sequence[str] | None,
              n_particles: int | None, label: str | None, weights: str | None, tree: str | None,
              mass: str | None) -> JetData:
    from physnn.hep.diagnostics import check_labels

    from physnn.errors import check_input_file

    p = check_file(path, owner="load_jets", what="jet file")
    owner = f"load_jets({str(p)!r})"
    fmt = _format(p)
    check_input_file(p, {"csv": "text"}.get(fmt, fmt), owner="load_jets", what="jet file",
                     hint="Write jets with 'physnn hep generate', or give the file the suffix of the format it holds.")
    if tree is not None and fmt != "root":
        raise PhysnnError(f"{owner}: tree={tree!r} applies to ROOT files only; this is {fmt}.")
    source = {"root": lambda: _root_source(p, tree), "npz": lambda: _npz_source(p),
              "parquet": lambda: _parquet_source(p), "hdf5": lambda: _hdf5_source(p),
              "csv": lambda: _csv_source(p)}[fmt]
    available, load, handle = source()
    try:
        feats = [] if features is None else list(features)
        parts = [] if particles is None else list(particles)
        if not feats and not parts:
            raise PhysnnError(f"{owner}: name at least one jet feature or particle column.")
        check_columns("features", feats, available, owner=owner)
        check_columns("particles", parts, available, owner=owner)
        extra = [c for c in (label, weights) if c is not None]
        check_columns("label/weights", extra, available, owner=owner)
        want_mass = mass if (mass is not None and mass in available) else None
        cols = load(list(dict.fromkeys(feats + parts + extra + ([want_mass] if want_mass else []))))
    finally:
        if handle is not None and hasattr(handle, "close"):
            handle.close()

    n_rows = None
    X = np.stack([_flat(n, cols[n], owner) for n in feats], axis=1).astype(np.float32) if feats else None
    if X is not None:
        n_rows = X.shape[0]
    P = mk = None
    if parts:
        if n_particles is not None:
            n_particles = check_int("n_particles", n_particles, low=1, owner=owner)
        blocks, masks = [], []
        for n in parts:
            a = cols[n]
            if _is_jagged(a):
                if n_particles is None:
                    raise PhysnnError(
                        f"{owner}: particle column {n!r} is jagged (a variable number of particles per "
                        "jet); give the padding length, e.g. n_particles=64 (--n-particles 64): jets "
                        "are zero-padded or truncated to it, with a mask."
                    )
                padded, m = pad_jagged(a, n_particles)
            else:
                if not isinstance(a, np.ndarray):
                    import awkward as ak

                    a = ak.to_numpy(a)
                if a.ndim != 2:
                    raise PhysnnError(
                        f"{owner}: particle column {n!r} has shape {a.shape}; expected (n_jets, N) "
                        "zero-padded or a jagged list per jet."
                    )
                width = a.shape[1] if n_particles is None else n_particles
                padded = np.zeros((a.shape[0], width), np.float32)
                k = min(width, a.shape[1])
                padded[:, :k] = a[:, :k]
                m = None
            blocks.append(padded)
            masks.append(m)
        P = np.stack(blocks, axis=-1).astype(np.float32)
        jag = [m for m in masks if m is not None]
        mk = jag[0] if jag else (P != 0).any(axis=-1)
        for m in jag[1:]:
            if not np.array_equal(m, mk):
                raise PhysnnError(f"{owner}: the particle columns {parts} have different lengths per jet.")
        check_finite("particles", P, owner=owner)
        if n_rows is not None and P.shape[0] != n_rows:
            raise PhysnnError(f"{owner}: {n_rows} jets in the flat columns but {P.shape[0]} in the particle columns.")
        n_rows = P.shape[0]
    if X is None:
        X = np.zeros((n_rows, 0), np.float32)
    check_finite("features", X, owner=owner)
    y = check_labels(_flat(label, cols[label], owner), owner=owner, name=label, both=False) if label is not None else None
    w = _flat(weights, cols[weights], owner).astype(np.float32) if weights is not None else None
    if w is not None:
        check_finite("weights", w, owner=owner)
        if (w < 0).any():
            raise PhysnnError(f"{owner}: weight column {weights!r} has negative weights; physnn trains with weights >= 0.")
    ms = _flat(want_mass, cols[want_mass], owner).astype(np.float32) if want_mass else None
    return JetData(X=X, feature_names=feats, particles=P, mask=mk, particle_names=parts, y=y,
                   weights=w, mass=ms, name=p.stem)


def jets_from_columns(
    columns: Any,
    *,
    features: Sequence[str] | None = JET_FEATURES,
    particles: Sequence[str] | None = PARTICLE_FEATURES,
    n_particles: int | None = None,
    label: str | None = "label",
    mass: str | None = "mass",
) -> JetData:
    """A :class:`JetData` from in-memory columns ``{name: array}`` (e.g. what
    ``physnn.hep.generate_jets`` returns): flat ``(n,)`` columns and padded
    ``(n, N)`` constituent columns; several dicts are concatenated.

        >>> cols = {"mass": np.array([170.0, 50.0]), "label": np.array([1, 0]),
        ...         "part_pt": np.array([[5.0, 1.0, 0.0], [9.0, 0.0, 0.0]])}
        >>> j = jets_from_columns(cols, features=["mass"], particles=["part_pt"], n_particles=2)
        >>> j.particles[..., 0].tolist(), j.mask.tolist()
        ([[5.0, 1.0], [9.0, 0.0]], [[True, True], [True, False]])
    """
    from physnn.hep.diagnostics import check_labels

    if isinstance(columns, (list, tuple)):
        jd = concat_jets([jets_from_columns(c, features=features, particles=particles, n_particles=n_particles,
                                            label=label, mass=mass) if not isinstance(c, JetData) else c
                          for c in columns])
        if jd.y is not None:
            check_labels(jd.y, owner="jets_from_columns")
        return jd
    owner = "jets_from_columns"
    feats = list(features or [])
    parts = list(particles or [])
    names = list(columns)
    check_columns("features", feats, names, owner=owner)
    check_columns("particles", parts, names, owner=owner)
    X = (np.stack([_flat(n, np.asarray(columns[n]), owner) for n in feats], 1).astype(np.float32) if feats
         else None)
    P = M = None
    if parts:
        arrs = [np.asarray(columns[n], dtype=np.float32) for n in parts]
        width = arrs[0].shape[1] if n_particles is None else check_int("n_particles", n_particles, low=1, owner=owner)
        P = np.zeros((arrs[0].shape[0], width, len(parts)), np.float32)
        k = min(width, arrs[0].shape[1])
        for j, a in enumerate(arrs):
            P[:, :k, j] = a[:, :k]
        M = (P != 0).any(-1)
    n = X.shape[0] if X is not None else P.shape[0]
    y = check_labels(np.asarray(columns[label]), owner=owner, name=label, both=False) if label else None
    ms = np.asarray(columns[mass], dtype=np.float32) if mass and mass in names else None
    return JetData(X=X if X is not None else np.zeros((n, 0), np.float32), feature_names=feats, particles=P,
                   mask=M, particle_names=parts, y=y, mass=ms, name="jets")


class ParticleScaler:
    r"""Constituent features → network inputs, fitted on training jets.

    For every feature whose name ends in ``pt`` the value becomes
    :math:`\log p_T` (constituent momenta span decades); then each feature
    is standardised, :math:`(v - \mu)/\sigma`, with :math:`\mu, \sigma` over
    the *real* particles of the training jets.  Padded slots are set to 0.

        >>> import numpy as np
        >>> x = np.array([[[10.0, 0.1], [1.0, -0.1], [0.0, 0.0]]]); m = np.array([[True, True, False]])
        >>> s = ParticleScaler(["part_pt", "part_deta"]).fit(x, m)
        >>> z = s.transform(x, m)
        >>> np.round(z[0, :, 0], 6).tolist(), z[0, 2].tolist()
        ([1.0, -1.0, 0.0], [0.0, 0.0])
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.log = [n.lower().endswith("pt") for n in self.names]
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def _prep(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        z = np.array(x, dtype=np.float64, copy=True)
        for j, lg in enumerate(self.log):
            if lg:
                v = z[..., j]
                bad = mask & (v <= 0)
                if bad.any():
                    raise PhysnnError(
                        f"ParticleScaler: {int(bad.sum())} real particles have {self.names[j]} <= 0; "
                        "momenta must be positive (is the mask right?)."
                    )
                z[..., j] = np.where(mask, np.log(np.where(mask, v, 1.0)), 0.0)
        return z

    def fit(self, x: np.ndarray, mask: np.ndarray) -> ParticleScaler:
        z = self._prep(x, mask)[mask]
        if z.shape[0] < 2:
            raise PhysnnError("ParticleScaler: fewer than 2 real particles to fit on.")
        self.mean_ = z.mean(axis=0)
        self.std_ = np.where(z.std(axis=0) > 0, z.std(axis=0), 1.0)
        return self

    def transform(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.mean_ is None:
            raise PhysnnError("ParticleScaler: call fit() on training jets before transform().")
        z = (self._prep(x, mask) - self.mean_) / self.std_
        return np.where(mask[..., None], z, 0.0).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"names": self.names, "mean": [float(v) for v in self.mean_], "std": [float(v) for v in self.std_]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ParticleScaler:
        s = cls(d["names"])
        s.mean_, s.std_ = np.asarray(d["mean"]), np.asarray(d["std"])
        return s


def toy_jets(n: int = 200, *, n_max: int = 40, seed: int = 0) -> JetData:
    """A *synthetic* jet-like sample for tests and docs — not physics (use ``physnn.hep.generate`` for that).

    ``n`` jets, half signal: signal jets have 3 prongs (3 clusters of
    constituents in (Δη, Δφ)), mass ≈ 175 and low τ32; background jets one
    prong, mass ≈ 60, τ32 ≈ 0.8.  Constituents are pT-ordered and zero-padded
    to ``n_max``; ``n_constituents`` gives the real count.
    """
    n = check_int("n", n, low=2, owner="toy_jets")
    rng = np.random.default_rng(seed)
    y = (np.arange(n) < n // 2).astype(np.int64)
    rng.shuffle(y)
    pt = rng.uniform(550, 650, n)
    mass = np.where(y == 1, rng.normal(175, 15, n), rng.lognormal(math.log(60), 0.4, n))
    tau1 = rng.uniform(0.2, 0.4, n)
    tau21 = np.where(y == 1, rng.normal(0.55, 0.1, n), rng.normal(0.6, 0.12, n)).clip(0.05, 1)
    tau32 = np.where(y == 1, rng.normal(0.55, 0.1, n), rng.normal(0.78, 0.08, n)).clip(0.05, 1)
    tau2 = tau1 * tau21
    tau3 = tau2 * tau32
    nc = np.where(y == 1, rng.poisson(28, n), rng.poisson(18, n)).clip(3, None)
    parts = np.zeros((n, n_max, 3), np.float32)
    for i in range(n):
        k = nc[i]
        prongs = 3 if y[i] else 1
        centers = rng.normal(0, 0.25, (prongs, 2)) if prongs > 1 else np.zeros((1, 2))
        which = rng.integers(0, prongs, k)
        pos = centers[which] + rng.normal(0, 0.04, (k, 2))
        z = rng.dirichlet(np.full(k, 0.7)) * pt[i]
        order = np.argsort(-z)[: n_max]
        m = order.size
        parts[i, :m, 0] = z[order]
        parts[i, :m, 1:] = pos[order]
    X = np.stack([pt, mass, tau1, tau2, tau3, tau21, tau32, nc], axis=1).astype(np.float32)
    jd = JetData(X=X, feature_names=list(JET_FEATURES), particles=parts, mask=(parts != 0).any(-1),
                 particle_names=list(PARTICLE_FEATURES), y=y, mass=mass.astype(np.float32), name="toy_jets")
    return jd
