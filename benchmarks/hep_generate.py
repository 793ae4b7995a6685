"""Benchmark the jet generator against raw Pythia 8 event generation (same settings, same events).

What it measures, per sample (``--signal``):

1. **physnn vs raw Pythia** — ``generate_chunk`` (Pythia + CellJet/SlowJet
   pre-filters + FastJet on the constituents of SlowJet's leading jet + truth
   matching + N-subjettiness) for
   ``--jets`` jets, then a bare ``pythia.next()`` loop over exactly the same
   number of events with the same seed (so the same events).  Both are
   timed in CPU seconds of this process (``time.process_time``), which the
   other users of a shared machine do not inflate.  ``--repeats`` pairs
   (default 2) alternate which side runs first (physnn raw raw physnn), and
   the ratio is of the summed times: the run-to-run drift of a shared machine
   (±2–4 % here) cancels instead of landing on one side.  The goal of issue 5:
   physnn's events/s within 10 % of raw Pythia's (ratio >= 0.9).
2. **1 vs 2 workers** — ``generate_jets`` wall time for ``--jets`` jets in two
   chunks with ``workers=1`` and ``workers=2`` (goal ~2x on two *free* cores;
   on a busy machine the load average printed alongside explains a shortfall).
3. ``--pthat-study``: the bias of the default hard-scale window — generate
   with a wide window (250, 1000) GeV and count the accepted jets whose
   pTHat falls outside the default window (those are what the default
   loses), and the events needed per jet in both cases.
4. ``--prefilter-check``: over ``--check-events`` events, the jets the
   generator would accept that its CellJet pre-filter rejects (the one
   approximate step; SlowJet is exact), and CellJet's pass fraction.

Run (numbers in benchmarks/README.md):

    nice -n 10 .venv/bin/python benchmarks/hep_generate.py --jets 60
    nice -n 10 .venv/bin/python benchmarks/hep_generate.py --signal qcd --jets 300 --no-workers
    nice -n 10 .venv/bin/python benchmarks/hep_generate.py --signal qcd --jets 200 --pthat-study
    nice -n 10 .venv/bin/python benchmarks/hep_generate.py --signal qcd --prefilter-check --check-events 20000 --no-workers
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def _warm_up() -> None:
    """Import and touch FastJet and the substructure code once, so one-time costs are not timed."""
    import numpy as np

    from physnn.hep.generate import _stdout_to
    from physnn.hep.nsubjettiness import nsubjettiness, ptyphim_to_p4

    with _stdout_to(os.devnull):  # FastJet prints its banner on first use
        nsubjettiness(ptyphim_to_p4(np.array([10.0, 5.0, 1.0]), np.zeros(3), np.array([0.0, 0.2, 0.4])))


def raw_vs_physnn(signal: str, jets: int, seed: int, repeats: int = 1) -> dict:
    from physnn.hep.generate import JetConfig, _stdout_to, generate_chunk, open_pythia, pythia_settings

    cfg = JetConfig(signal)
    _warm_up()
    load0 = _load()

    def physnn_run() -> tuple[float, float, dict]:
        t0, w0 = time.process_time(), time.perf_counter()
        _, st = generate_chunk(cfg, seed, jets)
        return time.process_time() - t0, time.perf_counter() - w0, st

    def raw_run(n: int) -> tuple[float, float]:
        t0, w0 = time.process_time(), time.perf_counter()
        pythia = open_pythia(pythia_settings(cfg, seed))
        with _stdout_to(os.devnull):
            for _ in range(n):
                pythia.next()
        return time.process_time() - t0, time.perf_counter() - w0

    # a short untimed run of each first: the process's first Pythia run measured ~3 % slower than later ones
    generate_chunk(cfg, seed + 1000, max(5, jets // 20))
    raw_run(200)
    # physnn, raw, raw, physnn, physnn, raw, ...: each side is measured as often first as last, so a
    # drift of the machine's speed (another job, caches, clocks) cancels in the sums
    gen_cpu = gen_wall = raw_cpu = raw_wall = 0.0
    ratios = []
    stats: dict = {}
    for r in range(repeats):
        order = ("physnn", "raw") if r % 2 == 0 else ("raw", "physnn")
        pc = rc = 0.0
        for side in order:
            if side == "physnn":
                pc, pw, stats = physnn_run()
                gen_cpu, gen_wall = gen_cpu + pc, gen_wall + pw
            else:
                rc, rw = raw_run(stats["events"])  # the first pair runs physnn first: events are known
                raw_cpu, raw_wall = raw_cpu + rc, raw_wall + rw
        ratios.append(rc / pc)
    n_events = stats["events"]
    gen_cpu, gen_wall, raw_cpu, raw_wall = (v / repeats for v in (gen_cpu, gen_wall, raw_cpu, raw_wall))
    return {
        "signal": signal,
        "jets": jets,
        "events": n_events,
        "acceptance": stats["accepted"] / n_events,
        "prefilter_pass_fraction": stats["prefilter_passed"] / n_events,
        "full_clustering_fallbacks": stats["full_clustering_fallbacks"],
        "raw_events_per_cpu_s": n_events / raw_cpu,
        "physnn_events_per_cpu_s": n_events / gen_cpu,
        "ratio_physnn_over_raw": raw_cpu / gen_cpu,
        "raw_jet_ceiling_per_cpu_s": stats["accepted"] / raw_cpu,
        "physnn_jets_per_cpu_s": stats["accepted"] / gen_cpu,
        "physnn_wall_s": gen_wall,
        "ratios_per_repeat": ratios,
        "raw_wall_s": raw_wall,
        "stage_cpu_s": stats["stage_cpu_s"],
        "loadavg_before": load0,
        "loadavg_after": _load(),
    }


def workers_scaling(signal: str, jets: int, seed: int) -> dict:
    from physnn.hep.generate import generate_jets

    out = {"signal": signal, "jets": jets}
    chunk = max(1, jets // 2)
    for w in (1, 2):
        load0 = _load()
        t0 = time.perf_counter()
        _, st = generate_jets(signal, jets, seed, workers=w, chunk_size=chunk, progress=False, return_stats=True)
        out[f"wall_s_workers{w}"] = time.perf_counter() - t0
        out[f"cpu_s_workers{w}"] = st["cpu_s_workers"]
        out[f"loadavg_workers{w}"] = f"{load0} -> {_load()}"
    out["speedup_2_over_1"] = out["wall_s_workers1"] / out["wall_s_workers2"]
    return out


def pthat_study(signal: str, jets: int, seed: int) -> dict:
    import numpy as np

    from physnn.hep.generate import JetConfig, generate_chunk

    default = JetConfig(signal).pthat_range
    wide = (250.0, 1000.0)
    d, sd = generate_chunk(JetConfig(signal), seed, jets)
    w, sw = generate_chunk(JetConfig(signal, pthat_range=wide), seed, jets)
    p = w["_pthat"]
    outside = (p < default[0]) | (p > default[1])
    return {
        "signal": signal,
        "jets": jets,
        "default_window": list(default),
        "wide_window": list(wide),
        "fraction_of_wide_window_jets_outside_default": float(outside.mean()),
        "fraction_below_default_min": float((p < default[0]).mean()),
        "fraction_above_default_max": float((p > default[1]).mean()),
        "events_per_jet_default": sd["events"] / jets,
        "events_per_jet_wide": sw["events"] / jets,
        "cpu_s_per_jet_default": sd["cpu_s"] / jets,
        "cpu_s_per_jet_wide": sw["cpu_s"] / jets,
        "mean_mass_default": float(np.mean(d["mass"])),
        "mean_mass_wide": float(np.mean(w["mass"])),
        "loadavg": _load(),
    }


def prefilter_check(signal: str, events: int, seed: int) -> dict:
    """Count the jets the CellJet pre-filter loses, over ``events`` Pythia events.

    On every event both run: the generator's :class:`~physnn.hep.generate.CellFilter`
    and SlowJet (anti-kt through fjcore on all visible particles, whose leading
    jet is FastJet's — tested bit for bit in the suite).  A jet the generator
    would accept (the leading jet in the pT window and |η| cut, truth-matched for
    signal) on an event the CellJet stage rejects is a miss.  Cheaper than
    ``prefilter=False`` (no Python clustering), so it covers thousands of jets.
    """
    import pythia8mc

    from physnn.hep.generate import (
        CellFilter, JetConfig, _matches, _stdout_to, _truth_partons, open_pythia, pythia_settings,
    )

    cfg = JetConfig(signal)
    lo, hi = cfg.pt_range
    with _stdout_to(os.devnull):
        pythia = open_pythia(pythia_settings(cfg, seed))
        cell = CellFilter(cfg)
        slow = pythia8mc.SlowJet(-1, cfg.radius, 0.5 * lo, 25.0, 2, 2, None, True, True)
        n = passed = accepted = missed = 0
        t_cell = 0.0
        while n < events:
            if not pythia.next():
                continue
            n += 1
            t0 = time.process_time()
            ok = cell.passes(pythia.event)
            t_cell += time.process_time() - t0
            passed += ok
            slow.analyze(pythia.event)
            if not (slow.sizeJet() > 0 and lo < slow.pT(0) < hi and abs(slow.p(0).eta()) < cfg.eta_max):
                continue
            if signal != "qcd" and not any(_matches(slow.y(0), slow.phi(0), g, cfg.radius)
                                           for g in _truth_partons(pythia.event, signal)):
                continue
            accepted += 1
            missed += not ok
    return {"signal": signal, "events": n, "celljet_pass_fraction": passed / n, "accepted_jets": accepted,
            "missed_by_celljet": missed, "celljet_ms_per_event": 1e3 * t_cell / n, "loadavg": _load()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--signal", choices=["top", "w", "qcd", "all"], default="all")
    ap.add_argument("--jets", type=int, default=60, help="jets per measurement")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2,
                    help="physnn/raw pairs, alternating which runs first (default 2: physnn raw raw physnn)")
    ap.add_argument("--no-workers", action="store_true", help="skip the 1 vs 2 workers measurement")
    ap.add_argument("--pthat-study", action="store_true")
    ap.add_argument("--prefilter-check", action="store_true")
    ap.add_argument("--check-events", type=int, default=20000, help="events for --prefilter-check")
    ap.add_argument("--no-speed", action="store_true", help="with --prefilter-check: skip the speed measurement")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args()
    signals = ["qcd", "top"] if args.signal == "all" else [args.signal]
    results: dict = {"raw_vs_physnn": [], "workers": [], "pthat": [], "prefilter": []}
    for s in signals:
        if args.prefilter_check and args.no_speed:
            r = None
        else:
            r = raw_vs_physnn(s, args.jets, args.seed, args.repeats)
            results["raw_vs_physnn"].append(r)
        if r is not None:
            print(
                f"[{s}] {r['events']} events -> {r['jets']} jets (acceptance {r['acceptance']:.1%}, "
                f"pre-filter passes {r['prefilter_pass_fraction']:.1%})\n"
                f"   raw Pythia {r['raw_events_per_cpu_s']:.1f} events/CPU-s   physnn {r['physnn_events_per_cpu_s']:.1f} "
                f"events/CPU-s   ratio physnn/raw = {r['ratio_physnn_over_raw']:.3f} (goal >= 0.90; "
                f"per pair {', '.join(f'{x:.3f}' for x in r['ratios_per_repeat'])})\n"
                f"   jets per CPU-s: physnn {r['physnn_jets_per_cpu_s']:.1f}, raw-Pythia ceiling "
                f"{r['raw_jet_ceiling_per_cpu_s']:.1f}   load {r['loadavg_before']} -> {r['loadavg_after']}\n"
                f"   full-event clustering fallbacks: {r['full_clustering_fallbacks']}\n"
                f"   physnn CPU by stage [s]: " + ", ".join(f"{k} {v:.2f}" for k, v in r["stage_cpu_s"].items()),
                flush=True,
            )
        if not args.no_workers and r is not None:
            w = workers_scaling(s, args.jets, args.seed)
            results["workers"].append(w)
            print(
                f"   workers: 1 -> {w['wall_s_workers1']:.1f} s wall, 2 -> {w['wall_s_workers2']:.1f} s wall, "
                f"speedup {w['speedup_2_over_1']:.2f}x (goal ~2x on 2 free cores)   "
                f"load {w['loadavg_workers1']} | {w['loadavg_workers2']}",
                flush=True,
            )
        if args.pthat_study:
            p = pthat_study(s, args.jets, args.seed)
            results["pthat"].append(p)
            print(
                f"   pTHat window {p['default_window']} vs {p['wide_window']}: "
                f"{p['fraction_of_wide_window_jets_outside_default']:.1%} of the wide-window jets lie outside "
                f"the default (below {p['fraction_below_default_min']:.1%}, above {p['fraction_above_default_max']:.1%}); "
                f"events/jet {p['events_per_jet_default']:.1f} vs {p['events_per_jet_wide']:.1f}; "
                f"CPU-s/jet {p['cpu_s_per_jet_default']:.3f} vs {p['cpu_s_per_jet_wide']:.3f}",
                flush=True,
            )
        if args.prefilter_check:
            c = prefilter_check(s, args.check_events, args.seed)
            results["prefilter"].append(c)
            print(f"[{s}] pre-filter check over {c['events']} events: CellJet passes "
                  f"{c['celljet_pass_fraction']:.1%} ({c['celljet_ms_per_event']:.3f} ms/event) and loses "
                  f"{c['missed_by_celljet']} of the {c['accepted_jets']} jets the generator would accept", flush=True)
    if args.json:
        from physnn.files import write_json

        write_json(args.json, results)


if __name__ == "__main__":
    main()
