"""Segmentation runs: the bundled U-Net, predict / export / show through the CLI, fine-tuning, tracking a stack."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest
import torch

from physnn.cells.io import write_tiff
from physnn.cells.metrics import matching
from physnn.cells.segment import PRETRAINED, load_model, load_run, save_model
from physnn.cells.synth import generate
from physnn.cli import app as cli
from physnn.errors import PhysnnError

tifffile = pytest.importorskip("tifffile")
LEGACY = Path(__file__).resolve().parents[1] / "data" / "runs-0.1" / "segmentation"


def call(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = cli.main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def ok(*args) -> str:
    rc, out, err = call(*args)
    assert rc == 0, f"physnn {' '.join(map(str, args))} -> {rc}\n{out}\n{err}"
    return out


def bad(*args, match: str) -> str:
    rc, out, err = call(*args)
    assert rc == 2, (rc, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("physnn: error:") and match in lines[0], err
    return lines[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A segmentation run with an untrained depth-1 U-Net (fast; its masks are not meaningful)."""
    from physnn.nn.conv import UNet

    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("runs") / "tiny"
    save_model(UNet(1, 3, depth=1, base=4).eval(), d, diameter=20.0, seed=0)
    return d


def test_bundled_model_is_a_small_segmentation_run():
    state = json.loads((PRETRAINED / "state.json").read_text())
    assert state["format"] == "physnn-run-2" and state["kind"] == "segmentation"
    assert state["model"]["kind"] == "unet" and 15 < state["diameter"] < 25
    assert state["provenance"]["seed"] == 0 and "physnn.cells.pretrained" in state["provenance"]["command"]
    assert (PRETRAINED / "model.safetensors").stat().st_size < 4e6
    for f in ("config.toml", "history.csv", "metrics.json"):
        assert (PRETRAINED / f).is_file()
    model, st = load_run()
    assert st["diameter"] == pytest.approx(state["diameter"]) and not model.training


def test_segment_with_the_bundled_model_right_away(tmp_path):
    s = generate(96, preset="easy", seed=11)
    write_tiff(tmp_path / "a.tif", s.image)
    write_tiff(tmp_path / "truth.tif", s.labels.astype(np.uint16))
    text = ok("cells", "segment", tmp_path / "a.tif", "--out", tmp_path / "masks", "--mask", tmp_path / "truth.tif")
    assert "nuclei found (bundled U-Net; diameter" in text and "AP@0.5 =" in text
    lab = tifffile.imread(tmp_path / "masks" / "a.tif")
    assert lab.dtype == np.uint16 and lab.shape == (96, 96)
    assert matching(s.labels, lab.astype(np.int32), 0.5).ap > 0.7


def test_segment_large_nuclei_without_a_size_hint(tmp_path):
    """Nuclei twice the training size (radius 22 px) are found with no hint, as with --diameter."""
    s = generate(192, preset="easy", seed=5, radius=22.0)
    write_tiff(tmp_path / "big.tif", s.image)
    ok("cells", "segment", tmp_path / "big.tif", "--out", tmp_path / "auto.tif")
    ok("cells", "segment", tmp_path / "big.tif", "--out", tmp_path / "hint.tif", "--diameter", "44")
    for f in ("auto.tif", "hint.tif"):
        assert matching(s.labels, tifffile.imread(tmp_path / f).astype(np.int32), 0.5).ap > 0.7, f


def test_predict_diameter_option(tmp_path, tiny_run, monkeypatch):
    """physnn predict RUN image --diameter PX: the network sees the image at train_diameter / PX of its size."""
    import physnn.cells.segment as seg

    seen = []
    real = seg.segment

    def spy(model, image, **kw):
        seen.append(np.asarray(image).shape)
        return real(model, image, **kw)

    monkeypatch.setattr(seg, "segment", spy)
    s = generate(80, preset="easy", seed=2)
    write_tiff(tmp_path / "img.tif", s.image)
    ok("predict", tiny_run, tmp_path / "img.tif", "--out", tmp_path / "m.tif", "--diameter", "40")
    assert seen == [(40, 40)]  # the run's diameter is 20 px: half size
    lab = tifffile.imread(tmp_path / "m.tif")
    assert lab.shape == (80, 80) and lab.dtype == np.uint16
    seen.clear()
    ok("predict", tiny_run, tmp_path / "img.tif", "--out", tmp_path / "m10.tif", "--diameter", "10")
    assert seen == [(160, 160)]
    bad("predict", tiny_run, tmp_path / "img.tif", "--out", tmp_path / "x.tif", "--diameter", "0", match="diameter")
    bad("predict", tiny_run, tmp_path / "img.tif", "--out", tmp_path / "x.tif", "--tree", "t", match="--tree")
    assert not (tmp_path / "x.tif").exists()


def test_predict_a_folder_show_and_export(tmp_path, tiny_run):
    pytest.importorskip("onnxruntime")
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for i in range(2):
        write_tiff(imgs / f"im{i}.tif", generate(64, preset="easy", seed=i).image)
    ok("predict", tiny_run, imgs, "--out", tmp_path / "masks", "--diameter", "20")
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == ["im0.tif", "im1.tif"]
    text = ok("show", tiny_run)
    assert "segmentation" in text and "nucleus diameter" in text and "instance masks" in text
    ok("export", tiny_run, "--onnx", tmp_path / "u.onnx")
    import onnxruntime as ort

    from physnn.cells.segment import predict_probabilities

    img = generate(256, preset="easy", seed=3).image
    sess = ort.InferenceSession(str(tmp_path / "u.onnx"))
    got = sess.run(None, {"image": img[None, None].astype(np.float32)})[0][0]
    want = predict_probabilities(load_model(tiny_run), img)
    assert got.shape == (3, 256, 256) and np.abs(got - want).max() < 1e-4


def test_legacy_run_loads_predicts_and_shows(tmp_path):
    model, state = load_run(LEGACY)
    assert state["legacy_format"] == "physnn-cells-unet-1" and state["diameter"] == pytest.approx(20.0)
    write_tiff(tmp_path / "i.tif", generate(48, preset="easy", seed=1).image)
    ok("predict", LEGACY, tmp_path / "i.tif", "--out", tmp_path / "m.tif", "--diameter", "20")
    assert tifffile.imread(tmp_path / "m.tif").shape == (48, 48)
    assert "segmentation" in ok("show", LEGACY)


def test_bad_input(tmp_path, tiny_run):
    write_tiff(tmp_path / "i.tif", generate(48, preset="easy", seed=1).image)
    bad("predict", tiny_run, tmp_path / "i.tif", "--out", tmp_path / "p.csv", match="TIFF")
    (tmp_path / "empty").mkdir()
    bad("predict", tiny_run, tmp_path / "empty", "--out", tmp_path / "o", match="no images")
    (tmp_path / "notimg.tif").write_text("a,b\n1,2\n")
    bad("predict", tiny_run, tmp_path / "notimg.tif", "--out", tmp_path / "o.tif", match="notimg.tif")
    bad("cells", "segment", tmp_path / "i.tif", "--model", tmp_path / "nothing", "--out", tmp_path / "o",
        match="does not exist")
    from physnn.rundir import write_state

    other = tmp_path / "tab"
    other.mkdir()
    write_state(other, "tabular", {"model": {"kind": "mlp", "n_in": 2, "hidden": [2], "n_out": 1}})
    bad("cells", "segment", tmp_path / "i.tif", "--model", other, match="tabular run")
    with pytest.raises(PhysnnError, match="tabular run"):
        load_model(other)
    bad("cells", "train", "--images", tmp_path, "--out", tmp_path / "r", match="--masks")
    assert not (tmp_path / "o").exists() and not (tmp_path / "r").exists() and not (tmp_path / "o.tif").exists()


def test_finetune_from_images_and_masks(tmp_path, tiny_run):
    imgs, masks = tmp_path / "images", tmp_path / "masks"
    imgs.mkdir()
    masks.mkdir()
    for i in range(4):
        s = generate(96, preset="easy", seed=30 + i, radius=16.0)  # nuclei ~30 px: resized to 20 px for training
        write_tiff(imgs / f"img{i:03d}.tif", s.image)
        write_tiff(masks / f"mask{i:03d}.tif", s.labels.astype(np.uint16))
    text = ok("cells", "train", "--images", imgs, "--masks", masks, "--model", tiny_run, "--epochs", "2",
              "--steps", "1", "--crop", "32", "--batch-size", "2", "--out", tmp_path / "ft", "-q")
    assert "fine-tuned on 3 images" in text and "held-out" in text
    state = json.loads((tmp_path / "ft" / "state.json").read_text())
    assert state["kind"] == "segmentation" and state["finetuned_from"] == str(tiny_run)
    assert state["diameter"] == pytest.approx(20.0)
    m = json.loads((tmp_path / "ft" / "metrics.json").read_text())
    assert m["n_val"] == 1 and all(0.5 < f < 0.85 for f in m["scale_factors"])
    assert len((tmp_path / "ft" / "history.csv").read_text().splitlines()) == 3  # header + 2 epochs
    assert 'model = "' in (tmp_path / "ft" / "config.toml").read_text()
    # the fine-tuned run predicts
    ok("predict", tmp_path / "ft", imgs / "img000.tif", "--out", tmp_path / "p.tif")
    bad("cells", "train", "--images", imgs, "--masks", tmp_path, "--out", tmp_path / "ft2", match="masks")


def _dividing_discs() -> np.ndarray:
    """5 frames: nuclei A (moves right 3 px/frame), B (still), C divides at frame 3 into two daughters."""
    yy, xx = np.mgrid[:96, :96]
    frames = np.zeros((5, 96, 96), np.float32)
    rng = np.random.default_rng(0)
    for t in range(5):
        discs = [(25, 15 + 3 * t, 10), (70, 25, 10)]
        discs += [(50, 65, 10)] if t < 3 else [(41, 65, 7), (59, 65, 7)]
        for cy, cx, r in discs:
            frames[t][(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 800
        frames[t] = frames[t] + 100 + rng.normal(0, 10, (96, 96))
    return frames


def test_track_a_tiff_stack_into_the_ctc_layout(tmp_path):
    frames = _dividing_discs()
    tifffile.imwrite(tmp_path / "stack.tif", frames.astype(np.uint16))
    text = ok("cells", "track", tmp_path / "stack.tif", "--out", tmp_path / "res", "--diameter", "20", "-q")
    assert "1 divisions" in text
    masks = sorted((tmp_path / "res").glob("mask*.tif"))
    assert [p.name for p in masks] == [f"mask{t:03d}.tif" for t in range(5)]
    lab = np.stack([tifffile.imread(p) for p in masks])
    assert lab.dtype == np.uint16
    rows = [list(map(int, ln.split())) for ln in (tmp_path / "res" / "res_track.txt").read_text().splitlines()]
    by_label = {r[0]: r for r in rows}
    a, b, c = int(lab[0, 25, 15]), int(lab[0, 70, 25]), int(lab[0, 50, 65])
    assert by_label[a][1:] == [0, 4, 0] and by_label[b][1:] == [0, 4, 0] and by_label[c][1:] == [0, 2, 0]
    assert int(lab[4, 25, 27]) == a  # A moved 12 px and kept its track
    d1, d2 = int(lab[3, 41, 65]), int(lab[3, 59, 65])
    assert {tuple(by_label[d1][1:]), tuple(by_label[d2][1:])} == {(3, 4, c)} and d1 != d2
    assert len(rows) == 5
    # the same frames as a folder
    (tmp_path / "frames").mkdir()
    for t in range(5):
        write_tiff(tmp_path / "frames" / f"f{t}.tif", frames[t].astype(np.uint16))
    ok("cells", "track", tmp_path / "frames", "--out", tmp_path / "res2", "--diameter", "20", "-q")
    assert (tmp_path / "res2" / "res_track.txt").read_text() == (tmp_path / "res" / "res_track.txt").read_text()


def test_track_scores_against_ctc_truth(tmp_path):
    ok("cells", "generate", tmp_path / "g", "--timelapse", "--frames", "3", "--size", "64", "--preset", "easy", "-q")
    text = ok("cells", "track", tmp_path / "g" / "01", "--out", tmp_path / "res", "--truth", tmp_path / "g" / "01_GT",
              "--figure", tmp_path / "tracks.png", "-q")
    s = json.loads((tmp_path / "res" / "scores.json").read_text())
    assert "detection_recall" in text and 0 <= s["link_recall"] <= 1 and s["detection_recall"] > 0.5
    assert (tmp_path / "tracks.png").read_bytes()[:4] == b"\x89PNG"
    tifffile.imwrite(tmp_path / "one.tif", np.zeros((1, 16, 16), np.uint16))
    bad("cells", "track", tmp_path / "one.tif", "--out", tmp_path / "r1", match="2 or more")
    bad("cells", "track", tmp_path / "g" / "01", "--out", tmp_path / "r2", "--truth", tmp_path, match="ground-truth")
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()
