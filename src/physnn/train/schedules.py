r"""Learning-rate schedules by name, stepped once per epoch.

With :math:`\eta_0` the optimizer's learning rate and :math:`N` the number of
completed epochs:

==============  =====================================================================
name            learning rate after :math:`N` epochs
==============  =====================================================================
``"none"``      :math:`\eta_0`
``"step"``      :math:`\eta_0\,\gamma^{\lfloor N/s\rfloor}` (``step_size`` :math:`s`, ``gamma`` :math:`\gamma`)
``"cosine"``    :math:`\eta_{min}+(\eta_0-\eta_{min})\,\tfrac12\bigl(1+\cos(\pi N/T)\bigr)`,
                :math:`T` = ``epochs``, :math:`\eta_{min}` = ``min_lr``
``"plateau"``   multiplied by ``factor`` once the monitored metric (lower is better unless ``mode="max"``)
                has not improved for ``patience + 1`` epochs in a row, never below ``min_lr``
==============  =====================================================================

The training loop calls :meth:`Schedule.step` once at the end of each epoch,
passing the monitored metric (e.g. the validation loss); only ``"plateau"``
uses it.

    >>> import torch
    >>> w = torch.nn.Parameter(torch.zeros(1))
    >>> opt = torch.optim.SGD([w], lr=1.0)
    >>> sched = make_schedule("step", opt, epochs=9, step_size=3, gamma=0.5)
    >>> for epoch in range(6):
    ...     opt.step()
    ...     sched.step()
    >>> sched.last_lr  # 1.0 * 0.5 ** (6 // 3)
    0.25
"""

from __future__ import annotations

from dataclasses import dataclass, field

import math
from typing import Any

import torch
from torch.optim import lr_scheduler

from physnn.errors import PhysnnError, check_choice, check_int, check_range

__all__ = ["SCHEDULES", "Schedule", "ScheduleSpec", "make_schedule", "closed_form_lr"]

SCHEDULES = ("none", "step", "cosine", "plateau")
"""The schedule names :func:`make_schedule` knows."""

_OWNER = "make_schedule"


class Schedule:
    """A learning-rate schedule stepped once per epoch; made by :func:`make_schedule`.

    Attributes
    ----------
    name : the schedule's name (one of :data:`SCHEDULES`).
    optimizer : the optimizer whose learning rates it sets.
    scheduler : the underlying ``torch.optim.lr_scheduler`` object (``None`` for ``"none"``).
    epochs_done : how many times :meth:`step` has been called.
    """

    def __init__(self, name: str, optimizer: torch.optim.Optimizer, scheduler: Any = None) -> None:
        self.name = name
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.epochs_done = 0

    @property
    def needs_metric(self) -> bool:
        """True if :meth:`step` must be given the monitored metric (``"plateau"``)."""
        return self.name == "plateau"

    def step(self, metric: float | None = None) -> None:
        """Advance one epoch; call it once at the end of every epoch.

        ``metric`` is the monitored value (e.g. the validation loss; lower is
        better unless the schedule was made with ``mode="max"``). Only
        ``"plateau"`` uses it; there a missing (``None``) or NaN metric counts
        as an epoch without improvement. The other schedules ignore it.
        """
        if self.name == "plateau":
            if isinstance(metric, torch.Tensor):
                metric = metric.item()
            try:
                value = float("nan") if metric is None else float(metric)
            except (TypeError, ValueError):
                raise PhysnnError(
                    f"Schedule.step: 'metric' must be a number or None; got {metric!r}."
                ) from None
            self.scheduler.step(value)
        elif self.scheduler is not None:
            self.scheduler.step()
        self.epochs_done += 1

    @property
    def last_lr(self) -> float:
        """The current learning rate of the first parameter group (see :attr:`lrs` for all)."""
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def lrs(self) -> list[float]:
        """The current learning rate of every parameter group."""
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: name, epochs done and the torch scheduler's state."""
        return {
            "name": self.name,
            "epochs_done": self.epochs_done,
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the schedule's name must match."""
        if not isinstance(state, dict) or "name" not in state:
            raise PhysnnError(
                "Schedule.load_state_dict: expected a dict from Schedule.state_dict(); "
                f"got {type(state).__name__}."
            )
        if state["name"] != self.name:
            raise PhysnnError(
                f"Schedule.load_state_dict: the saved schedule is {state['name']!r} but this one is "
                f"{self.name!r}; make the schedule with the same name as the saved run."
            )
        self.epochs_done = int(state.get("epochs_done", 0))
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])

    def __repr__(self) -> str:
        return f"Schedule({self.name!r}, last_lr={self.last_lr:g}, epochs_done={self.epochs_done})"


def make_schedule(
    name: str,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    step_size: int | None = None,
    gamma: float = 0.1,
    min_lr: float = 0.0,
    patience: int = 10,
    factor: float = 0.1,
    mode: str = "min",
) -> Schedule:
    r"""Return the :class:`Schedule` ``name`` for ``optimizer`` (formulas in the module docstring).

    Parameters
    ----------
    name : one of :data:`SCHEDULES`.
    optimizer : a ``torch.optim.Optimizer`` (e.g. from :func:`physnn.train.optimizers.make_optimizer`).
    epochs : total epochs of training (``T`` of ``"cosine"``; sets ``step_size``'s default).
    step_size : ``"step"``: epochs between decays, default ``max(1, epochs // 3)``.
    gamma : ``"step"``: decay factor in ``(0, 1]``.
    min_lr : ``"cosine"``: final learning rate :math:`\eta_{min}`; ``"plateau"``: floor. ``>= 0``.
    patience : ``"plateau"``: epochs without improvement tolerated before a decay (``>= 0``).
    factor : ``"plateau"``: decay factor in ``(0, 1)``.
    mode : ``"plateau"``: ``"min"`` (default; the metric is a loss) or ``"max"``
        (the metric is e.g. an accuracy or ROC AUC, higher is better).

        >>> w = torch.nn.Parameter(torch.zeros(1))
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> make_schedule("cosine", opt, epochs=10, min_lr=0.2)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: make_schedule: 'min_lr' (0.2) must be below the optimizer's lr (0.1) for 'cosine'.
    """
    key = check_choice("schedule", name, SCHEDULES, owner=_OWNER)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise PhysnnError(
            f"{_OWNER}: 'optimizer' must be a torch.optim.Optimizer (see make_optimizer); "
            f"got {type(optimizer).__name__}."
        )
    epochs = check_int("epochs", epochs, low=1, owner=_OWNER)
    gamma = check_range("gamma", gamma, low=0.0, high=1.0, low_inclusive=False, owner=_OWNER)
    min_lr = check_range("min_lr", min_lr, low=0.0, owner=_OWNER)
    patience = check_int("patience", patience, low=0, owner=_OWNER)
    factor = check_range("factor", factor, low=0.0, high=1.0, low_inclusive=False,
                         high_inclusive=False, owner=_OWNER)
    mode = check_choice("mode", mode, ("min", "max"), owner=_OWNER)
    if step_size is None:
        step_size = max(1, epochs // 3)
    step_size = check_int("step_size", step_size, low=1, owner=_OWNER)

    if key == "none":
        return Schedule(key, optimizer)
    if key == "step":
        return Schedule(key, optimizer, lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma))
    if key == "cosine":
        lr0 = min(float(g["lr"]) for g in optimizer.param_groups)
        if min_lr > lr0:
            raise PhysnnError(
                f"{_OWNER}: 'min_lr' ({min_lr:g}) must be below the optimizer's lr ({lr0:g}) for 'cosine'."
            )
        return Schedule(key, optimizer, lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=min_lr))
    return Schedule(
        key,
        optimizer,
        lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=factor, patience=patience, min_lr=min_lr),
    )


@dataclass(frozen=True)
class ScheduleSpec:
    """Which learning-rate schedule :func:`physnn.train.fit` builds: a name and its options.

    ``fit(..., schedule=ScheduleSpec("step", {"step_size": 30}))`` is
    ``fit(..., schedule="step", schedule_options={"step_size": 30})``.
    """

    name: str = "none"
    options: dict[str, Any] = field(default_factory=dict)

    def build(self, optimizer: torch.optim.Optimizer, *, epochs: int) -> Schedule:
        return make_schedule(self.name, optimizer, epochs=epochs, **self.options)


def closed_form_lr(
    name: str,
    lr: float,
    n: int,
    *,
    epochs: int,
    step_size: int | None = None,
    gamma: float = 0.1,
    min_lr: float = 0.0,
) -> float:
    r"""The learning rate after ``n`` epochs of ``"none"``, ``"step"`` or ``"cosine"`` from the formulas.

    A reference for tests and plots (``"plateau"`` depends on the metric, so has none).

        >>> closed_form_lr("cosine", 1.0, 5, epochs=10)
        0.5
    """
    key = check_choice("schedule", name, ("none", "step", "cosine"), owner="closed_form_lr")
    if key == "none":
        return float(lr)
    if key == "step":
        s = step_size if step_size is not None else max(1, epochs // 3)
        return float(lr) * gamma ** (n // s)
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * n / epochs)) / 2
