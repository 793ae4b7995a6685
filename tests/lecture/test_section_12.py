"""Section 12 of the lecture report: jets from Pythia, a tagger, the overtraining test, an autoencoder."""

import pytest


def test_section_metadata():
    from physnn.lecture import hep

    assert hep.NUMBER == 12 and "Particle physics" in hep.TITLE and callable(hep.run)


@pytest.mark.slow
def test_section_quick_runs_and_checks_are_measured(tmp_path, monkeypatch):
    pytest.importorskip("pythia8mc")
    monkeypatch.setenv("PHYSNN_CACHE", str(tmp_path))  # generate fresh jets, keep them out of the user's cache
    from physnn.lecture import hep

    r = hep.run(quick=True)
    assert r.number == 12 and r.figures
    assert 0.5 < r.data["auc_mlp"] <= 1.0  # measured on generated jets, not a constant
    assert r.check("An MLP on jet substructure").value == pytest.approx(r.data["auc_mlp"])
    assert list((tmp_path / "hep").glob("*.parquet"))  # the sample was cached for the next run
