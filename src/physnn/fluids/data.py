r"""Data sets of simulated flows: seeded, cached on disk, optionally made in parallel processes.

Two data sets, as in the FNO paper (Li et al. 2021):

* **Burgers** (:func:`burgers_dataset`): initial fields
  :math:`u_0\sim\mathcal N(0, 625(-\Delta+25I)^{-2})` drawn on a ``grid``-point
  mesh, solved to :math:`u(\cdot, T)` with :func:`~physnn.fluids.burgers.solve_burgers`.
  Arrays ``a`` (N, grid) = :math:`u_0` and ``u`` (N, grid) = :math:`u(T)`;
  coarser resolutions are taken by striding (``a[:, ::grid // s]``).
* **Navier–Stokes** (:func:`ns_dataset`): initial vorticity from
  :func:`~physnn.fluids.navier_stokes.grf_2d`, solved with
  :func:`~physnn.fluids.navier_stokes.solve_ns`; array ``w`` (N, T, s, s) holds
  the vorticity at :math:`t = 1, 2, \dots, T` (float32).

Both carry ``meta`` (a dict: the parameters, the seed, and the solver's CPU
seconds per sample, measured while generating).  The initial fields are drawn
in the parent process from one seeded generator and solved in fixed-size
chunks (:func:`physnn.parallel.run_chunks`: processes, a Dask cluster, the
shards of a job array joined by :func:`merge_datasets`), so the result does
not depend on ``workers`` or where the chunks ran.

A user's own data need none of this: :class:`FieldFile` lists and reads the
numeric arrays of any HDF5 or NPZ file by name (``physnn fluids train FILE
--input NAME --output NAME``), and :func:`write_fields` writes predictions
back in either format.

Files are ``.npz`` written atomically; :func:`save_dataset` / :func:`load_dataset`
read and write them, and the ``*_dataset`` functions cache under
``cache_dir`` (default ``$PHYSNN_CACHE`` or ``~/.cache/physnn``) keyed by
their parameters.

    >>> d = burgers_dataset(4, grid=64, nu=0.1, seed=0, cache_dir=None)
    >>> d["a"].shape, d["u"].shape, d["meta"]["kind"]
    ((4, 64), (4, 64), 'burgers')
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_int, check_range
from physnn.files import atomic_path, cache_dir

__all__ = ["burgers_dataset", "ns_dataset", "merge_datasets", "save_dataset", "load_dataset", "default_cache_dir",
           "FieldFile", "write_fields", "PROVENANCE_META"]

_FORMAT = "physnn-fluids-1"


def default_cache_dir() -> Path:
    """``$PHYSNN_CACHE/fluids`` or ``~/.cache/physnn/fluids`` (:func:`physnn.files.cache_dir`)."""
    return cache_dir("fluids")


def save_dataset(data: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write a data set (arrays + ``meta``) to ``path`` (.npz) atomically."""
    path = Path(path)
    if path.suffix != ".npz":
        raise PhysnnError(f"save_dataset: the file must end in .npz; got {str(path)!r}.")
    arrays = {k: np.asarray(v) for k, v in data.items() if k != "meta"}
    meta = dict(data.get("meta", {}), format=_FORMAT)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_dataset(path: str | os.PathLike) -> dict[str, Any]:
    """Read a data set written by :func:`save_dataset` (no pickles are loaded).

    Every way the file can be wrong is a :class:`PhysnnError` that says what the
    file is and what was expected: missing, a directory, empty, not an .npz
    archive (e.g. an HDF5 or text file), an .npz of something else, arrays of
    the wrong shape, NaN/Inf values.
    """
    from physnn.errors import check_finite, check_input_file

    owner = "load_dataset"
    how = "make one with `physnn fluids generate burgers|ns --out FILE.npz`."
    p = check_input_file(path, "npz", owner=owner, what="fluids data set", hint=f"A data set is an .npz archive; {how}")
    try:
        with np.load(p, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise PhysnnError(f"{owner}: {str(p)!r} is not a readable .npz file ({exc}); {how}") from None
    if "meta" not in data:
        raise PhysnnError(f"{owner}: {str(p)!r} has no 'meta' entry, so it is not a physnn fluids data set; {how}")
    try:
        meta = json.loads(str(data.pop("meta")))
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT or meta.get("kind") not in ("burgers", "ns"):
        fmt = meta.get("format") if isinstance(meta, dict) else None
        raise PhysnnError(f"{owner}: {str(p)!r} is not a physnn fluids data set (format {fmt!r}); {how}")
    kind = meta["kind"]
    need = {"a": 2, "u": 2} if kind == "burgers" else {"w": 4}
    shapes = "a and u of shape (n, grid)" if kind == "burgers" else "w of shape (n, steps, s, s)"
    for k, ndim in need.items():
        if k not in data:
            raise PhysnnError(f"{owner}: {str(p)!r} lacks the array {k!r} of a {kind} data set (expected {shapes}); {how}")
        arr = data[k]
        if arr.ndim != ndim or arr.shape[0] < 1 or not np.issubdtype(arr.dtype, np.floating):
            raise PhysnnError(f"{owner}: {str(p)!r}: array {k!r} has shape {arr.shape} and dtype {arr.dtype}; "
                              f"a {kind} data set holds float arrays {shapes}; {how}")
        check_finite(k, arr, owner=f"{owner}({p.name})")
    if kind == "burgers" and data["a"].shape != data["u"].shape:
        raise PhysnnError(f"{owner}: {str(p)!r}: 'a' has shape {data['a'].shape} but 'u' has {data['u'].shape}; "
                          f"they must match; {how}")
    data["meta"] = meta
    return data


def _cache_file(cache_dir: str | os.PathLike | None, meta: dict[str, Any]) -> Path | None:
    if cache_dir is None:
        return None
    key = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]
    base = default_cache_dir() if cache_dir == "default" else Path(cache_dir)
    return base / f"{meta['kind']}-n{meta['n']}-{key}.npz"


def _solve_chunk(kind: str, x0: np.ndarray, kw: dict) -> dict[str, np.ndarray]:
    """Worker entry point: the solutions of one chunk of initial fields and the solver's CPU seconds."""
    t0 = time.process_time()
    if kind == "burgers":
        from physnn.fluids.burgers import solve_burgers

        out = solve_burgers(x0, **kw)
    else:
        from physnn.fluids.navier_stokes import solve_ns

        out = solve_ns(x0, **kw).astype(np.float32)
    return {"out": out, "cpu": np.float64(time.process_time() - t0)}


#: the ``meta`` entries that measure time: they differ between any two runs, merged or not
PROVENANCE_META = ("solver_cpu_s_per_sample",)


def _solve_all(kind: str, meta: dict[str, Any], x0: np.ndarray, kw: dict, *, chunk: int, workers: int,
               progress: bool | None, label: str, out: Path | None, chunk_dir: str | os.PathLike | None,
               shard: tuple[int, int] | None, dask: str | None, owner: str) -> tuple[dict[int, dict], list[int]]:
    """Solve every chunk of initial fields (or a shard's), reusing and keeping them in the chunk cache.

    The cache is ``chunk_dir`` (default ``OUT.chunks``); a shard writes its chunks to the part beside
    ``out``.  Returns the chunks (number -> ``{"out", "cpu"}``) and the chunk numbers of this run.
    """
    from physnn.parallel import ChunkCache, part_path, run_chunks, shard_chunks, write_part

    mine = shard_chunks(len(x0), chunk, shard, owner=owner, unit="samples")
    base = Path(chunk_dir) if chunk_dir is not None else (Path(str(out) + ".chunks") if out is not None else None)
    cache = None if base is None else ChunkCache(base, meta)
    n_chunks = -(-len(x0) // chunk)
    sizes = {j: len(x0[j * chunk:(j + 1) * chunk]) for j in range(n_chunks)}
    run = run_chunks(_solve_chunk, {j: (kind, x0[j * chunk:(j + 1) * chunk], kw) for j in mine}, sizes=sizes,
                     workers=workers, dask=dask, cache=cache, progress=progress, label=label, owner=owner)
    if shard is not None:
        write_part(part_path(out, shard), kind="fluids", settings=meta, shard=shard, n_chunks=n_chunks,  # type: ignore[arg-type]
                   chunks=run.chunks, provenance={"wall_s": run.wall_s})
    if cache is not None and (shard is not None or out is not None):
        cache.discard(mine if shard is not None else None)  # kept without out: chunk_dir is the user's store
    return run.chunks, mine


def _assemble(meta: dict[str, Any], x0: np.ndarray, chunks: dict[int, dict], mine: list[int]) -> dict[str, Any]:
    """The data set from its chunks in order (one-machine run, shard and merge alike)."""
    sol = np.concatenate([chunks[j]["out"] for j in mine])
    cpu = float(sum(float(chunks[j]["cpu"]) for j in mine))
    meta = dict(meta, solver_cpu_s_per_sample=cpu / len(sol))
    if meta["kind"] == "ns":
        return {"w": sol.astype(np.float32), "meta": meta}
    chunk = meta["chunk"]
    rows = np.concatenate([np.arange(j * chunk, min((j + 1) * chunk, len(x0))) for j in mine])
    return {"a": x0[rows].astype(np.float32), "u": sol.astype(np.float32), "meta": meta}


def _initial_fields(meta: dict[str, Any]) -> np.ndarray:
    """The initial fields of a data set, drawn from its seed in this process (cheap; the solves are not)."""
    if meta["kind"] == "burgers":
        from physnn.fluids.burgers import grf_1d

        return grf_1d(meta["n"], meta["grid"], seed=meta["seed"])
    from physnn.fluids.navier_stokes import grf_2d

    return grf_2d(meta["n"], meta["s"], seed=meta["seed"])


def _dataset(meta: dict[str, Any], kw: dict, *, owner: str, label: str, workers: int, progress: bool | None,
             cache_dir: str | os.PathLike | None, chunk_dir: str | os.PathLike | None, shard: Any,
             out: str | os.PathLike | None, dask: str | None) -> dict[str, Any]:
    from physnn.parallel import check_generation

    out, shard = check_generation(out=out, shard=shard, dask=dask, owner=owner)
    cached = None if shard is not None else _cache_file(cache_dir, meta)
    if cached is not None and cached.exists():
        data = load_dataset(cached)
        if out is not None:
            save_dataset(data, out)
        return data
    x0 = _initial_fields(meta)
    chunks, mine = _solve_all(meta["kind"], meta, x0, kw, chunk=meta["chunk"], workers=workers, progress=progress,
                              label=label, out=out, chunk_dir=chunk_dir, shard=shard, dask=dask, owner=owner)
    data = _assemble(meta, x0, chunks, mine)
    if shard is not None:
        data["meta"].update(shard=list(shard), chunks=mine)
        return data
    if cached is not None:
        save_dataset(data, cached)
    if out is not None:
        save_dataset(data, out)
    if cached is not None or out is not None:
        data["meta"]["format"] = _FORMAT
    return data


def burgers_dataset(n: int, *, nu: float = 0.01, t: float = 1.0, grid: int = 1024, seed: int = 0,
                    workers: int = 1, chunk: int = 50, progress: bool | None = False,
                    cache_dir: str | os.PathLike | None = "default", chunk_dir: str | os.PathLike | None = None,
                    shard: tuple[int, int] | str | None = None, out: str | os.PathLike | None = None,
                    dask: str | None = None) -> dict[str, Any]:
    r"""``n`` Burgers pairs :math:`(u_0, u(\cdot, t))` on a ``grid``-point mesh (see module docs).

    As in the FNO paper the fields are drawn and solved on a fine grid
    (default 1024; a band-limited start at :math:`\nu = 0.01` is converged
    to ~1e-8 already at 256 points) and strided to s = 512, 256, 128…: the
    learned map is between exact point values of :math:`u_0` and :math:`u(T)`.  Returns ``{"a", "u", "meta"}``, float32
    arrays; cached on disk unless ``cache_dir=None``.

    The chunks of ``chunk`` samples run in ``workers`` processes or on a Dask cluster (``dask``:
    an address or ``"local[:N]"``) through :func:`physnn.parallel.run_chunks`; ``out`` writes the
    data set (.npz) and keeps solved chunks in ``chunk_dir`` (default ``OUT.chunks``) until then, so
    a killed run resumes.  With ``shard=(K, N)`` only the chunks ``K-1, K-1+N, ...`` are solved and
    written to the part ``<out stem>.part-K-of-N.npz`` (a cluster job array;
    :func:`merge_datasets` joins the parts into what one machine writes).
    """
    owner = "burgers_dataset"
    n = check_int("n", n, low=1, owner=owner)
    grid = check_int("grid", grid, low=8, owner=owner)
    seed = check_int("seed", seed, low=0, owner=owner)
    workers = check_int("workers", workers, low=1, owner=owner)
    chunk = check_int("chunk", chunk, low=1, owner=owner)
    nu = check_range("nu", nu, low=0.0, low_inclusive=False, owner=owner)
    t = check_range("t", t, low=0.0, low_inclusive=False, owner=owner)
    meta = {"kind": "burgers", "n": n, "nu": nu, "t": t, "grid": grid, "seed": seed, "chunk": chunk,
            "field": "625(-Laplacian+25I)^-2"}
    return _dataset(meta, {"nu": nu, "t": t}, owner=owner, label="Burgers", workers=workers, progress=progress,
                    cache_dir=cache_dir, chunk_dir=chunk_dir, shard=shard, out=out, dask=dask)


def ns_dataset(n: int, *, nu: float = 1e-3, s: int = 64, steps: int = 20, seed: int = 0,
               workers: int = 1, chunk: int = 10, progress: bool | None = False,
               cache_dir: str | os.PathLike | None = "default", chunk_dir: str | os.PathLike | None = None,
               shard: tuple[int, int] | str | None = None, out: str | os.PathLike | None = None,
               dask: str | None = None) -> dict[str, Any]:
    r"""``n`` vorticity trajectories at :math:`t = 1, \dots,` ``steps`` on an s×s grid.

    The FNO paper's ν = 1e-3 set has ``steps = 50`` (first 10 → next 40);
    the CPU default here is 20 (first 10 → next 10).  Returns
    ``{"w": (n, steps, s, s) float32, "meta"}``; cached unless ``cache_dir=None``.
    ``chunk_dir``, ``shard``, ``out`` and ``dask`` as in :func:`burgers_dataset`.
    """
    owner = "ns_dataset"
    n = check_int("n", n, low=1, owner=owner)
    s = check_int("s", s, low=8, owner=owner)
    steps = check_int("steps", steps, low=1, owner=owner)
    seed = check_int("seed", seed, low=0, owner=owner)
    workers = check_int("workers", workers, low=1, owner=owner)
    chunk = check_int("chunk", chunk, low=1, owner=owner)
    nu = check_range("nu", nu, low=0.0, low_inclusive=False, owner=owner)
    meta = {"kind": "ns", "n": n, "nu": nu, "s": s, "steps": steps, "seed": seed, "chunk": chunk,
            "forcing": "0.1(sin(2pi(x+y))+cos(2pi(x+y)))", "field": "7^1.5(-Laplacian+49I)^-2.5"}
    return _dataset(meta, {"nu": nu, "t": np.arange(1.0, steps + 1)}, owner=owner, label="Navier-Stokes",
                    workers=workers, progress=progress, cache_dir=cache_dir, chunk_dir=chunk_dir, shard=shard,
                    out=out, dask=dask)


def merge_datasets(parts: Sequence[str | os.PathLike], out: str | os.PathLike) -> dict[str, Any]:
    """Join the parts written by the ``N`` tasks of ``burgers_dataset`` / ``ns_dataset(..., shard=(K, N), out=)``.

    Writes ``out`` (.npz): the arrays one run without ``shard`` writes, in the same order, and the same
    ``meta`` except ``solver_cpu_s_per_sample`` (:data:`PROVENANCE_META`, measured where the parts
    ran) and ``merged_from`` (one entry per part: shard, host, time, path).  The initial fields are
    drawn again from the seed here (cheap), the solutions come from the parts.  A missing or repeated
    shard, or parts of other settings or seeds, are a :class:`PhysnnError` naming the files.
    """
    from physnn.parallel import read_parts

    owner = "fluids merge"
    out = Path(out)
    if out.suffix != ".npz":
        raise PhysnnError(f"{owner}: --out must end in .npz; got {str(out)!r}.")
    got = read_parts(parts, kind="fluids", owner=owner, command="physnn fluids generate")
    meta = got.settings
    data = _assemble(meta, _initial_fields(meta), got.chunks, list(got.chunks))
    data["meta"]["merged_from"] = got.provenance
    save_dataset(data, out)
    data["meta"]["format"] = _FORMAT
    return data


# ---------------------------------------------------------------- the user's own files

#: suffix -> the file kind it promises (other suffixes: either, sniffed from the content)
_SUFFIX_KINDS = {".npz": "npz", ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5", ".he5": "hdf5"}


def _describe_arrays(arrays: dict[str, tuple[tuple[int, ...], str]]) -> str:
    if not arrays:
        return "no numeric arrays"
    return ", ".join(f"{k} {tuple(shape)} {dtype}" for k, (shape, dtype) in arrays.items())


class FieldFile:
    """The numeric arrays of a user's HDF5 or NPZ file, read by name (no pickles loaded).

    Parameters
    ----------
    path : path-like
        An ``.h5``/``.hdf5`` file (datasets anywhere in its group tree, named by their path,
        e.g. ``"fields/u"``) or an ``.npz`` archive.  The suffix says which; another suffix is
        sniffed from the content.
    owner : str
        Who reads, the start of error messages.

    Attributes
    ----------
    arrays : dict
        Array name -> (shape, dtype) of every numeric array in the file.
    meta : dict or None
        The ``meta`` entry of a file written by ``physnn fluids generate``, else None.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.npz"
    >>> np.savez(p, x=np.zeros((3, 8)), y=np.ones((3, 8)))
    >>> f = FieldFile(p)
    >>> f.arrays["x"], f.read("y").shape
    (((3, 8), 'float64'), (3, 8))
    """

    def __init__(self, path: str | os.PathLike, *, owner: str = "fluids") -> None:
        from physnn.errors import check_input_file

        self.owner = owner
        suffix = Path(path).suffix.lower()
        kinds = [_SUFFIX_KINDS[suffix]] if suffix in _SUFFIX_KINDS else ["hdf5", "npz"]
        hint = ("Fluids data are arrays in an HDF5 file (.h5) or a NumPy archive (.npz): e.g. "
                "np.savez('fields.npz', a=inputs, u=outputs), or `physnn fluids generate`.")
        self.path = check_input_file(path, kinds, owner=owner, what="fluids data file", hint=hint)
        from physnn.errors import sniff_file

        self.kind = sniff_file(self.path)
        self.arrays: dict[str, tuple[tuple[int, ...], str]] = {}
        self.meta: dict[str, Any] | None = None
        self.attrs: dict[str, Any] = {}
        if self.kind == "npz":
            self._scan_npz()
        else:
            self._scan_hdf5()

    def _fail(self, what: str) -> PhysnnError:
        return PhysnnError(f"{self.owner}: {str(self.path)!r}: {what}")

    def _scan_npz(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as z:
                names = list(z.files)
                for k in names:
                    try:
                        arr = z[k]
                    except ValueError:  # an object array: listed as such, never unpickled
                        self.arrays.setdefault("(object arrays, not read)", ((), "object"))
                        continue
                    if k == "meta" and arr.dtype.kind == "U":
                        try:
                            meta = json.loads(str(arr))
                        except json.JSONDecodeError:
                            meta = None
                        self.meta = meta if isinstance(meta, dict) and meta.get("format") == _FORMAT else None
                        continue
                    if arr.dtype.kind in "biuf":
                        self.arrays[k] = (tuple(arr.shape), str(arr.dtype))
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
            raise self._fail(f"a damaged .npz archive ({type(exc).__name__}: {exc}); expected NumPy arrays "
                             "written by np.savez.") from None
        self.arrays.pop("(object arrays, not read)", None)

    def _scan_hdf5(self) -> None:
        import h5py

        try:
            with h5py.File(self.path, "r") as f:
                self.attrs = {k: v for k, v in f.attrs.items() if np.ndim(v) == 0}

                def visit(name: str, obj: Any) -> None:
                    if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "biuf":
                        self.arrays[name] = (tuple(obj.shape), str(obj.dtype))

                f.visititems(visit)
        except OSError as exc:
            raise self._fail(f"a damaged HDF5 file ({exc}); expected datasets of numbers.") from None

    def describe(self) -> str:
        """One line: the file's numeric arrays with their shapes."""
        return _describe_arrays(self.arrays)

    def check_name(self, name: str, *, option: str = "--input") -> str:
        """``name`` if the file has a numeric array of that name, else an error listing those it has."""
        if name not in self.arrays:
            raise self._fail(f"no array {name!r} (given by {option}); the file has {self.describe()}. "
                             f"Give one of those names to {option}.")
        return name

    def read(self, name: str, *, option: str = "--input") -> np.ndarray:
        """The array ``name`` as float32, checked: at least one sample, finite values."""
        from physnn.errors import check_finite

        self.check_name(name, option=option)
        if self.kind == "npz":
            with np.load(self.path, allow_pickle=False) as z:
                arr = z[name]
        else:
            import h5py

            with h5py.File(self.path, "r") as f:
                arr = f[name][()]
        arr = np.asarray(arr, dtype=np.float32)
        if arr.ndim < 2 or arr.shape[0] < 1:
            raise self._fail(f"array {name!r} has shape {arr.shape}; fluids data are fields with the samples "
                             "first: (N, S) 1-D fields, (N, S, S) 2-D fields or (N, T, S, S) time series.")
        check_finite(name, arr, owner=f"{self.owner}({self.path.name})")
        return arr


def write_fields(arrays: dict[str, np.ndarray], path: str | os.PathLike, *, owner: str = "fluids",
                 attrs: dict[str, Any] | None = None) -> Path:
    """Write named arrays to ``path`` atomically: HDF5 for ``.h5``/``.hdf5``, a NumPy archive for ``.npz``.

    Parameters
    ----------
    arrays : dict
        Name -> array.
    path : path-like
        The output file; its suffix picks the format.
    owner : str
        Who writes, the start of error messages.
    attrs : dict, optional
        Scalar attributes (HDF5 file attributes; ignored for ``.npz``).

    Returns
    -------
    Path
    """
    path = Path(path)
    kind = _SUFFIX_KINDS.get(path.suffix.lower())
    if kind is None:
        raise PhysnnError(f"{owner}: the output {str(path)!r} must end in .h5, .hdf5 or .npz (the format is "
                          "chosen by the suffix).")
    with atomic_path(path) as tmp:
        if kind == "npz":
            with open(tmp, "wb") as fh:
                np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})
        else:
            import h5py

            with h5py.File(tmp, "w") as f:
                for k, v in arrays.items():
                    f.create_dataset(k, data=np.asarray(v))
                for k, v in (attrs or {}).items():
                    f.attrs[k] = v
    return path
