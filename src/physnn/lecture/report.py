"""Run the lecture's sections and write one report (HTML + Markdown + JSON).

    physnn lecture                       # every section -> runs/lecture/report.html
    physnn lecture --sections 2,5,9      # a few
    physnn lecture --quick               # small sizes (under a minute on 2 cores)

From Python::

    from physnn.lecture import run_lecture
    results, paths = run_lecture(out="runs/lecture", sections=[2, 5], quick=True)
"""

from __future__ import annotations

import datetime as _dt
import importlib
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from physnn.errors import PhysnnError
from physnn.workers import THREAD_VARS as _THREAD_VARS
from physnn.workers import restore_env, set_one_thread

__all__ = ["SECTIONS", "COST", "SIM_COST", "parse_sections", "run_sections", "run_lecture", "environment", "default_workers",
           "write_lecture_report", "count_checks"]

#: section number -> module (each has NUMBER, TITLE and run(*, quick, seed))
SECTIONS: dict[int, str] = {
    1: "physnn.lecture.neuron",
    2: "physnn.lecture.perceptron",
    3: "physnn.lecture.activations",
    4: "physnn.lecture.learning_rate",
    5: "physnn.lecture.backprop",
    6: "physnn.lecture.training_loop",
    7: "physnn.lecture.simplenet",
    8: "physnn.lecture.depth",
    9: "physnn.lecture.overfitting",
    10: "physnn.lecture.regularization",
    11: "physnn.lecture.pinn",
    12: "physnn.lecture.hep",
    13: "physnn.lecture.fluids",
    14: "physnn.lecture.materials",
    15: "physnn.lecture.cells",
}


def parse_sections(spec: str | Iterable[int] | None) -> list[int]:
    """``"2,5,9"``, ``"1-4,9"``, a list of ints or ``None`` (all) → sorted section numbers.

        >>> parse_sections("1-3,9")
        [1, 2, 3, 9]
        >>> parse_sections("42")
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: lecture: section 42 does not exist; sections are 1 to 15 (e.g. --sections 2,5,9 or 1-4).
    """
    if spec is None or spec == "" or spec == "all":
        return sorted(SECTIONS)
    nums: set[int] = set()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    for item in items:
        text = str(item).strip()
        try:
            if "-" in text:
                a, b = (int(x) for x in text.split("-", 1))
                rng = range(a, b + 1)
            else:
                rng = range(int(text), int(text) + 1)
        except ValueError:
            raise PhysnnError(
                f"lecture: cannot read the section list {spec!r}; write numbers and ranges like 2,5,9 or 1-4."
            ) from None
        for n in rng:
            if n not in SECTIONS:
                raise PhysnnError(
                    f"lecture: section {n} does not exist; sections are 1 to {max(SECTIONS)} "
                    "(e.g. --sections 2,5,9 or 1-4)."
                )
            nums.add(n)
    if not nums:
        raise PhysnnError(f"lecture: the section list {spec!r} names no section.")
    return sorted(nums)


def environment(*, seed: int, quick: bool) -> dict[str, Any]:
    """What is needed to repeat the report's numbers (torch's version read without importing it here:
    the sections run in worker processes, so this process need not load it)."""
    from importlib.metadata import version

    import physnn

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "physnn": physnn.__version__,
        "torch": version("torch"),
        "numpy": version("numpy"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": "cpu",
        "cpu": cpu,
        "torch threads": "1 per section (each section runs with one torch and BLAS thread)",
        "seed": seed,
        "mode": "quick (small sizes)" if quick else "full",
        "command": "physnn " + " ".join(sys.argv[1:]) if Path(sys.argv[0]).name == "physnn" else "python API",
    }


#: CPU seconds of each section (quick, full), measured on the 2-core machine (2026-12-07, benchmarks/lecture.py;
#: full 8-13 from the run with the new studies, a loaded machine: CPU seconds, not wall).
#: The parallel runner starts the longest work first so both processes finish together; the numbers never
#: change a result.
COST: dict[int, tuple[float, float]] = {
    1: (1, 1), 2: (3, 9), 3: (1, 2), 4: (2, 6), 5: (1, 1), 6: (2, 4), 7: (1, 3), 8: (2, 285),
    9: (5, 29), 10: (7, 82), 11: (11, 85), 12: (3, 6), 13: (4, 56), 14: (11, 8), 15: (13, 94),
}

#: CPU seconds of the simulations a section waits for (quick, full): they run before any section, longest
#: first — in full mode the 128 alloy relaxations (one process) are the longest single job of the lecture
SIM_COST: dict[int, tuple[float, float]] = {12: (22, 61), 13: (4, 16), 14: (0, 124)}


#: where progress lines go inside a worker process (set by :func:`_worker_init`)
_SINK: Any = None


def _prefixed(prefix: str, sink: Callable[[str], None] | None) -> Callable[[str], None] | None:
    return None if sink is None else (lambda msg: sink(f"{prefix}{msg}"))


def _run_section(n: int, quick: bool, seed: int, sink: Callable[[str], None] | None = None) -> Any:
    """Run section ``n`` in this process, from a fixed state: one torch/BLAS thread, global RNGs seeded.

    Every section runs the same way whether the runner is serial or parallel and whatever ran
    before it in the same process, so the same seed gives the same numbers under any scheduling.
    """
    import random

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    from physnn.lecture.base import PROJECTOR_STYLE, set_progress

    mod = importlib.import_module(SECTIONS[n])
    threads = torch.get_num_threads()
    old = set_progress(_prefixed(f"{n}. ", sink))
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        torch.set_num_threads(1)
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        random.seed(seed)
        with threadpool_limits(1), plt.rc_context(PROJECTOR_STYLE):
            res = mod.run(quick=quick, seed=seed)
    finally:
        torch.set_num_threads(threads)
        set_progress(old)
        plt.close("all")
    res.seconds = time.perf_counter() - t0
    res.cpu_seconds = time.process_time() - c0
    return res


def _run_simulation(n: int, name: str, kwargs: dict[str, Any], sink: Callable[[str], None] | None = None) -> None:
    """Run ``SECTIONS[n].<name>(**kwargs)``: a simulation that fills the cache the section then reads."""
    from threadpoolctl import threadpool_limits

    from physnn.lecture.base import set_progress

    old = set_progress(_prefixed(f"{n}. ", sink))
    try:
        with threadpool_limits(1):
            getattr(importlib.import_module(SECTIONS[n]), name)(**kwargs)
    finally:
        set_progress(old)


def _worker_init(queue: Any) -> None:
    global _SINK
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    _SINK = queue.put


def _task(kind: str, n: int, quick: bool, seed: int, name: str = "", kwargs: dict[str, Any] | None = None) -> Any:
    if kind == "section":
        return _run_section(n, quick, seed, _SINK)
    return _run_simulation(n, name, kwargs or {}, _SINK)


def default_workers() -> int:
    """Processes for the lecture: 2 when the machine has at least 2 CPUs (``os.sched_getaffinity``), else 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


def run_sections(
    sections: Iterable[int] | str | None = None,
    *,
    quick: bool = False,
    seed: int = 0,
    on_section: Callable[[int, int, Any], None] | None = None,
    on_progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> list[Any]:
    """Run the chosen sections; ``on_section(i, n, result)`` after each, ``on_progress(line)`` during long phases.

    Parameters
    ----------
    sections : the section numbers (see :func:`parse_sections`); default all.
    quick : small sizes.
    seed : seed of every experiment.
    on_section : called as each section finishes (``i`` counts finished sections).
    on_progress : called with a line when a simulation or long phase starts, advances or ends.
    workers : processes (default :func:`default_workers`). With ``workers > 1`` the sections and
        the simulations of sections 12-15 (which the sections then read from the cache) run in
        that many ``spawn`` processes with one torch/BLAS thread each, longest first; with 1,
        in this process in order. Each section starts from the same state either way
        (:func:`_run_section`), so the numbers do not depend on ``workers``.

    Returns
    -------
    The results in section order.
    """
    from physnn.errors import check_int

    nums = parse_sections(sections)
    workers = default_workers() if workers is None else check_int("workers", workers, low=1, high=64, owner="lecture")
    sims: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for n in nums:
        plan = getattr(importlib.import_module(SECTIONS[n]), "simulations", None)
        if plan is not None and workers > 1:
            sims[n] = list(plan(quick=quick, seed=seed))
    results: dict[int, Any] = {}
    if workers <= 1 or (len(nums) == 1 and not sims.get(nums[0])):
        for i, n in enumerate(nums, 1):
            results[n] = _run_section(n, quick, seed, on_progress)
            if on_section is not None:
                on_section(i, len(nums), results[n])
        return [results[n] for n in nums]
    _run_parallel(nums, sims, quick=quick, seed=seed, workers=workers, on_section=on_section,
                  on_progress=on_progress, results=results)
    return [results[n] for n in nums]


def _run_parallel(nums: list[int], sims: dict[int, list[tuple[str, dict[str, Any]]]], *, quick: bool, seed: int,
                  workers: int, on_section: Callable[[int, int, Any], None] | None,
                  on_progress: Callable[[str], None] | None, results: dict[int, Any]) -> None:
    """List scheduling on a spawn pool: simulations first, then sections longest first once their data exist."""
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    cost = {n: COST.get(n, (10.0, 60.0))[0 if quick else 1] for n in nums}
    waiting = {n: len(sims.get(n, [])) for n in nums}  # simulations a section still waits for
    # ready work, highest priority last: simulations (they gate a section) before any section
    sim_cost = {n: SIM_COST.get(n, (10.0, 60.0))[0 if quick else 1] for n in nums}
    ready: list[tuple[float, tuple]] = [(1e9 + sim_cost[n] + i, ("sim", n, name, kw))
                                        for n in nums for i, (name, kw) in enumerate(sims.get(n, []))]
    ready += [(cost[n], ("section", n)) for n in nums if not waiting[n]]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()

    def drain() -> None:
        while True:
            try:
                msg = q.get_nowait()
            except queue_mod.Empty:
                return
            if on_progress is not None:
                on_progress(msg)

    saved = set_one_thread()  # inherited by the spawned workers
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(q,))
    try:
        running: dict[Any, tuple] = {}
        while ready or running:
            ready.sort(key=lambda item: item[0])
            while ready and len(running) < workers:
                _, job = ready.pop()
                if job[0] == "sim":
                    fut = ex.submit(_task, "sim", job[1], quick, seed, job[2], job[3])
                else:
                    fut = ex.submit(_task, "section", job[1], quick, seed)
                running[fut] = job
            done, _ = wait(list(running), timeout=0.25, return_when=FIRST_COMPLETED)
            drain()
            for fut in done:
                job = running.pop(fut)
                out = fut.result()  # a failure ends the lecture with the section's own error
                n = job[1]
                if job[0] == "sim":
                    waiting[n] -= 1
                    if not waiting[n]:
                        ready.append((cost[n], ("section", n)))
                else:
                    results[n] = out
                    if on_section is not None:
                        on_section(len(results), len(nums), out)
        drain()
    except BaseException:
        ex.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        ex.shutdown(wait=True)
    finally:
        restore_env(saved)


def run_lecture(
    out: str | Path = "runs/lecture",
    *,
    sections: Iterable[int] | str | None = None,
    quick: bool = False,
    seed: int = 0,
    on_section: Callable[[int, int, Any], None] | None = None,
    on_progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> tuple[list[Any], dict[str, Path]]:
    """Run the sections (see :func:`run_sections`) and write ``report.html``, ``report.md``, ``results.json``, ``figures/``."""
    env = environment(seed=seed, quick=quick)
    workers = default_workers() if workers is None else workers
    t0 = time.perf_counter()
    results = run_sections(sections, quick=quick, seed=seed, on_section=on_section, on_progress=on_progress,
                           workers=workers)
    env["total time"] = f"{time.perf_counter() - t0:.1f} s"
    env["processes"] = workers
    env["CPU time of the sections"] = f"{sum(r.cpu_seconds for r in results):.1f} s (simulation workers not included)"
    intro = (
        "Each section states a claim of the lecture *Introduction to Neural Networks and Deep "
        "Learning*, runs the experiment with physnn, and prints the measured figure of merit "
        "next to the claim — **PASS** or **FAIL**, as measured. Regenerate it with "
        "`physnn lecture`; change a section by editing its module in `physnn/lecture/`."
    )
    paths = write_lecture_report(results, out, title="The lecture, executable — measured evidence",
                                 intro=intro, env=env)
    return results, paths


def count_checks(results: Iterable[Any]) -> dict[str, tuple[int, int]]:
    """``{"lecture": (passed, total), "self-check": (passed, total)}`` over the sections' checks.

    The lecture's claims and physnn's checks of itself (NumPy against torch, solver
    exactness, parameter counts) are counted apart: only the first say anything
    about the lecture.
    """
    from physnn.lecture.base import LECTURE, SELF_CHECK

    out = {LECTURE: [0, 0], SELF_CHECK: [0, 0]}
    for r in results:
        for c in r.checks:
            key = LECTURE if c.kind == LECTURE else SELF_CHECK
            out[key][0] += int(c.passed)
            out[key][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _css() -> str:
    """The reports' style sheet plus the lecture report's: contents, maths."""
    from physnn.viz.report import REPORT_CSS

    return REPORT_CSS + """
nav.toc { background: #f7fafc; border: 1px solid #e2e8f0; padding: .5em 1.2em; }
.math { font-family: "Cambria Math", "STIX Two Math", "Latin Modern Math", Georgia, serif; font-style: italic; }
.math.display { display: block; text-align: center; margin: .6em 0; }
"""


def write_lecture_report(results: list[Any], out_dir: str | Path, *, title: str, intro: str = "",
                         env: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``report.html`` (self-contained), ``report.md``, ``figures/*.png`` and ``results.json``.

    The headline counts the lecture's claims and physnn's self-checks apart
    (:func:`count_checks`); a table of contents and the summary table link to
    each section. Every file is written atomically.

    Returns ``{"html": path, "markdown": path, "json": path}``.
    """
    import base64
    import html

    from physnn.files import atomic_write, write_json, write_text
    from physnn.lecture.base import LECTURE, section_markdown
    from physnn.lecture.notes import exercises_html, glossary_markdown
    from physnn.lecture.mathtext import render_math
    from physnn.viz.report import markdown_to_html

    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    env = env or {}
    counts = count_checks(results)
    (lp, ln), (sp, sn) = counts[LECTURE], counts["self-check"]
    headline = (f"**The lecture's claims: {lp} of {ln} confirmed by these experiments.** "
                f"physnn's self-checks (not claims of the lecture): {sp} of {sn} pass.")
    if lp < ln:
        headline += (" A FAIL row reads \"this experiment does not confirm the claim\", with the reason in the "
                     "section's text — not \"the lecture is wrong\".")
    summary = ["| section | lecture claims confirmed | self-checks passed | time | CPU time |", "|---|---|---|---|---|"]
    for r in results:
        lec = [c for c in r.checks if c.kind == LECTURE]
        slf = [c for c in r.checks if c.kind != LECTURE]
        fmt = lambda cs: "—" if not cs else f"{sum(c.passed for c in cs)} of {len(cs)}" + (  # noqa: E731
            "" if all(c.passed for c in cs) else " (not all confirmed)")
        cpu = getattr(r, "cpu_seconds", 0.0)
        summary.append(f"| [{r.number}. {r.title}](#section-{r.number}) | {fmt(lec)} | {fmt(slf)} | "
                       f"{r.seconds:.1f} s | {f'{cpu:.1f} s' if cpu else ''} |")
    env_md = "| setting | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in env.items())
    head = [f"# {title}", ""] + ([intro, ""] if intro else []) + [
        headline, "", "### Summary", "", "\n".join(summary), "", "### Environment", "", env_md, ""]
    toc = ('<nav class="toc"><strong>Contents</strong><ol>'
           + "".join(f'<li value="{r.number}"><a href="#section-{r.number}">{html.escape(r.title)}</a></li>'
                     for r in results) + '</ol><a href="#glossary">Glossary</a></nav>')
    md_parts = list(head)
    html_parts = [markdown_to_html("\n".join(head[:4 if intro else 2])), toc,
                  markdown_to_html("\n".join(head[4 if intro else 2:]))]
    for r in results:
        md_parts.append(section_markdown(r, "figures"))
        for f in r.figures:
            with atomic_write(out / "figures" / f.name, "wb") as fh:
                fh.write(f.png)
        body = render_math(markdown_to_html(section_markdown(r, None)))
        for k, f in enumerate(r.figures):
            data = base64.b64encode(f.png).decode("ascii")
            body = body.replace(f"<p>@@FIGURE{k}@@</p>",
                                f'<figure><img alt="{html.escape(f.caption)}" src="data:image/png;base64,{data}">'
                                f"<figcaption>{html.escape(f.caption)}</figcaption></figure>")
        body = body.replace("<p>@@NOTES@@</p>", exercises_html(r.number))
        html_parts.append(f'<section id="section-{r.number}">{body}<p><a href="#top">↑ contents</a></p></section>')
    glossary = "\n".join(["## Glossary", "", glossary_markdown(), ""])
    md_parts.append(glossary)
    html_parts.append(f'<section id="glossary">{markdown_to_html(glossary)}</section>')
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_css()}</style></head><body id=\"top\">\n"
            + "\n".join(html_parts) + "\n</body></html>\n")
    paths = {"html": write_text(out / "report.html", page), "markdown": write_text(out / "report.md", "\n".join(md_parts))}

    def num(v: Any) -> Any:
        try:
            import math

            return v if v is None or math.isfinite(float(v)) else str(v)
        except (TypeError, ValueError):
            return str(v)

    paths["json"] = write_json(out / "results.json", {
        "title": title, "environment": {k: str(v) for k, v in env.items()},
        "lecture_claims": {"passed": lp, "checks": ln}, "self_checks": {"passed": sp, "checks": sn},
        "passed": lp + sp, "checks": ln + sn,
        "sections": [{"number": r.number, "title": r.title, "seconds": round(r.seconds, 3),
                      "cpu_seconds": round(getattr(r, "cpu_seconds", 0.0), 3),
                      "checks": [{"claim": c.claim, "kind": c.kind, "expected": c.expected, "measured": c.measured,
                                  "passed": bool(c.passed), "value": num(c.value)} for c in r.checks],
                      "figures": [f"figures/{f.name}" for f in r.figures]} for r in results],
    })
    return paths
