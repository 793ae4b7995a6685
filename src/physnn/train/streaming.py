"""Supervised learning on a table larger than memory: the objective that reads a :class:`TableStream`.

:class:`StreamingSupervised` is :class:`physnn.train.objectives.Supervised`
for data that stay on disk: each epoch reads the training chunks once, in a
seeded order, through shuffle buffers (:mod:`physnn.data.stream`), split
between DDP ranks and DataLoader workers without duplicates; the validation
loss and metrics are computed chunk by chunk.  The loss is the same
``mean loss(model(x), y)``, so a streamed run and an in-memory run of the
same data differ only in the order rows are met.

    >>> import tempfile, pathlib, numpy as np, torch
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> from physnn.data.stream import TableStream
    >>> from physnn.train import fit
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "line.parquet"
    >>> x = np.linspace(-1, 1, 2000, dtype=np.float32)
    >>> pq.write_table(pa.table({"x": x, "y": 3 * x}), p, row_group_size=200)
    >>> s = TableStream(p, features=["x"], target="y")
    >>> tr, va, _ = s.split(val=0.2)
    >>> obj = StreamingSupervised(s, tr, va, batch_size=64)
    >>> _ = torch.manual_seed(0); model = torch.nn.Linear(1, 1)
    >>> h = fit(model, objective=obj, lr=0.05, epochs=20, progress=False)
    >>> round(model.weight.item(), 2)
    3.0
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.data.stream import Chunk, TableStream, batches_per_reader, epoch_assignment
from physnn.errors import PhysnnError, check_choice, check_int
from physnn.train.objectives import Objective

__all__ = ["StreamingSupervised"]


class _Readers(torch.utils.data.IterableDataset):
    """The DataLoader side: worker ``w`` reads ``assignment[w]`` through its own shuffle buffer."""

    def __init__(self, stream: TableStream, assignment: list[list[Chunk]], kwargs: dict[str, Any],
                 seed: int) -> None:
        self.stream, self.assignment, self.kwargs, self.seed = stream, assignment, kwargs, seed

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        info = torch.utils.data.get_worker_info()
        w = 0 if info is None else info.id
        yield from self.stream.reader(self.assignment[w], seed=self.seed + 7919 * w, **self.kwargs)


class StreamingSupervised(Objective):
    """Mini-batch supervised learning over chunks of a :class:`~physnn.data.stream.TableStream`.

    Parameters
    ----------
    stream : TableStream
        The table on disk.
    train, val : list of Chunk
        Training and validation chunks (:meth:`TableStream.split`); ``val`` may be empty.
    loss : str
        ``mse, mae, huber, bce, bce_with_logits, cross_entropy`` (targets as in ``Supervised``).
    batch_size : int
        Global mini-batch size (all ranks together; each rank takes ``batch_size // world``).
    metrics : list of str, optional
        Validation metrics (defaults by loss, as in ``Supervised``).
    standardizer : Standardizer, optional
        Applied to each buffer's features.
    buffer_chunks : int
        Chunks mixed in one shuffle buffer per reader (memory: ``buffer_chunks`` × chunk size).
    workers : int
        DataLoader worker processes reading chunks beside training (0: read in the training process).
    pin_memory : bool, optional
        Page-locked batches for asynchronous copies to a GPU (default: when training on CUDA).
    val_cache_mb : int
        The validation chunks, evaluated every epoch, are decoded once and kept in memory when they
        take at most this many MiB (0: read them from disk every epoch).
    """

    def __init__(self, stream: TableStream, train: Sequence[Chunk], val: Sequence[Chunk] | None = None, *,
                 loss: str = "mse", batch_size: int = 1024, metrics: Sequence[str] | None = None,
                 standardizer: Any = None, buffer_chunks: int = 4, workers: int = 0,
                 pin_memory: bool | None = None, n_outputs: int | None = None, val_cache_mb: int = 512) -> None:
        from physnn.train import losses as L
        from physnn.train import metrics as M

        owner = "fit (streaming)"
        if not train:
            raise PhysnnError(f"{owner}: no training chunk; the stream's split left nothing to train on.")
        self.stream, self.train_chunks, self.val_chunks = stream, list(train), list(val or [])
        self.loss_fn = L.get_loss(loss)
        self.loss_name = check_choice("loss", L.loss_name(self.loss_fn), list(L.LOSSES), owner=owner)
        self.batch_size = check_int("batch_size", batch_size, low=1, owner=owner)
        self.buffer_chunks = check_int("buffer_chunks", buffer_chunks, low=1, owner=owner)
        self.workers = check_int("workers", workers, low=0, owner=owner)
        self.pin_memory = pin_memory
        self.standardizer = standardizer
        self.n_outputs = n_outputs
        self.task = L.loss_task(self.loss_name)
        names = M.default_metrics(self.task) if metrics is None else [str(m) for m in metrics]
        self.metrics = [check_choice("metric", m, list(M.METRICS), owner=owner) for m in names]
        self._to_score = L.predict_proba_fn(self.loss_name)
        self.device = torch.device("cpu")
        self.val_cache_mb = check_int("val_cache_mb", val_cache_mb, low=0, owner=owner)
        self._val_cache: list | None = None

    # ------------------------------------------------------------------ helpers
    def _transform(self) -> Any:
        return None if self.standardizer is None else self.standardizer.transform

    def _targets(self, y: np.ndarray, what: str) -> torch.Tensor:
        from physnn.train import losses as L

        t = torch.from_numpy(np.ascontiguousarray(y[:, 0] if y.shape[1] == 1 and self.loss_name == "cross_entropy" else y))
        if self.loss_name == "cross_entropy":
            if not torch.equal(t, t.round()):
                raise PhysnnError(f"fit (streaming, {what}): cross_entropy needs integer class labels; the target "
                                  "column holds other values.")
            t = t.long()
        L.check_targets(self.loss_name, t, n_outputs=self.n_outputs, owner=f"fit (streaming, {what})")
        return L.prepare_targets(self.loss_name, t)

    def _tensors(self, x: Any, y: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
        xt = torch.as_tensor(x)
        yt = y if isinstance(y, torch.Tensor) else self._targets(y, what)
        if self.device.type == "cpu":
            return xt, yt
        if self.device.type == "cuda" and self.pin_memory is not False and not xt.is_pinned():
            xt, yt = xt.pin_memory(), yt.pin_memory()  # page-locked: the copies below do not block
        return xt.to(self.device, non_blocking=True), yt.to(self.device, non_blocking=True)

    # ------------------------------------------------------------------ Objective
    def log_keys(self) -> list[str]:
        return ["val_loss"] + [f"val_{m}" for m in self.metrics] if self.val_chunks else []

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        self.rank, self.world, self.device = rank, world, torch.device(device)
        self._val_cache = None
        if self.batch_size < world:
            raise PhysnnError(f"fit (streaming): batch_size {self.batch_size} is smaller than the {world} processes; "
                              "each rank needs at least one row per batch.")
        X, _ = self.stream.read(self.train_chunks[0])
        x = torch.as_tensor(X[:2]).to(self.device)
        was = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(x)
        except RuntimeError as exc:
            raise PhysnnError(f"fit (streaming): the model cannot take inputs with {X.shape[1]} features; build it "
                              f"with n_in={X.shape[1]}. ({exc})") from None
        finally:
            model.train(was)
        if self.n_outputs is None:
            self.n_outputs = int(out.shape[1]) if out.ndim == 2 else 1

    def plan(self, seed: int) -> tuple[list[list[Chunk]], int | None]:
        """This rank's chunks per reader for the epoch drawn with ``seed``, and the number of batches
        every rank yields (``None`` in one process: all of them)."""
        order = np.random.default_rng(seed).permutation(len(self.train_chunks))
        readers = max(self.workers, 1)
        local = max(self.batch_size // self.world, 1)
        per_rank = []
        for r in range(self.world):
            idx = epoch_assignment(len(order), order, r, self.world, readers)
            per_rank.append([[self.train_chunks[i] for i in chunk_ids] for chunk_ids in idx])
        steps = None
        if self.world > 1:
            steps = min(sum(batches_per_reader(sum(c.rows for c in cs), local) for cs in rank)
                        for rank in per_rank)
        return per_rank[self.rank], steps

    def batches(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))  # the same on every rank
        assignment, steps = self.plan(seed)
        local = max(self.batch_size // self.world, 1)
        kwargs = dict(batch_size=local, buffer_chunks=self.buffer_chunks, transform=self._transform(),
                      per_yield=64)  # blocks of 64 batches: few messages from the loader workers
        rseed = seed + 104729 * self.rank
        if self.workers == 0:
            source: Any = self.stream.reader(assignment[0], seed=rseed, **kwargs)
        else:
            pin = self.device.type == "cuda" if self.pin_memory is None else self.pin_memory
            source = torch.utils.data.DataLoader(
                _Readers(self.stream, assignment, kwargs, rseed), batch_size=None, num_workers=self.workers,
                pin_memory=pin, collate_fn=self._collate, prefetch_factor=2)
        i = 0
        for xs, ys in source:
            xt, yt = self._tensors(xs, ys, "training data")
            for a in range(0, len(xt), local):
                if steps is not None and i >= steps:
                    return
                i += 1
                yield xt[a:a + local], yt[a:a + local]

    def _collate(self, batch: tuple[np.ndarray, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = batch
        return torch.from_numpy(x), self._targets(y, "training data")

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        return self.loss_fn(model(xb), yb)

    @torch.no_grad()
    def evaluate_chunks(self, model: nn.Module, chunks: Sequence[Chunk], prefix: str) -> dict[str, float]:
        """Loss and metrics over ``chunks`` read in order (no gradients, evaluation mode)."""
        from physnn.train.metrics import compute_metrics

        if not chunks:
            return {}
        was = model.training
        model.eval()
        total, n, scores, targets = 0.0, 0, [], []
        try:
            for xt, yt in self._eval_pieces(chunks, prefix):
                out = model(xt)
                total += float(self.loss_fn(out, yt)) * len(xt)
                n += len(xt)
                if self.metrics:
                    scores.append(self._to_score(out).cpu())
                    targets.append(yt.cpu())
        finally:
            model.train(was)
        logs = {f"{prefix}loss": total / n}
        if self.metrics and not all(bool(torch.isfinite(sc).all()) for sc in scores):
            # a diverging run: NaN metrics (as Supervised gives), fit's NaN rule stops it on the loss
            return {f"{prefix}loss": float("nan"), **{f"{prefix}{m}": float("nan") for m in self.metrics}}
        if self.metrics:
            for k, v in compute_metrics(self.metrics, torch.cat(targets).numpy(), torch.cat(scores).numpy()).items():
                logs[f"{prefix}{k}"] = v
        return logs

    def _eval_pieces(self, chunks: Sequence[Chunk], prefix: str) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The chunks as tensors: the validation chunks are decoded once and kept while they take at most
        ``val_cache_mb`` (evaluated every epoch); anything else is read from disk each time."""
        what = prefix.rstrip("_") + " data"
        cacheable = chunks is self.val_chunks and self.val_cache_mb > 0
        if cacheable and self._val_cache is not None and self._val_cache[0][0].device == self.device:
            yield from self._val_cache
            return
        size = sum(c.rows for c in chunks) * 4 * (len(self.stream.feature_names) + len(self.stream.target_names))
        keep: list | None = [] if cacheable and size <= self.val_cache_mb * 2**20 else None
        for X, y in self.stream.iter_chunks(chunks, transform=self._transform()):
            piece = self._tensors(X, y, what)
            if keep is not None:
                keep.append(piece)
            yield piece
        if keep:
            self._val_cache = keep

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        return self.evaluate_chunks(model, self.val_chunks, "val_")
