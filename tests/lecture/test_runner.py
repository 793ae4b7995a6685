"""The lecture runner and its command: section selection, progress lines, errors."""

import pytest

from physnn.cli.app import main
from physnn.errors import PhysnnError
from physnn.lecture import SECTIONS, parse_sections


def test_parse_sections():
    assert parse_sections(None) == sorted(SECTIONS) == list(range(1, max(SECTIONS) + 1))
    assert parse_sections("2,5,9") == [2, 5, 9]
    assert parse_sections("9,1-3") == [1, 2, 3, 9]
    for bad in ("0", str(max(SECTIONS) + 1), "a", "3-x", ","):
        with pytest.raises(PhysnnError):
            parse_sections(bad)


def test_every_section_module_declares_number_and_title():
    import importlib

    for n, mod in SECTIONS.items():
        m = importlib.import_module(mod)
        assert m.NUMBER == n and isinstance(m.TITLE, str) and callable(m.run)


#: every section is written in the shape experiment -> figures -> write_up
SHAPED = range(1, 16)


def test_sections_have_one_shape_experiment_figures_write_up():
    import importlib
    import inspect

    for n in SHAPED:
        m = importlib.import_module(SECTIONS[n])
        assert list(inspect.signature(m.experiment).parameters) == ["quick", "seed"], n
        assert list(inspect.signature(m.figures).parameters) == ["m"], n
        assert list(inspect.signature(m.write_up).parameters) == ["m", "figs", "started"], n
        assert "SectionResult(" not in inspect.getsource(m), f"section {n} builds its result by hand, not with result_block"


def test_run_is_experiment_then_figures_then_write_up():
    import time

    from physnn.lecture import neuron

    res = neuron.run(quick=True, seed=3)
    m = neuron.experiment(quick=True, seed=3)
    again = neuron.write_up(m, neuron.figures(m), started=time.perf_counter())
    assert (again.number, again.title, again.claim, again.code) == (neuron.NUMBER, neuron.TITLE, neuron.CLAIM,
                                                                    neuron.CODE)
    assert again.data == res.data and again.text == res.text and again.tables == res.tables
    assert [(c.claim, c.measured, c.passed) for c in again.checks] == [(c.claim, c.measured, c.passed)
                                                                       for c in res.checks]
    assert [f.name for f in again.figures] == [f.name for f in res.figures] and again.seconds >= 0


def test_cli_lecture_writes_report(tmp_path, capsys):
    from physnn.lecture import neuron

    assert main(["lecture", "--sections", "1", "--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    assert f"[1/1] 1. {neuron.TITLE}" in out
    assert (tmp_path / "report.html").exists() and (tmp_path / "report.md").exists()
    md = (tmp_path / "report.md").read_text()
    assert "| seed | 0 |" in md and "| torch |" in md and "| python |" in md


def test_cli_lecture_bad_section(capsys):
    assert main(["lecture", "--sections", "42"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "section 42 does not exist" in err


def test_parallel_runner_gives_the_serial_numbers():
    # two spawn workers, one torch/BLAS thread each, against this process: each section starts from the
    # same state, so the same seed gives the same numbers whatever the scheduling
    from physnn.lecture.report import run_sections

    seen = []
    par = run_sections("1,5", quick=True, seed=0, workers=2, on_section=lambda i, n, r: seen.append((i, n, r.number)))
    ser = run_sections("1,5", quick=True, seed=0, workers=1)
    assert [r.number for r in par] == [r.number for r in ser] == [1, 5]  # section order, whatever finished first
    assert sorted(seen) == [(1, 2, 1), (2, 2, 5)] or sorted(seen) == [(1, 2, 5), (2, 2, 1)]
    for a, b in zip(par, ser):
        assert a.data == b.data and [c.measured for c in a.checks] == [c.measured for c in b.checks]
        assert a.cpu_seconds > 0 and a.seconds > 0


def test_progress_lines_reach_the_callback_with_the_section_number(monkeypatch):
    from physnn.lecture import neuron
    from physnn.lecture.base import progress, timed
    from physnn.lecture.report import run_sections

    def fake_run(*, quick, seed):
        with timed("simulating"):
            progress("half way")
        return real(quick=quick, seed=seed)

    real = neuron.run
    monkeypatch.setattr(neuron, "run", fake_run)
    lines = []
    run_sections("1", quick=True, workers=1, on_progress=lines.append)
    assert lines[0] == "1. simulating ..." and lines[1] == "1. half way"
    assert lines[2].startswith("1. simulating: done in ") and "CPU s)" in lines[2]
    progress("after the run")  # the runner unhooked itself: nothing more arrives
    assert len(lines) == 3


def test_cli_lecture_workers_option(tmp_path, capsys):
    assert main(["lecture", "--sections", "1", "--out", str(tmp_path), "--quick", "--workers", "1"]) == 0
    assert "| processes | 1 |" in (tmp_path / "report.md").read_text()
    assert main(["lecture", "--sections", "1", "--out", str(tmp_path / "b"), "--workers", "0"]) == 2
    assert "workers" in capsys.readouterr().err


def _fake_section(number=3):
    import time

    from physnn.lecture.base import SELF_CHECK, Check, Figure, result_block

    png = (b"\x89PNG\r\n\x1a\n" + bytes(4) + b"IHDR" + (400).to_bytes(4, "big") + (300).to_bytes(4, "big"))
    return result_block(
        "physnn.lecture.activations", started=time.perf_counter(), text="what was **done**",
        checks=[Check("a claim that holds", "< 1", "0.5", passed=True, value=0.5),
                Check("a claim not confirmed", "< 1", "2.0", passed=False, value=2.0),
                Check("physnn agrees with torch", "< 1e-10", "1e-12", passed=True, value=1e-12, kind=SELF_CHECK)],
        figures=[Figure("a.png", png, "a caption")], tables=["| a | b |\n|---|---|\n| 1 | 2 |"])


def test_report_counts_lecture_claims_and_self_checks_apart(tmp_path):
    import json

    from physnn.lecture.report import count_checks, write_lecture_report

    sec = _fake_section()
    assert count_checks([sec]) == {"lecture": (1, 2), "self-check": (1, 1)}
    paths = write_lecture_report([sec], tmp_path, title="T", intro="intro", env={"seed": 0})
    md = paths["markdown"].read_text()
    assert "The lecture's claims: 1 of 2 confirmed" in md and "self-checks (not claims of the lecture): 1 of 1" in md
    assert "FAIL: this experiment does not confirm it" in md and "**Self-checks of physnn**" in md
    assert "[3. " in md and "(#section-3)" in md  # the summary links to the section
    html = paths["html"].read_text()
    assert 'nav class="toc"' in html and 'href="#section-3"' in html and 'id="section-3"' in html
    assert "data:image/png;base64," in html and "@@FIGURE" not in html
    assert "<details><summary>Answer</summary>" in html and "@@NOTES" not in html  # exercises, answers folded
    assert 'id="glossary"' in html and "τ₃₂" in html and 'href="#glossary"' in html
    assert "**Exercises**" in md and "*Answer:*" in md and "Glorot" in md  # references of section 3
    res = json.loads(paths["json"].read_text())
    assert res["lecture_claims"] == {"passed": 1, "checks": 2} and res["self_checks"] == {"passed": 1, "checks": 1}
    assert [c["kind"] for c in res["sections"][0]["checks"]] == ["lecture", "lecture", "self-check"]
    assert (tmp_path / "figures" / "a.png").read_bytes() == sec.figures[0].png


def test_section_result_displays_in_jupyter():
    sec = _fake_section()
    html = sec._repr_html_()
    assert html.startswith('<section id="section-3">') and "<strong>done</strong>" in html
    assert "data:image/png;base64," in html and "a caption" in html and "<table>" in html
    assert "FAIL: this experiment does not confirm it" in html
    assert "<details>" in html and "@@NOTES" not in html


def test_every_section_has_exercises_and_references():
    from physnn.lecture.notes import EXERCISES, REFERENCES

    for n in SECTIONS:
        assert len(EXERCISES[n]) >= 2 and all(q and a for q, a in EXERCISES[n]), n
        assert REFERENCES[n], n


def test_maths_renders_without_anything_fetched():
    from physnn.lecture.mathtext import latex_to_html, render_math

    assert latex_to_html(r"\frac{\partial L}{\partial w_i}") == "(∂ L)/(∂ w<sub>i</sub>)"
    assert latex_to_html(r"\mathcal O(\varepsilon^2)") == "𝒪(ε<sup>2</sup>)"
    out = render_math("<p>$$\\delta^{(L)} = a$$ and $\\eta$; a lone $PHYSNN_CACHE stays</p>")
    assert '<span class="math display">δ<sup>(L)</sup> = a</span>' in out
    assert '<span class="math">η</span>' in out and "$PHYSNN_CACHE" in out
