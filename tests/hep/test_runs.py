"""Tagger and anomaly runs on the one run contract (issue 15): state.json through rundir, and the verbs
physnn predict / export / show on them, through the CLI, with the bad-input contract."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from physnn.cli.app import main
from physnn.errors import PhysnnError
from physnn.hep.anomaly import load_anomaly, train_anomaly, write_anomaly_run
from physnn.hep.classify import load_tagger, train_tagger, write_tagger_run
from physnn.hep.features import load_jets, toy_jets

LEGACY = Path(__file__).resolve().parents[1] / "data" / "runs-0.1"


def write_jagged_parquet(jets, path: Path, *, drop: tuple[str, ...] = ()) -> Path:
    """The jets as a user's Parquet file: flat jet columns and jagged constituents (only the real ones)."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    cols = {n: pa.array(jets.X[:, i].astype(np.float64)) for i, n in enumerate(jets.feature_names)}
    cols["tau4"] = pa.array(jets.X[:, jets.feature_names.index("tau3")].astype(np.float64) * 0.8)
    for i, n in enumerate(jets.particle_names):
        cols[n] = pa.array([jets.particles[k, jets.mask[k].astype(bool), i].astype(np.float64).tolist()
                            for k in range(len(jets))], type=pa.list_(pa.float64()))
    cols["is_top"] = pa.array(jets.y.astype(np.int64))
    pq.write_table(pa.table({k: v for k, v in cols.items() if k not in drop}), path)
    return path


def read_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def cli(*args) -> int:
    return main([str(a) for a in args])


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("physnn: error: "), err
    return err[0]


@pytest.fixture(scope="module")
def jets():
    return toy_jets(160, n_max=12, seed=2)


@pytest.fixture(scope="module")
def jet_file(jets, tmp_path_factory):
    return write_jagged_parquet(jets, tmp_path_factory.mktemp("jets") / "jets.parquet")


@pytest.fixture(scope="module")
def pfn_run(jets, tmp_path_factory):
    """A hybrid PFN (constituents + jet features mass, tau32) trained on the label column 'is_top'."""
    sub = jets.__class__(**{**jets.__dict__, "X": jets.X[:, [jets.feature_names.index("mass"),
                                                                 jets.feature_names.index("tau32")]],
                            "feature_names": ["mass", "tau32"]})
    t = train_tagger(sub, model="pfn", phi=[8], f=[8], epochs=2, batch_size=64, seed=5, n_boot=5, ranking=False,
                     jet_features=True)
    return write_tagger_run(t, tmp_path_factory.mktemp("runs") / "pfn", label="is_top", figures=False)


@pytest.fixture(scope="module")
def anomaly_run(jets, tmp_path_factory):
    feats = ["mass", "tau1", "tau2", "tau3"]
    sub = jets.__class__(**{**jets.__dict__, "X": jets.X[:, [jets.feature_names.index(f) for f in feats]],
                            "feature_names": feats, "particles": None, "mask": None, "particle_names": []})
    res = train_anomaly(sub, hidden=[8], latent=2, epochs=3, batch_size=32, seed=6)
    return write_anomaly_run(res, tmp_path_factory.mktemp("runs") / "anomaly", figures=False), res


def test_tagger_state_is_the_one_run_format(pfn_run):
    state = json.loads((pfn_run / "state.json").read_text())
    assert state["format"] == "physnn-run-2" and state["kind"] == "tagger"
    assert state["model"]["kind"] == "pfn" and state["target"] == "is_top"
    assert "versions" not in state and "seed" not in state  # provenance holds them
    assert state["provenance"]["seed"] == 5 and "torch" in state["provenance"]["versions"]
    assert 'label = "is_top"' in (pfn_run / "config.toml").read_text()
    t = load_tagger(pfn_run)
    assert t.kind == "pfn" and t.target == "is_top" and t.config["seed"] == 5


def test_tagger_predict_reads_jagged_constituents_and_matches_the_tagger(pfn_run, jet_file, jets, tmp_path):
    out = tmp_path / "scores.csv"
    assert cli("predict", pfn_run, jet_file, "--out", out) == 0
    got = read_csv(out)
    assert list(got) == ["prob_is_top"] and len(got["prob_is_top"]) == len(jets)
    t = load_tagger(pfn_run)
    ref = t.predict(load_jets(jet_file, features=["mass", "tau32"], particles=t.particle_names,
                              n_particles=t.n_particles, label=None))
    np.testing.assert_allclose(got["prob_is_top"], ref, rtol=1e-5, atol=1e-6)
    assert ((got["prob_is_top"] >= 0) & (got["prob_is_top"] <= 1)).all() and got["prob_is_top"].std() > 0
    # the file's jagged constituents, padded to the training width, are the arrays it was trained on
    mem = jets.__class__(**{**jets.__dict__, "X": jets.X[:, [jets.feature_names.index("mass"),
                                                                 jets.feature_names.index("tau32")]],
                            "feature_names": ["mass", "tau32"]})
    np.testing.assert_allclose(got["prob_is_top"], t.predict(mem), rtol=1e-5, atol=1e-6)


def test_tagger_export_gives_what_predict_gives(pfn_run, jet_file, tmp_path):
    pytest.importorskip("onnxruntime")
    from physnn.export import run_onnx

    assert cli("export", pfn_run, "--onnx", tmp_path / "t.onnx", "--exporter", "torchscript") == 0
    assert cli("predict", pfn_run, jet_file, "--out", tmp_path / "p.csv") == 0
    t = load_tagger(pfn_run)
    j = load_jets(jet_file, features=["mass", "tau32"], particles=t.particle_names, n_particles=t.n_particles,
                  label=None)
    got = run_onnx(tmp_path / "t.onnx", [j.particles, j.mask, j.X])[0].ravel()
    np.testing.assert_allclose(got, read_csv(tmp_path / "p.csv")["prob_is_top"], atol=1e-5)


def test_mlp_tagger_default_label_predicts_prob_signal(jets, jet_file, tmp_path):
    t = train_tagger(jets, model="mlp", hidden=[8], epochs=2, batch_size=64, seed=0, n_boot=5, ranking=False)
    run = write_tagger_run(t, tmp_path / "mlp", label="label", figures=False)
    assert cli("predict", run, jet_file, "--out", tmp_path / "s.parquet") == 0
    from physnn.data import read_data

    back = read_data(tmp_path / "s.parquet")
    assert back.feature_names == ["prob_signal"] and back.X.shape == (len(jets), 1)
    ref = t.predict(load_jets(jet_file, features=t.feature_names, label=None))
    np.testing.assert_allclose(back.X[:, 0], ref, rtol=1e-5, atol=1e-6)


def test_anomaly_state_loader_and_predict(anomaly_run, jet_file, tmp_path):
    run, res = anomaly_run
    state = json.loads((run / "state.json").read_text())
    assert state["format"] == "physnn-run-2" and state["kind"] == "anomaly" and "versions" not in state
    assert state["provenance"]["seed"] == 6
    back = load_anomaly(run)
    X = load_jets(jet_file, features=res.feature_names, label=None).X
    np.testing.assert_allclose(back.score(X), res.score(X), rtol=1e-6)
    assert cli("predict", run, jet_file, "--out", tmp_path / "a.csv") == 0
    got = read_csv(tmp_path / "a.csv")
    assert list(got) == ["score_anomaly"]
    # predict standardises in float32 inside the module: the same score to float32 round-off
    np.testing.assert_allclose(got["score_anomaly"], res.score(X), rtol=1e-4, atol=1e-6)


def test_anomaly_export_gives_what_predict_gives(anomaly_run, jet_file, tmp_path):
    pytest.importorskip("onnxruntime")
    from physnn.export import run_onnx

    run, res = anomaly_run
    assert cli("export", run, "--onnx", tmp_path / "a.onnx", "--exporter", "torchscript") == 0
    assert cli("predict", run, jet_file, "--out", tmp_path / "a.csv") == 0
    X = load_jets(jet_file, features=res.feature_names, label=None).X.astype(np.float32)
    got = run_onnx(tmp_path / "a.onnx", [X])[0].ravel()
    np.testing.assert_allclose(got, read_csv(tmp_path / "a.csv")["score_anomaly"], rtol=1e-4, atol=1e-6)


def test_show_tagger_and_anomaly_runs(pfn_run, anomaly_run, capsys):
    assert cli("show", pfn_run) == 0
    lines = dict(ln.split(None, 1) for ln in capsys.readouterr().out.splitlines() if " " in ln.strip())
    assert lines["kind"].strip() == "tagger" and lines["model"].strip() == "pfn"
    assert lines["output"].strip() == "prob_is_top" and "mass, tau32" in lines["jet"]
    assert "part_pt, part_deta, part_dphi (up to 12)" in lines["constituents"]
    assert cli("show", pfn_run, anomaly_run[0]) == 0
    kind_row = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("kind"))
    assert kind_row.split() == ["kind", "tagger", "anomaly"]


def test_legacy_anomaly_run_loads_with_load_anomaly():
    """physnn 0.1's anomaly run (format physnn-hep-anomaly-1) through the new loader gives 0.1's scores."""
    pytest.importorskip("pyarrow")
    res = load_anomaly(LEGACY / "anomaly")
    X = load_jets(LEGACY / "inputs" / "jets.parquet", features=res.feature_names, label=None).X
    with np.load(LEGACY / "expected.npz") as z:
        want = z["anomaly"]
    np.testing.assert_allclose(res.score(X), want, rtol=1e-3, atol=1e-4 * float(np.abs(want).max()))
    mod = res.module().eval()
    with torch.no_grad():
        np.testing.assert_allclose(mod(torch.as_tensor(X, dtype=torch.float32)).numpy(), want, rtol=1e-3,
                                   atol=1e-4 * float(np.abs(want).max()))


def test_legacy_tagger_run_predicts_through_the_cli(tmp_path):
    """The 0.1 tagger fixture works with physnn predict: prob_signal (0.1 stored no label name)."""
    pytest.importorskip("pyarrow")
    assert cli("predict", LEGACY / "tagger", LEGACY / "inputs" / "jets.parquet", "--out", tmp_path / "p.csv") == 0
    with np.load(LEGACY / "expected.npz") as z:
        want = z["tagger"]
    np.testing.assert_allclose(read_csv(tmp_path / "p.csv")["prob_signal"], want, rtol=1e-3, atol=1e-4)


def test_bad_input_is_one_error_line_and_no_output(pfn_run, anomaly_run, jets, tmp_path, capsys):
    # a jet file without a column the tagger reads
    missing = write_jagged_parquet(jets, tmp_path / "no_tau32.parquet", drop=("tau32",))
    out = tmp_path / "p.csv"
    assert cli("predict", pfn_run, missing, "--out", out) == 2
    assert "tau32" in error_line(capsys) and not out.exists()
    # not a jet file at all
    (tmp_path / "junk.parquet").write_bytes(b"\x00not parquet" * 10)
    assert cli("predict", anomaly_run[0], tmp_path / "junk.parquet", "--out", out) == 2
    error_line(capsys)
    assert not out.exists()
    # an option the kind does not take
    assert cli("predict", pfn_run, missing, "--out", out, "--input", "a") == 2
    assert "--input does not apply to tagger runs" in error_line(capsys)
    # --device: tagger runs take it, anomaly runs do not (one line naming what they take)
    assert cli("predict", anomaly_run[0], missing, "--out", out, "--device", "cpu") == 2
    assert "--device does not apply to anomaly runs" in error_line(capsys) and not out.exists()
    # the wrong kind of run for a loader
    with pytest.raises(PhysnnError, match="is a anomaly run .*physnn hep train"):
        load_tagger(anomaly_run[0])
    with pytest.raises(PhysnnError, match="is a tagger run .*physnn hep anomaly"):
        load_anomaly(pfn_run)
    # a run directory without its weights
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "state.json").write_text((pfn_run / "state.json").read_text())
    assert cli("predict", broken, missing, "--out", out) == 2
    assert "model.safetensors is missing" in error_line(capsys)


def test_set_tagger_predicts_on_a_root_tree(jets, tmp_path, capsys):
    """A ROOT file with two trees: --tree picks one (as in training); without it, one error line naming them.
    A set tagger without jet features reads none (show lists no jet features)."""
    uproot = pytest.importorskip("uproot")
    t = train_tagger(jets, model="pfn", phi=[8], f=[8], epochs=1, batch_size=64, seed=1, n_boot=5, ranking=False)
    run = write_tagger_run(t, tmp_path / "pfn", figures=False)
    cols = {n: np.ascontiguousarray(jets.particles[:, :, i]) for i, n in enumerate(jets.particle_names)}
    path = tmp_path / "jets.root"
    with uproot.recreate(path) as fh:
        for name, n in (("jets", len(jets)), ("other", 10)):
            tree = fh.mktree(name, {k: np.dtype((v.dtype, v.shape[1:])) for k, v in cols.items()})
            tree.extend({k: v[:n] for k, v in cols.items()})
    out = tmp_path / "p.csv"
    assert cli("predict", run, path, "--out", out, "--tree", "other") == 0
    got = read_csv(out)["prob_signal"]
    np.testing.assert_allclose(got, t.predict(jets.subset(np.arange(10))), rtol=1e-5, atol=1e-6)
    capsys.readouterr()
    out.unlink()
    assert cli("predict", run, path, "--out", out) == 2
    line = error_line(capsys)
    assert "jets" in line and "other" in line and not out.exists()
    assert cli("show", run) == 0
    text = capsys.readouterr().out
    assert "jet features" not in text and "prob_signal" in text


def test_a_failed_write_leaves_no_run_and_a_taken_name_is_not_overwritten(anomaly_run, monkeypatch, tmp_path):
    import physnn.hep.diagnostics as diag

    run, res = anomaly_run
    again = write_anomaly_run(res, run, figures=False)  # the name is taken: a new directory beside it
    assert again == run.parent / f"{run.name}-2" and (run / "state.json").exists()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(diag, "diagnostic_figures", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_anomaly_run(res, tmp_path / "new")
    assert not (tmp_path / "new").exists()
