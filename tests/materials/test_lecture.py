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
    # the learned claims of the section: the network beats both ridge baselines, and it is >= 200x faster
    assert res.check("beats the ridge baselines").passed, res.check("beats the ridge baselines").measured
    assert res.data["mae_meV"] < min(res.data["baselines_meV"].values())
    assert res.check("much faster").passed and res.data["speedup"] >= 200
    assert res.passed


def test_simulations_only_in_full_mode():
    assert section.simulations(quick=True, seed=0) == []
    assert section.simulations(quick=False, seed=4) == [("simulate", {"n": section.N_FULL, "seed": 4, "workers": 1})]
