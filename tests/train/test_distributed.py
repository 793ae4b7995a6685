"""DDP under torchrun: two CPU processes (gloo) end with identical weights, equal to one process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from physnn.train import fit

pytestmark = pytest.mark.distributed


def _worker_in_one_process():
    """What ddp_worker.py trains, in this process: the reference a DDP run must equal."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(256, 3, generator=g)
    y = X.sum(1, keepdim=True) ** 2
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    h = fit(model, (X, y), val=(X, y), optimizer="sgd", lr=0.01, epochs=3, batch_size=32, seed=0, progress=False)
    return model, h


def test_two_ranks_agree_and_match_single_process(tmp_path):
    worker = Path(__file__).with_name("ddp_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(worker), str(tmp_path)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    w0 = load_file(tmp_path / "rank0.safetensors")
    w1 = load_file(tmp_path / "rank1.safetensors")
    assert w0.keys() == w1.keys()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k

    # the same training in one process: each global batch of 32 is split 16/16
    # over the ranks and DDP averages the gradients, so the result is the same
    model, h = _worker_in_one_process()
    for k, v in model.state_dict().items():
        assert torch.allclose(v, w0[k], atol=1e-5), k
    ddp_loss = eval((tmp_path / "loss.txt").read_text())
    assert ddp_loss == pytest.approx(h["loss"], rel=1e-4)


def _torchrun(script: Path, *args: str) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script), *args]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("app", ["tagger", "set_tagger", "anomaly", "fluids", "cells_classify", "cells_segment"])
def test_each_application_objective_shards_its_batches(app, tmp_path):
    """Every objective that draws its own batches does it through physnn.train.batching: under torchrun
    each rank takes its half of each global batch, so the ranks agree and equal one process."""
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import ddp_apps
    finally:
        sys.path.pop(0)

    _torchrun(Path(__file__).with_name("ddp_apps.py"), app, str(tmp_path))
    w0 = load_file(tmp_path / "rank0.safetensors")
    w1 = load_file(tmp_path / "rank1.safetensors")
    assert w0.keys() == w1.keys()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    model, h = ddp_apps.train(app)
    moved = 0.0
    for k, v in model.state_dict().items():
        if k in w0:
            assert torch.allclose(v, w0[k], atol=1e-5, rtol=1e-4), (app, k)
    init, _ = ddp_apps.build(app)
    for k, v in init.state_dict().items():
        if v.is_floating_point():
            moved = max(moved, float((model.state_dict()[k] - v).abs().max()))
    assert moved > 1e-4, f"{app}: training did not move the weights; the comparison would prove nothing"
    assert eval((tmp_path / "loss.txt").read_text()) == pytest.approx(h["loss"], rel=1e-4)

    # and the ranks share the work: each sees half of every epoch's rows, none twice
    rows = []
    for rank, world in ((0, 1), (0, 2), (1, 2)):
        model, objective = ddp_apps.build(app)
        objective.setup(model, torch.device("cpu"), rank, world)
        rows.append(sum(objective.batch_size_of(b) for b in objective.batches(torch.Generator().manual_seed(0))))
    assert rows[1] + rows[2] == rows[0] and abs(rows[1] - rows[2]) <= 1, (app, rows)


def test_two_nodes_over_c10d_rendezvous(tmp_path):
    """Multi-node as on a cluster: two torchrun launches (one per 'node'), each with one process, meet
    through a c10d rendezvous on 127.0.0.1 and train as one job; the result equals the one-machine run."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    worker = Path(__file__).with_name("ddp_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
           "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "physnn-test",
           "--max-restarts", "0", str(worker), str(tmp_path)]
    nodes = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        outs = [p.communicate(timeout=300) for p in nodes]
    finally:
        for p in nodes:
            p.kill()
    for p, (_, err) in zip(nodes, outs):
        assert p.returncode == 0, err[-3000:]
    w0 = load_file(tmp_path / "rank0.safetensors")
    w1 = load_file(tmp_path / "rank1.safetensors")
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    model, _ = _worker_in_one_process()
    for k, v in model.state_dict().items():
        assert torch.allclose(v, w0[k], atol=1e-5), k


def test_cli_train_under_torchrun_writes_one_run(tmp_path):
    """`torchrun -m physnn train ...`: both ranks train, rank 0 alone writes the run and prints."""
    (tmp_path / "exp.toml").write_text(
        'name = "ddp"\nseed = 0\n[data]\nsource = "toy:moons"\n[model]\nhidden = [8]\n'
        '[train]\nloss = "bce_with_logits"\nepochs = 3\nbatch_size = 32\n')
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "physnn",
           "train", str(tmp_path / "exp.toml"), "--out", str(tmp_path / "run")]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml", "run"]
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert r.stdout.count("Run written to") == 1
