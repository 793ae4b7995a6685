"""Runs on disk from configs: file data with 0/1 labels, multiclass, XOR, and the README's code."""

import json

import numpy as np
import pytest

from physnn.config import load_config, parse_config
from physnn.data import load_toy, write_data
from physnn.errors import PhysnnError
from physnn.runs import load_run, predict_run, train_run


def test_csv_with_integer_01_labels_trains_binary_classifier(tmp_path):
    data = load_toy("circles", n=400, noise=0.05, seed=1)
    # write labels as integers 0/1 (as a user's CSV would have them)
    lines = ["r,s,signal"] + [f"{a},{b},{int(c)}" for (a, b), c in zip(data.X, data.y.ravel())]
    (tmp_path / "ev.csv").write_text("\n".join(lines) + "\n")
    cfg = parse_config({
        "data": {"source": str(tmp_path / "ev.csv"), "features": ["r", "s"], "target": "signal", "stratify": True},
        "model": {"hidden": [16, 16]},
        "train": {"loss": "bce_with_logits", "lr": 0.02, "epochs": 60, "batch_size": 32},
    })
    run = train_run(cfg, tmp_path / "run", progress=False, quiet=True)
    m = json.loads((run.directory / "metrics.json").read_text())
    assert m["val_accuracy"] > 0.9
    re_run = load_run(run.directory)
    p = re_run.predict(data.X)
    assert p.shape == (400, 1) and ((p > 0.5).ravel() == (data.y.ravel() > 0.5)).mean() > 0.9


def test_multiclass_cross_entropy_and_predict_columns(tmp_path):
    cfg = parse_config({
        "data": {"source": "toy:gaussians", "options": {"n": 300, "centers": 3, "std": 0.5}},
        "model": {"hidden": [16]},
        "train": {"loss": "cross_entropy", "lr": 0.02, "epochs": 40},
    })
    run = train_run(cfg, tmp_path / "run", progress=False, quiet=True)
    assert json.loads((run.directory / "metrics.json").read_text())["val_accuracy"] > 0.9
    write_data(load_toy("gaussians", n=30, centers=3, std=0.5, seed=9), tmp_path / "new.npz")
    out = predict_run(run.directory, tmp_path / "new.npz", tmp_path / "p.csv")
    rows = out.read_text().splitlines()
    assert rows[0] == "prob_0,prob_1,prob_2"
    probs = np.array([[float(v) for v in r.split(",")] for r in rows[1:]])
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_cross_entropy_on_real_valued_target_is_refused(tmp_path):
    cfg = parse_config({"data": {"source": "toy:polynomial"}, "train": {"loss": "cross_entropy", "epochs": 1}})
    with pytest.raises(PhysnnError, match="integer class labels"):
        train_run(cfg, tmp_path / "r", progress=False, quiet=True)


def test_simplenet_on_wrong_feature_count_is_refused(tmp_path):
    cfg = parse_config({"data": {"source": "toy:moons"}, "model": {"kind": "simplenet"},
                        "train": {"loss": "bce_with_logits", "epochs": 1}})
    with pytest.raises(PhysnnError, match="10-64-32-1"):
        train_run(cfg, tmp_path / "r", progress=False, quiet=True)


def test_xor_example_is_solved(tmp_path):
    run = train_run(load_config("xor"), tmp_path / "xor", progress=False, quiet=True)
    p = run.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)).ravel()
    assert ((p > 0.5).astype(int) == [0, 1, 1, 0]).all()


def test_run_refuses_new_data_with_other_feature_count(tmp_path):
    cfg = parse_config({"data": {"source": "toy:circles", "options": {"n": 100}},
                        "train": {"loss": "bce_with_logits", "epochs": 1}})
    run = train_run(cfg, tmp_path / "r", progress=False, quiet=True)
    with pytest.raises(PhysnnError, match="3 features .* 2 are expected"):
        load_run(run.directory).predict(np.zeros((5, 3), dtype=np.float32))


def test_empty_data_file_is_refused(tmp_path):
    (tmp_path / "e.csv").write_text("a,b,y\n")
    cfg = parse_config({"data": {"source": str(tmp_path / "e.csv"), "target": "y"}, "train": {"epochs": 1}})
    with pytest.raises(PhysnnError, match="(?i)no (data )?rows|empty|0 rows"):
        train_run(cfg, tmp_path / "r", progress=False, quiet=True)
