"""`physnn hep train --stream`: a jet-feature table trained chunk by chunk, with the same run and diagnostics."""

from __future__ import annotations

import json

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _jets(path, n=8000, group=500, seed=0):
    """Top-like (label 1) and QCD-like (label 0) jets in (mass, tau32), shuffled, as a Parquet file."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    mass = np.where(y == 1, rng.normal(172, 20, n), rng.exponential(60, n) + 20)
    tau32 = np.where(y == 1, rng.beta(4, 5, n), rng.beta(6, 3, n))
    pt = rng.uniform(500, 700, n)
    pq.write_table(pa.table({"pt": pt, "mass": mass, "tau32": tau32, "label": y.astype(np.int8)}), path,
                   row_group_size=group)


def test_hep_train_stream(tmp_path, capsys):
    from physnn.cli.app import main

    _jets(tmp_path / "jets.parquet")
    rc = main(["hep", "train", "--data", str(tmp_path / "jets.parquet"), "--features", "mass,tau32", "--stream",
               "--buffer-chunks", "3", "--chunk-rows", "1000", "--epochs", "4", "--batch-size", "128",
               "--out", str(tmp_path / "run"), "-q"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "8000 rows in 16 chunks" in out and "test AUC" in out
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["auc"] > 0.9
    assert m["n_train"] + m["n_val"] + m["n_test"] == 8000 and m["n_test"] % 500 == 0
    assert (tmp_path / "run" / "figures" / "roc.png").is_file()
    # the run is an ordinary tagger run: predict reads it
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "jets.parquet"), "--out", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "prob_signal" and len(lines) == 8001


def test_hep_train_stream_refuses_set_models(tmp_path, capsys):
    from physnn.cli.app import main

    _jets(tmp_path / "jets.parquet", n=1000)
    rc = main(["hep", "train", "--data", str(tmp_path / "jets.parquet"), "--stream", "--model", "pfn",
               "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and "--stream trains the mlp" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
