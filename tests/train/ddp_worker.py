"""Run by tests/train/test_distributed.py under torchrun: train, then dump this rank's weights."""

import sys

import torch
from torch import nn

from physnn.train import fit
from physnn.train.checkpoint import save_weights
from physnn.train.distributed import dist_info

out = sys.argv[1]
g = torch.Generator().manual_seed(0)
X = torch.randn(256, 3, generator=g)
y = X.sum(1, keepdim=True) ** 2
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
h = fit(model, (X, y), val=(X, y), optimizer="sgd", lr=0.01, epochs=3, batch_size=32, seed=0, progress=False)
save_weights(model, f"{out}/rank{dist_info().rank}.safetensors")
if dist_info().is_main:
    with open(f"{out}/loss.txt", "w") as fh:
        fh.write(repr(h["loss"]))
# both ranks finish their writes before either tears gloo down: a rank that destroys its group while
# the other is still inside a collective can abort the process ("terminate called without an active exception")
torch.distributed.barrier()
torch.distributed.destroy_process_group()
