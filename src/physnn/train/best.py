"""The best epoch so far, and its weights: one tracker for the loop and its callbacks.

The loop, :class:`~physnn.train.callbacks.EarlyStopping` and
:class:`~physnn.train.callbacks.Checkpoint` all ask the same question after
each epoch — *is this value better than the best so far?* — and answer it here,
with one rule: a finite value ``v`` improves on ``best`` when
``v < best - min_delta`` (``mode="min"``) or ``v > best + min_delta``
(``mode="max"``); the first finite value always improves.  NaN and Inf never do.

    >>> t = BestTracker("val_loss")
    >>> [t.update(v, epoch=i) for i, v in enumerate([1.0, 0.8, float("nan"), 0.9, 0.7])]
    [True, True, False, False, True]
    >>> t.epoch, t.value
    (4, 0.7)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from physnn.errors import check_choice, check_range

__all__ = ["BestTracker"]


@dataclass
class BestTracker:
    """The best value of ``monitor`` so far, its epoch and (when asked) the weights at that epoch.

    Parameters
    ----------
    monitor : str
        The logged value it follows (``"val_loss"``, ``"loss"``, ``"val_accuracy"``, ...).
    mode : {"min", "max"}
    min_delta : float >= 0
        The least change that counts as an improvement.
    """

    monitor: str
    mode: str = "min"
    min_delta: float = 0.0
    value: float | None = None
    epoch: int | None = None
    weights: dict[str, torch.Tensor] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.mode = check_choice("mode", self.mode, ["min", "max"], owner="BestTracker")
        self.min_delta = check_range("min_delta", self.min_delta, low=0.0, owner="BestTracker")

    def improves(self, value: float) -> bool:
        """Whether ``value`` would be a new best (without recording it)."""
        if not math.isfinite(value):
            return False
        if self.value is None:
            return True
        if self.mode == "min":
            return value < self.value - self.min_delta
        return value > self.value + self.min_delta

    def update(self, value: float, epoch: int, model: nn.Module | None = None) -> bool:
        """Record ``value`` of ``epoch``; on a new best keep a copy of ``model``'s weights (if given).

        Returns whether it was a new best.
        """
        value = float(value)
        if not self.improves(value):
            return False
        self.value, self.epoch = value, int(epoch)
        if model is not None:
            self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"value": self.value, "epoch": self.epoch, "weights": self.weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.value, self.epoch, self.weights = state.get("value"), state.get("epoch"), state.get("weights")
