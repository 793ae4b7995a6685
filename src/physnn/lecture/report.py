"""Run the lecture's sections and write one report (HTML + Markdown + JSON).

    physnn lecture                       # every section -> runs/lecture/report.html
    physnn lecture --sections 2,5,9      # a few
    physnn lecture --quick               # small sizes (about a minute)

From Python::

    from physnn.lecture import run_lecture
    results, paths = run_lecture(out="runs/lecture", sections=[2, 5], quick=True)
"""

from __future__ import annotations

import datetime as _dt
import importlib
import platform
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from physnn.errors import PhysnnError

__all__ = ["SECTIONS", "parse_sections", "run_sections", "run_lecture", "environment"]

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
    """What is needed to repeat the report's numbers."""
    import numpy as np
    import torch

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
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": "cpu",
        "cpu": cpu,
        "torch threads": torch.get_num_threads(),
        "seed": seed,
        "mode": "quick (small sizes)" if quick else "full",
        "command": "physnn " + " ".join(sys.argv[1:]) if Path(sys.argv[0]).name == "physnn" else "python API",
    }


def run_sections(
    sections: Iterable[int] | str | None = None,
    *,
    quick: bool = False,
    seed: int = 0,
    on_section: Callable[[int, int, Any], None] | None = None,
) -> list[Any]:
    """Run the chosen sections in order; ``on_section(i, n, result)`` after each."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from physnn.lecture.base import PROJECTOR_STYLE

    nums = parse_sections(sections)
    results = []
    for i, n in enumerate(nums, 1):
        mod = importlib.import_module(SECTIONS[n])
        t0 = time.perf_counter()
        with plt.rc_context(PROJECTOR_STYLE):
            res = mod.run(quick=quick, seed=seed)
        res.seconds = time.perf_counter() - t0
        results.append(res)
        if on_section is not None:
            on_section(i, len(nums), res)
    return results


def run_lecture(
    out: str | Path = "runs/lecture",
    *,
    sections: Iterable[int] | str | None = None,
    quick: bool = False,
    seed: int = 0,
    on_section: Callable[[int, int, Any], None] | None = None,
) -> tuple[list[Any], dict[str, Path]]:
    """Run the sections and write ``report.html``, ``report.md``, ``results.json``, ``figures/``."""
    from physnn.viz.report import write_report

    env = environment(seed=seed, quick=quick)
    t0 = time.perf_counter()
    results = run_sections(sections, quick=quick, seed=seed, on_section=on_section)
    env["total time"] = f"{time.perf_counter() - t0:.1f} s"
    intro = (
        "Each section states a claim of the lecture *Introduction to Neural Networks and Deep "
        "Learning*, runs the experiment with physnn, and prints the measured figure of merit "
        "next to the claim — **PASS** or **FAIL**, as measured. Regenerate it with "
        "`physnn lecture`; change a section by editing its module in `physnn/lecture/`."
    )
    paths = write_report(results, out, title="The lecture, executable — measured evidence",
                         intro=intro, env=env)
    return results, paths
