"""Self-contained reports: HTML with embedded figures, and the same content as Markdown.

:func:`write_report` takes a list of report *sections* (anything with the
fields of :class:`physnn.lecture.base.SectionResult`: number, title, claim,
text, figures, tables, checks, code, output, seconds) and writes

* ``report.html`` — one file, figures embedded as base64 PNG, no network needed;
* ``report.md`` — the same text, figures as files under ``figures/``;
* ``results.json`` — every check (claim, expected, measured, PASS/FAIL) and timing.

All files are written atomically.  Markdown is converted by a small built-in
converter (headings, paragraphs, lists, pipe tables, code, bold/italic), so no
extra dependency is needed.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from physnn.files import atomic_write, write_json, write_text

__all__ = ["write_report", "markdown_to_html", "REPORT_CSS"]

#: the reports' style sheet (the lecture report adds its own rules to it)
REPORT_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #1b1b1b; font-size: 17px; }
h1 { border-bottom: 3px solid #2c5282; padding-bottom: .3em; }
h2 { border-bottom: 1px solid #cbd5e0; padding-bottom: .2em; margin-top: 2.2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 15px; }
th, td { border: 1px solid #cbd5e0; padding: .35em .7em; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
code { background: #f1f5f9; padding: .1em .3em; border-radius: 3px; font-size: 90%; }
pre { background: #f8fafc; border: 1px solid #e2e8f0; padding: .8em; overflow-x: auto; font-size: 14px; }
pre code { background: none; padding: 0; }
blockquote { border-left: 4px solid #90cdf4; margin: 1em 0; padding: .2em 1em; background: #f0f9ff; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #e2e8f0; }
figcaption { font-size: 15px; color: #4a5568; }
.pass { color: #1f7a1f; font-weight: bold; } .fail { color: #b91c1c; font-weight: bold; }
.env td:first-child { font-weight: bold; }
"""


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", out)
    out = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', out)
    return out


def markdown_to_html(md: str) -> str:
    """Convert the Markdown subset the reports use into HTML.

        >>> markdown_to_html("**Claim**: loss falls\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |")
        '<p><strong>Claim</strong>: loss falls</p>\\n<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>'
    """
    lines = md.splitlines()
    out: list[str] = []
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(" ".join(s.strip() for s in para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s.startswith("```"):
            flush()
            lang = s[3:].strip()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            cls = f' class="language-{html.escape(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>" + html.escape("\n".join(block)) + "</code></pre>")
            i += 1
            continue
        if s.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-{3,}", lines[i + 1].strip()):
            flush()
            head = [c.strip() for c in s.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            t = "<table><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in head) + "</tr>"
            for r in rows:
                t += "<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>"
            out.append(t + "</table>")
            continue
        m = re.match(r"^(#{1,4})\s+(.*)$", s)
        if m:
            flush()
            n = len(m.group(1))
            out.append(f"<h{n}>{_inline(m.group(2))}</h{n}>")
            i += 1
            continue
        if re.match(r"^([-*]|\d+\.)\s+", s):
            flush()
            ordered = bool(re.match(r"^\d+\.", s))
            items = []
            while i < len(lines) and re.match(r"^([-*]|\d+\.)\s+", lines[i].strip()):
                items.append(re.sub(r"^([-*]|\d+\.)\s+", "", lines[i].strip()))
                i += 1
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(it)}</li>" for it in items) + f"</{tag}>")
            continue
        if s.startswith(">"):
            flush()
            quote = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].strip())
                i += 1
            paras = [p for p in " ".join(q if q else "\n" for q in quote).split("\n") if p.strip()]
            inner = _inline(paras[0].strip()) if len(paras) == 1 else "".join(
                f"<p>{_inline(p.strip())}</p>" for p in paras)
            out.append("<blockquote>" + inner + "</blockquote>")
            continue
        if not s:
            flush()
        else:
            para.append(line)
        i += 1
    flush()
    return "\n".join(out)


def _cell(c: str) -> str:
    if c == "PASS":
        return '<span class="pass">PASS</span>'
    if c == "FAIL":
        return '<span class="fail">FAIL</span>'
    return _inline(c)


def _check_table(checks: list[Any]) -> str:
    if not checks:
        return ""
    lines = ["| claim | expected | measured | verdict |", "|---|---|---|---|"]
    for c in checks:
        cells = [str(x).replace("|", "\\|").replace("\n", " ") for x in (c.claim, c.expected, c.measured)]
        lines.append(f"| {cells[0]} | {cells[1]} | {cells[2]} | {c.status} |")
    return "\n".join(lines)


def _section_markdown(sec: Any, fig_dir: str | None) -> tuple[str, list[tuple[str, Any]]]:
    """Markdown for one section; figure references are returned separately."""
    parts = [f"## {sec.number}. {sec.title}", ""]
    if sec.claim:
        parts += ["> " + ln if ln.strip() else ">" for ln in sec.claim.strip().splitlines()] + [""]
    if sec.text:
        parts += [sec.text, ""]
    table = _check_table(sec.checks)
    if table:
        parts += ["**Claims and measurements**", "", table, ""]
    for t in sec.tables:
        parts += [t, ""]
    figs = []
    for k, f in enumerate(sec.figures):
        if fig_dir is None:  # HTML: a placeholder replaced by the embedded image
            parts += [f"@@FIGURE{k}@@", ""]
            continue
        ref = f"{fig_dir}/{f.name}"
        parts += [f"![{f.caption}]({ref})", "", f"*{f.caption}*", ""]
        figs.append((ref, f))
    if sec.output:
        parts += ["Output:", "", "```", sec.output.rstrip(), "```", ""]
    if sec.code:
        parts += ["Try it:", "", "```python", sec.code.strip(), "```", ""]
    parts += [f"*Section time: {sec.seconds:.1f} s*", ""]
    return "\n".join(parts), figs


def _env_markdown(env: dict[str, Any]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in env.items())
    return "| setting | value |\n|---|---|\n" + rows


def _summary_markdown(sections: list[Any]) -> str:
    lines = ["| section | checks passed | time | CPU time |", "|---|---|---|---|"]
    for s in sections:
        n = len(s.checks)
        ok = sum(c.passed for c in s.checks)
        verdict = "no checks (not yet implemented)" if n == 0 else f"{ok} of {n}" + ("" if ok == n else " — FAIL")
        cpu = getattr(s, "cpu_seconds", 0.0)
        lines.append(f"| {s.number}. {s.title} | {verdict} | {s.seconds:.1f} s | {f'{cpu:.1f} s' if cpu else ''} |")
    return "\n".join(lines)


def write_report(
    sections: list[Any],
    out_dir: str | Path,
    *,
    title: str,
    intro: str = "",
    env: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``report.html``, ``report.md``, ``figures/*.png`` and ``results.json`` into ``out_dir``."""
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    env = env or {}
    n_checks = sum(len(s.checks) for s in sections)
    n_pass = sum(c.passed for s in sections for c in s.checks)
    head = [f"# {title}", ""]
    if intro:
        head += [intro, ""]
    head += [f"**{n_pass} of {n_checks} claims confirmed by measurement.**", "",
             "### Environment", "", _env_markdown(env), "", "### Summary", "", _summary_markdown(sections), ""]

    md_parts = list(head)
    html_parts = [markdown_to_html("\n".join(head))]
    for sec in sections:
        md, figs = _section_markdown(sec, "figures")
        md_parts.append(md)
        for ref, f in figs:
            with atomic_write(out / ref, "wb") as fh:
                fh.write(f.png)
        # HTML: same markdown, figures embedded
        md_html, _ = _section_markdown(sec, None)
        body = markdown_to_html(md_html)
        for k, f in enumerate(sec.figures):
            data = base64.b64encode(f.png).decode("ascii")
            img = (f'<figure><img alt="{html.escape(f.caption)}" src="data:image/png;base64,{data}">'
                   f"<figcaption>{_inline(f.caption)}</figcaption></figure>")
            body = body.replace(f"<p>@@FIGURE{k}@@</p>", img)
        html_parts.append(f'<section id="section-{sec.number}">{body}</section>')

    md_text = "\n".join(md_parts)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{REPORT_CSS}</style></head><body>\n"
        + "\n".join(html_parts)
        + "\n</body></html>\n"
    )
    paths = {
        "html": write_text(out / "report.html", page),
        "markdown": write_text(out / "report.md", md_text),
    }
    paths["json"] = write_json(out / "results.json", {
        "title": title,
        "environment": {k: str(v) for k, v in env.items()},
        "passed": n_pass,
        "checks": n_checks,
        "sections": [
            {
                "number": s.number, "title": s.title, "seconds": round(s.seconds, 3),
                "cpu_seconds": round(getattr(s, "cpu_seconds", 0.0), 3),
                "checks": [{"claim": c.claim, "expected": c.expected, "measured": c.measured,
                            "passed": bool(c.passed), "value": c.value if c.value is None or _finite(c.value) else str(c.value)}
                           for c in s.checks],
                "figures": [f"figures/{f.name}" for f in s.figures],
            }
            for s in sections
        ],
    })
    return paths


def _finite(v: Any) -> bool:
    try:
        import math

        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False
