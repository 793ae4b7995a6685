"""The ``cells`` sub-app: generate, segment and track with the baseline; bad input raises PhysnnError."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from physnn.cli.cells import app
from physnn.errors import PhysnnError

runner = CliRunner()


def test_generate_segment_track(tmp_path):
    r = runner.invoke(app, ["generate", str(tmp_path / "g"), "--n", "2", "--size", "64", "--preset", "easy"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "g" / "images" / "img001.tif").is_file() and (tmp_path / "g" / "masks" / "mask001.tif").is_file()
    r = runner.invoke(app, ["segment", str(tmp_path / "g" / "images" / "img000.tif"), "--model", "baseline",
                            "--mask", str(tmp_path / "g" / "masks" / "mask000.tif"), "--out", str(tmp_path / "p.tif")])
    assert r.exit_code == 0, r.output
    assert "AP@0.5 =" in r.output and (tmp_path / "p.tif").is_file()
    r = runner.invoke(app, ["generate", str(tmp_path / "tl"), "--timelapse", "--frames", "4", "--size", "64", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["track", str(tmp_path / "tl" / "01"), "--out", str(tmp_path / "t"), "--model", "baseline",
                            "--diameter", "22", "--truth", str(tmp_path / "tl" / "01_GT"), "-q"])
    assert r.exit_code == 0, r.output
    assert "link_recall" in r.output and (tmp_path / "t" / "res_track.txt").is_file()
    assert (tmp_path / "t" / "mask003.tif").is_file()


def test_bad_input_raises_physnn_error(tmp_path):
    r = runner.invoke(app, ["generate", str(tmp_path / "x"), "--preset", "medium"])
    assert isinstance(r.exception, PhysnnError) and "'easy', 'hard'" in str(r.exception)
    from physnn.cells.io import write_tiff

    write_tiff(tmp_path / "img.tif", np.zeros((8, 8), np.uint16))
    write_tiff(tmp_path / "mask.tif", np.zeros((8, 9), np.uint16))
    r = runner.invoke(app, ["segment", str(tmp_path / "img.tif"), "--model", "baseline", "--mask",
                            str(tmp_path / "mask.tif")])
    assert isinstance(r.exception, PhysnnError) and "shape" in str(r.exception)
    r = runner.invoke(app, ["segment", str(tmp_path / "img.tif"), "--model", str(tmp_path)])
    assert isinstance(r.exception, PhysnnError) and "no state.json" in str(r.exception)
    r = runner.invoke(app, ["segment", str(tmp_path / "img.tif"), str(tmp_path / "img.tif"), "--mask",
                            str(tmp_path / "mask.tif")])
    assert isinstance(r.exception, PhysnnError) and "one image" in str(r.exception)
