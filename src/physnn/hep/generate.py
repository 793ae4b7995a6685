r"""Collider jets from a real event generator: Pythia 8 events, FastJet anti-kt jets.

:func:`generate_jets` produces labelled large-radius jets for top tagging and
W tagging, the way the top-tagging reference sample (Kasieczka et al., SciPost
Phys. 7 (2019) 014) was made, at generator level.  Three modules, one job each:

* :mod:`physnn.hep.pythia` — Pythia's settings and process control: the
  sample's :class:`JetConfig`, the hard process (``"top"``: :math:`t\bar t`
  with hadronic W decays; ``"w"``: :math:`W^+W^-`, both hadronic; ``"qcd"``:
  all :math:`2 \to 2` QCD), the hard-scale window :math:`\hat p_T \in`
  ``pthat_range`` (the first pre-filter), seeds per chunk
  (:func:`chunk_seed`), initialising Pythia (:func:`open_pythia`) with its
  printout kept off the terminal;
* :mod:`physnn.hep.jetfinding` — per event: the CellJet and SlowJet
  pre-filters (C++), the leading anti-kt R = 0.8 jet (E-scheme, all visible
  final-state particles; SlowJet's fjcore on the fast path, the ``fastjet``
  package on the reference path ``prefilter=False`` — the same jets bit for
  bit), truth matching of signal jets (the top/W and its decay quarks within
  ΔR < R) and the jet's kinematics in FastJet's conventions;
* this module — the generator: the event loop of one chunk
  (:func:`generate_chunk`: selection of the *leading* jet with
  ``pt_range[0] < pT < pt_range[1]`` and :math:`|\eta| <` ``eta_max``, at most
  one jet per event, label 1 for signal and 0 for QCD; then per jet the
  columns of :mod:`physnn.hep.jetio`: pT, η, φ, mass, τ1…τ4, τ21, τ32,
  constituent count, label and the leading N constituents), the chunks on
  disk and the pool of workers (:func:`generate_jets`).

With ``prefilter=False`` every event is clustered in full by FastJet and the
generator counts the accepted jets the pre-filters would have lost
(``stats["prefilter_missed"]``); since the filters do not touch Pythia's random
numbers, the same seed gives the same jets either way when nothing is missed —
bit for bit (tested).

**Parallel and reproducible.**  The sample is cut into chunks of
``chunk_size`` jets; chunk ``i`` runs its own Pythia with
``Random:seed`` derived from ``numpy.random.SeedSequence(seed,
spawn_key=(i,))``, so the output is bit-identical whatever ``workers``
(processes, started with ``spawn``, one thread each) or a Dask cluster
(``dask=``), all run by :func:`physnn.parallel.run_chunks`.  **Resumable**: with an
output file each finished chunk is kept in ``<out>.chunks/<settings hash>/``;
a rerun with the same settings reuses them (and a larger ``n`` extends the
sample: chunk ``i`` is always the same jets).  The cache is removed after the
output is written unless ``keep_cache=True``.

**Speed**: physnn processes about 0.92–0.94 of raw Pythia's events per CPU
second; the measurements (``benchmarks/hep_generate.py``), the time of each
stage, the bias and cost of the pTHat window, what the pre-filters lose and
the history of earlier designs are in ``benchmarks/README.md`` (hep section).

Today's public names of the three modules are importable from here as before.

    >>> cfg = JetConfig("top")
    >>> cfg.pthat_range, cfg.pt_range
    ((400.0, 800.0), (550.0, 650.0))
    >>> [s for s in pythia_settings(cfg, seed=7) if s.startswith(("Top:", "Random:seed"))]
    ['Random:seed = 7', 'Top:gg2ttbar = on', 'Top:qqbar2ttbar = on']
"""

from __future__ import annotations

import json
import math
import os
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_int
from physnn.hep.jetfinding import (
    SLOW_SLACK,
    CellFilter,
    full_event_jet,
    jet_kinematics,
    matches_truth,
    slowjet_finder,
    slowjet_leading_jet,
    truth_partons,
)
from physnn.hep.pythia import (
    SIGNALS,
    JetConfig,
    chunk_seed,
    engine_versions,
    open_pythia,
    pythia_settings,
    stdout_to,
)

__all__ = [
    "SIGNALS",
    "JetConfig",
    "CellFilter",
    "chunk_seed",
    "pythia_settings",
    "open_pythia",
    "generate_chunk",
    "generate_jets",
    "merge_jets",
    "PROVENANCE_STATS",
    "jet_kinematics",
]

_OWNER = "generate_jets"
_MAX_EVENTS_WITHOUT_JET = 20_000  # give up (with a message) if a configuration yields no jet at all

_SCALARS = ("pt", "eta", "phi", "mass", "tau1", "tau2", "tau3", "tau4", "tau21", "tau32",
            "n_constituents", "label")
_STAT_KEYS = ("events", "failed", "prefilter_passed", "in_window", "truth_rejected", "accepted",
              "prefilter_missed", "full_clustering_fallbacks")


def generate_chunk(
    config: JetConfig,
    seed: int,
    count: int,
    *,
    log: str | os.PathLike | None = None,
    report: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Generate ``count`` accepted jets with one Pythia instance seeded with ``seed``.

    Returns ``(jets, stats)``: ``jets`` has the columns of
    :mod:`physnn.hep.jetio` plus ``_pthat`` (the hard scale of each jet's
    event); ``stats`` counts events, pre-filter passes, window passes, truth
    rejections, full-event clusterings the fast jet path fell back to
    (``full_clustering_fallbacks``, expected 0) and CPU seconds (also per
    stage, ``stage_cpu_s``: setup, i.e. Pythia's initialisation, then
    pythia, prefilter, clustering, features).  ``report(new_jets, new_events)`` is called
    after each accepted jet (progress).  The result depends only on
    ``(config, seed, count)``; the first ``k`` jets of ``count`` are the jets of
    ``k``.
    """
    import fastjet

    count = check_int("count", count, low=0, owner="generate_chunk")
    cpu0 = time.process_time()
    stats = {k: 0 for k in _STAT_KEYS}
    n_keep = config.n_constituents
    rows: dict[str, list] = {k: [] for k in _SCALARS}
    parts = np.zeros((count, 3, n_keep), dtype=np.float32)
    pthat: list[float] = []
    pending: list[tuple[array, float, float]] = []  # (constituents' p4, jet eta, jet phi) per accepted jet
    if count == 0:
        return _pack(rows, parts, pthat), _finish(stats, cpu0)

    pythia = open_pythia(pythia_settings(config, seed), log=log)
    lo, hi = config.pt_range
    radius = config.radius
    eta_max = config.eta_max
    cell = CellFilter(config)
    slow = slowjet_finder(config)  # Pythia's anti-kt (fjcore): FastJet's jets on all visible particles
    slow_lo, slow_hi = (1 - SLOW_SLACK) * lo, (1 + SLOW_SLACK) * hi
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)  # two arguments: E-scheme
    is_signal = config.signal != "qcd"
    event = pythia.event
    n_new_events = 0
    sink = os.devnull if log is None else log
    clock = time.process_time
    # setup: Pythia's initialisation and the jet finders' (once per chunk), then the per-event stages
    stage = {"setup": clock() - cpu0, "pythia": 0.0, "prefilter": 0.0, "clustering": 0.0, "features": 0.0}
    stats["stage_cpu_s"] = stage
    with stdout_to(sink):
        while len(rows["pt"]) < count:
            stats["events"] += 1
            n_new_events += 1
            if stats["accepted"] == 0 and stats["events"] > _MAX_EVENTS_WITHOUT_JET:
                raise PhysnnError(
                    f"{_OWNER}: no jet passed the selection in {_MAX_EVENTS_WITHOUT_JET} events "
                    f"({stats['failed']} failed in Pythia, {stats['prefilter_passed']} passed the pre-filters, "
                    f"{stats['in_window']} had a leading jet in the window); check pt_range={config.pt_range}, "
                    f"pthat_range={config.pthat_range}, eta_max={config.eta_max:g} and the extra Pythia settings."
                )
            t0 = clock()
            ok = pythia.next()
            t1 = clock()
            stage["pythia"] += t1 - t0
            if not ok:
                stats["failed"] += 1
                continue
            # pre-filter 1: Pythia's cone jet finder on a 0.1 x 0.1 cell grid (cheap; see CellFilter)
            passed = cell.passes(event)
            # pre-filter 2: Pythia's own anti-kt leading jet (= FastJet's) in the window and, for signal,
            # truth-matched: the final cuts, which the FastJet jet below must pass again
            groups: list = []
            if passed or not config.prefilter:
                slow.analyze(event)
                passed = passed and slow.sizeJet() > 0 and slow_lo < slow.pT(0) < slow_hi \
                    and abs(slow.p(0).eta()) < eta_max + SLOW_SLACK
                if is_signal and (passed or not config.prefilter):
                    groups = truth_partons(event, config.signal)
                    if passed:
                        passed = any(matches_truth(slow.y(0), slow.phi(0), g, radius + SLOW_SLACK) for g in groups)
            t2 = clock()
            stage["prefilter"] += t2 - t1
            if config.prefilter and not passed:
                continue
            stats["prefilter_passed"] += 1
            # the jet: anti-kt, E-scheme, on all visible final-state particles — SlowJet's leading jet (FastJet's
            # core) when the pre-filters ran, checked to add up; else FastJet on the full event (reference path)
            found = slowjet_leading_jet(event, slow) if config.prefilter else None
            if found is None:
                if config.prefilter:
                    stats["full_clustering_fallbacks"] += 1
                found = full_event_jet(event, fastjet, jet_def, 0.5 * lo)
            t3 = clock()
            stage["clustering"] += t3 - t2
            if found is None:
                continue
            p4, p4_sum = found
            jpt, jeta, jrap, jphi, jmass = jet_kinematics(*p4_sum)
            if not (lo < jpt < hi and abs(jeta) < eta_max):
                continue
            stats["in_window"] += 1
            if is_signal and not any(matches_truth(jrap, jphi, g, radius) for g in groups):
                stats["truth_rejected"] += 1
                continue
            if not passed:
                stats["prefilter_missed"] += 1
            for name, value in (
                ("pt", jpt), ("eta", jeta), ("phi", jphi), ("mass", jmass),
                ("n_constituents", len(p4) // 4), ("label", int(is_signal)),
            ):
                rows[name].append(value)
            pending.append((p4, jeta, jphi))  # substructure after the event loop (see below)
            pthat.append(pythia.infoPython().pTHat())
            stats["accepted"] += 1
            stage["features"] += clock() - t3
            if report is not None:
                report(1, n_new_events)
                n_new_events = 0
    if report is not None and n_new_events:
        report(0, n_new_events)
    # constituent pt, eta, phi sorted by decreasing pT, and tau_1..4 of the sorted constituents, in one pass
    # per jet — run here, after the event loop, where the code and its data stay in the CPU caches (inside
    # the loop, right after each Pythia event, the same work measured ~2x slower)
    t3 = clock()
    with stdout_to(sink):  # FastJet prints its banner on first use: into Pythia's log, not the user's terminal
        _substructure(pending, rows, parts, n_keep, radius)
    stage["features"] += clock() - t3
    return _pack(rows, parts, pthat), _finish(stats, cpu0)


def _substructure(pending: list, rows: dict[str, list], parts: np.ndarray, n_keep: int, radius: float) -> None:
    """Per accepted jet: its leading ``n_keep`` constituents (pT, Δη, Δφ) into ``parts``, τ1…τ4, τ21, τ32."""
    from physnn.hep.nsubjettiness import jet_substructure, delta_phi

    for i, (p4, jeta, jphi) in enumerate(pending):
        p4 = np.frombuffer(p4, dtype=np.float64).reshape(-1, 4)
        kin, taus = jet_substructure(p4, 4, r0=radius)
        k = min(len(p4), n_keep)
        parts[i, 0, :k] = kin["pt"][:k]
        parts[i, 1, :k] = kin["eta"][:k] - jeta
        parts[i, 2, :k] = delta_phi(kin["phi"][:k], jphi)
        for name, value in (
            ("tau1", taus[0]), ("tau2", taus[1]), ("tau3", taus[2]), ("tau4", taus[3]),
            ("tau21", taus[1] / taus[0] if taus[0] > 0 else 0.0),
            ("tau32", taus[2] / taus[1] if taus[1] > 0 else 0.0),
        ):
            rows[name].append(value)


def _pack(rows: dict[str, list], parts: np.ndarray, pthat: list[float]) -> dict[str, np.ndarray]:
    out = {k: np.asarray(v, dtype=np.int32 if k in ("n_constituents", "label") else np.float64)
           for k, v in rows.items()}
    n = len(out["pt"])
    for j, name in enumerate(("part_pt", "part_deta", "part_dphi")):
        out[name] = np.ascontiguousarray(parts[:n, j, :])
    out["_pthat"] = np.asarray(pthat, dtype=np.float64)
    return out


def _finish(stats: dict[str, Any], cpu0: float) -> dict[str, Any]:
    stats["cpu_s"] = time.process_time() - cpu0
    return stats


# ----------------------------------------------------------------------------- chunks, shards, merging
#: the entries of a file's ``stats`` that measure time (wall, CPU, rates) or the resumption: they differ
#: between any two runs, merged or not; every other entry and every array is the same
PROVENANCE_STATS = ("wall_s", "cpu_s_workers", "jets_per_s", "jets_per_cpu_s", "stage_cpu_s", "chunks_reused",
                    "jets_generated_now")


def _make_chunk(config_dict: dict[str, Any], seed: int, index: int, count: int, log_dir: str | None,
                report: Callable[..., None] | None = None) -> dict[str, np.ndarray]:
    """Worker entry point: chunk ``index``'s jets, with its statistics as JSON in ``__stats__``."""
    config = _config_from_dict(config_dict)
    log = None if log_dir is None else str(Path(log_dir) / f"chunk_{index:05d}.log")
    rep = None if report is None else (lambda dj, de: report(dj, events=de))
    jets, stats = generate_chunk(config, chunk_seed(seed, index), count, log=log, report=rep)
    return dict(jets, __stats__=np.array(json.dumps(stats)))


def _config_from_dict(d: dict[str, Any]) -> JetConfig:
    d = dict(d)
    d["pt_range"] = tuple(d["pt_range"])
    d["pthat_range"] = tuple(d["pthat_range"])
    d["settings"] = tuple(d["settings"])
    return JetConfig(**d)


def _first(counts: list[int]) -> Callable[[int, dict[str, np.ndarray]], dict[str, np.ndarray] | None]:
    """A cached chunk's first ``counts[i]`` jets (chunk ``i`` of a larger ``n`` starts with them), or None."""
    def accept(i: int, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        want = counts[i]
        if "__stats__" not in arrays or arrays["pt"].shape[0] < want:
            return None
        return {k: (v if v.ndim == 0 else v[:want]) for k, v in arrays.items()}
    return accept


def _rate(counts: dict[str, float], elapsed: float) -> str:
    jets, events = counts["units"], counts.get("events", 0)
    acc = jets / events if events else 0.0
    return f"{jets / elapsed:6.1f} jets/s  {events / elapsed:6.0f} events/s  acceptance {acc:.1%}"


def _assemble(chunks: list[dict[str, np.ndarray]], new: list[dict[str, np.ndarray]], wall: float, n: int,
              reused: int, config: JetConfig) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Join chunks in order into the jet columns and the run's statistics (one-machine run and merge alike)."""
    jets = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0] if k not in ("_pthat", "__stats__")}
    pthat = np.concatenate([c["_pthat"] for c in chunks])
    stats = _summarise([json.loads(str(c["__stats__"])) for c in chunks],
                       [json.loads(str(c["__stats__"])) for c in new], pthat, wall, n, reused, config)
    return jets, stats


def _metadata(config: JetConfig, seed: int, n: int, stats: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    return {"generator": "physnn.hep.generate_jets", "config": config.to_dict(), "seed": seed, "n": n,
            "stats": stats, "versions": versions, "pythia_settings_chunk0": pythia_settings(config, chunk_seed(seed, 0))}


def generate_jets(
    signal: str = "top",
    n: int = 1000,
    seed: int = 0,
    *,
    workers: int = 1,
    sqrt_s: float = 13000.0,
    mpi: bool = True,
    n_constituents: int = 100,
    pt_range: tuple[float, float] = (550.0, 650.0),
    eta_max: float = 2.0,
    pthat_range: tuple[float, float] | None = None,
    prefilter: bool = True,
    settings: Sequence[str] = (),
    chunk_size: int = 200,
    out: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    keep_cache: bool = False,
    progress: bool | Callable[[int, int], None] = True,
    return_stats: bool = False,
    shard: tuple[int, int] | str | None = None,
    dask: str | None = None,
) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Generate ``n`` labelled jets (Pythia 8 + FastJet anti-kt R=0.8); optionally write them to ``out``.

    See the module docstring for the physics and the pre-filters.  Returns
    ``{column: array}`` with the columns of :mod:`physnn.hep.jetio` — scalars
    of shape ``(n,)`` and constituents ``part_pt``, ``part_deta``,
    ``part_dphi`` of shape ``(n, n_constituents)`` zero-padded — and, with
    ``return_stats=True``, also a statistics dict (events generated,
    acceptance, jets/s, CPU seconds, pTHat quantiles of the accepted jets,
    chunks reused from the cache).

    ``workers`` processes generate chunks of ``chunk_size`` jets in parallel
    (:func:`physnn.parallel.run_chunks`); ``dask`` (a scheduler address or
    ``"local[:N]"``) sends the chunks to a Dask cluster instead.  The output is
    bit-identical for any ``workers`` or executor.  With ``out`` (``.parquet``,
    ``.npz`` or ``.root``) finished chunks are cached in ``cache_dir`` (default
    ``<out>.chunks``) so an interrupted run resumes.  ``progress`` shows a
    progress bar on stderr; a callable instead is called as
    ``progress(jets_done, n)`` after each accepted jet (no bar).

    **On a cluster**, ``shard=(k, N)`` (1 <= k <= N) generates only the chunks
    ``i`` with ``i % N == k - 1`` and writes them to the part
    ``<out stem>.part-k-of-N.npz`` beside ``out`` (not ``out`` itself); once the
    ``N`` tasks (a SLURM array, HTCondor ``queue N``) are done,
    :func:`merge_jets` joins the parts into ``out`` — the jets of a one-machine
    run (chunk ``i``'s seed depends only on ``(seed, i)``).  Returns the shard's jets.

        >>> jets = generate_jets("qcd", n=2, seed=1, n_constituents=10, progress=False)
        >>> jets["part_pt"].shape, bool(((jets["pt"] > 550) & (jets["pt"] < 650)).all())
        ((2, 10), True)
    """
    from physnn.parallel import ChunkCache, check_generation, part_path, run_chunks, shard_chunks, write_part

    config = JetConfig(signal=signal, sqrt_s=sqrt_s, mpi=mpi, n_constituents=n_constituents,
                       pt_range=pt_range, eta_max=eta_max, pthat_range=pthat_range,
                       prefilter=prefilter, settings=tuple(settings), chunk_size=chunk_size)
    n = check_int("n", n, low=1, owner=_OWNER)
    seed = check_int("seed", seed, low=0, high=2**63 - 1, owner=_OWNER)
    workers = check_int("workers", workers, low=1, high=256, owner=_OWNER)
    from physnn.hep.jetio import jet_format

    out_path, shard = check_generation(out=out, shard=shard, dask=dask, owner=_OWNER,  # before anything is written
                                       check_out=lambda p: jet_format(p, owner=_OWNER))
    n_chunks = math.ceil(n / config.chunk_size)
    counts = [min(config.chunk_size, n - i * config.chunk_size) for i in range(n_chunks)]
    mine = shard_chunks(n, config.chunk_size, shard, owner=_OWNER, unit="jets")
    versions = engine_versions()
    cache_settings = {"config": config.to_dict(), "seed": seed, "versions": versions, "format": 1}
    cache = None
    if cache_dir is not None or out_path is not None:
        base = Path(cache_dir) if cache_dir is not None else out_path.with_name(out_path.name + ".chunks")  # type: ignore[union-attr]
        cache = ChunkCache(base, cache_settings)
    log_dir = None if cache is None or dask is not None else str(cache.folder)
    run = run_chunks(_make_chunk, {i: (config.to_dict(), seed, i, counts[i], log_dir) for i in mine},
                     sizes=dict(enumerate(counts)), workers=workers, dask=dask, cache=cache, progress=progress,
                     label=f"{config.signal} jets" + (f" (shard {shard[0]}/{shard[1]})" if shard is not None else ""),
                     info=_rate, reports=True, accept=_first(counts), owner=_OWNER)
    new = [run.chunks[i] for i in mine if i not in run.reused]
    jets, stats = _assemble([run.chunks[i] for i in mine], new, run.wall_s, sum(counts[i] for i in mine),
                            len(run.reused), config)
    if shard is not None:
        part = part_path(out_path, shard)  # type: ignore[arg-type]
        write_part(part, kind="hep", settings=dict(cache_settings, n=n), shard=shard, n_chunks=n_chunks,
                   chunks=run.chunks, provenance={"wall_s": run.wall_s, "chunks_reused": run.reused})
        if not keep_cache:
            cache.discard(mine)  # type: ignore[union-attr]
        stats.update(shard=list(shard), shard_chunks=mine, part=str(part))
        return (jets, stats) if return_stats else jets
    if out_path is not None:
        from physnn.hep.jetio import write_jets

        write_jets(jets, out_path, metadata=_metadata(config, seed, n, stats, versions))
        if cache is not None and not keep_cache:
            cache.discard()
    return (jets, stats) if return_stats else jets


def merge_jets(parts: Sequence[str | os.PathLike], out: str | os.PathLike) -> dict[str, Any]:
    """Join the parts written by the ``N`` tasks of ``generate_jets(..., shard=(k, N))`` into ``out``.

    The file equals the one a single ``generate_jets`` call with the same seed and settings
    writes: the same columns in the same order, and the same metadata except the timing entries
    of ``stats`` (:data:`PROVENANCE_STATS`: here sums over the parts' chunks) and ``merged_from``
    (one entry per part: its shard, host, time and path), which only a merged file has.
    A missing or duplicated shard, parts of other settings or seeds, or a file that is not a
    part is a :class:`PhysnnError` naming the files.  Returns the statistics.

        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> for k in (1, 2):
        ...     _ = generate_jets("qcd", n=2, seed=1, n_constituents=5, chunk_size=1, out=d / "q.npz",
        ...                       shard=(k, 2), progress=False)
        >>> merge_jets(sorted(d.glob("q.part-*.npz")), d / "q.npz")["jets"]
        2
    """
    from physnn.hep.jetio import jet_format, write_jets
    from physnn.parallel import read_parts

    owner = "hep merge"
    out = Path(out)
    jet_format(out, owner=owner)
    got = read_parts(parts, kind="hep", owner=owner, command="physnn hep generate")
    s = got.settings
    config = _config_from_dict(s["config"])
    chunks = list(got.chunks.values())
    wall = float(sum(p.get("wall_s", 0.0) for p in got.provenance))
    jets, stats = _assemble(chunks, chunks, wall, int(s["n"]), 0, config)
    meta = _metadata(config, int(s["seed"]), int(s["n"]), stats, s["versions"])
    meta["merged_from"] = got.provenance
    write_jets(jets, out, metadata=meta)
    return stats


def _summarise(all_stats: list[dict], new_stats: list[dict], pthat: np.ndarray, wall: float, n: int,
               reused: int, config: JetConfig) -> dict[str, Any]:
    tot = {k: int(sum(s.get(k, 0) for s in all_stats)) for k in _STAT_KEYS}
    new_jets = int(sum(s.get("accepted", 0) for s in new_stats))
    cpu = float(sum(s.get("cpu_s", 0.0) for s in new_stats))
    out: dict[str, Any] = dict(tot)
    out.update(
        jets=n,
        acceptance=tot["accepted"] / tot["events"] if tot["events"] else 0.0,
        chunks=len(all_stats),
        chunks_reused=reused,
        jets_generated_now=new_jets,
        wall_s=wall,
        cpu_s_workers=cpu,
        jets_per_s=new_jets / wall if wall > 0 and new_jets else 0.0,
        jets_per_cpu_s=new_jets / cpu if cpu > 0 else 0.0,
        stage_cpu_s={k: float(sum(s.get("stage_cpu_s", {}).get(k, 0.0) for s in new_stats))
                     for k in ("setup", "pythia", "prefilter", "clustering", "features")},
        pthat_window=list(config.pthat_range),  # type: ignore[arg-type]
        pthat_quantiles={f"q{q}": float(np.quantile(pthat, q / 100)) for q in (0, 1, 5, 50, 95, 99, 100)}
        if pthat.size else {},
    )
    if config.prefilter:
        out.pop("prefilter_missed")
    else:
        out.pop("full_clustering_fallbacks")  # every event is clustered in full
    return out
