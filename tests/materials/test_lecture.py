"""Section 14 of the lecture report (quick mode is ~20 CPU s: marked slow)."""

import pytest

pytest.importorskip("dscribe")

from physnn.lecture import materials as section  # noqa: E402


def test_section_metadata():
    assert section.NUMBER == 14
    assert section.TITLE.startswith("Materials science")


@pytest.mark.slow
def test_quick_section_runs_and_measures():
    res = section.run(quick=True, seed=0)
    assert len(res.checks) == 5 and len(res.figures) == 2
    assert res.check("pure element").passed and res.check("bulk modulus").passed
    assert res.check("'inner'").passed
    assert 100 < res.data["bulk_modulus_cu"] < 170
