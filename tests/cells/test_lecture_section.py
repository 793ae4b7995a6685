"""Section 15 (cells) in quick mode: every check is a measured claim (slow: ~15 CPU s)."""

import pytest


@pytest.mark.slow
def test_cells_section_quick():
    from physnn.lecture import cells

    res = cells.run(quick=True, seed=0)
    assert res.number == 15 and len(res.figures) == 4 and all(len(f.png) > 1000 for f in res.figures)
    assert res.check("touching nuclei").passed and res.data["merged_ap"] == 0.5
    assert res.check("shares its filters").passed
    c = res.check("beats Otsu")
    assert c.passed == (res.data["ap_unet"] > res.data["ap_otsu"])
    assert res.check("lineage").value == res.data["tra"]
