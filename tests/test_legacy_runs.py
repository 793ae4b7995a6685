"""Runs written by the released 0.1 format still load (issue 15).

``tests/data/runs-0.1/`` holds one tiny run of each of the seven writers of physnn 0.1.0 (commit
b281c18), made with that code (``README.md`` there lists the commands), the inputs to predict on,
and ``expected.npz``: what 0.1.0 itself predicted on them (``inputs/make_expected.py``). Each test
loads a run with today's loader and checks that it predicts the same numbers, so a loader that
rebuilds the wrong network, skips the standardizer or misreads the weights fails.
"""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

DATA = Path(__file__).parent / "data" / "runs-0.1"
INPUTS = DATA / "inputs"

# state.json "format" of each fixture, as 0.1.0 wrote it
FORMATS = {
    "tabular": "physnn-run-1",
    "pinn": "physnn-run-1",
    "tagger": "physnn-hep-run-1",
    "anomaly": "physnn-hep-anomaly-1",
    "materials": "physnn-materials-1",
    "fluids": "physnn-fluids-run-1",
    "segmentation": "physnn-cells-unet-1",
}


def expected(kind: str) -> np.ndarray:
    """The prediction physnn 0.1.0 made with the fixture run ``kind`` on its input."""
    with np.load(DATA / "expected.npz") as z:
        return z[kind]


def check_same(kind: str, got) -> None:
    """``got`` is finite and equals 0.1.0's prediction (float32 round-off across CPUs and versions)."""
    got = np.asarray(got, dtype=np.float64)
    want = expected(kind)
    assert got.shape == want.shape, (kind, got.shape, want.shape)
    assert np.isfinite(got).all(), kind
    scale = float(np.abs(want).max())
    assert scale > 0, kind  # the comparison below could not fail on all-zero outputs
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4 * scale, err_msg=kind)


def read_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_fixture_is_a_0_1_run(kind):
    """The fixtures stay as 0.1.0 wrote them (a guard against regenerating them with new code)."""
    state = json.loads((DATA / kind / "state.json").read_text())
    assert state["format"] == FORMATS[kind]
    assert (DATA / kind / "model.safetensors").stat().st_size > 0


def test_tabular_run_loads_and_predicts():
    from physnn.runs import load_run

    run = load_run(DATA / "tabular")
    moons = read_csv(INPUTS / "moons.csv")
    p = run.predict(np.stack([moons["x0"], moons["x1"]], axis=1))
    check_same("tabular", p)
    assert ((p >= 0) & (p <= 1)).all()  # bce_with_logits: probabilities


def test_pinn_run_loads_and_predicts():
    from physnn.runs import load_run

    run = load_run(DATA / "pinn")
    x = read_csv(INPUTS / "poisson_points.csv")["x"][:, None]
    check_same("pinn", run.predict(x))


def test_hep_tagger_run_loads_and_predicts_on_a_jagged_jet_file():
    pytest.importorskip("pyarrow")
    pytest.importorskip("awkward")
    from physnn.hep.classify import load_tagger
    from physnn.hep.features import load_jets

    tagger = load_tagger(DATA / "tagger")
    assert tagger.kind == "pfn" and tagger.feature_names == ["mass", "tau32"]  # a hybrid set tagger
    jets = load_jets(INPUTS / "jets.parquet", features=tagger.feature_names, particles=tagger.particle_names,
                     n_particles=tagger.n_particles, label=None)
    check_same("tagger", tagger.predict(jets))


def test_hep_anomaly_run_loads_and_scores():
    """0.1.0 has no anomaly loader: the autoencoder is rebuilt from state.json as the writer describes it."""
    pytest.importorskip("pyarrow")
    from physnn.hep.features import load_jets
    from physnn.nn.autoencoder import build_autoencoder
    from physnn.train.checkpoint import load_weights

    state = json.loads((DATA / "anomaly" / "state.json").read_text())
    ae = build_autoencoder(state["model"])
    load_weights(ae, DATA / "anomaly" / "model.safetensors")
    X = load_jets(INPUTS / "jets.parquet", features=state["feature_names"], label=None).X
    Xs = (X - np.array(state["scaler"]["mean"])) / np.array(state["scaler"]["scale"])
    score = ae.eval().reconstruction_error(torch.as_tensor(Xs, dtype=torch.float32)).numpy()
    check_same("anomaly", score)


def test_materials_run_loads_and_predicts():
    pytest.importorskip("ase")
    pytest.importorskip("dscribe")
    from physnn.materials.generate import load_alloys, to_atoms
    from physnn.materials.train import load_materials_model

    model = load_materials_model(DATA / "materials")
    assert model.targets == ["e_mix_relaxed"]
    check_same("materials", model.predict(to_atoms(load_alloys(INPUTS / "alloys.npz"))))


def test_fluids_run_loads_and_predicts():
    from physnn.fluids.data import load_dataset
    from physnn.fluids.train import load_run

    net, state = load_run(DATA / "fluids")
    s = state["settings"]["s"]
    a = np.asarray(load_dataset(INPUTS / "burgers.npz")["a"])[:4]
    a = a[:, :: a.shape[1] // s]  # the training resolution
    with torch.no_grad():
        u = net.eval()(torch.as_tensor(a, dtype=torch.float32)).numpy()
    check_same("fluids", u)


def test_cells_run_loads_and_segments():
    pytest.importorskip("tifffile")
    pytest.importorskip("skimage")
    from physnn.cells.io import read_image
    from physnn.cells.segment import load_model, predict_probabilities, segment

    model = load_model(DATA / "segmentation")
    image = read_image(INPUTS / "cells" / "img000.tif")
    p = predict_probabilities(model, image)
    check_same("segmentation", p)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-5)
    labels = segment(model, image)
    assert labels.shape == image.shape


# ---- the same runs through the verbs every kind shares (physnn predict / show), as a user calls them

def cli(*args) -> str:
    from physnn.cli.app import main

    import contextlib
    import io

    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    assert rc == 0, err.getvalue()
    return buf.getvalue()


def test_physnn_predict_on_the_01_tabular_and_pinn_runs(tmp_path):
    cli("predict", DATA / "tabular", INPUTS / "moons.csv", "--out", tmp_path / "p.csv")
    check_same("tabular", read_csv(tmp_path / "p.csv")["prob_label"][:, None])
    cli("predict", DATA / "pinn", INPUTS / "poisson_points.csv", "--out", tmp_path / "u.csv")
    got = read_csv(tmp_path / "u.csv")
    check_same("pinn", np.stack([got[k] for k in got], axis=1))


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_physnn_show_reads_every_01_run(kind):
    text = cli("show", DATA / kind)
    lines = dict(line.split(None, 1) for line in text.splitlines() if " " in line)
    assert lines["kind"].strip() == kind and lines["format"].strip() == FORMATS[kind]


def test_physnn_export_of_the_01_pinn_run_gives_its_solution(tmp_path):
    """A PINN exports to ONNX (hard constraints included): onnxruntime gives 0.1.0's u(x)."""
    pytest.importorskip("onnxruntime")
    from physnn.export import run_onnx

    cli("export", DATA / "pinn", "--onnx", tmp_path / "u.onnx", "--exporter", "torchscript")
    x = read_csv(INPUTS / "poisson_points.csv")["x"][:, None]
    check_same("pinn", run_onnx(tmp_path / "u.onnx", [x.astype(np.float32)])[0])
