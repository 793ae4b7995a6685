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
