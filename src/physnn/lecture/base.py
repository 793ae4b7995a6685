"""What every lecture section returns: text, figures, tables and checked claims.

A section is a function ``run(*, quick=False, seed=0) -> SectionResult``.  It
states the lecture's claim, runs the experiment on physnn, and records each
measured figure of merit next to the claim as a :class:`Check` that passes or
fails honestly — the report shows both.  Every section has the same shape:
``experiment`` returns the measured numbers, ``figures`` draws them, and
``write_up`` writes the result block with :func:`result_block`.

    >>> c = Check("XOR accuracy of a 2-4-1 MLP", expected="4 of 4", measured="4 of 4", passed=True, value=1.0)
    >>> c.status
    'PASS'
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "Figure", "SectionResult", "result_block", "figure_from_matplotlib", "markdown_table", "subplots", "PROJECTOR_STYLE",
           "progress", "set_progress", "timed", "png_size", "mean_ci", "clopper_pearson", "section_markdown",
           "LECTURE", "SELF_CHECK"]

#: :attr:`Check.kind` of a claim the lecture makes (the report's headline counts these)
LECTURE = "lecture"
#: :attr:`Check.kind` of a check of physnn itself (NumPy against torch, solver exactness, parameter counts)
SELF_CHECK = "self-check"

#: where :func:`progress` sends its lines (set by the runner; ``None``: nowhere)
_PROGRESS: Callable[[str], None] | None = None


def set_progress(callback: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """Send :func:`progress` lines to ``callback`` (``None``: drop them); returns the previous one."""
    global _PROGRESS
    old, _PROGRESS = _PROGRESS, callback
    return old


def progress(message: str) -> None:
    """Report a line from a long phase of a section (e.g. a simulation) to whoever runs the lecture.

    The runner (:func:`physnn.lecture.report.run_sections`) forwards it to its
    ``on_progress`` callback, from worker processes too; the CLI prints it.

        >>> lines = []
        >>> old = set_progress(lines.append)
        >>> progress("simulating 10 jets ... 50%")
        >>> _ = set_progress(old)
        >>> lines
        ['simulating 10 jets ... 50%']
    """
    if _PROGRESS is not None:
        _PROGRESS(message)


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Report ``what ...`` when a phase starts and ``what: done in X s (Y CPU s)`` when it ends."""
    progress(f"{what} ...")
    t0, c0 = time.perf_counter(), time.process_time()
    yield
    progress(f"{what}: done in {time.perf_counter() - t0:.1f} s ({time.process_time() - c0:.1f} CPU s)")


@dataclass
class Check:
    """One claim of the lecture and what physnn measured for it."""

    claim: str  #: the lecture's claim, in one line
    expected: str  #: what would confirm it (e.g. "< 1e-7", "4 of 4")
    measured: str  #: what was measured, formatted for a reader
    passed: bool
    value: float | None = None  #: the raw number, for tests
    kind: str = LECTURE  #: :data:`LECTURE` (a claim of the lecture) or :data:`SELF_CHECK` (physnn checking itself)

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    @property
    def verdict(self) -> str:
        """How the report reads the row: "PASS", or "FAIL: this experiment does not confirm it"."""
        if self.passed:
            return "PASS"
        return "FAIL: this experiment does not confirm it" if self.kind == LECTURE else "FAIL: physnn's self-check failed"


@dataclass
class Figure:
    """A PNG image with its file name (without directory) and caption."""

    name: str  #: e.g. "xor_boundaries.png"
    png: bytes
    caption: str


@dataclass
class SectionResult:
    """The outcome of one lecture section."""

    number: int
    title: str
    claim: str  #: the lecture's words this section puts to the test (markdown)
    text: str = ""  #: what was done and what it shows (markdown)
    figures: list[Figure] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  #: markdown tables
    checks: list[Check] = field(default_factory=list)
    code: str = ""  #: a short code excerpt a student can run (python)
    output: str = ""  #: printed output to show verbatim (e.g. the Epoch lines)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  #: CPU time of the process that ran it (its worker processes not included)
    data: dict[str, Any] = field(default_factory=dict)  #: raw numbers for tests

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def _repr_html_(self) -> str:
        """The section as HTML (text, tables and figures inline), so a Jupyter cell displays it."""
        import base64
        import html

        from physnn.viz.report import markdown_to_html

        from physnn.lecture.mathtext import render_math

        body = render_math(markdown_to_html(section_markdown(self, None)))
        for k, f in enumerate(self.figures):
            data = base64.b64encode(f.png).decode("ascii")
            img = (f'<figure><img style="max-width:100%" alt="{html.escape(f.caption)}" '
                   f'src="data:image/png;base64,{data}"><figcaption>{html.escape(f.caption)}</figcaption></figure>')
            body = body.replace(f"<p>@@FIGURE{k}@@</p>", img)
        from physnn.lecture.notes import exercises_html

        body = body.replace("<p>@@NOTES@@</p>", exercises_html(self.number))
        return f'<section id="section-{self.number}">{body}</section>'

    def check(self, claim: str) -> Check:
        """The check whose claim contains ``claim`` (for tests)."""
        for c in self.checks:
            if claim.lower() in c.claim.lower():
                return c
        raise KeyError(f"no check matching {claim!r}; checks: {[c.claim for c in self.checks]}")


def result_block(
    section: str,
    *,
    started: float,
    checks: list[Check],
    text: str,
    figures: list[Figure] | None = None,
    tables: list[str] | None = None,
    output: str = "",
    data: dict[str, Any] | None = None,
) -> SectionResult:
    """The result block every section returns: its own words beside what it measured.

    Every section has the same shape: ``experiment`` (the measured numbers) →
    ``figures`` (drawn from those numbers) → ``text``, which writes this block.
    The section's ``NUMBER``, ``TITLE``, ``CLAIM`` and ``CODE`` are read from its
    module, so they are written once, at the top of the module.

    Parameters
    ----------
    section : str
        The section's module name (``__name__`` inside it).
    started : float
        ``time.perf_counter()`` when the section started; ``seconds`` is measured from it.
    checks : list of Check
        The rows of the claims table (claim, expected, measured, PASS/FAIL), in order.
    text : str
        What was done and what it shows (markdown).
    figures, tables : list, optional
        The figures (see :func:`figure_from_matplotlib`) and markdown tables, in order.
    output : str, optional
        Printed output to show verbatim.
    data : dict, optional
        The raw numbers, for tests.

    Returns
    -------
    SectionResult

    Examples
    --------
    >>> import time
    >>> res = result_block("physnn.lecture.backprop", started=time.perf_counter(), text="",
    ...                    checks=[Check("a claim", "< 1", "0.5", passed=True, value=0.5)])
    >>> res.number, res.title, res.passed, res.code.startswith("import torch")
    (5, 'Backpropagation made visible', True, True)
    """
    import importlib

    mod = importlib.import_module(section)
    return SectionResult(
        number=mod.NUMBER,
        title=mod.TITLE,
        claim=mod.CLAIM,
        text=text,
        figures=list(figures or []),
        tables=list(tables or []),
        checks=list(checks),
        code=getattr(mod, "CODE", ""),
        output=output,
        seconds=time.perf_counter() - started,
        data=dict(data or {}),
    )


def _cell(text: Any) -> str:
    # a "|" inside a cell (|x − y|) would split the pipe table: write it as "∣" (U+2223), which looks the same
    return str(text).replace("|", "\u2223").replace("\n", " ")


def section_markdown(sec: SectionResult, fig_dir: str | None) -> str:
    """One section as markdown: heading, claim, text, the claims table, tables, figures, output, code.

    Figures are ``![caption](fig_dir/name)`` or, with ``fig_dir=None``, placeholders
    ``@@FIGURE<k>@@`` on their own line for an HTML writer to replace.  The claims
    table marks each row as a lecture claim or a self-check of physnn, and a FAIL
    row reads "this experiment does not confirm it".
    """
    parts = [f"## {sec.number}. {sec.title}", ""]
    if sec.claim:
        lines = sec.claim.strip().splitlines()
        quoted = all(ln.lstrip().startswith(">") for ln in lines if ln.strip())  # already a blockquote
        parts += (lines if quoted else ["> " + ln if ln.strip() else ">" for ln in lines]) + [""]
    if sec.text:
        parts += [sec.text, ""]
    lecture = [c for c in sec.checks if c.kind == LECTURE]
    selfc = [c for c in sec.checks if c.kind != LECTURE]
    for rows, head in ((lecture, "**The lecture's claims, measured**"),
                       (selfc, "**Self-checks of physnn** (not claims of the lecture)")):
        if rows:
            parts += [head, "", "| claim | expected | measured | verdict |", "|---|---|---|---|"]
            parts += [f"| {_cell(c.claim)} | {_cell(c.expected)} | {_cell(c.measured)} | {c.verdict} |" for c in rows]
            parts += [""]
    for t in sec.tables:
        parts += [t, ""]
    for k, f in enumerate(sec.figures):
        if fig_dir is None:
            parts += [f"@@FIGURE{k}@@", ""]
        else:
            parts += [f"![{f.caption}]({fig_dir}/{f.name})", "", f"*{f.caption}*", ""]
    if sec.output:
        parts += ["Output:", "", "```", sec.output.rstrip(), "```", ""]
    if sec.code:
        parts += ["Try it:", "", "```python", sec.code.strip(), "```", ""]
    from physnn.lecture.notes import notes_markdown

    notes = notes_markdown(sec.number)
    if notes:  # HTML: a placeholder replaced by the exercises with folded answers (notes.exercises_html)
        parts += ["@@NOTES@@", ""] if fig_dir is None else [notes, ""]
    parts += [f"*Section time: {sec.seconds:.1f} s*", ""]
    return "\n".join(parts)


def mean_ci(values: Any, level: float = 0.95) -> tuple[float, float, float]:
    r"""Mean of ``values`` and its Student-t confidence interval: :math:`\bar v \pm t_{n-1}\, s/\sqrt n`.

    With one value the interval is ``(nan, nan)``.

        >>> m, lo, hi = mean_ci([1.0, 2.0, 3.0])
        >>> m, round(lo, 3), round(hi, 3)
        (2.0, -0.484, 4.484)
    """
    import numpy as np
    from scipy import stats

    v = np.asarray(values, dtype=float).ravel()
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - half, m + half


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) confidence interval of a binomial proportion ``k / n`` (scipy's binomtest).

        >>> lo, hi = clopper_pearson(0, 10)
        >>> lo, round(hi, 4)
        (0.0, 0.3085)
    """
    from scipy import stats

    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def figure_from_matplotlib(fig: Any, name: str, caption: str, *, dpi: int = 110) -> Figure:
    """Render a matplotlib figure to PNG bytes (and close it)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return Figure(name=name, png=buf.getvalue(), caption=caption)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG image, read from its header (for tests: byte sizes depend on fonts).

        >>> png_size(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(4) + b"IHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big"))
        (640, 480)
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("png_size: not a PNG image (no PNG signature and IHDR header)")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub-style markdown table.

        >>> print(markdown_table(["a", "b"], [[1, 2.5]]))
        | a | b |
        |---|---|
        | 1 | 2.5 |
    """
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(v) for v in r) + " |")
    return "\n".join(lines)


#: matplotlib settings that read well on a projector
PROJECTOR_STYLE = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "legend.fontsize": 11,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "lines.linewidth": 2.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def subplots(nrows: int = 1, ncols: int = 1, *, width: float = 6.0, height: float = 4.5, **kw: Any):
    """``plt.subplots`` (Agg backend); each panel ``width`` × ``height`` inches.

    The report runner draws every section inside ``plt.rc_context(PROJECTOR_STYLE)``,
    so fonts are large enough for a projector without touching global settings.
    Returns ``(fig, ax)`` for one panel, ``(fig, axes_2d_array)`` otherwise.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    return fig, (axes[0, 0] if nrows == ncols == 1 else axes)
