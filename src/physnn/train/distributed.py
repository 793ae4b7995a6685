"""Data-parallel training under ``torchrun`` (DDP), with nothing to change in user code.

Launch any script that calls :func:`physnn.train.fit` with::

    torchrun --nproc_per_node=2 train.py

and ``fit`` notices the ``RANK``/``WORLD_SIZE`` environment variables, joins
the process group (``gloo`` on the CPU, ``nccl`` on CUDA), wraps the model in
:class:`torch.nn.parallel.DistributedDataParallel`, gives each rank the rows
``rank::world`` of every global mini-batch, averages the epoch loss over all
ranks, and lets only rank 0 print or write files.  All ranks draw the same
permutation (same seed), so the averaged gradient is the global batch's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

__all__ = ["DistInfo", "dist_info", "init_distributed", "all_reduce_sum", "is_main_process"]


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def dist_info() -> DistInfo:
    """Rank and world size from torchrun's environment (1 process when absent)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return DistInfo(
            torch.distributed.get_rank(),
            torch.distributed.get_world_size(),
            int(os.environ.get("LOCAL_RANK", 0)),
        )
    return DistInfo(
        int(os.environ.get("RANK", 0)),
        int(os.environ.get("WORLD_SIZE", 1)),
        int(os.environ.get("LOCAL_RANK", 0)),
    )


def is_main_process() -> bool:
    return dist_info().is_main


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group if launched by torchrun and not yet joined."""
    info = dist_info()
    if info.enabled and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend)
        info = dist_info()
    return info


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum a few floats over all ranks (identity when not distributed)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(t)
    return t.tolist()
