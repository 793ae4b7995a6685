"""Mini-batches by index: the one batching rule of every objective, under DDP too.

Every objective of physnn (tabular, jet taggers, the autoencoder, neural
operators, CNNs, potentials) draws its mini-batches here, so they all behave
the same way:

* **seeded** — one permutation per epoch from the loop's ``torch.Generator``,
  so a run repeats exactly;
* **sharded under DDP** — every rank draws the *same* permutation (same seed)
  and keeps the rows ``rank::world`` of each global batch of ``batch_size``
  rows; DDP averages the ranks' gradients, so with equal shards a step is the
  global batch's step (the same training as one process, up to rounding);
* **one rule for the last batch** — the last, shorter batch is kept when every
  rank gets at least ``min_size`` rows of it, and dropped otherwise (so
  ``min_size=2`` for a loss that needs two samples, e.g. a distance
  correlation; a rank never receives an empty batch).

    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> [len(i) for i in index_batches(10, 4, g)]
    [4, 4, 2]
    >>> [len(i) for i in index_batches(10, 4, g, rank=1, world=2)]   # rows 1::2 of each global batch
    [2, 2, 1]
    >>> [len(i) for i in index_batches(9, 4, g, min_size=2)]         # a last batch of 1 is dropped
    [4, 4]
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from physnn.errors import PhysnnError, check_int

__all__ = ["index_batches", "sampled_batches", "shard"]


def shard(idx: torch.Tensor, rank: int = 0, world: int = 1) -> torch.Tensor:
    """This rank's part of a global batch of indices: ``idx[rank::world]`` (all of it in one process)."""
    return idx if world <= 1 else idx[rank::world]


def _check(rank: int, world: int, owner: str) -> None:
    check_int("world", world, low=1, owner=owner)
    check_int("rank", rank, low=0, owner=owner)
    if rank >= world:
        raise PhysnnError(f"{owner}: rank {rank} is not below the world size {world}.")


def index_batches(
    n: int,
    batch_size: int | None,
    generator: torch.Generator,
    *,
    shuffle: bool = True,
    rank: int = 0,
    world: int = 1,
    min_size: int = 1,
    device: torch.device | str | None = None,
) -> Iterator[torch.Tensor]:
    """The index tensors of one epoch over ``n`` samples, in global batches of ``batch_size``.

    Parameters
    ----------
    n : int
        Number of training samples.
    batch_size : int or None
        Rows per global batch (all ranks together); ``None`` or ``>= n``: one batch of everything.
    generator : torch.Generator
        The loop's seeded generator (the same seed on every rank).
    shuffle : bool
        Draw a new permutation each epoch (``False``: ``0..n-1`` in order).
    rank, world : int
        This process's rank and the number of processes (DDP); ``0, 1`` alone.
    min_size : int
        Fewest rows per rank in a batch; a shorter last batch is dropped.
    device : optional
        Where the index tensors live (the data's device: indexing is then a gather there).

    Yields
    ------
    Tensor
        int64 indices of shape ``(b,)``, ``b ≈ batch_size / world``.
    """
    owner = "index_batches"
    check_int("n", n, low=0, owner=owner)
    check_int("min_size", min_size, low=1, owner=owner)
    _check(rank, world, owner)
    bs = n if batch_size is None else check_int("batch_size", batch_size, low=1, owner=owner)
    bs = max(min(bs, n), 1)
    order = torch.randperm(n, generator=generator) if shuffle and n > 1 else torch.arange(n)
    if device is not None:
        order = order.to(device)
    for start in range(0, n, bs):
        idx = order[start : start + bs]
        if len(idx) < min_size * world:
            continue
        yield shard(idx, rank, world)


def sampled_batches(
    n: int,
    batch_size: int,
    steps: int,
    generator: torch.Generator,
    *,
    rank: int = 0,
    world: int = 1,
) -> Iterator[torch.Tensor]:
    """``steps`` global batches of ``batch_size`` indices drawn with replacement (epochs of fixed length).

    For objectives that see a few large samples many times per epoch (random crops of a handful of
    images): every rank draws the same indices and keeps ``rank::world`` of them, as in
    :func:`index_batches`.

    >>> g = torch.Generator().manual_seed(0)
    >>> [len(i) for i in sampled_batches(3, 4, 2, g, rank=0, world=2)]
    [2, 2]
    """
    owner = "sampled_batches"
    check_int("n", n, low=1, owner=owner)
    check_int("steps", steps, low=1, owner=owner)
    check_int("batch_size", batch_size, low=world, owner=owner)
    _check(rank, world, owner)
    for _ in range(steps):
        yield shard(torch.randint(0, n, (batch_size,), generator=generator), rank, world)
