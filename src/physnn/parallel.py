r"""Chunked, parallel, resumable data generation — on one machine, a job array or a Dask cluster.

The three generators (``physnn.hep.generate``, ``physnn.materials.generate``,
``physnn.fluids.data``) cut their sample into *chunks* whose result depends only
on the settings, the seed and the chunk's number.  This module runs those chunks;
the generators only say how to make one chunk and how to join them.

* :func:`run_chunks` — make every chunk not yet in the :class:`ChunkCache`, in
  this process, in a pool of ``spawn``-ed processes (one BLAS/OpenMP thread
  each, :mod:`physnn.workers`) or on a Dask cluster (:func:`dask_client`), with a
  progress bar on stderr; each finished chunk is written atomically to the
  cache as it arrives, so a killed run resumes where it stopped.
* :func:`shard_chunks` — the chunks task ``K`` of ``N`` of a job array makes
  (``--shard K/N``: chunks ``K-1, K-1+N, ...``).
* :func:`write_part` / :func:`read_parts` — a shard's chunks in one *part* file
  (``OUT.part-K-of-N.npz``) and the checks that the parts of a run are all
  there, once each, from one seed and one set of settings.  The generator then
  joins the chunks with the same code a one-machine run uses, so the merged file
  equals the one-machine file (same arrays, same order).

Since a chunk depends only on ``(settings, seed, chunk)``, the output is the
same whatever ``workers``, executor or number of shards.

    >>> shard_chunks(7, 3, (2, 2), owner="demo", unit="samples")
    [1]
    >>> settings_key({"seed": 1, "n": 4}) == settings_key({"n": 4, "seed": 1})
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError
from physnn.workers import check_shard, one_thread_env, set_one_thread, shard_items

__all__ = [
    "CONNECT_TIMEOUT_S",
    "settings_key",
    "ChunkCache",
    "ChunkProgress",
    "shard_chunks",
    "check_generation",
    "check_dask",
    "dask_client",
    "run_chunks",
    "ChunkRun",
    "part_path",
    "write_part",
    "read_parts",
    "Parts",
]

#: seconds :func:`dask_client` waits for a scheduler before it gives up with a clear error
CONNECT_TIMEOUT_S: float = 20.0
_PART_FORMAT = "physnn-part-1"
Arrays = dict[str, np.ndarray]


def settings_key(settings: Mapping[str, Any]) -> str:
    """16 hex digits naming a set of settings (SHA-256 of their sorted JSON): the cache's folder name."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- the chunk cache
class ChunkCache:
    """Finished chunks on disk: ``<base>/<settings_key>/chunk_00012.npz``, each written atomically.

    Parameters
    ----------
    base : path
        The cache folder, e.g. ``OUT.chunks`` (one folder every task sees on a cluster).
    settings : dict
        Everything a chunk depends on (seed included); it names the subfolder, so other
        settings never read these chunks, and is written beside them as ``settings.json``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> c = ChunkCache(pathlib.Path(tempfile.mkdtemp()) / "x.chunks", {"seed": 0})
    >>> c.save(3, {"a": np.arange(2)}); c.load(3)["a"].tolist(), c.load(4)
    ([0, 1], None)
    """

    def __init__(self, base: str | os.PathLike, settings: Mapping[str, Any]) -> None:
        from physnn.files import write_json

        self.base = Path(base)
        self.folder = self.base / settings_key(settings)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json(self.folder / "settings.json", dict(settings))

    def path(self, index: int) -> Path:
        """The file of chunk ``index``."""
        return self.folder / f"chunk_{index:05d}.npz"

    def load(self, index: int) -> Arrays | None:
        """Chunk ``index``'s arrays, or None when it is missing or unreadable (then it is made again)."""
        p = self.path(index)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception:  # a damaged chunk (not expected: written atomically) is made again  # noqa: BLE001
            return None

    def save(self, index: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write chunk ``index`` atomically."""
        from physnn.files import atomic_write

        with atomic_write(self.path(index), "wb") as fh:
            np.savez(fh, **arrays)

    def discard(self, indices: Sequence[int] | None = None) -> None:
        """Remove these chunks (all with None) and their logs, then the folders if nothing else is left.

        A shard removes only its own chunks: the other tasks of a job array may still be writing theirs.
        """
        files = list(self.folder.glob("chunk_*")) if indices is None else \
            [p for i in indices for p in (self.path(i), self.folder / f"chunk_{i:05d}.log")]
        for p in files:
            with contextlib.suppress(OSError):
                p.unlink()
        if not any(self.folder.glob("chunk_*")):
            with contextlib.suppress(OSError):
                (self.folder / "settings.json").unlink()
            for d in (self.folder, self.base):
                with contextlib.suppress(OSError):
                    d.rmdir()  # only if empty


# ----------------------------------------------------------------------------- shards
def shard_chunks(n_items: int, chunk: int, shard: object | None, *, owner: str, unit: str) -> list[int]:
    """The chunk numbers a run makes: all ``ceil(n_items / chunk)`` of them, or task K of N's share.

    Task ``K`` of ``N`` (``shard="K/N"`` or ``(K, N)``) makes chunks ``K-1, K-1+N, ...``; a shard
    without a chunk is an error that says how many shards the sample allows.

        >>> shard_chunks(10, 3, None, owner="demo", unit="jets")
        [0, 1, 2, 3]
        >>> shard_chunks(10, 3, "1/2", owner="demo", unit="jets")
        [0, 2]
    """
    n_chunks = -(-n_items // chunk)
    if shard is None:
        return list(range(n_chunks))
    k, n_shards = check_shard(shard, owner=owner)
    mine = shard_items(list(range(n_chunks)), (k, n_shards))
    if not mine:
        raise PhysnnError(f"{owner}: shard {k}/{n_shards} has no chunks: {n_items} {unit} make {n_chunks} chunk(s) "
                          f"of {chunk}; use at most {n_chunks} shards (or a smaller chunk size).")
    return mine


def check_generation(*, out: str | os.PathLike | None, shard: object | None, dask: object | None, owner: str,
                     check_out: Callable[[Path], object] | None = None) -> tuple[Path | None, tuple[int, int] | None]:
    """The arguments every generator takes, checked before anything is written: ``(out, shard)``.

    ``dask`` must be an address or ``local[:N]`` (:func:`check_dask`); ``out`` must end in ``.npz``
    (or pass ``check_out``); a ``shard`` is ``K/N`` and needs ``out``, beside which its part goes.

        >>> check_generation(out="a.npz", shard="2/3", dask=None, owner="demo")
        (PosixPath('a.npz'), (2, 3))
    """
    if dask is not None:
        check_dask(dask, owner=owner)
    path = None if out is None else Path(out)
    if path is not None:
        if check_out is not None:
            check_out(path)
        elif path.suffix != ".npz":
            raise PhysnnError(f"{owner}: 'out' must end in .npz; got {str(path)!r}.")
    k_n = None
    if shard is not None:
        k_n = check_shard(shard, owner=owner)
        if path is None:
            raise PhysnnError(f"{owner}: shard {k_n[0]}/{k_n[1]} writes its part beside the output; give out= "
                              "(a file on a folder every task sees).")
    return path, k_n


# ----------------------------------------------------------------------------- progress
class ChunkProgress:
    """A rich progress bar on stderr counting units (jets, structures, samples); a no-op when off.

    ``progress``: True / False, None (on when stderr is a terminal) or a callable called as
    ``progress(units_done, total)`` whenever units are added (no bar).  ``info(counts, elapsed)``
    formats the text beside the bar from the counters passed to :meth:`__call__`.
    """

    def __init__(self, progress: bool | None | Callable[[int, int], None], total: int, done: int, label: str,
                 info: Callable[[dict[str, float], float], str] | None = None) -> None:
        self.callback = progress if callable(progress) else None
        self.enabled = self.callback is None and (sys.stderr.isatty() if progress is None else bool(progress))
        self.total, self.done, self.info = total, done, info
        self.counts: dict[str, float] = {"units": 0}
        self.t0 = time.perf_counter()
        self._last = 0.0
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True))
        self.task = self.bar.add_task(label, total=total, completed=done, info="")
        self.bar.start()

    def __call__(self, units: int, **counts: float) -> None:
        """Add ``units`` done (and any counters, e.g. ``events=``)."""
        self.counts["units"] += units
        for k, v in counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        if self.callback is not None and units:
            self.callback(self.done + int(self.counts["units"]), self.total)
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 0.2 and units == 0:
            return
        self._last = now
        text = self.info(self.counts, max(now - self.t0, 1e-9)) if self.info is not None else ""
        self.bar.update(self.task, advance=units, info=text)

    def close(self) -> None:
        """Stop the bar."""
        if self.enabled:
            self.bar.stop()


# ----------------------------------------------------------------------------- executors
_DASK_HOW = ("give a scheduler address (tcp://HOST:8786: start one with `dask scheduler`, workers with "
             "`dask worker tcp://HOST:8786 --nthreads 1`) or local[:N] for N local worker processes")


def check_dask(address: object, *, owner: str = "dask") -> tuple[str, int | None]:
    """``("local", N or None)`` for ``local`` / ``local:N``, else ``("tcp://host:port", None)``.

        >>> check_dask("local:2"), check_dask("10.0.0.5:8786")
        (('local', 2), ('tcp://10.0.0.5:8786', None))
    """
    if not isinstance(address, str) or not address.strip():
        raise PhysnnError(f"{owner}: --dask must be a scheduler address or local[:N]; got {address!r}; {_DASK_HOW}.")
    a = address.strip()
    m = re.fullmatch(r"local(?::(\d+))?", a)
    if m:
        n = None if m.group(1) is None else int(m.group(1))
        if n is not None and not 1 <= n <= 256:
            raise PhysnnError(f"{owner}: --dask local:N needs 1 <= N <= 256 worker processes; got {a!r}.")
        return "local", n
    m = re.fullmatch(r"(tcp|tls|ucx|inproc|ws|wss)://[^\s/]+", a) or re.fullmatch(r"[^\s/:]+:\d+", a)
    if not m:
        raise PhysnnError(f"{owner}: --dask {a!r} is not a scheduler address; {_DASK_HOW}.")
    return (a if "://" in a else f"tcp://{a}"), None


@contextlib.contextmanager
def dask_client(address: str, *, workers: int = 1, owner: str = "dask") -> Iterator[Any]:
    """A ``distributed.Client`` on ``address`` (see :func:`check_dask`), closed afterwards.

    ``local`` starts a ``LocalCluster`` of ``N`` (default ``workers``) worker processes with one
    thread each (the nanny sets OMP/MKL/OpenBLAS to one thread); an unreachable scheduler is a
    :class:`PhysnnError` after :data:`CONNECT_TIMEOUT_S` seconds.
    """
    where, n_local = check_dask(address, owner=owner)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PhysnnError(f"{owner}: --dask needs dask.distributed: pip install 'physnn[cluster]'.") from None
    if where == "local":
        with one_thread_env():
            cluster = LocalCluster(n_workers=n_local or workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(where, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise PhysnnError(f"{owner}: cannot reach the Dask scheduler at {where} ({exc}); check the address "
                          "and that `dask scheduler` runs there, or use --dask local.") from None
    try:
        yield client
    finally:
        client.close()


_REPORT: Any = None  # in a pool worker: the queue that carries progress to the parent


def _pool_init(queue: Any) -> None:
    global _REPORT
    _REPORT = queue
    set_one_thread()
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


def _call(fn: Callable[..., Arrays], index: int, args: tuple, reports: bool) -> tuple[int, Arrays]:
    """Worker entry (pool and Dask): chunk ``index`` = ``fn(*args)``, with ``report=`` if it reports."""
    if not reports:
        return index, fn(*args)
    queue = _REPORT

    def report(units: int, **counts: float) -> None:
        if queue is not None:
            queue.put((index, units, counts))

    return index, fn(*args, report=report)


def _call_dask(fn: Callable[..., Arrays], index: int, args: tuple) -> tuple[int, Arrays]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _call(fn, index, args, False)


@dataclass
class ChunkRun:
    """What :func:`run_chunks` returns: every chunk's arrays and which came from the cache."""

    chunks: dict[int, Arrays]
    reused: list[int] = field(default_factory=list)
    wall_s: float = 0.0


def run_chunks(
    fn: Callable[..., Arrays],
    jobs: Mapping[int, tuple],
    *,
    sizes: Mapping[int, int],
    workers: int = 1,
    dask: str | None = None,
    cache: ChunkCache | None = None,
    progress: bool | None | Callable[[int, int], None] = None,
    label: str = "chunks",
    info: Callable[[dict[str, float], float], str] | None = None,
    tally: Callable[[Arrays], dict[str, float]] | None = None,
    reports: bool = False,
    accept: Callable[[int, Arrays], Arrays | None] | None = None,
    owner: str = "run_chunks",
) -> ChunkRun:
    """Make chunk ``i`` = ``fn(*jobs[i])`` for every ``i`` in ``jobs`` not already in ``cache``.

    Parameters
    ----------
    fn : a module-level function (it is pickled to the workers) returning a dict of arrays.
    jobs : chunk number -> ``fn``'s arguments.
    sizes : chunk number -> its units (jets, structures, samples), for the progress bar.
    workers : processes (``spawn``, one thread each); 1 runs in this process (also on one thread).
    dask : a scheduler address or ``local[:N]`` (:func:`dask_client`): the chunks go to Dask workers.
    cache : finished chunks are read from and written to it (atomically, as each arrives).
    progress, label, info : the bar (:class:`ChunkProgress`).
    tally : counters for the bar from a finished chunk (e.g. failures).
    reports : ``fn`` takes ``report(units, **counts)`` and calls it while it runs (the bar moves inside
        a chunk; on Dask only finished chunks count).
    accept : ``accept(i, cached_arrays)`` -> the arrays to use, or None to make the chunk again.

    Returns
    -------
    :class:`ChunkRun` with ``chunks`` (number -> arrays, for every job), ``reused`` and ``wall_s``.
    """
    t0 = time.perf_counter()
    if dask is not None:
        check_dask(dask, owner=owner)  # a bad address fails before any work
    found: dict[int, Arrays] = {}
    if cache is not None:
        for i in jobs:
            got = cache.load(i)
            if got is not None and accept is not None:
                got = accept(i, got)
            if got is not None:
                found[i] = got
    reused = sorted(found)
    todo = [i for i in jobs if i not in found]
    bar = ChunkProgress(progress, sum(sizes[i] for i in jobs), sum(sizes[i] for i in found), label, info)
    for i in reused:
        if tally is not None:
            bar(0, **tally(found[i]))
    moved: dict[int, int] = {i: 0 for i in todo}  # units a chunk reported while it ran
    closed: set[int] = set()

    def finished(i: int, arrays: Arrays) -> None:
        found[i] = arrays
        if cache is not None:
            cache.save(i, arrays)
        closed.add(i)  # the bar gets the rest of the chunk now; reports still in a worker's queue add no units
        bar(sizes[i] - moved[i], **(tally(arrays) if tally is not None else {}))

    def report_here(i: int) -> Callable[..., None]:
        def report(units: int, **counts: float) -> None:
            units = 0 if i in closed else units
            moved[i] += units
            bar(units, **counts)
        return report

    try:
        if not todo:
            pass
        elif dask is not None:
            try:
                from distributed import as_completed
            except ImportError:
                raise PhysnnError(f"{owner}: --dask needs dask.distributed: pip install 'physnn[cluster]'.") from None
            with dask_client(dask, workers=workers, owner=owner) as client:
                futures = [client.submit(_call_dask, fn, i, tuple(jobs[i]), pure=False) for i in todo]
                for fut in as_completed(futures):
                    i, arrays = fut.result()
                    finished(i, arrays)
        elif workers == 1 or len(todo) == 1:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1):
                for i in todo:
                    args = tuple(jobs[i])
                    finished(i, fn(*args, report=report_here(i)) if reports else fn(*args))
        else:
            _run_pool(fn, jobs, todo, workers, reports, finished, report_here)
    finally:
        bar.close()
    return ChunkRun({i: found[i] for i in jobs}, reused, time.perf_counter() - t0)


def _run_pool(fn: Callable[..., Arrays], jobs: Mapping[int, tuple], todo: list[int], workers: int, reports: bool,
              finished: Callable[[int, Arrays], None], report_here: Callable[[int], Callable[..., None]]) -> None:
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")
    q = ctx.Queue() if reports else None

    def drain() -> None:
        while q is not None:
            try:
                i, units, counts = q.get_nowait()
            except queue_mod.Empty:
                return
            report_here(i)(units, **counts)

    with one_thread_env():  # the spawned workers inherit one thread each
        ex = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx, initializer=_pool_init,
                                 initargs=(q,))
    try:
        pending = {ex.submit(_call, fn, i, tuple(jobs[i]), reports) for i in todo}
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            drain()
            for fut in sorted(done, key=lambda f: f.result()[0]):
                finished(*fut.result())
        drain()
    except BaseException:
        ex.shutdown(wait=True, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


# ----------------------------------------------------------------------------- parts and merging
def part_path(out: str | os.PathLike, shard: tuple[int, int]) -> Path:
    """Where task ``K`` of ``N`` writes its part of ``out``: ``<stem>.part-K-of-N.npz`` beside it.

    ``K`` is zero-padded to the width of ``N`` so the parts sort in order.

        >>> part_path("/shared/qcd.parquet", (3, 10)).name
        'qcd.part-03-of-10.npz'
    """
    k, n = shard
    out = Path(out)
    return out.with_name(f"{out.stem}.part-{k:0{len(str(n))}d}-of-{n}.npz")


def write_part(path: str | os.PathLike, *, kind: str, settings: Mapping[str, Any], shard: tuple[int, int],
               n_chunks: int, chunks: Mapping[int, Mapping[str, np.ndarray]],
               provenance: Mapping[str, Any] | None = None) -> Path:
    """Write a shard's chunks and what they were made with into one ``.npz`` part, atomically.

    The part holds each chunk's arrays (``chunk00012.<name>``) and a ``__part__`` JSON entry:
    the generator ``kind``, the ``settings`` (seed included), ``shard`` ``[K, N]``, the
    sample's ``n_chunks``, the chunk numbers, and ``provenance`` (host, time, CPU seconds: what
    may differ between runs).  :func:`read_parts` checks and joins the parts.
    """
    from physnn.files import atomic_write

    path = Path(path)
    head = {"format": _PART_FORMAT, "kind": kind, "settings": dict(settings), "shard": list(shard),
            "n_chunks": int(n_chunks), "chunks": sorted(int(i) for i in chunks),
            "provenance": dict(provenance or {}, host=_host(), finished=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                     time.gmtime()))}
    arrays = {f"chunk{i:05d}.{name}": np.asarray(a) for i, c in chunks.items() for name, a in c.items()}
    with atomic_write(path, "wb") as fh:
        np.savez(fh, __part__=np.array(json.dumps(head, default=str)), **arrays)
    return path


def _host() -> str:
    import socket

    return socket.gethostname()


@dataclass
class Parts:
    """The parts of one run, checked: ``settings``, every chunk's arrays (number -> arrays) and each
    part's ``provenance`` (with its ``shard`` and ``path``), in shard order."""

    settings: dict[str, Any]
    chunks: dict[int, Arrays]
    n_shards: int
    provenance: list[dict[str, Any]]


def read_parts(paths: Sequence[str | os.PathLike], *, kind: str, owner: str, command: str) -> Parts:
    """Read and check the parts written by the ``N`` tasks of one job array.

    Errors (:class:`PhysnnError`, naming the files): no part given; a file missing or not a part;
    a part of another generator; parts of different settings or seeds (naming the differing
    settings); parts of different ``N``; a shard given twice; a shard missing (naming it and the
    ``--shard`` to run).  ``command`` is the generate command, for the messages.
    """
    if not paths:
        raise PhysnnError(f"{owner}: give the part files written by `{command} --shard K/N`, e.g. OUT.part-*.npz.")
    from physnn.errors import check_input_file

    heads: list[tuple[Path, dict[str, Any]]] = []
    for p in paths:
        p = check_input_file(p, "npz", owner=owner, what="part",
                             hint=f"each `{command} --shard K/N` task writes OUT-stem.part-K-of-N.npz beside OUT.")
        try:
            with np.load(p, allow_pickle=False) as z:
                head = json.loads(str(z["__part__"])) if "__part__" in z.files else None
        except Exception:  # noqa: BLE001 - any unreadable file is 'not a part'
            head = None
        if not isinstance(head, dict) or head.get("format") != _PART_FORMAT:
            raise PhysnnError(f"{owner}: {str(p)!r} is not a part written by `{command} --shard K/N` (no part "
                              "header); give the OUT.part-K-of-N.npz files.")
        if head.get("kind") != kind:
            raise PhysnnError(f"{owner}: {str(p)!r} is a part of `{head.get('kind')}` generation, not of {kind}; "
                              f"merge it with the merge command of its own generator.")
        heads.append((p, head))
    p0, h0 = heads[0]
    for p, h in heads[1:]:
        if h["settings"] != h0["settings"]:
            diff = sorted(k for k in set(h["settings"]) | set(h0["settings"])
                          if h["settings"].get(k) != h0["settings"].get(k))
            shown = ", ".join(f"{k}={h0['settings'].get(k)!r} vs {h['settings'].get(k)!r}" for k in diff)
            raise PhysnnError(f"{owner}: {str(p0)!r} and {str(p)!r} come from different runs ({shown}); merge only "
                              "the parts of one command (same seed and settings).")
        if h["shard"][1] != h0["shard"][1]:
            raise PhysnnError(f"{owner}: {str(p0)!r} is a shard of {h0['shard'][1]} but {str(p)!r} one of "
                              f"{h['shard'][1]}; merge the parts of one job array (one N).")
    n_shards = int(h0["shard"][1])
    by_k: dict[int, Path] = {}
    for p, h in heads:
        k = int(h["shard"][0])
        if k in by_k:
            raise PhysnnError(f"{owner}: shard {k}/{n_shards} is given twice ({str(by_k[k])!r} and {str(p)!r}); "
                              "give each part once.")
        by_k[k] = p
    missing = [k for k in range(1, n_shards + 1) if k not in by_k]
    if missing:
        names = ", ".join(f"{k}/{n_shards}" for k in missing)
        raise PhysnnError(f"{owner}: shard(s) {names} missing ({len(by_k)} of {n_shards} parts given); run "
                          f"`{command} --shard K/{n_shards}` for them (same seed and settings), then merge again.")
    chunks: dict[int, Arrays] = {}
    provenance = []
    for p, h in sorted(heads, key=lambda ph: ph[1]["shard"][0]):
        want = shard_items(list(range(int(h["n_chunks"]))), tuple(h["shard"]))
        if h["chunks"] != want or int(h["n_chunks"]) != int(h0["n_chunks"]):
            raise PhysnnError(f"{owner}: {str(p)!r} holds chunks {h['chunks']}, not those of shard "
                              f"{h['shard'][0]}/{n_shards} ({want}); it was not written by `{command}`.")
        with np.load(p, allow_pickle=False) as z:
            for name in z.files:
                if name == "__part__":
                    continue
                c, _, key = name.partition(".")
                chunks.setdefault(int(c[len("chunk"):]), {})[key] = z[name]
        provenance.append(dict(h["provenance"], shard=h["shard"], path=str(p)))
    return Parts(dict(h0["settings"]), {i: chunks[i] for i in sorted(chunks)}, n_shards, provenance)
