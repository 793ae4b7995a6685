"""Jet files: write and read the generator's jets as Parquet, NPZ or ROOT, atomically.

One table, one row per jet.  The column names are the contract between the
generator (:func:`physnn.hep.generate_jets`) and everything that reads jets:

==================  =========  ===============================================================
column              dtype      meaning
==================  =========  ===============================================================
``pt``              float64    jet transverse momentum [GeV]
``eta``, ``phi``    float64    jet pseudorapidity, azimuth in (-π, π]
``mass``            float64    jet invariant mass [GeV]
``tau1`` … ``tau4`` float64    N-subjettiness, β = 1, exclusive-kt axes, R0 = 0.8
``tau21``           float64    τ2/τ1 (0 where τ1 = 0)
``tau32``           float64    τ3/τ2 (0 where τ2 = 0)
``n_constituents``  int32      number of constituents of the jet (all of them, not only the stored N)
``label``           int32      1 = signal (top or W jet, truth-matched), 0 = QCD
``part_pt``         float32    the N leading constituents' pT, sorted by pT, zero-padded
``part_deta``       float32    constituent η minus jet η (0 for padding)
``part_dphi``       float32    constituent φ minus jet φ wrapped to [-π, π) (0 for padding)
==================  =========  ===============================================================

How the constituents are stored: ``.npz`` — 2-D ``(n_jets, N)`` zero-padded
arrays; ``.parquet`` — fixed-size list columns of length N (zero-padded);
``.root`` — a TTree (written with uproot's ``mktree``, *not*
``file[key] = ...``, which writes an RNTuple in uproot >= 5.7) with jagged
branches ``part_pt``, ``part_deta``, ``part_dphi`` holding the
``npart = min(n_constituents, N)`` real constituents and a counter branch
``npart``.  :func:`read_jets` returns the same 2-D zero-padded arrays for
all three.  The generator's settings and statistics travel with the file
(:func:`read_jet_metadata`): an ``__metadata__`` entry (npz), the schema
metadata (parquet) or a ``physnn_metadata`` TObjString (ROOT).

    >>> import tempfile, pathlib
    >>> jets = {c: np.zeros(3) for c in SCALAR_COLUMNS}
    >>> jets.update({c: np.zeros((3, 5), np.float32) for c in CONSTITUENT_COLUMNS})
    >>> path = write_jets(jets, pathlib.Path(tempfile.mkdtemp()) / "jets.npz")
    >>> read_jets(path)["part_pt"].shape
    (3, 5)
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_columns, check_file
from physnn.files import atomic_path, atomic_write

__all__ = [
    "SCALAR_COLUMNS",
    "CONSTITUENT_COLUMNS",
    "JET_COLUMNS",
    "JET_FORMATS",
    "DEFAULT_TREE",
    "jet_format",
    "write_jets",
    "read_jets",
    "read_jet_metadata",
]

SCALAR_COLUMNS: tuple[str, ...] = (
    "pt", "eta", "phi", "mass", "tau1", "tau2", "tau3", "tau4", "tau21", "tau32",
    "n_constituents", "label",
)
"""Per-jet scalar columns, in file order."""

CONSTITUENT_COLUMNS: tuple[str, ...] = ("part_pt", "part_deta", "part_dphi")
"""Per-constituent columns: ``(n_jets, N)`` zero-padded, sorted by constituent pT."""

JET_COLUMNS: tuple[str, ...] = SCALAR_COLUMNS + CONSTITUENT_COLUMNS
"""All columns of a jet file."""

_INT_COLUMNS = ("n_constituents", "label")

JET_FORMATS: dict[str, str] = {".parquet": "parquet", ".pq": "parquet", ".npz": "npz", ".root": "root"}
"""File suffix -> format of :func:`write_jets` / :func:`read_jets`."""

DEFAULT_TREE = "jets"
"""The TTree name in ROOT files."""

_META_KEY = "physnn_metadata"


def jet_format(path: str | os.PathLike, *, owner: str = "write_jets") -> str:
    """The format (``parquet``, ``npz`` or ``root``) for ``path``'s suffix, or a PhysnnError.

        >>> jet_format("jets.root")
        'root'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in JET_FORMATS:
        raise PhysnnError(
            f"{owner}: cannot tell the jet file format from {str(path)!r}; the file name must end "
            f"in one of {', '.join(sorted(JET_FORMATS))} (e.g. jets_top.parquet)."
        )
    return JET_FORMATS[suffix]


def _require(module: str, owner: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - the io extra is installed in the tests
        raise PhysnnError(
            f"{owner}: this file format needs the package {module!r}; install it with "
            "pip install 'physnn[hep]'."
        ) from exc


def _validated(jets: Mapping[str, Any], owner: str) -> tuple[dict[str, np.ndarray], int, int]:
    if not isinstance(jets, Mapping):
        raise PhysnnError(f"{owner}: 'jets' must be a mapping column name -> array; got {type(jets).__name__}.")
    check_columns("jets", JET_COLUMNS, list(jets), owner=owner)
    out: dict[str, np.ndarray] = {}
    n = np.asarray(jets["pt"]).shape[0] if np.ndim(jets["pt"]) else -1
    if n < 0:
        raise PhysnnError(f"{owner}: column 'pt' must be 1-D (one value per jet).")
    for c in SCALAR_COLUMNS:
        a = np.asarray(jets[c])
        if a.shape != (n,):
            raise PhysnnError(
                f"{owner}: column {c!r} must be 1-D with one value per jet ({n}); got shape {a.shape}."
            )
        out[c] = a.astype(np.int32 if c in _INT_COLUMNS else np.float64)
    width = np.asarray(jets["part_pt"]).shape[1] if np.ndim(jets["part_pt"]) == 2 else -1
    for c in CONSTITUENT_COLUMNS:
        a = np.asarray(jets[c])
        if a.ndim != 2 or a.shape != (n, width):
            raise PhysnnError(
                f"{owner}: constituent column {c!r} must be 2-D (n_jets, N) = ({n}, {width}) like "
                f"'part_pt'; got shape {a.shape}."
            )
        out[c] = a.astype(np.float32)
    return out, n, width


def write_jets(
    jets: Mapping[str, Any],
    path: str | os.PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
    tree: str = DEFAULT_TREE,
) -> Path:
    """Write a jet table to ``path`` (format from the suffix), atomically; return the path.

    ``jets`` maps every name of :data:`JET_COLUMNS` to an array: scalars of
    shape ``(n_jets,)``, constituents ``(n_jets, N)`` zero-padded.  Extra keys
    are ignored.  ``metadata`` (JSON-serialisable) is stored with the file.

        >>> import tempfile, pathlib
        >>> jets = {c: np.ones(2) for c in SCALAR_COLUMNS}
        >>> jets.update({c: np.ones((2, 3), np.float32) for c in CONSTITUENT_COLUMNS})
        >>> write_jets(jets, pathlib.Path(tempfile.mkdtemp()) / "j.root").suffix
        '.root'
    """
    owner = "write_jets"
    fmt = jet_format(path, owner=owner)
    cols, n, width = _validated(jets, owner)
    meta = dict(metadata or {})
    meta.setdefault("n_constituents_stored", width)
    meta_text = json.dumps(meta, default=_json_default)
    path = Path(path)
    if fmt == "npz":
        with atomic_write(path, "wb") as fh:
            np.savez_compressed(fh, **cols, __metadata__=np.array(meta_text))
    elif fmt == "parquet":
        pa = _require("pyarrow", owner)
        pq = _require("pyarrow.parquet", owner)
        arrays, names = [], []
        for c in SCALAR_COLUMNS:
            arrays.append(pa.array(cols[c]))
            names.append(c)
        for c in CONSTITUENT_COLUMNS:
            flat = pa.array(cols[c].reshape(-1))
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, width))
            names.append(c)
        table = pa.Table.from_arrays(arrays, names=names)
        table = table.replace_schema_metadata({_META_KEY: meta_text})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
    else:
        uproot = _require("uproot", owner)
        ak = _require("awkward", owner)
        counts = np.minimum(cols["n_constituents"], width).astype(np.int64)
        mask = np.arange(width)[None, :] < counts[:, None]
        part = ak.zip(
            {c[len("part_"):]: ak.unflatten(cols[c][mask], counts) for c in CONSTITUENT_COLUMNS}
        )
        branches: dict[str, Any] = {c: cols[c].dtype for c in SCALAR_COLUMNS}
        branches["part"] = part.type.content
        with atomic_path(path) as tmp:
            with uproot.recreate(tmp) as f:
                t = f.mktree(tree, branches, title="physnn jets")
                if n:
                    t.extend({**{c: cols[c] for c in SCALAR_COLUMNS}, "part": part})
                f[_META_KEY] = meta_text
    return path


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"metadata value of type {type(obj).__name__} is not JSON serialisable")


def _root_tree(f: Any, tree: str | None, path: Path, owner: str) -> Any:
    trees = [k.split(";")[0] for k, v in f.classnames().items() if v == "TTree"]
    name = DEFAULT_TREE if tree is None else tree
    if name not in trees:
        there = ", ".join(repr(t) for t in trees) or "none"
        raise PhysnnError(
            f"{owner}: {str(path)!r} has no TTree {name!r}; the trees in the file are: {there}. "
            "Pass tree=... (CLI: --tree)."
        )
    return f[name]


def read_jets(path: str | os.PathLike, tree: str | None = None) -> dict[str, np.ndarray]:
    """Read a jet file written by :func:`write_jets` into ``{column: array}``.

    Scalars come back 1-D (float64; ``n_constituents`` and ``label`` int32),
    constituents as ``(n_jets, N)`` float32 zero-padded arrays whatever the
    format (ROOT's jagged branches are padded to the stored N).  ``tree``
    names the TTree of a ROOT file (default ``"jets"``).

        >>> read_jets("nowhere.npz")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: read_jets: jet file 'nowhere.npz' does not exist; check the path (working directory: ...).
    """
    owner = "read_jets"
    path, fmt = _checked_jet_file(path, owner)
    with _readable(path, fmt, owner):
        return _read_jets(path, fmt, tree, owner)


def _checked_jet_file(path: str | os.PathLike, owner: str) -> tuple[Path, str]:
    """The path and format of an existing, non-empty jet file whose bytes are of the format its suffix names."""
    from physnn.errors import check_input_file

    path = check_file(path, owner=owner, what="jet file")
    fmt = jet_format(path, owner=owner)
    check_input_file(path, fmt, owner=owner, what="jet file",
                     hint="Write jet files with 'physnn hep generate', or give the file the suffix of its format.")
    return path, fmt


@contextlib.contextmanager
def _readable(path: Path, fmt: str, owner: str) -> Iterator[None]:
    """A reader's own error on a damaged file (right format, broken content) as a PhysnnError naming the file."""
    try:
        yield
    except PhysnnError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise PhysnnError(f"{owner}: could not read {str(path)!r} as a {fmt} jet file ({type(exc).__name__}: "
                          f"{exc}); the file may be truncated or damaged: write it again.") from None


def _read_jets(path: Path, fmt: str, tree: str | None, owner: str) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    if fmt == "npz":
        with np.load(path, allow_pickle=False) as z:
            check_columns("jet file", JET_COLUMNS, [k for k in z.files if k != "__metadata__"], owner=owner)
            cols = {c: z[c] for c in JET_COLUMNS}
    elif fmt == "parquet":
        pq = _require("pyarrow.parquet", owner)
        table = pq.read_table(path)
        check_columns("jet file", JET_COLUMNS, table.column_names, owner=owner)
        n = table.num_rows
        for c in SCALAR_COLUMNS:
            cols[c] = table.column(c).to_numpy()
        for c in CONSTITUENT_COLUMNS:
            arr = table.column(c).combine_chunks()
            width = arr.type.list_size
            cols[c] = arr.flatten().to_numpy().reshape(n, width)
    else:
        uproot = _require("uproot", owner)
        ak = _require("awkward", owner)
        with uproot.open(path) as f:
            t = _root_tree(f, tree, path, owner)
            check_columns("jet file", JET_COLUMNS, list(t.keys()), owner=owner)
            width = _stored_width(f)
            arrays = t.arrays(list(JET_COLUMNS), library="ak")
        for c in SCALAR_COLUMNS:
            cols[c] = ak.to_numpy(arrays[c])
        if width is None:
            width = int(ak.max(ak.num(arrays["part_pt"]), initial=0))
        for c in CONSTITUENT_COLUMNS:
            padded = ak.fill_none(ak.pad_none(arrays[c], width, clip=True), 0.0)
            cols[c] = ak.to_numpy(padded).astype(np.float32).reshape(len(arrays), width)
    for c in _INT_COLUMNS:
        cols[c] = cols[c].astype(np.int32)
    for c in SCALAR_COLUMNS:
        if c not in _INT_COLUMNS:
            cols[c] = cols[c].astype(np.float64)
    for c in CONSTITUENT_COLUMNS:
        cols[c] = cols[c].astype(np.float32)
    return cols


def _stored_width(f: Any) -> int | None:
    if _META_KEY not in [k.split(";")[0] for k in f.keys()]:
        return None
    meta = json.loads(str(f[_META_KEY]))
    w = meta.get("n_constituents_stored")
    return int(w) if w is not None else None


def read_jet_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The generator settings and statistics stored with a jet file (``{}`` if none).

        >>> import tempfile, pathlib
        >>> jets = {c: np.ones(1) for c in SCALAR_COLUMNS}
        >>> jets.update({c: np.ones((1, 2), np.float32) for c in CONSTITUENT_COLUMNS})
        >>> p = write_jets(jets, pathlib.Path(tempfile.mkdtemp()) / "j.parquet", metadata={"seed": 3})
        >>> read_jet_metadata(p)["seed"]
        3
    """
    owner = "read_jet_metadata"
    path, fmt = _checked_jet_file(path, owner)
    with _readable(path, fmt, owner):
        text = _metadata_text(path, fmt, owner)
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise PhysnnError(f"{owner}: the metadata stored in {str(path)!r} is not valid JSON ({exc}).") from None


def _metadata_text(path: Path, fmt: str, owner: str) -> str | None:
    text: str | None = None
    if fmt == "npz":
        with np.load(path, allow_pickle=False) as z:
            if "__metadata__" in z.files:
                text = str(z["__metadata__"])
    elif fmt == "parquet":
        pq = _require("pyarrow.parquet", owner)
        md = pq.read_schema(path).metadata or {}
        raw = md.get(_META_KEY.encode())
        text = raw.decode() if raw is not None else None
    else:
        uproot = _require("uproot", owner)
        with uproot.open(path) as f:
            if _META_KEY in [k.split(";")[0] for k in f.keys()]:
                text = str(f[_META_KEY])
    return text
