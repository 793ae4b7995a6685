"""Section 13 of the lecture report."""

import pytest


def test_section_metadata():
    from physnn.lecture import fluids

    assert fluids.NUMBER == 13 and "Fluid dynamics" in fluids.TITLE and callable(fluids.run)


@pytest.mark.slow
def test_section_quick_runs_and_checks_are_measured():
    from physnn.lecture import fluids

    r = fluids.run(quick=True)
    assert r.number == 13 and len(r.figures) == 2
    assert r.check("Cole–Hopf").passed and r.check("exact decaying mode").passed
    # the FNO's error is a measured number, not a constant: it must lie strictly between 0 and the zero baseline
    assert 0 < r.data["fno_rel_l2"] < 1
    assert r.check("faster than the solver").value > 0
