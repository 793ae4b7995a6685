"""Section 15 (cells) in quick mode: the section's claims pass as measured (slow: ~15 CPU s)."""

import pytest


@pytest.mark.slow
def test_cells_section_quick():
    from physnn.lecture import cells
    from physnn.lecture.base import png_size

    res = cells.run(quick=True, seed=0)
    assert res.number == 15 and len(res.figures) == 5 and all(min(png_size(f.png)) >= 300 for f in res.figures)
    # every claim of the section holds: weight sharing, the AP of a hand-made merge, U-Net beats
    # Otsu + watershed, phenotype accuracy >= 0.6, tracking TRA >= 0.95
    assert res.passed, [(c.claim, c.measured) for c in res.checks if not c.passed]
    assert res.data["merged_ap"] == pytest.approx(0.5, abs=1e-12)
    assert res.check("lineage").value >= 0.95 and res.data["tra"] >= 0.95
    assert res.check("phenotypes").value >= 0.6
