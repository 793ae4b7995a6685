"""Section 13 of the lecture report."""

import pytest


def test_section_metadata():
    from physnn.lecture import fluids

    assert fluids.NUMBER == 13 and "Fluid dynamics" in fluids.TITLE and callable(fluids.run)
    (name, kw), = fluids.simulations(quick=True, seed=2)
    assert name == "simulate" and kw == {"n": 300, "grid": 256, "seed": 2}


@pytest.mark.slow
def test_section_quick_confirms_its_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("PHYSNN_CACHE", str(tmp_path))  # the data set is cached: keep it out of the user's cache
    from physnn.lecture import fluids

    r = fluids.run(quick=True)
    assert r.number == 13 and len(r.figures) == 2
    assert r.check("Cole–Hopf").passed and r.check("exact decaying mode").passed
    # the section's own claims: the FNO reaches relative L2 <= 0.05 and is faster than the solver
    fno = r.check("FNO predicts held-out flows")
    assert fno.passed and r.data["fno_rel_l2"] <= 0.05, fno.measured
    speed = r.check("faster than the solver")
    assert speed.passed and speed.value > 1, speed.measured
    assert r.passed, [(c.claim, c.measured) for c in r.checks if not c.passed]
