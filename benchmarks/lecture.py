"""The lecture's time on a cold cache, and how many of its claims it confirms.

Runs ``physnn lecture`` (``--quick``, the full lecture, or both) in a fresh
process with ``PHYSNN_CACHE`` pointing at an empty folder, the way a newcomer's
first run goes: every jet, alloy, flow and cell image is simulated. Then, with
``--warm``, once more on the cache the first run filled. Prints, per run: wall
time, CPU time of the process tree (all cores), the ratio to the goal (issue 14:
quick <= 60 s, full <= 300 s of wall time on a 2-core machine), claims confirmed,
and the slowest sections.

    python benchmarks/lecture.py --quick            # about a minute
    python benchmarks/lecture.py --full --warm      # the full lecture, cold then warm
    python benchmarks/lecture.py --quick --full     # both, each cold

The figures quoted in README.md come from this script; say which machine ran it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"quick": 60.0, "full": 300.0}


def _physnn() -> list[str]:
    exe = Path(sys.executable).with_name("physnn")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "physnn"]


def run_once(mode: str, cache: Path, out: Path, seed: int) -> dict:
    """Run the lecture once; wall and child CPU seconds, claims, per-section seconds."""
    cmd = _physnn() + ["lecture", "--out", str(out), "--seed", str(seed)] + (["--quick"] if mode == "quick" else [])
    env = dict(os.environ, PHYSNN_CACHE=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"lecture failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    res = json.loads((out / "results.json").read_text())
    return {
        "mode": mode,
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "passed": res["passed"],
        "checks": res["checks"],
        "lecture": res.get("lecture_claims", {"passed": res["passed"], "checks": res["checks"]}),
        "self": res.get("self_checks", {"passed": 0, "checks": 0}),
        "sections": sorted(((s["seconds"], s["number"], s.get("cpu_seconds", 0.0)) for s in res["sections"]),
                           reverse=True),
        "fails": [f"{s['number']}. [{c.get('kind', 'lecture')}] {c['claim'][:70]} (measured {c['measured']})"
                  for s in res["sections"] for c in s["checks"] if not c["passed"]],
    }


def report(r: dict, label: str) -> None:
    goal = GOALS[r["mode"]]
    print(f"\n{label}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU (all processes), "
          f"{r['wall'] / goal:.2f}x the {goal:.0f} s goal; lecture claims {r['lecture']['passed']} of "
          f"{r['lecture']['checks']} confirmed, self-checks {r['self']['passed']} of {r['self']['checks']} pass")
    print("  sections (number: wall / CPU s): " + ", ".join(f"{n}: {sec:.1f} / {cpu:.1f}" for sec, n, cpu in r["sections"]))
    for f in r["fails"]:
        print(f"  FAIL {f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="time 'physnn lecture --quick'")
    ap.add_argument("--full", action="store_true", help="time the full 'physnn lecture'")
    ap.add_argument("--warm", action="store_true", help="run each mode a second time on the filled cache")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    modes = [m for m in ("quick", "full") if getattr(args, m)] or ["quick"]
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    for mode in modes:
        tmp = Path(tempfile.mkdtemp(prefix=f"physnn-lecture-{mode}-"))
        try:
            cold = run_once(mode, tmp / "cache", tmp / "out", args.seed)
            report(cold, f"{mode}, cold cache")
            if args.warm:
                report(run_once(mode, tmp / "cache", tmp / "out2", args.seed), f"{mode}, warm cache")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
