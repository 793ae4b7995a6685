"""Train many small MLPs at once through :func:`physnn.train.fit` (the lecture's seed and width sweeps).

:func:`fit_stack` wraps a list of :class:`~physnn.nn.MLP` in a
:class:`~physnn.nn.StackedMLP` and trains it with the loss :func:`stack_mse`,
so each member follows the trajectory it would follow alone;
:class:`MemberCurves` records every member's error per epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import check_int
from physnn.nn import MLP, StackedMLP
from physnn.train.callbacks import Callback

__all__ = ["stack_mse", "fit_stack", "member_mse", "predict_curve", "MemberCurves"]


def stack_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""The loss of a :class:`StackedMLP`: :math:`\sum_m \frac1N \sum_n (\hat y_{nm} - y_{nm})^2`.

    The *sum* over members (not the mean) gives each member exactly its own
    MSE gradient, so Adam and ``weight_decay`` treat it as if it were alone.
    """
    return ((out - y) ** 2).mean(0).sum()


def _tile(y: Any, m: int) -> torch.Tensor:
    y = torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1)
    return y.repeat(1, m)


def fit_stack(members: Sequence[MLP], X: Any, y: Any, *, val: tuple[Any, Any] | None = None,
              callbacks: Sequence[Callback] = (), **fit_kwargs: Any):
    """Train ``members`` side by side with :func:`physnn.train.fit`; return ``(stack, history)``.

    ``X`` is ``(N, n_in)``, ``y`` ``(N, 1)``; the targets are repeated once per
    member and the loss is :func:`stack_mse`.  The history's ``loss`` (and
    ``val_loss``) are sums over members; per-member numbers come from
    :func:`member_mse` or a :class:`MemberCurves` callback.
    """
    from physnn.train import fit

    stack = StackedMLP(members)
    m = len(stack)
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))
    data = (Xt, _tile(y, m))
    v = None if val is None else (torch.as_tensor(np.asarray(val[0], dtype=np.float32)), _tile(val[1], m))
    fit_kwargs.setdefault("progress", False)
    hist = fit(stack, data, val=v, loss=stack_mse, metrics=[], callbacks=list(callbacks), **fit_kwargs)
    return stack, hist


def member_mse(model: nn.Module, X: Any, y: Any) -> np.ndarray:
    """Each member's (or a single model's) MSE on ``(X, y)`` in evaluation mode, as a NumPy array."""
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))
    yt = torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1)
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            err = ((model(Xt) - yt) ** 2).mean(0)
    finally:
        model.train(was)
    return err.double().numpy()


class MemberCurves(Callback):
    """Record each member's MSE on named data sets after every ``every``-th epoch.

    Evaluated in evaluation mode (dropout off), so the training-set curve is
    the error of the network itself, not of its dropped-out copies.
    ``curves[name]`` is an ``(epochs_recorded, M)`` array; ``epochs`` lists
    the epochs recorded.
    """

    def __init__(self, every: int = 1, **sets: tuple[Any, Any]) -> None:
        self.every = check_int("every", every, low=1, owner="MemberCurves")
        self.sets = {k: (torch.as_tensor(np.asarray(X, dtype=np.float32)),
                         torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1))
                     for k, (X, y) in sets.items()}
        self.epochs: list[int] = []
        self._rows: dict[str, list[np.ndarray]] = {k: [] for k in sets}

    def on_epoch_end(self, state: Any, logs: dict[str, float]) -> None:
        if state.epoch % self.every:
            return
        model = state.raw_model
        was = model.training
        model.eval()
        with torch.no_grad():
            for k, (X, y) in self.sets.items():
                self._rows[k].append(((model(X) - y) ** 2).mean(0).double().numpy())
        model.train(was)
        self.epochs.append(int(state.epoch))

    @property
    def curves(self) -> dict[str, np.ndarray]:
        return {k: np.array(v) for k, v in self._rows.items()}


def predict_curve(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """A 1-D model's predictions on the points ``x`` (n,), in evaluation mode, as a NumPy array."""
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(x, dtype=torch.float32).reshape(-1, 1)).reshape(-1).numpy()
