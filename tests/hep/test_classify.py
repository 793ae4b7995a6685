"""Taggers on a synthetic jet-like sample: they learn, the run directory round-trips, exports agree."""

import json

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.hep.classify import load_tagger, split_indices, train_tagger, write_tagger_run
from physnn.hep.features import toy_jets


@pytest.fixture(scope="module")
def jets():
    return toy_jets(240, n_max=24, seed=1)


def test_split_is_stratified_and_disjoint():
    y = np.r_[np.zeros(70), np.ones(30)].astype(int)
    s = split_indices(y, val=0.2, test=0.3, seed=1)
    allidx = np.concatenate([s["train"], s["val"], s["test"]])
    assert sorted(allidx.tolist()) == list(range(100))
    assert [int(y[s[k]].sum()) for k in ("train", "val", "test")] == [15, 6, 9]
    with pytest.raises(PhysnnError, match="leaves no training jets"):
        split_indices(y, val=0.5, test=0.5)


def test_mlp_tagger_run_roundtrip(jets, tmp_path):
    t = train_tagger(jets, model="mlp", hidden=[16], epochs=40, batch_size=32, seed=0, n_boot=20)
    m = t.metrics
    assert m["auc"] > 0.95  # the toy's mass separates the classes almost perfectly
    assert m["n_train"] + m["n_val"] + m["n_test"] == 240
    assert {"ks_p_signal", "ks_p_background"} <= set(m["overtraining"])
    assert m["rejection_at_0.5"]["n_background"] == int((t.labels["test"] == 0).sum())
    assert t.ranking[0]["feature"] in ("mass", "tau32", "tau3", "n_constituents")
    d = write_tagger_run(t, tmp_path / "run")
    assert {p.name for p in d.iterdir()} >= {"config.toml", "state.json", "model.safetensors", "history.csv",
                                            "metrics.json", "figures"}
    assert json.loads((d / "metrics.json").read_text())["auc"] == pytest.approx(m["auc"])
    back = load_tagger(d)
    np.testing.assert_allclose(back.predict(jets), t.predict(jets), atol=1e-6)
    # the module with its preprocessing reproduces the training-time test scores
    te = split_indices(jets.y, val=0.2, test=0.3, seed=0)["test"]
    np.testing.assert_allclose(back.predict(jets.subset(te)), t.scores["test"], atol=1e-5)


def test_pfn_tagger_learns_prongs(jets, tmp_path):
    t = train_tagger(jets, model="pfn", phi=[16, 16], f=[16], epochs=25, batch_size=32, lr=3e-3, seed=0,
                     n_boot=20, ranking=True)
    assert t.metrics["auc"] > 0.85
    assert [r["feature"] for r in t.ranking] and t.metrics["ranking"] == t.ranking
    d = write_tagger_run(t, tmp_path / "pfn", figures=False)
    back = load_tagger(d)
    sub = jets.subset(np.arange(20))
    np.testing.assert_allclose(back.predict(sub), t.predict(sub), atol=1e-6)


def test_bad_input(jets):
    with pytest.raises(PhysnnError, match="needs constituents"):
        train_tagger(jets.subset(np.arange(100)).__class__(**{**jets.__dict__, "particles": None, "mask": None}),
                     model="pfn", epochs=1)
    with pytest.raises(PhysnnError, match="'model' must be one of 'mlp', 'pfn', 'particlenet'"):
        train_tagger(jets, model="bdt")
    with pytest.raises(PhysnnError, match="no labels"):
        train_tagger(jets.__class__(**{**jets.__dict__, "y": None}), epochs=1)


def test_cli_train_and_export(jets, tmp_path):
    from typer.testing import CliRunner

    from physnn.cli import hep_learn
    from physnn.export import run_onnx

    sig, bkg = jets.subset(jets.y == 1), jets.subset(jets.y == 0)
    sig.save_npz(tmp_path / "sig.npz")
    bkg.save_npz(tmp_path / "bkg.npz")
    runner = CliRunner()
    res = runner.invoke(hep_learn.app, ["train", "--data", str(tmp_path / "sig.npz"), "--data",
                                        str(tmp_path / "bkg.npz"), "--model", "pfn", "--n-particles", "16",
                                        "--epochs", "3", "--batch-size", "64", "--out", str(tmp_path / "run"), "-q"])
    assert res.exit_code == 0, res.output
    assert "test AUC = " in res.output and "KS test train vs test" in res.output
    # one file alone holds one class: a clear error
    res = runner.invoke(hep_learn.app, ["train", "--data", str(tmp_path / "sig.npz"), "-q"])
    assert isinstance(res.exception, PhysnnError) and "all 120 jets are signal" in str(res.exception)
    # export the run (the network with its preprocessing) and compare with the tagger
    from physnn.cli.app import main

    assert main(["export", str(tmp_path / "run"), "--onnx", str(tmp_path / "t.onnx"), "--exporter", "torchscript"]) == 0
    tagger = load_tagger(tmp_path / "run")
    sub = jets.subset(np.arange(13))
    got = run_onnx(tmp_path / "t.onnx", [sub.particles[:, :16], sub.mask[:, :16]])[0].ravel()
    np.testing.assert_allclose(got, tagger.predict(sub.__class__(**{**sub.__dict__, "particles": sub.particles[:, :16],
                                                                    "mask": sub.mask[:, :16]})), atol=1e-5)


def test_alignment_removes_rotations_and_reflections():
    from physnn.hep.classify import align_constituents

    g = torch.Generator().manual_seed(0)
    x = torch.zeros(3, 12, 3)
    x[..., 0] = torch.rand(3, 12, generator=g) * 50 + 1
    x[..., 1:] = torch.randn(3, 12, 2, generator=g) * torch.tensor([0.3, 0.1])
    mask = torch.ones(3, 12, dtype=torch.bool)
    mask[1, 8:] = False
    x = x * mask.unsqueeze(-1)
    ref = align_constituents(x, mask)
    for angle in (0.4, 2.0, -1.1):
        c, s = np.cos(angle), np.sin(angle)
        y = x.clone()
        y[..., 1] = c * x[..., 1] - s * x[..., 2] + 0.05   # rotate and shift ...
        y[..., 2] = -(s * x[..., 1] + c * x[..., 2])        # ... and reflect
        y = y * mask.unsqueeze(-1)
        torch.testing.assert_close(align_constituents(y, mask), ref, atol=1e-5, rtol=1e-5)
    w = ref[..., 0] / ref[..., 0].sum(1, keepdim=True)
    torch.testing.assert_close((w * ref[..., 1]).sum(1), torch.zeros(3), atol=1e-6, rtol=0)  # centred
    assert (ref[~mask] == 0).all()


def test_hybrid_aligned_tagger_exports(jets, tmp_path):
    from physnn.export import export_onnx, run_onnx

    t = train_tagger(jets, model="pfn", phi=[8], f=[8], epochs=2, batch_size=64, seed=0, n_boot=5,
                     ranking=False, align=True, jet_features=True)
    back = load_tagger(write_tagger_run(t, tmp_path / "h", figures=False))
    sub = jets.subset(np.arange(9))
    np.testing.assert_allclose(back.predict(sub), t.predict(sub), atol=1e-6)
    rep = export_onnx(back.module(), back.example_inputs(), tmp_path / "h.onnx", exporter="torchscript")
    assert rep["input_names"] == ["x", "mask", "jet"]
    assert rep["dynamic_axes"]["jet"] == {"0": "batch"}
    got = run_onnx(tmp_path / "h.onnx", [sub.particles, sub.mask, sub.X])[0].ravel()
    np.testing.assert_allclose(got, t.predict(sub), atol=1e-5)
