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
