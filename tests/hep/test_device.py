"""--device for the jet networks: auto trains where it can, an absent GPU is a clear error."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.hep.anomaly import train_anomaly
from physnn.hep.classify import train_tagger
from physnn.hep.features import toy_jets
from physnn.train.loop import resolve_device


def test_auto_device_gives_the_cpu_result_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("with a GPU, auto trains there (float results differ from the CPU's)")
    jets = toy_jets(200, seed=0)
    a = train_tagger(jets, model="mlp", epochs=3, n_boot=5, ranking=False, device="cpu")
    b = train_tagger(jets, model="mlp", epochs=3, n_boot=5, ranking=False, device="auto")
    np.testing.assert_array_equal(a.scores["test"], b.scores["test"])
    assert next(b.net.parameters()).device.type == "cpu"  # the returned network is on the CPU


def test_an_absent_or_unknown_device_is_a_clear_error():
    with pytest.raises(PhysnnError, match="hep train: 'device' must be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'; got 'gpu'"):
        resolve_device("gpu", owner="hep train")
    if not torch.cuda.is_available():
        with pytest.raises(PhysnnError, match="device 'cuda' was asked for but CUDA is not available here"):
            train_anomaly(toy_jets(100, seed=1), epochs=2, device="cuda")
    else:  # pragma: no cover - on a GPU machine
        with pytest.raises(PhysnnError, match="does not exist"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_cli_device_option(tmp_path, capsys):
    from physnn.cli.app import main

    jets = toy_jets(120, seed=2)
    cols = {"mass": jets.X[:, 0], "tau32": jets.X[:, 1], "label": jets.y.astype(np.int32)}
    pq.write_table(pa.table(cols), tmp_path / "jets.parquet")
    assert main(["hep", "train", "--data", str(tmp_path / "jets.parquet"), "--features", "mass,tau32",
                 "--epochs", "2", "--device", "bogus", "--out", str(tmp_path / "run")]) == 2
    assert "hep train: 'device' must be" in capsys.readouterr().err and not (tmp_path / "run").exists()
    assert main(["hep", "train", "--data", str(tmp_path / "jets.parquet"), "--features", "mass,tau32",
                 "--epochs", "2", "--device", "auto", "--out", str(tmp_path / "run"), "-q"]) == 0
    assert (tmp_path / "run" / "model.safetensors").is_file()
    pq.write_table(pa.table({**{k: np.abs(v) + 1 for k, v in cols.items() if k != "label"}, "tau1": cols["tau32"] + 2,
                             "label": cols["label"]}), tmp_path / "bg.parquet")
    assert main(["hep", "anomaly", "--data", str(tmp_path / "bg.parquet"), "--features", "mass,tau32,tau1",
                 "--epochs", "2", "--device", "auto", "--out", str(tmp_path / "ae")]) == 0
    assert (tmp_path / "ae" / "model.safetensors").is_file()
