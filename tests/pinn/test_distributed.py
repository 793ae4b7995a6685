"""A PINN under torchrun: each rank takes its share of the collocation points; Adam and L-BFGS steps
equal the one-process steps, and the ranks end with identical weights."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

pytestmark = pytest.mark.distributed

HERE = Path(__file__).resolve().parents[1] / "train"


@pytest.mark.parametrize("app", ["pinn", "pinn_lbfgs"])
def test_pinn_points_shard_over_two_ranks(app, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(HERE / "ddp_apps.py"), app, str(tmp_path)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    w0, w1 = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    sys.path.insert(0, str(HERE))
    try:
        import ddp_apps

        model, h = ddp_apps.train(app)
        init, objective = ddp_apps.build(app)
    finally:
        sys.path.pop(0)
    moved = 0.0
    for k, v in model.state_dict().items():
        assert torch.equal(w0[k], w1[k]), k
        assert torch.allclose(v, w0[k], atol=1e-5, rtol=1e-4), (app, k)
        moved = max(moved, float((v - init.state_dict()[k]).abs().max()))
    assert moved > 1e-4, "training did not move the weights; the comparison would prove nothing"
    assert eval((tmp_path / "loss.txt").read_text()) == pytest.approx(h["loss"], rel=1e-4)
    # each rank's share: half of every point set, together all of them
    objective.setup(init, torch.device("cpu"), 1, 2)
    share = next(iter(objective.batches(torch.Generator().manual_seed(0))))
    for k, v in objective.points.items():
        assert len(share[k]) == len(v) // 2
