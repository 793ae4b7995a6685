"""The atomic potential under torchrun: each rank takes its structures of every global batch, the ranks
end with identical weights, equal to one process (energies: per-structure terms, so exactly)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ase")
torch = pytest.importorskip("torch")
from safetensors.torch import load_file  # noqa: E402

pytestmark = pytest.mark.distributed

HERE = Path(__file__).resolve().parents[1] / "train"


def test_potential_structures_shard_over_two_ranks(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(HERE / "ddp_apps.py"), "materials", str(tmp_path)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    w0, w1 = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    sys.path.insert(0, str(HERE))
    try:
        import ddp_apps

        model, h = ddp_apps.train("materials")
        init, objective = ddp_apps.build("materials")
    finally:
        sys.path.pop(0)
    moved = 0.0
    for k, v in model.state_dict().items():
        assert torch.equal(w0[k], w1[k]), k
        assert torch.allclose(v, w0[k], atol=1e-8, rtol=1e-6), k
        if v.is_floating_point():
            moved = max(moved, float((v - init.state_dict()[k]).abs().max()))
    assert moved > 1e-6, "training did not move the weights; the comparison would prove nothing"
    assert eval((tmp_path / "loss.txt").read_text()) == pytest.approx(h["loss"], rel=1e-6)
    # the ranks share the structures: 4 + 2 in one process, 2 + 1 on each of two ranks
    counts = []
    for rank in range(2):
        objective.setup(init, torch.device("cpu"), rank, 2)
        counts.append([b["n"] for b in objective.batches(torch.Generator().manual_seed(0))])
    assert counts == [[2, 1], [2, 1]]
