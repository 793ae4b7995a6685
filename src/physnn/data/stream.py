"""Tables larger than memory: Parquet and ROOT read in chunks, shuffled through a buffer, sharded.

A :class:`TableStream` knows a table on disk by its *chunks* — the row groups
of Parquet files (through pyarrow datasets) or entry ranges of a ROOT TTree
(through uproot) — and never holds more than a few of them:

* **split by chunk**: whole chunks go to train, validation and test (seeded),
  so no pass over the data is needed to split it;
* **standardization** fitted on a sample of training chunks (``sample_rows``
  rows, seeded; all of them with ``sample_rows=None``), moments combined
  chunk by chunk in float64, and saved with the run like any Standardizer;
* **one epoch** (:meth:`TableStream.batches`): the training chunks in a seeded
  order, chunk ``i`` of that order going to rank ``i % world`` and, within a
  rank, to loader worker ``(i // world) % workers`` — every chunk is read once
  per epoch by exactly one reader (the approach of weaver-core's ParticleNet
  training); each reader fills a *shuffle buffer* of ``buffer_chunks``
  chunks, shuffles its rows and yields mini-batches, the remainder carried
  into the next buffer.  Under DDP every rank yields the same number of
  batches (computed from the chunk sizes alone), so no rank waits forever.

The rows a batch mixes come from ``buffer_chunks`` chunks at a time, not from
the whole file: write files whose chunks are not sorted by class or by time
(or raise ``buffer_chunks``) — :func:`physnn.data.stream.TableStream.describe`
reports the chunk sizes.

    >>> import tempfile, pathlib, numpy as np
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "big.parquet"
    >>> x = np.arange(1000, dtype=np.float32)
    >>> pq.write_table(pa.table({"x": x, "y": 2 * x}), p, row_group_size=100)
    >>> s = TableStream(p, features=["x"], target="y")
    >>> s.n_rows, len(s.chunks), s.feature_names
    (1000, 10, ['x'])
    >>> parts = s.split(val=0.2, test=0.1, seed=0)
    >>> [len(c) for c in parts]
    [7, 2, 1]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_choice, check_columns, check_file, check_int, check_range

__all__ = ["Chunk", "TableStream", "STREAM_FORMATS", "epoch_assignment", "batches_per_reader"]

#: file formats that stream (chunks: Parquet row groups, ROOT entry ranges)
STREAM_FORMATS = ("parquet", "root")


@dataclass(frozen=True)
class Chunk:
    """One piece of the table: ``rows`` rows of file ``file``; ``part`` is the Parquet row group or
    ``(entry_start, entry_stop)`` of a ROOT tree."""

    file: int
    part: Any
    rows: int


def _format_of(path: Path, owner: str) -> str:
    suffix = path.suffix.lower()
    fmt = {".parquet": "parquet", ".pq": "parquet", ".root": "root"}.get(suffix)
    if fmt is None:
        raise PhysnnError(
            f"{owner}: {str(path)!r} cannot be streamed: only Parquet (.parquet) and ROOT (.root) files "
            "are read in chunks. Convert it (physnn.data.write_data writes both), or train in memory."
        )
    return fmt


def _require(module: str, owner: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise PhysnnError(f"{owner}: streaming this file needs {module.split('.')[0]!r}; "
                          "pip install 'physnn[io]'.") from None


def _paths(paths: Any, owner: str) -> list[Path]:
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in (".parquet", ".pq", ".root"))
            if not found:
                raise PhysnnError(f"{owner}: the folder {str(p)!r} holds no .parquet or .root file.")
            out += found
        else:
            out.append(check_file(p, owner=owner, what="data file"))
    if not out:
        raise PhysnnError(f"{owner}: no data file given.")
    return out


def epoch_assignment(n_chunks: int, order: Sequence[int], rank: int, world: int, workers: int) -> list[list[int]]:
    """The chunks each loader worker of ``rank`` reads this epoch: position ``i`` of ``order`` goes to
    rank ``i % world`` and, within it, to worker ``(i // world) % workers``.

    Every chunk of ``order`` is read by exactly one (rank, worker):

    >>> [epoch_assignment(5, [4, 2, 0, 1, 3], r, 2, 2) for r in (0, 1)]
    [[[4, 3], [0]], [[2], [1]]]
    """
    out: list[list[int]] = [[] for _ in range(workers)]
    for i, c in enumerate(order):
        if i % world == rank:
            out[(i // world) % workers].append(int(c))
    return out


def _float32_transform(transform: Any) -> Any:
    """A fitted Standardizer's ``transform`` as an in-place float32 ``(X - mean) * (1 / scale)`` (no float64
    temporaries); any other callable as it is, its result cast to float32."""
    if transform is None:
        return None
    owner = getattr(transform, "__self__", None)
    mean, scale = getattr(owner, "mean_", None), getattr(owner, "scale_", None)
    if mean is None or scale is None or getattr(transform, "__name__", "") != "transform":
        return lambda X: np.asarray(transform(X), dtype=np.float32)
    m32, inv32 = np.asarray(mean, np.float32), np.asarray(1.0 / np.asarray(scale), np.float32)

    def apply(X: np.ndarray) -> np.ndarray:
        X -= m32
        X *= inv32
        return X

    return apply


def batches_per_reader(rows: int, batch_size: int, min_size: int = 1) -> int:
    """Batches one reader yields from ``rows`` rows: the full ones, and a last shorter one of at
    least ``min_size`` rows.

    >>> batches_per_reader(10, 4), batches_per_reader(9, 4, min_size=2)
    (3, 2)
    """
    full, rest = divmod(rows, batch_size)
    return full + (1 if rest >= min_size else 0)


class TableStream:
    """A Parquet or ROOT table read chunk by chunk (see module docs).

    Parameters
    ----------
    paths : path, folder or list of paths
        Parquet files (``.parquet``; a folder: every file in it) or ROOT files (``.root``) with the
        same columns.
    features : list of str, optional
        Input columns (default: every flat numeric column but the targets).
    target : str or list of str
        Target column(s).
    tree : str, optional
        ROOT tree name (default: the file's only TTree).
    chunk_rows : int
        Entries per ROOT chunk; Parquet chunks are the files' row groups (see
        :meth:`describe`; write files with ``row_group_size`` ~ 10⁵–10⁶).
    """

    def __init__(self, paths: Any, *, features: Sequence[str] | str | None = None,
                 target: Sequence[str] | str = "y", tree: str | None = None, chunk_rows: int = 262_144,
                 owner: str = "stream") -> None:
        self.owner = owner
        self.paths = _paths(paths, owner)
        fmts = {_format_of(p, owner) for p in self.paths}
        if len(fmts) > 1:
            raise PhysnnError(f"{owner}: mixed Parquet and ROOT files; stream one format at a time.")
        self.format = fmts.pop()
        self.tree = tree
        self.chunk_rows = check_int("chunk_rows", chunk_rows, low=1, owner=owner)
        self._handles: dict[int, Any] = {}
        columns, numeric = self._schema()
        targets = [target] if isinstance(target, str) else list(target)
        if not targets:
            raise PhysnnError(f"{owner}: name the target column(s) (target=...).")
        check_columns("target", targets, columns, owner=owner)
        if features is None:
            feats = [c for c in columns if c not in targets and c in numeric]
        else:
            feats = [features] if isinstance(features, str) else list(features)
            check_columns("features", feats, columns, owner=owner)
        if not feats:
            raise PhysnnError(f"{owner}: no numeric feature column is left; name them with features=[...].")
        both = [c for c in feats if c in targets]
        if both:
            raise PhysnnError(f"{owner}: {both!r} named both as features and as target; remove it from the features.")
        for c in feats + targets:
            if c not in numeric:
                raise PhysnnError(f"{owner}: column {c!r} is not a flat numeric column; it cannot be streamed "
                                  "(pick flat numeric columns).")
        self.feature_names, self.target_names = feats, targets
        self.chunks = self._chunks()
        self.n_rows = sum(c.rows for c in self.chunks)
        if self.n_rows == 0:
            raise PhysnnError(f"{owner}: the file(s) hold the columns but no rows.")

    # ------------------------------------------------------------ discovery
    def _schema(self) -> tuple[list[str], set[str]]:
        if self.format == "parquet":
            pa = _require("pyarrow", self.owner)
            ds = _require("pyarrow.dataset", self.owner)
            try:
                self._dataset = ds.dataset([str(p) for p in self.paths], format="parquet")
            except (OSError, pa.ArrowException) as exc:
                raise PhysnnError(f"{self.owner}: could not read the file(s) as Parquet: {exc}") from exc
            schema = self._dataset.schema
            numeric = {f.name for f in schema
                       if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_boolean(f.type)}
            return list(schema.names), numeric
        uproot = _require("uproot", self.owner)
        from physnn.data.io import root_branch_problem

        names: list[str] | None = None
        numeric: set[str] = set()
        for i, p in enumerate(self.paths):
            t = self._tree(i)
            if names is None:
                names = list(t.keys())
                numeric = {b for b in names if root_branch_problem(t, b, uproot) is None}
            elif list(t.keys()) != names:
                raise PhysnnError(f"{self.owner}: {p.name} has other branches than {self.paths[0].name}; "
                                  "stream files with the same columns.")
        return names or [], numeric

    def _tree(self, i: int) -> Any:
        t = self._handles.get(i)
        if t is None:
            uproot = _require("uproot", self.owner)
            from physnn.data.io import root_trees

            try:
                f = uproot.open(self.paths[i])
            except Exception as exc:  # uproot raises several types for a non-ROOT file
                raise PhysnnError(f"{self.owner}: could not read {self.paths[i].name} as ROOT: {exc}") from exc
            trees = root_trees(f)
            if not trees:
                raise PhysnnError(f"{self.owner}: {self.paths[i].name} holds no TTree.")
            if self.tree is None and len(trees) > 1:
                check_choice("tree", None, trees, owner=self.owner)
            name = trees[0] if self.tree is None else check_choice("tree", self.tree, trees, owner=self.owner)
            t = self._handles[i] = f[name]
        return t

    def _chunks(self) -> list[Chunk]:
        out: list[Chunk] = []
        if self.format == "parquet":
            index = {str(p): i for i, p in enumerate(self.paths)}
            for frag in self._dataset.get_fragments():
                fi = index.get(str(Path(frag.path)), index.get(frag.path))
                for rg in frag.row_groups:
                    if rg.num_rows:
                        out.append(Chunk(int(fi), int(rg.id), int(rg.num_rows)))
            out.sort(key=lambda c: (c.file, c.part))
            return out
        for i in range(len(self.paths)):
            n = int(self._tree(i).num_entries)
            for a in range(0, n, self.chunk_rows):
                out.append(Chunk(i, (a, min(a + self.chunk_rows, n)), min(self.chunk_rows, n - a)))
        return out

    def describe(self) -> str:
        """One line: files, rows, chunks and their sizes."""
        sizes = [c.rows for c in self.chunks]
        return (f"{len(self.paths)} {self.format} file(s), {self.n_rows} rows in {len(sizes)} chunks "
                f"of {min(sizes)}-{max(sizes)} rows; features {self.feature_names}, target {self.target_names}")

    def __getstate__(self) -> dict[str, Any]:  # loader workers reopen their files
        d = dict(self.__dict__)
        d["_handles"] = {}
        d.pop("_dataset", None)
        for k in ("_fragments", "_fmt", "_fs"):
            d.pop(k, None)
        return d

    # -------------------------------------------------------------- reading
    def read(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` of one chunk: ``X`` float32 ``(rows, n_features)``, ``y`` float64 ``(rows, n_targets)``;
        NaN/Inf (and Parquet nulls) are refused, naming the column and the rows' place."""
        names = self.feature_names + self.target_names
        if self.format == "parquet":
            frag = self._fragment(chunk)
            table = frag.to_table(columns=names)
            cols = {n: table.column(n).to_numpy() for n in names}
        else:
            a, b = chunk.part
            cols = self._tree(chunk.file).arrays(names, entry_start=a, entry_stop=b, library="np")
        X = np.empty((chunk.rows, len(self.feature_names)), dtype=np.float32)
        for j, n in enumerate(self.feature_names):
            X[:, j] = cols[n]
        y = np.empty((chunk.rows, len(self.target_names)), dtype=np.float64)
        for j, n in enumerate(self.target_names):
            y[:, j] = cols[n]
        for arr, which in ((X, self.feature_names), (y, self.target_names)):
            bad = ~np.isfinite(arr)
            if bad.any():
                j = int(np.nonzero(bad.any(axis=0))[0][0])
                raise PhysnnError(
                    f"{self.owner}: column {which[j]!r} holds {int(bad[:, j].sum())} NaN/Inf/missing value(s) in "
                    f"{self.paths[chunk.file].name} ({self._where(chunk)}); drop or fill those rows first.")
        return X, y

    def _where(self, chunk: Chunk) -> str:
        return f"row group {chunk.part}" if self.format == "parquet" else f"entries {chunk.part[0]}-{chunk.part[1] - 1}"

    def _fragment(self, chunk: Chunk) -> Any:
        frags = self.__dict__.get("_fragments")
        if frags is None:
            ds = _require("pyarrow.dataset", self.owner)
            fs = _require("pyarrow.fs", self.owner)
            frags = self._fragments = {}
            self._fmt, self._fs = ds.ParquetFileFormat(), fs.LocalFileSystem()
        key = (chunk.file, chunk.part)
        frag = frags.get(key)
        if frag is None:
            whole = self._fmt.make_fragment(str(self.paths[chunk.file].resolve()), filesystem=self._fs)
            frag = frags[key] = whole.subset(row_group_ids=[chunk.part])
        return frag

    # -------------------------------------------------------------- splits
    def split(self, *, val: float = 0.2, test: float = 0.0, seed: int = 0) -> tuple[list[Chunk], list[Chunk], list[Chunk]]:
        """Whole chunks to train / validation / test, by a seeded shuffle of the chunk list: about
        ``val`` and ``test`` of the rows (at least one chunk each when asked for)."""
        check_range("val", val, low=0.0, high=1.0, owner=self.owner, high_inclusive=False)
        check_range("test", test, low=0.0, high=1.0, owner=self.owner, high_inclusive=False)
        if val + test >= 1.0:
            raise PhysnnError(f"{self.owner}: val + test must be < 1; got {val} + {test}.")
        n_want = [int(math.ceil(f * len(self.chunks))) if f > 0 else 0 for f in (val, test)]
        if sum(n_want) >= len(self.chunks):
            raise PhysnnError(
                f"{self.owner}: {len(self.chunks)} chunk(s) cannot be split into train, validation and test "
                f"by whole chunks ({self.describe()}); write smaller row groups (row_group_size) or lower chunk_rows.")
        order = np.random.default_rng(seed).permutation(len(self.chunks))
        nv, nt = n_want
        pick = lambda idx: [self.chunks[i] for i in sorted(idx)]  # noqa: E731
        return pick(order[nv + nt:]), pick(order[:nv]), pick(order[nv:nv + nt])

    def moments(self, chunks: Sequence[Chunk], *, sample_rows: int | None = 1_000_000,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
        """Feature mean and variance (float64) over ``chunks`` — or over seeded chunks of them until
        ``sample_rows`` rows are seen — combined chunk by chunk (Chan et al.); returns ``(mean, var, rows)``."""
        if not chunks:
            raise PhysnnError(f"{self.owner}: no training chunk to fit the standardization on.")
        order = np.random.default_rng(seed).permutation(len(chunks))
        n, mean, m2 = 0, np.zeros(len(self.feature_names)), np.zeros(len(self.feature_names))
        for i in order:
            X, _ = self.read(chunks[i])
            X = X.astype(np.float64)
            k = len(X)
            mu = X.mean(axis=0)
            d = mu - mean
            m2 += ((X - mu) ** 2).sum(axis=0) + d * d * n * k / (n + k)
            mean += d * k / (n + k)
            n += k
            if sample_rows is not None and n >= sample_rows:
                break
        return mean, m2 / n, n

    # -------------------------------------------------------------- batches
    def reader(self, chunks: Sequence[Chunk], *, batch_size: int, buffer_chunks: int = 4,
               seed: int = 0, shuffle: bool = True, transform: Any = None,
               min_size: int = 1, per_yield: int = 1) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Batches ``(X, y)`` from ``chunks`` read in this order through a shuffle buffer of
        ``buffer_chunks`` chunks (one reader: a rank, or a loader worker of a rank).

        ``transform`` maps each buffer's ``X`` (e.g. a Standardizer's ``transform``; a fitted
        :class:`~physnn.data.arrays.Standardizer` is applied in float32, in place). Yields
        :func:`batches_per_reader` ``(sum of rows, batch_size, min_size)`` batches — or, with
        ``per_yield=k``, blocks of up to ``k`` consecutive batches (``k * batch_size`` rows; fewer
        messages between a loader worker and training), to be cut into batches by the receiver.
        """
        check_int("batch_size", batch_size, low=1, owner=self.owner)
        check_int("buffer_chunks", buffer_chunks, low=1, owner=self.owner)
        block = batch_size * check_int("per_yield", per_yield, low=1, owner=self.owner)
        transform = _float32_transform(transform)
        rng = np.random.default_rng(seed)
        carry_x: np.ndarray | None = None
        carry_y: np.ndarray | None = None
        for start in range(0, len(chunks), buffer_chunks):
            parts = [self.read(c) for c in chunks[start:start + buffer_chunks]]
            xs = [p[0] for p in parts]
            ys = [p[1] for p in parts]
            if transform is not None:
                xs = [transform(x) for x in xs]
            if carry_x is not None:
                xs.insert(0, carry_x)
                ys.insert(0, carry_y)
            X = np.concatenate(xs) if len(xs) > 1 else xs[0]
            Y = np.concatenate(ys) if len(ys) > 1 else ys[0]
            del xs, ys, parts
            if shuffle:
                perm = rng.permutation(len(X))
                X, Y = X[perm], Y[perm]
            full = (len(X) // batch_size) * batch_size
            for a in range(0, full, block):
                b = min(a + block, full)
                yield X[a:b], Y[a:b]
            carry_x, carry_y = (X[full:], Y[full:]) if full < len(X) else (None, None)
        if carry_x is not None and len(carry_x) >= min_size:
            yield carry_x, carry_y

    def iter_chunks(self, chunks: Sequence[Chunk], *, transform: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(X, y)`` chunk by chunk in order, for evaluation and prediction."""
        transform = _float32_transform(transform)
        for c in chunks:
            X, y = self.read(c)
            yield (X if transform is None else transform(X)), y
