"""Objectives: what the one training loop minimises, and on which batches.

Supervised learning, a PINN and an autoencoder differ only in the objective,
so :func:`physnn.train.fit` takes an :class:`Objective` and never knows which
kind it runs.  An objective implements four things:

``setup(model, device, rank, world)``
    move its data to ``device`` and check it fits the model (once per fit);
``batches(generator)``
    an iterable of batches for one epoch, drawn with the loop's seeded
    ``torch.Generator`` (under DDP each rank gets its own shard);
``loss(model, batch) -> Tensor``
    a scalar to minimise;
``evaluate(model) -> dict``
    numbers logged after each epoch (``val_loss``, ``val_<metric>``), computed
    without gradients.

:class:`Supervised` is the objective of the lecture's regression and
classification examples: ``L = loss(model(x), y)`` averaged over a mini-batch.

    >>> import torch
    >>> X = torch.randn(8, 3); y = torch.randn(8, 1)
    >>> obj = Supervised((X, y), loss="mse", batch_size=4)
    >>> model = torch.nn.Linear(3, 1)
    >>> obj.setup(model, torch.device("cpu"))
    >>> [tuple(xb.shape) for xb, yb in obj.batches(torch.Generator().manual_seed(0))]
    [(4, 3), (4, 3)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_array, check_choice, check_finite, check_int

__all__ = ["Objective", "Supervised", "as_tensors"]


class Objective:
    """Interface of what :func:`physnn.train.fit` minimises (see module docs)."""

    #: this process's rank and the number of processes (DDP), set by :meth:`setup`; draw batches with
    #: :func:`physnn.train.batching.index_batches` and they are sharded by them
    rank: int = 0
    world: int = 1

    #: the log keys :meth:`evaluate` returns (validated against monitors at fit start)
    def log_keys(self) -> list[str]:
        return []

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        """Prepare for training ``model`` on ``device`` (called once per fit); remember ``rank`` and ``world``."""
        self.rank, self.world = rank, world

    def batches(self, generator: torch.Generator) -> Iterable[Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def loss(self, model: nn.Module, batch: Any) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        return {}

    def batch_size_of(self, batch: Any) -> int:
        """Number of samples in ``batch`` (weights the epoch's mean loss)."""
        if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], torch.Tensor):
            return int(batch[0].shape[0])
        return 1


#: dimensions accepted for inputs (samples first: tables, sets, images, volumes) and targets
_X_NDIM = (2, 3, 4, 5)
_Y_NDIM = (1, 2, 3, 4, 5)


def as_tensors(data: Any, *, owner: str = "fit") -> tuple[torch.Tensor, torch.Tensor | None, dict]:
    """Turn an ``ArrayData``, an ``(X, y)`` pair or a bare ``X`` into tensors.

    Returns ``(X, y, info)`` with ``X`` float32 of shape (N, d) — or (N, ...)
    for sets, images and fields, the first axis always the samples —, ``y`` of
    shape (N, k), (N,) (integer labels), (N, ...) (masks, fields) or ``None``,
    and ``info`` holding the feature/target names when known.  Arrays are
    validated: at least 2-D ``X``, finite values, matching row counts.
    """
    info: dict[str, Any] = {}
    if hasattr(data, "X") and hasattr(data, "y"):  # ArrayData, duck-typed (lower layer)
        X, y = data.X, data.y
        info["feature_names"] = list(getattr(data, "feature_names", []) or [])
        info["target_names"] = list(getattr(data, "target_names", []) or [])
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
    elif isinstance(data, (np.ndarray, torch.Tensor)):
        X, y = data, None
    else:
        raise PhysnnError(
            f"{owner}: data must be an ArrayData, an (X, y) pair or an array; "
            f"got {type(data).__name__}."
        )
    if isinstance(X, torch.Tensor):
        if X.ndim not in _X_NDIM:
            check_array("X", X, ndim=_X_NDIM, owner=owner)
        Xt = X.detach()
        if not Xt.is_floating_point():
            Xt = Xt.float()
        check_finite("X", Xt, owner=owner)
    else:
        Xt = torch.as_tensor(check_array("X", X, ndim=_X_NDIM, owner=owner), dtype=torch.float32)
    if Xt.dtype == torch.float64:
        Xt = Xt.float()
    yt = None
    if y is not None:
        ya = y if isinstance(y, torch.Tensor) else torch.as_tensor(
            check_array("y", y, ndim=_Y_NDIM, owner=owner)
        )
        if ya.ndim not in _Y_NDIM:
            check_array("y", ya, ndim=_Y_NDIM, owner=owner)
        if ya.is_floating_point():
            check_finite("y", ya, owner=owner)
        if ya.shape[0] != Xt.shape[0]:
            raise PhysnnError(
                f"{owner}: X has {Xt.shape[0]} rows but y has {ya.shape[0]}; "
                "they must describe the same samples."
            )
        yt = ya.detach()
        if yt.dtype == torch.float64:
            yt = yt.float()
    return Xt, yt, info


class Supervised(Objective):
    """Mini-batch supervised learning: minimise ``mean loss(model(x), y)``.

    Parameters
    ----------
    train : ArrayData or (X, y)
        Training data; ``X`` has shape (N, d), or (N, ...) for sets, images
        and fields.  ``y`` has shape (N, k) for regression and
        ``bce``/``bce_with_logits`` (labels in {0, 1}), (N,) integer classes
        for ``cross_entropy``, or (N, ...) like the model's output (masks,
        fields).
    val : ArrayData or (X, y), optional
        Validation data, evaluated after every epoch without gradients; gives
        ``val_loss`` and ``val_<metric>`` for each name in ``metrics``.
    loss : str or nn.Module
        One of ``mse, mae, huber, bce, bce_with_logits, cross_entropy``.
    batch_size : int or None
        Mini-batch size; ``None`` trains on the whole set at once.
    metrics : sequence of str, optional
        Metric names (``physnn.train.metrics``); defaults by loss: accuracy and
        roc_auc for binary, accuracy for multiclass, mse/rmse/mae/r2 for
        regression.
    """

    def __init__(
        self,
        train: Any,
        val: Any = None,
        *,
        loss: str | nn.Module = "mse",
        batch_size: int | None = 32,
        metrics: Sequence[str] | None = None,
        eval_batch_size: int = 65536,
    ) -> None:
        from physnn.train import losses as L
        from physnn.train import metrics as M

        self.loss_fn = L.get_loss(loss)
        self.loss_name = L.loss_name(self.loss_fn)  # None for a custom loss
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, low=1, owner="fit")
        self.batch_size = batch_size
        self.eval_batch_size = check_int("eval_batch_size", eval_batch_size, low=1, owner="fit")
        self.X, y, self.info = as_tensors(train, owner="fit")
        if y is None:
            raise PhysnnError(
                "fit: the training data have no targets (y is None); supervised "
                "training needs labels — name the target column(s)."
            )
        self.y = self._prep(y, "y")
        self.Xv = self.yv = None
        if val is not None:
            self.Xv, yv, _ = as_tensors(val, owner="fit (validation data)")
            if yv is None:
                raise PhysnnError("fit: the validation data have no targets (y is None).")
            if self.Xv.ndim == 2 and self.X.ndim == 2 and self.Xv.shape[1] != self.X.shape[1]:
                raise PhysnnError(
                    f"fit: validation data have {self.Xv.shape[1]} features but the "
                    f"training data have {self.X.shape[1]}; use the same columns."
                )
            if self.Xv.ndim != self.X.ndim or (self.X.ndim > 2 and self.Xv.shape[1:] != self.X.shape[1:]):
                raise PhysnnError(
                    f"fit: validation samples have shape {tuple(self.Xv.shape[1:])} but "
                    f"training samples have {tuple(self.X.shape[1:])}; they must match."
                )
            self.yv = self._prep(yv, "validation y")
        self.task = L.loss_task(self.loss_name) if self.loss_name else "regression"
        if metrics is None:
            metrics = M.default_metrics(self.task)
        self.metrics = [str(m) for m in metrics]
        self.metrics = [check_choice("metric", m, list(M.METRICS), owner="fit") for m in self.metrics]
        self._to_score = L.predict_proba_fn(self.loss_name) if self.loss_name else (lambda t: t)
        self.rank, self.world = 0, 1

    def _prep(self, y: torch.Tensor, what: str) -> torch.Tensor:
        from physnn.train import losses as L

        if self.loss_name is None:
            return y.float() if y.ndim == 2 else y
        L.check_targets(self.loss_name, y, owner=f"fit ({what})")
        return L.prepare_targets(self.loss_name, y)

    @property
    def n_train(self) -> int:
        return int(self.X.shape[0])

    def log_keys(self) -> list[str]:
        if self.Xv is None:
            return []
        return ["val_loss"] + [f"val_{m}" for m in self.metrics]

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        self.rank, self.world = rank, world
        self.X, self.y = self.X.to(device), self.y.to(device)
        if self.Xv is not None:
            self.Xv, self.yv = self.Xv.to(device), self.yv.to(device)
        self._check_model(model)

    def _check_model(self, model: nn.Module) -> None:
        """One forward pass on two rows to turn a shape mismatch into a clear error."""
        was = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(self.X[:2])
        except RuntimeError as exc:
            n_in = _first_in_features(model)
            expect = f" (its first layer takes {n_in})" if n_in is not None else ""
            if self.X.ndim == 2:
                raise PhysnnError(
                    f"fit: the model cannot take inputs with {self.X.shape[1]} features"
                    f"{expect}; build the model with n_in={self.X.shape[1]} or select "
                    f"matching columns. ({exc})"
                ) from None
            raise PhysnnError(
                f"fit: the model cannot take samples of shape {tuple(self.X.shape[1:])}; "
                f"build it for that input shape. ({exc})"
            ) from None
        finally:
            model.train(was)
        if self.loss_name == "cross_entropy":
            k = out.shape[1] if out.ndim >= 2 else 1
            from physnn.train import losses as L

            L.check_targets("cross_entropy", self.y, n_outputs=k, owner="fit (y)")
            if self.yv is not None:
                L.check_targets("cross_entropy", self.yv, n_outputs=k, owner="fit (validation y)")
        elif out.ndim == 2 and self.y.ndim == 2 and out.shape[1] != self.y.shape[1]:
            raise PhysnnError(
                f"fit: the model gives {out.shape[1]} outputs but y has {self.y.shape[1]} "
                f"column(s); set n_out={self.y.shape[1]}."
            )
        elif out.ndim > 2 and tuple(out.shape[1:]) != tuple(self.y.shape[1:]):
            raise PhysnnError(
                f"fit: the model gives outputs of shape {tuple(out.shape[1:])} per sample but "
                f"y has {tuple(self.y.shape[1:])}; they must match."
            )

    def batches(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        from physnn.train.batching import index_batches

        n, bs = self.n_train, self.batch_size
        full = bs is None or bs >= n
        if full and self.world == 1:
            yield self.X, self.y
            return
        idx = list(index_batches(n, bs, generator, shuffle=not full, rank=self.rank, world=self.world,
                                 device=self.X.device))
        if self.world > 1:
            for i in idx:
                yield self.X[i], self.y[i]
            return
        # One gather per epoch, then contiguous slices: cheaper than a gather per batch.
        perm = torch.cat(idx)
        Xp, yp = self.X[perm], self.y[perm]
        start = 0
        for i in idx:
            yield Xp[start : start + len(i)], yp[start : start + len(i)]
            start += len(i)

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        return self.loss_fn(model(xb), yb)

    @torch.no_grad()
    def predict(self, model: nn.Module, X: torch.Tensor) -> torch.Tensor:
        """Raw model outputs on ``X`` in evaluation mode, in chunks."""
        was = model.training
        model.eval()
        try:
            outs = [model(X[i : i + self.eval_batch_size]) for i in range(0, X.shape[0], self.eval_batch_size)]
        finally:
            model.train(was)
        return torch.cat(outs) if outs else X.new_zeros((0,))

    def scores(self, model: nn.Module, X: torch.Tensor) -> torch.Tensor:
        """Predictions in the units metrics need (probabilities for classifiers)."""
        return self._to_score(self.predict(model, X))

    @torch.no_grad()
    def evaluate_on(self, model: nn.Module, X: torch.Tensor, y: torch.Tensor, prefix: str) -> dict[str, float]:
        from physnn.train.metrics import compute_metrics

        out = self.predict(model, X)
        if not bool(torch.isfinite(out).all()):  # a diverging run: NaN scores, no metric; fit stops on the loss
            return {f"{prefix}loss": float("nan"), **{f"{prefix}{m}": float("nan") for m in self.metrics}}
        logs = {f"{prefix}loss": float(self.loss_fn(out, y))}
        if self.metrics:
            yt = y.detach().cpu()
            sc = self._to_score(out).detach().cpu()
            if self.loss_name == "cross_entropy" and yt.ndim > 1:
                # per-pixel classes: (N, C, H, ...) scores against (N, H, ...) labels
                sc, yt = sc.movedim(1, -1).reshape(-1, sc.shape[1]), yt.reshape(-1)
            elif yt.ndim > 2:
                # fields and masks: metrics pool every value (pixel, grid point)
                sc, yt = sc.reshape(-1), yt.reshape(-1)
            yt, sc = yt.numpy(), sc.numpy()
            for k, v in compute_metrics(self.metrics, yt, sc).items():
                logs[f"{prefix}{k}"] = v
        return logs

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.Xv is None:
            return {}
        return self.evaluate_on(model, self.Xv, self.yv, "val_")

    def final_metrics(self, model: nn.Module, test: Any = None) -> dict[str, float]:
        """Loss and metrics on train, validation and (optionally) test data."""
        out = self.evaluate_on(model, self.X, self.y, "train_")
        if self.Xv is not None:
            out.update(self.evaluate_on(model, self.Xv, self.yv, "val_"))
        if test is not None:
            Xt, yt, _ = as_tensors(test, owner="test data")
            out.update(self.evaluate_on(model, Xt.to(self.X.device), self._prep(yt, "test y").to(self.X.device), "test_"))
        return out


def _first_in_features(model: nn.Module) -> int | None:
    for m in model.modules():
        if isinstance(m, nn.Linear):
            return int(m.in_features)
    return None
