"""The report writer: self-contained HTML, Markdown with figure files, JSON of checks."""

import base64
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from physnn.lecture.base import Check, SectionResult, figure_from_matplotlib
from physnn.viz.report import markdown_to_html, write_report


def _section():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    f = figure_from_matplotlib(fig, "line.png", "A falling line")
    return SectionResult(
        number=3, title="Demo", claim="Loss falls.", text="Some **bold** text with `code`.",
        figures=[f], tables=["| a | b |\n|---|---|\n| 1 | 2 |"],
        checks=[Check("loss falls", "< 1", "0.5", True, 0.5), Check("x is big", "> 10", "3", False, 3.0)],
        code="print('hi')", output="Epoch 0: Loss = 1.0000", seconds=1.25,
    )


def test_write_report_files_and_content(tmp_path):
    sec = _section()
    paths = write_report([sec], tmp_path, title="T", env={"seed": 0, "torch": "x"})
    page = paths["html"].read_text()
    assert page.startswith("<!DOCTYPE html>")
    # figure embedded: the exact PNG bytes are in the page as base64
    assert base64.b64encode(sec.figures[0].png).decode() in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from the network
    assert '<span class="pass">PASS</span>' in page and '<span class="fail">FAIL</span>' in page
    assert "1 of 2 claims confirmed" in page
    md = paths["markdown"].read_text()
    assert "![A falling line](figures/line.png)" in md
    assert (tmp_path / "figures" / "line.png").read_bytes() == sec.figures[0].png
    assert "| seed | 0 |" in md and "Epoch 0: Loss = 1.0000" in md
    res = json.loads(paths["json"].read_text())
    assert res["passed"] == 1 and res["checks"] == 2
    assert res["sections"][0]["checks"][1] == {"claim": "x is big", "expected": "> 10", "measured": "3",
                                               "passed": False, "value": 3.0}


def test_markdown_subset():
    h = markdown_to_html("# H\n\n- a\n- b\n\n```python\nx < 1\n```\n\n> quote *it*")
    assert "<h1>H</h1>" in h and "<ul><li>a</li><li>b</li></ul>" in h
    assert "<pre><code class=\"language-python\">x &lt; 1</code></pre>" in h
    assert "<blockquote>quote <em>it</em></blockquote>" in h
