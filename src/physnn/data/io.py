"""Read and write tabular data in the formats physicists use, as :class:`ArrayData`.

One entry point, :func:`read_data`, picks the reader from the file suffix (or
``format=``) and selects feature and target columns **by name**; the format
readers (:func:`read_csv`, :func:`read_npz`, :func:`read_parquet`,
:func:`read_hdf5`, :func:`read_root`) take the same ``features`` / ``target``
arguments.  :func:`write_data` writes an :class:`ArrayData` back, one column
per feature and target name, atomically.

===========  ===========================  ==========================================
format       suffixes                     what a "column" is
===========  ===========================  ==========================================
``csv``      ``.csv``                     a header field (comma-separated)
``tsv``      ``.tsv``                     a header field (tab-separated)
``txt``      ``.txt``, ``.dat``           a header field (comma, tab or whitespace)
``npz``      ``.npz``                     a 1-D array per name, or ``X``/``y`` arrays
``parquet``  ``.parquet``, ``.pq``        a flat numeric column (pyarrow)
``hdf5``     ``.h5``, ``.hdf5``, ``.hdf``  a 1-D dataset in a group, or ``X``/``y``
``root``     ``.root``                    a flat numeric branch of a TTree or RNTuple (uproot)
===========  ===========================  ==========================================

Column selection, the same for every format:

* ``target``: a name, a list of names, ``[]`` for none, or ``None`` — the
  targets the file itself declares (the ``y`` of an ``X``/``y`` file; no target
  for a plain column file, i.e. unlabelled data for prediction).
* ``features``: a name or a list of names, or ``None`` — every numeric, flat
  column that is not a target (text, jagged and multi-dimensional columns are
  skipped).  For ``X``/``y`` files ``None`` means the columns of ``X``.
* An integer target column (one column) becomes class labels (1-D ``int64``,
  for cross-entropy); otherwise targets are ``float32`` ``(n, k)``.

Parquet, HDF5 and ROOT need the optional packages of ``pip install 'physnn[io]'``
(pyarrow, h5py, uproot); they are imported only when such a file is read.

    >>> import tempfile, pathlib
    >>> from physnn.data import toy
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "moons.csv"
    >>> write_data(toy.moons(50), path).name
    'moons.csv'
    >>> read_data(path, target="label")
    ArrayData('moons', n_samples=50, features=['x0', 'x1'], targets=['label'])
"""

from __future__ import annotations

import csv
import importlib
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physnn.data.arrays import ArrayData, check_names, default_target_names
from physnn.errors import (
    PhysnnError,
    check_array,
    check_choice,
    check_columns,
    check_file,
    check_finite,
    check_input_file,
)
from physnn.files import atomic_path, atomic_write

__all__ = [
    "FORMATS",
    "read_data",
    "read_csv",
    "read_npz",
    "read_parquet",
    "read_hdf5",
    "read_root",
    "write_data",
]

FORMATS: tuple[str, ...] = ("csv", "tsv", "txt", "npz", "parquet", "hdf5", "root")
"""The format names accepted by ``format=`` in :func:`read_data` and :func:`write_data`."""

_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "txt",
    ".dat": "txt",
    ".npz": "npz",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".hdf": "hdf5",
    ".root": "root",
}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_MISSING = {"", "na", "nan", "null", "none"}

PathLike = str | os.PathLike


# ----------------------------------------------------------------- helpers
def _require(module: str, owner: str) -> Any:
    """Import an optional dependency or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise PhysnnError(
            f"{owner}: this format needs the optional package {top!r}, which is not "
            f"installed; install the I/O extras with: pip install 'physnn[io]'."
        ) from exc


def _owner(func: str, path: PathLike) -> str:
    return f"{func}({str(path)!r})"


_KIND_OF_FORMAT = {"csv": "text", "tsv": "text", "txt": "text", "npz": "npz", "parquet": "parquet",
                   "hdf5": "hdf5", "root": "root"}
_HOW_TO_WRITE = {
    "text": "Save it as UTF-8 text with a header row naming the columns",
    "npz": "Write it with numpy.savez (one array per column) or physnn.data.write_data",
    "parquet": "Write it with pyarrow / pandas .to_parquet() or physnn.data.write_data",
    "hdf5": "Write it with h5py (one 1-D dataset per column) or physnn.data.write_data",
    "root": "Write it with ROOT or uproot (a TTree or RNTuple of flat branches)",
}


def _open_checked(path: PathLike, owner: str, fmt: str) -> Path:
    """The path, if it is an existing non-empty file whose bytes are of format ``fmt``."""
    kind = _KIND_OF_FORMAT[fmt]
    return check_input_file(
        path, kind, owner=owner, what="data file",
        hint=f"{_HOW_TO_WRITE[kind]}, or give the file the suffix of the format it holds.",
    )


def _format_of(path: Path, fmt: str | None, owner: str) -> str:
    if fmt is not None:
        return check_choice("format", fmt, FORMATS, owner=owner)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        known = ", ".join(sorted(_SUFFIXES))
        raise PhysnnError(
            f"{owner}: cannot tell the format from the suffix {suffix or '(none)'!r}; "
            f"known suffixes: {known}. Pass format= one of "
            f"{', '.join(repr(f) for f in FORMATS)}."
        )
    return _SUFFIXES[suffix]


def _as_names(what: str, value: Any, owner: str) -> list[str]:
    names = [value] if isinstance(value, str) else value
    try:
        names = list(names)
    except TypeError:
        names = None
    if names is None or not all(isinstance(n, str) for n in names):
        raise PhysnnError(
            f"{owner}: {what!r} must be a column name or a list of column names; "
            f"got {value!r}."
        )
    if len(set(names)) != len(names):
        raise PhysnnError(f"{owner}: {what!r} names a column twice: {names!r}.")
    return names


@dataclass
class _Table:
    """What a reader found in a file, before any column is loaded."""

    names: list[str]
    load: Callable[[list[str]], dict[str, np.ndarray]]
    # name -> (reason it cannot be used, skip it when choosing features automatically)
    problems: dict[str, tuple[str, bool]] = field(default_factory=dict)
    declared_targets: list[str] = field(default_factory=list)
    pool: list[str] | None = None  # candidates for features=None (default: all names)


def _assemble(
    table: _Table, features: Any, target: Any, *, owner: str, name: str
) -> ArrayData:
    """Select columns by name, validate them and build the ArrayData."""
    if not table.names:
        raise PhysnnError(f"{owner}: the file holds no columns; there is nothing to read.")
    targets = list(table.declared_targets) if target is None else _as_names("target", target, owner)
    check_columns("target", targets, table.names, owner=owner)
    if features is None:
        pool = table.names if table.pool is None else table.pool
        skipped = [c for c in pool if c not in targets and table.problems.get(c, ("", False))[1]]
        feats = [c for c in pool if c not in targets and c not in skipped]
        if not feats:
            why = "; ".join(f"{c!r} {table.problems[c][0]}" for c in skipped[:5])
            raise PhysnnError(
                f"{owner}: no numeric column is left for the features (columns: "
                f"{', '.join(repr(c) for c in table.names[:30])}; targets: {targets!r})"
                + (f"; skipped {why}" if why else "")
                + ". Name the features with features=[...]."
            )
    else:
        feats = _as_names("features", features, owner)
        check_columns("features", feats, table.names, owner=owner)
        both = [c for c in feats if c in targets]
        if both:
            raise PhysnnError(
                f"{owner}: {both!r} named both as features and as target; a target "
                "among the inputs lets the network copy the answer. Remove it from "
                "'features'."
            )
    if not feats:
        raise PhysnnError(f"{owner}: 'features' is empty; name at least one column.")
    for c in feats + targets:
        if c in table.problems:
            raise PhysnnError(f"{owner}: column {c!r} {table.problems[c][0]}")

    cols = table.load(feats + targets)
    n = None
    for c in feats + targets:
        a = check_array(c, cols[c], ndim=1, min_rows=0, finite=False, owner=owner)
        if n is None:
            n = len(a)
        elif len(a) != n:
            raise PhysnnError(
                f"{owner}: column {c!r} has {len(a)} rows but column {feats[0]!r} has {n}; "
                "all selected columns must have the same length."
            )
        check_finite(c, a, owner=owner)
        cols[c] = a
    if not n:
        raise PhysnnError(f"{owner}: the file holds the columns but no data rows.")
    with np.errstate(over="ignore"):  # ArrayData reports values too large for float32
        X = np.column_stack([cols[c] for c in feats]).astype(np.float32)
    if not targets:
        y = None
    elif len(targets) == 1:
        y = cols[targets[0]]
    else:
        y = np.column_stack([cols[c].astype(np.float64) for c in targets])
    return ArrayData(X, y, feature_names=feats, target_names=targets or None, name=name)


# --------------------------------------------------------------------- text
def _text_rows(path: Path, delimiter: str | None, owner: str = "") -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line_number, fields)``, skipping blank lines and ``#`` comments."""
    try:
        yield from _text_rows_utf8(path, delimiter)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc, owner) from None


def _not_utf8(path: Path, exc: UnicodeDecodeError, owner: str) -> PhysnnError:
    return PhysnnError(
        f"{owner}: the file is not UTF-8 text (byte {exc.start} of a line, {exc.object[exc.start:exc.start + 1]!r}, "
        "is not UTF-8); save it as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.csv > out.csv)."
    )


def _text_rows_utf8(path: Path, delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        if delimiter is None:
            for i, line in enumerate(fh, start=1):
                fields = line.split()
                if fields and not fields[0].startswith("#"):
                    yield i, fields
        else:
            reader = csv.reader(fh, delimiter=delimiter)
            for fields in reader:
                if not fields or all(not f.strip() for f in fields):
                    continue
                if fields[0].lstrip().startswith("#"):
                    continue
                yield reader.line_num, fields


def _sniff(path: Path, owner: str = "") -> str | None:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip() and not line.lstrip().startswith("#"):
                    return "," if "," in line else ("\t" if "\t" in line else None)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc, owner) from None
    return None


def _parse_column(
    tokens: list[str], lines: list[int]
) -> tuple[np.ndarray | None, tuple[str, bool] | None]:
    """Turn one column's text into int64 or float64 numbers, or say why not."""
    toks = [t.strip() for t in tokens]
    toks = ["nan" if t.lower() in _MISSING else t for t in toks]
    for dtype in (np.int64, np.float64):
        try:
            return np.array(toks, dtype=dtype), None
        except (ValueError, OverflowError):
            pass
    first_value = next((t for t in toks if t != "nan"), "nan")
    try:
        float(first_value)
        is_text = False
    except ValueError:
        is_text = True
    for r, t in enumerate(toks):
        try:
            float(t)
        except ValueError:
            reason = (
                f"holds {tokens[r].strip()!r} in row {r + 1} (line {lines[r]}), which is "
                "not a number; fix that value, or leave the column out of 'features' "
                "and 'target'."
            )
            return None, (reason, is_text)
    raise AssertionError("unreachable")  # pragma: no cover


def read_csv(
    path: PathLike,
    *,
    features: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    delimiter: str | None = ",",
) -> ArrayData:
    """Read a delimited text file with a header row (no pandas needed).

    The first non-blank line that is not a ``#`` comment names the columns;
    every later line is one sample.  Empty cells and ``NA``/``NaN``/``null`` are
    missing values, which are refused (naming the column).  A column whose
    first value is not a number is a text column: skipped when
    ``features=None``, refused with the offending row if selected.
    ``delimiter=None`` guesses comma, tab or whitespace from the header.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
    >>> _ = p.write_text("pt,eta,run,label\\n10.5,0.1,a,1\\n20.0,-1.2,b,0\\n")
    >>> d = read_csv(p, target="label")
    >>> d.feature_names, d.X.tolist(), d.y.tolist()
    (['pt', 'eta'], [[10.5, 0.10000000149011612], [20.0, -1.2000000476837158]], [1, 0])
    """
    owner = _owner("read_csv", path)
    p = _open_checked(path, owner, "csv")
    if delimiter is None:
        delimiter = _sniff(p, owner)
    rows = _text_rows(p, delimiter, owner)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise PhysnnError(
            f"{owner}: the file has no header row (only blank or comment lines); the "
            "first line must name the columns."
        ) from None
    header = [h.strip() for h in header]
    if any(not h for h in header):
        raise PhysnnError(
            f"{owner}: the header (line {header_line}) has an empty column name; every "
            f"column needs a name. Header: {header!r}."
        )
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise PhysnnError(f"{owner}: the header names {dup!r} more than once; names must be unique.")
    columns: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    for line, fields in rows:
        if len(fields) != len(header):
            raise PhysnnError(
                f"{owner}: line {line} has {len(fields)} fields but the header has "
                f"{len(header)} columns ({', '.join(header[:10])}); check the "
                "delimiter and that no value contains it."
            )
        lines.append(line)
        for j, v in enumerate(fields):
            columns[j].append(v)
    parsed: dict[str, np.ndarray] = {}
    problems: dict[str, tuple[str, bool]] = {}
    for name, tokens in zip(header, columns):
        arr, problem = _parse_column(tokens, lines)
        if problem is None:
            parsed[name] = arr
        else:
            problems[name] = problem
    table = _Table(header, lambda names: {n: parsed[n] for n in names}, problems)
    return _assemble(table, features, target, owner=owner, name=p.stem)


# ---------------------------------------------------------------------- npz
def _strings(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()]


def _xy_table(
    X: np.ndarray,
    y: np.ndarray | None,
    feature_names: list[str] | None,
    target_names: list[str] | None,
    owner: str,
) -> _Table:
    """A table over an ``X`` (and ``y``) layout: one column per matrix column."""
    X = check_array("X", X, ndim=2, min_rows=0, finite=False, owner=owner)
    fn = check_names(
        feature_names, X.shape[1], [f"x{j}" for j in range(X.shape[1])], "feature_names", owner
    )
    cols = {n: X[:, j] for j, n in enumerate(fn)}
    tn: list[str] = []
    if y is not None:
        y = check_array("y", y, ndim=(1, 2), min_rows=0, finite=False, owner=owner)
        k = 1 if y.ndim == 1 else y.shape[1]
        tn = check_names(target_names, k, default_target_names(k), "target_names", owner)
        ycols = [y] if y.ndim == 1 else [y[:, j] for j in range(k)]
        clash = [n for n in tn if n in cols]
        if clash:
            raise PhysnnError(
                f"{owner}: {clash!r} name both a feature and a target; names must be unique."
            )
        cols.update(zip(tn, ycols))
    return _Table(list(cols), lambda names: {n: cols[n] for n in names},
                  declared_targets=tn, pool=fn)


def _column_problem(arr: np.ndarray) -> tuple[str, bool] | None:
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return (f"holds {arr.dtype} values, not numbers; leave it out of 'features' and "
                "'target'.", True)
    if arr.ndim != 1:
        return (f"is an array of shape {arr.shape}, not a 1-D column; store one 1-D "
                "array per column (or a 2-D 'X').", True)
    return None


def read_npz(
    path: PathLike,
    *,
    features: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
) -> ArrayData:
    """Read a NumPy ``.npz`` archive, in one of two layouts.

    * **columns**: one 1-D array per column, the array name is the column name
      (``np.savez(path, pt=pt, eta=eta, label=label)``); this is what
      :func:`write_data` writes.  ``target=None`` means unlabelled.
    * **X/y**: a 2-D array ``X`` ``(n, d)``, optionally ``y`` ``(n,)`` or
      ``(n, k)``, and optionally string arrays ``feature_names`` (``d``) and
      ``target_names`` (``k``) — defaults ``x0 ..`` and ``y``/``y0 ..``.
      ``target=None`` means the stored ``y``.

    Pickled (object) arrays are never loaded.

    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "xy.npz"
    >>> np.savez(p, X=np.eye(3), y=np.array([0, 1, 2]), feature_names=np.array(["a", "b", "c"]))
    >>> read_npz(p)
    ArrayData('xy', n_samples=3, features=['a', 'b', 'c'], targets=['y'] (3 classes))
    """
    owner = _owner("read_npz", path)
    p = _open_checked(path, owner, "npz")
    try:
        with np.load(p, allow_pickle=False) as z:
            keys = list(z.files)
            arrays: dict[str, np.ndarray] = {}
            problems: dict[str, tuple[str, bool]] = {}
            for key in z.files:
                try:
                    arrays[key] = z[key]
                except ValueError:
                    problems[key] = ("holds pickled Python objects, which physnn does not "
                                     "load; store numeric arrays.", True)
    except PhysnnError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise PhysnnError(f"{owner}: could not read the file as .npz (a zip archive of .npy arrays): {exc}") from exc
    if not arrays and not problems:
        raise PhysnnError(f"{owner}: the archive holds no arrays; there is nothing to read.")
    X = arrays.get("X")
    if X is not None and X.ndim == 2:
        fn = _strings(arrays["feature_names"]) if "feature_names" in arrays else None
        tn = _strings(arrays["target_names"]) if "target_names" in arrays else None
        table = _xy_table(X, arrays.get("y"), fn, tn, owner)
    else:
        for key, arr in arrays.items():
            problem = _column_problem(arr)
            if problem:
                problems[key] = problem
        table = _Table(keys, lambda names: {n: arrays[n] for n in names}, problems)
    return _assemble(table, features, target, owner=owner, name=p.stem)


# ------------------------------------------------------------------ parquet
def read_parquet(
    path: PathLike,
    *,
    features: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
) -> ArrayData:
    """Read an Apache Parquet file with pyarrow; only the selected columns are loaded.

    Integer, floating and boolean columns are numeric; nulls become NaN and are
    refused (naming the column); string and nested (list) columns are skipped
    when ``features=None``.

    >>> import tempfile, pathlib
    >>> from physnn.data import toy
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "xor.parquet"
    >>> _ = write_data(toy.xor(), p)
    >>> read_parquet(p, target="y").y.ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    owner = _owner("read_parquet", path)
    p = _open_checked(path, owner, "parquet")
    pa = _require("pyarrow", owner)
    pq = _require("pyarrow.parquet", owner)
    try:
        schema = pq.read_schema(p)
    except (OSError, pa.ArrowException) as exc:
        raise PhysnnError(f"{owner}: could not read the file as Parquet: {exc}") from exc
    problems: dict[str, tuple[str, bool]] = {}
    for fld in schema:
        t = fld.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            continue
        if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            problems[fld.name] = (f"is a list column ({t}), not a flat column of numbers; "
                                  "physnn.data reads flat columns only.", True)
        else:
            problems[fld.name] = (f"holds {t} values, not numbers; leave it out of "
                                  "'features' and 'target'.", True)

    def load(names: list[str]) -> dict[str, np.ndarray]:
        table = pq.read_table(p, columns=names)
        return {n: table.column(n).to_numpy() for n in names}

    table = _Table(list(schema.names), load, problems)
    return _assemble(table, features, target, owner=owner, name=p.stem)


# --------------------------------------------------------------------- hdf5
def read_hdf5(
    path: PathLike,
    *,
    features: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    key: str | None = None,
) -> ArrayData:
    """Read an HDF5 file with h5py, from the group ``key`` (default: the root).

    * **columns**: the group's 1-D datasets of equal length, one per column
      (what :func:`write_data` writes).  ``target=None`` means unlabelled.
      Columns come in the group's creation order if the file tracks it
      (``track_order=True``, as :func:`write_data` does), else alphabetically.
    * **X/y**: a 2-D dataset ``X`` plus optional ``y`` and string datasets
      ``feature_names`` / ``target_names`` (as for :func:`read_npz`);
      ``target=None`` means the stored ``y``.

    >>> import tempfile, pathlib, h5py, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cols.h5"
    >>> with h5py.File(p, "w") as f:
    ...     _ = f.create_dataset("events/pt", data=[1.0, 2.0])
    ...     _ = f.create_dataset("events/y", data=[0.0, 1.0])
    >>> read_hdf5(p, key="events", target="y").X.ravel().tolist()
    [1.0, 2.0]
    """
    owner = _owner("read_hdf5", path)
    p = _open_checked(path, owner, "hdf5")
    h5py = _require("h5py", owner)
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise PhysnnError(f"{owner}: could not read the file as HDF5: {exc}") from exc
    with f:
        groups = ["/"]
        f.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) else None)
        group_key = "/" if key is None else check_choice("key", key.strip("/") or "/", groups,
                                                         owner=owner)
        group = f[group_key]
        datasets = {n: o for n, o in group.items() if isinstance(o, h5py.Dataset)}
        if not datasets:
            raise PhysnnError(
                f"{owner}: the group {group_key!r} holds no datasets; pass key= one of "
                f"{', '.join(repr(g) for g in groups)}."
            )
        X = datasets.get("X")
        if X is not None and X.ndim == 2:
            names = {k: _strings(datasets[k][()]) for k in ("feature_names", "target_names")
                     if k in datasets}
            y = datasets["y"][()] if "y" in datasets else None
            table = _xy_table(X[()], y, names.get("feature_names"),
                              names.get("target_names"), owner)
        else:
            problems: dict[str, tuple[str, bool]] = {}
            for n, ds in datasets.items():
                if ds.ndim != 1:
                    problems[n] = (f"is a dataset of shape {ds.shape}, not a 1-D column; store "
                                   "one 1-D dataset per column (or a 2-D 'X').", True)
                elif problem := _column_problem(np.empty(0, dtype=ds.dtype)):
                    problems[n] = problem
            table = _Table(list(datasets), lambda names: {n: datasets[n][()] for n in names},
                           problems)
        return _assemble(table, features, target, owner=owner, name=p.stem)


# --------------------------------------------------------------------- root
#: the ROOT classes read as tables: TTrees (and ntuples) and RNTuples (what uproot >= 5.7 writes for file[key] = {...})
ROOT_TABLE_CLASSES = ("TTree", "TNtuple", "TNtupleD", "ROOT::RNTuple")

#: RNTuple field types that hold one number per entry
_RNTUPLE_SCALARS = {"bool", "char", "float", "double", "std::byte",
                    *(f"std::{s}int{b}_t" for s in ("", "u") for b in (8, 16, 32, 64))}


def root_trees(f: Any) -> list[str]:
    """The names of the tables in an open ROOT file: its TTrees and RNTuples, in file order.

    Both read the same way through uproot: ``f[name].keys()`` lists the branches
    (fields), ``f[name][branch].array(library=...)`` reads one.
    """
    names: list[str] = []
    for k, cls in f.classnames().items():
        base = k.rsplit(";", 1)[0]
        if cls in ROOT_TABLE_CLASSES and base not in names:
            names.append(base)
    return names


def root_branch_problem(t: Any, branch: str, uproot: Any) -> str | None:
    """Why a TTree branch or RNTuple field is not one number per entry (``None`` when it is)."""
    try:
        typename = t[branch].typename
        interp = getattr(t[branch], "interpretation", None)
    except Exception:  # uproot cannot interpret it at all
        return "has a type uproot cannot read as numbers."
    if interp is None:  # an RNTuple field: judged by its C++ type
        if typename in _RNTUPLE_SCALARS:
            return None
        jagged = typename.startswith(("std::vector<", "ROOT::RVec<", "ROOT::VecOps::RVec<"))
    else:
        if isinstance(interp, uproot.AsDtype) and interp.to_dtype.shape == ():
            return None
        jagged = isinstance(interp, uproot.AsJagged)
    if jagged:
        return (f"is jagged (a variable-length list per entry, type {typename!r}), not "
                "flat; physnn.data reads flat branches (one number per entry) only — read "
                "jagged collections with the HEP readers (physnn.hep), or pick flat branches.")
    return f"has type {typename!r}, not one number per entry; physnn.data reads flat numeric branches only."


def read_root(
    path: PathLike,
    *,
    features: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    tree: str | None = None,
) -> ArrayData:
    """Read flat numeric branches of a ROOT ``TTree`` or ``RNTuple`` with uproot (no ROOT install needed).

    ``tree=None`` takes the file's only TTree or RNTuple (or refuses, listing them).  One
    number per entry per branch: jagged branches (``double[]``, e.g. the jets
    of an event) and fixed-size arrays are skipped when ``features=None`` and
    refused when named — read such collections with the HEP readers
    (``physnn.hep``).  Only the selected branches are read.

    >>> import tempfile, pathlib
    >>> from physnn.data import toy
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "events.root"
    >>> _ = write_data(toy.gaussians(10, centers=3), p)
    >>> read_root(p, target="label")
    ArrayData('events', n_samples=10, features=['x0', 'x1'], targets=['label'] (3 classes))
    """
    owner = _owner("read_root", path)
    p = _open_checked(path, owner, "root")
    uproot = _require("uproot", owner)
    try:
        f = uproot.open(p)
    except Exception as exc:  # uproot raises several types for a non-ROOT file
        raise PhysnnError(f"{owner}: could not read the file as ROOT: {exc}") from exc
    with f:
        trees = root_trees(f)
        if not trees:
            kinds = sorted(set(f.classnames().values()))
            raise PhysnnError(
                f"{owner}: the file holds no TTree or RNTuple (it holds: {', '.join(kinds) or 'nothing'}); "
                "write the table with ROOT or uproot (file['events'] = {'x': array, ...})."
            )
        if tree is None and len(trees) > 1:
            check_choice("tree", None, trees, owner=owner)
        name = trees[0] if tree is None else check_choice("tree", tree, trees, owner=owner)
        t = f[name]
        problems: dict[str, tuple[str, bool]] = {}
        for b in t.keys():
            why = root_branch_problem(t, b, uproot)
            if why is not None:
                problems[b] = (why, True)
        table = _Table(list(t.keys()), lambda names: {n: t[n].array(library="np") for n in names},
                       problems)
        return _assemble(table, features, target, owner=owner, name=p.stem)


# ----------------------------------------------------------------- dispatch
def read_data(
    path: PathLike,
    *,
    features: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    format: str | None = None,
    tree: str | None = None,
    key: str | None = None,
) -> ArrayData:
    """Read a data file into :class:`ArrayData`, choosing the reader by suffix or ``format``.

    ``format`` is one of :data:`FORMATS`; ``tree`` applies to ROOT files only,
    ``key`` (the group) to HDF5 files only.  See the module docstring for how
    ``features`` and ``target`` select columns.

    >>> read_data("no/such/file.csv")
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: read_data('no/such/file.csv'): data file 'no/such/file.csv' does not exist; check the path (working directory: ...).
    """
    owner = _owner("read_data", path)
    p = Path(path)
    fmt = _format_of(p, format, owner)
    check_file(p, owner=owner, what="data file")
    if tree is not None and fmt != "root":
        raise PhysnnError(f"{owner}: tree={tree!r} applies to ROOT files only; this is {fmt}.")
    if key is not None and fmt != "hdf5":
        raise PhysnnError(f"{owner}: key={key!r} applies to HDF5 files only; this is {fmt}.")
    if fmt in ("csv", "tsv", "txt"):
        return read_csv(p, features=features, target=target, delimiter=_DELIMITERS.get(fmt))
    if fmt == "npz":
        return read_npz(p, features=features, target=target)
    if fmt == "parquet":
        return read_parquet(p, features=features, target=target)
    if fmt == "hdf5":
        return read_hdf5(p, features=features, target=target, key=key)
    return read_root(p, features=features, target=target, tree=tree)


# -------------------------------------------------------------------- write
def _columns_of(data: ArrayData, owner: str) -> dict[str, np.ndarray]:
    if not isinstance(data, ArrayData):
        raise PhysnnError(f"{owner}: 'data' must be an ArrayData; got {type(data).__name__}.")
    cols = {n: data.X[:, j] for j, n in enumerate(data.feature_names)}
    if data.y is not None:
        if data.y.ndim == 1:
            cols[data.target_names[0]] = data.y
        else:
            cols.update({n: data.y[:, j] for j, n in enumerate(data.target_names)})
    return cols


def _write_text(cols: dict[str, np.ndarray], path: Path, fmt: str, owner: str) -> None:
    delimiter = {"csv": ",", "tsv": "\t", "txt": " "}[fmt]
    if fmt == "txt":
        bad = [n for n in cols if any(ch.isspace() for ch in n) or n.startswith("#")]
        if bad:
            raise PhysnnError(
                f"{owner}: the column names {bad!r} contain whitespace or start with '#', "
                "which a whitespace-separated .txt file cannot hold; write csv instead."
            )
    # astype(str) prints the shortest text that reads back to the same float32
    text = np.column_stack([c.astype(str) for c in cols.values()])
    with atomic_write(path) as fh:
        if fmt == "txt":
            fh.write(" ".join(cols) + "\n")
        else:  # the csv module quotes a name that holds the delimiter or a quote
            csv.writer(fh, delimiter=delimiter, lineterminator="\n").writerow(list(cols))
        # numbers never need quoting
        fh.writelines(delimiter.join(row) + "\n" for row in text.tolist())


def write_data(
    data: ArrayData,
    path: PathLike,
    *,
    format: str | None = None,
    tree: str = "data",
    key: str | None = None,
) -> Path:
    """Write ``data`` to ``path``, one column per feature and target name, atomically.

    The format comes from the suffix or ``format`` (one of :data:`FORMATS`).
    Columns keep their dtype (features ``float32``, class labels ``int64``);
    text files print each value with the fewest digits that read back exactly.
    ROOT files get one TTree called ``tree``; HDF5 columns go into the group
    ``key`` (default: the root).  Read the file back with
    ``read_data(path, target=data.target_names)``.  Returns the path.

    >>> import tempfile, pathlib
    >>> from physnn.data import toy
    >>> d = toy.simplenet_task(20)
    >>> p = write_data(d, pathlib.Path(tempfile.mkdtemp()) / "task.npz")
    >>> bool((read_data(p, target="y").X == d.X).all())
    True
    """
    owner = _owner("write_data", path)
    p = Path(path)
    fmt = _format_of(p, format, owner)
    cols = _columns_of(data, owner)
    if fmt in ("csv", "tsv", "txt"):
        _write_text(cols, p, fmt, owner)
    elif fmt == "npz":
        with atomic_write(p, "wb") as fh:
            np.savez(fh, **cols)
    elif fmt == "parquet":
        pa = _require("pyarrow", owner)
        pq = _require("pyarrow.parquet", owner)
        table = pa.table({n: pa.array(c) for n, c in cols.items()})
        with atomic_path(p) as tmp:
            pq.write_table(table, tmp)
    elif fmt == "hdf5":
        h5py = _require("h5py", owner)
        with atomic_path(p) as tmp:
            # track_order keeps the columns in the data's order (else h5py sorts them)
            with h5py.File(tmp, "w", track_order=True) as f:
                group = f if key is None else f.create_group(key, track_order=True)
                for n, c in cols.items():
                    group.create_dataset(n, data=c)
    else:
        uproot = _require("uproot", owner)
        with atomic_path(p) as tmp:
            # mktree + extend writes a TTree; `file[name] = {...}` would write an
            # RNTuple in uproot >= 5.7, which older readers cannot open.
            with uproot.recreate(tmp) as f:
                f.mktree(tree, {n: c.dtype for n, c in cols.items()})
                f[tree].extend(cols)
    return p
