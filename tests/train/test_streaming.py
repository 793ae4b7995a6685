"""StreamingSupervised and `physnn train` with [data] stream = true: the same training as in memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from physnn.data.stream import TableStream  # noqa: E402
from physnn.train import fit  # noqa: E402
from physnn.train.streaming import StreamingSupervised  # noqa: E402


def _table(path, n=400, group=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X[:, 0] - 0.5 * X[:, 1] + 0.2 * X[:, 2] ** 2).astype(np.float32)
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}), path, row_group_size=group)
    return X, y


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))


def test_full_batch_stream_equals_full_batch_in_memory(tmp_path):
    """With one batch of every row the order cannot matter: streamed SGD must give the in-memory weights."""
    X, y = _table(tmp_path / "t.parquet")
    s = TableStream(tmp_path / "t.parquet", features=["a", "b", "c"], target="y")
    streamed, ref = _net(), _net()
    obj = StreamingSupervised(s, s.chunks, [], batch_size=s.n_rows, buffer_chunks=len(s.chunks))
    h1 = fit(streamed, objective=obj, optimizer="sgd", lr=0.1, epochs=5, seed=0, progress=False)
    h2 = fit(ref, (torch.from_numpy(X), torch.from_numpy(y)[:, None]), optimizer="sgd", lr=0.1, epochs=5,
             batch_size=None, seed=0, progress=False)
    for a, b in zip(streamed.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    assert h1["loss"] == pytest.approx(h2["loss"], rel=1e-5)
    assert h1["loss"][-1] < 0.8 * h1["loss"][0]


def test_loader_workers_read_each_chunk_once_and_learn(tmp_path):
    _table(tmp_path / "t.parquet", n=1200, group=100)
    s = TableStream(tmp_path / "t.parquet", features=["a", "b", "c"], target="y")
    tr, va, _ = s.split(val=0.25, seed=0)
    obj = StreamingSupervised(s, tr, va, batch_size=50, workers=2, buffer_chunks=2)
    model = _net()
    obj.setup(model, torch.device("cpu"))
    rows = sum(len(x) for x, _ in obj.batches(torch.Generator().manual_seed(0)))
    assert rows == sum(c.rows for c in tr)
    h = fit(model, objective=obj, lr=0.01, epochs=4, seed=0, progress=False)
    assert h["val_loss"][-1] < 0.5 * h["val_loss"][0]
    assert set(h.records[-1]) >= {"val_loss", "val_r2"}


def test_ranks_get_disjoint_chunks_and_equal_batch_counts(tmp_path):
    _table(tmp_path / "t.parquet", n=1000, group=90)
    s = TableStream(tmp_path / "t.parquet", features=["a", "b", "c"], target="y")
    counts, rows = [], []
    for rank in range(2):
        obj = StreamingSupervised(s, s.chunks, [], batch_size=64)
        obj.setup(_net(), torch.device("cpu"), rank, 2)
        got = [len(x) for x, _ in obj.batches(torch.Generator().manual_seed(0))]
        counts.append(len(got))
        rows.append(sum(got))
        assert max(got) == 32  # each rank takes half of the global batch
        plan, steps = obj.plan(0)
        assert steps == len(got)
    assert counts[0] == counts[1]
    assert sum(rows) <= 1000 and sum(rows) >= 1000 - 2 * 32


@pytest.mark.distributed
def test_two_ranks_under_torchrun_equal_one_process(tmp_path):
    _table(tmp_path / "t.parquet", n=400, group=40)
    env = dict(os.environ, OMP_NUM_THREADS="1", PHYSNN_TEST_STREAM=str(tmp_path / "t.parquet"))
    script = Path(__file__).with_name("ddp_apps.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script), "stream",
           str(tmp_path)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    from safetensors.torch import load_file

    w0, w1 = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    sys.path.insert(0, str(script.parent))
    os.environ["PHYSNN_TEST_STREAM"] = str(tmp_path / "t.parquet")
    try:
        import ddp_apps

        model, h = ddp_apps.train("stream")
        init, _ = ddp_apps.build("stream")
    finally:
        sys.path.pop(0)
        os.environ.pop("PHYSNN_TEST_STREAM")
    for k, v in model.state_dict().items():
        assert torch.equal(w0[k], w1[k]), k
        assert torch.allclose(v, w0[k], atol=1e-5, rtol=1e-4), k
    assert max(float((model.state_dict()[k] - v).abs().max()) for k, v in init.state_dict().items()) > 1e-4
    assert eval((tmp_path / "loss.txt").read_text()) == pytest.approx(h["loss"], rel=1e-4)


def _config(tmp_path, source, **data):
    extra = "".join(f"{k} = {v}\n" for k, v in data.items())
    (tmp_path / "s.toml").write_text(
        f'name = "s"\nseed = 0\n[data]\nsource = "{source}"\ntarget = "label"\nstream = true\nval = 0.2\ntest = 0.2\n'
        f'{extra}[model]\nhidden = [16]\n[train]\nloss = "bce_with_logits"\nepochs = 4\nbatch_size = 128\nlr = 0.01\n')
    return tmp_path / "s.toml"


def _labelled(path, n=6000, group=500):
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(n, 4)) * [1, 10, 100, 0.1] + [0, 50, -300, 2]).astype(np.float32)
    z = X[:, 0] + (X[:, 1] - 50) / 10 - (X[:, 2] + 300) / 100
    label = (z + 0.3 * rng.normal(size=n) > 0).astype(np.int8)
    pq.write_table(pa.table({"f0": X[:, 0], "f1": X[:, 1], "f2": X[:, 2], "f3": X[:, 3], "label": label}), path,
                   row_group_size=group)


def test_cli_train_streams_and_the_run_predicts(tmp_path):
    from physnn.cli.app import main
    from physnn.rundir import read_state

    _labelled(tmp_path / "d.parquet")
    assert main(["train", str(_config(tmp_path, tmp_path / "d.parquet")), "--out", str(tmp_path / "run"), "-q"]) == 0
    state = read_state(tmp_path / "run")
    assert state["stream"]["chunks"] == 12 and state["stream"]["test_chunks"] == 3
    # the standardization was fitted on training chunks: the features' scales (1, 10, 100, 0.1) are found
    np.testing.assert_allclose(state["standardizer"]["scale"], [1, 10, 100, 0.1], rtol=0.1)
    import json

    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_roc_auc"] > 0.95 and metrics["val_roc_auc"] > 0.95
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "d.parquet"), "--out", str(tmp_path / "p.csv")]) == 0
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 6001


def test_cli_stream_refuses_what_cannot_stream(tmp_path, capsys):
    from physnn.cli.app import main

    assert main(["train", str(_config(tmp_path, "toy:moons")), "--out", str(tmp_path / "r1")]) == 2
    assert "built-in set" in capsys.readouterr().err
    (tmp_path / "d.csv").write_text("f0,label\n1,0\n2,1\n")
    assert main(["train", str(_config(tmp_path, tmp_path / "d.csv")), "--out", str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err
    assert "only Parquet" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def test_validation_chunks_are_decoded_once_when_small(tmp_path, monkeypatch):
    _table(tmp_path / "t.parquet", n=800, group=100)
    s = TableStream(tmp_path / "t.parquet", features=["a", "b", "c"], target="y")
    tr, va, _ = s.split(val=0.25, seed=0)
    reads = []
    real = s.read
    monkeypatch.setattr(s, "read", lambda c: reads.append(c) or real(c))
    for cache_mb, want in ((512, len(va)), (0, 3 * len(va))):
        reads.clear()
        obj = StreamingSupervised(s, tr, va, batch_size=50, val_cache_mb=cache_mb)
        model = _net()
        obj.setup(model, torch.device("cpu"))
        logs = [obj.evaluate(model) for _ in range(3)]
        assert logs[0] == logs[1] == logs[2]
        assert sum(c in va for c in reads) == want


def test_overflowing_validation_outputs_give_nan_metrics(tmp_path):
    import math

    _table(tmp_path / "t.parquet", n=400, group=100)
    s = TableStream(tmp_path / "t.parquet", features=["a", "b", "c"], target="y")
    tr, va, _ = s.split(val=0.25, seed=0)
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.fill_(3e38)  # every output overflows float32
    obj = StreamingSupervised(s, tr, va, batch_size=50, metrics=["r2"])
    obj.setup(model, torch.device("cpu"))
    logs = obj.evaluate(model)
    assert math.isnan(logs["val_loss"]) and math.isnan(logs["val_r2"])
