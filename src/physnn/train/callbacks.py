"""Callbacks: the loop runs, callbacks decide and record.

A callback sees the loop's :class:`TrainState` at three moments —
``on_fit_start``, ``on_epoch_end`` (after validation, with the epoch's logs)
and ``on_fit_end`` — and may ask the loop to stop by calling
``state.request_stop(reason, message)``.  Callbacks keep their own state in
``state_dict()`` so a resumed run continues exactly where it left off.

Built in: :class:`EarlyStopping`, :class:`Checkpoint`, :class:`PrintLogger`
(the lecture's ``Epoch 50: Loss = 0.1234`` lines), :class:`CSVLogger` and
:class:`ProgressBar`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any


from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.train.best import BestTracker
from physnn.train.history import StopReason

if TYPE_CHECKING:  # pragma: no cover
    from physnn.train.loop import TrainState

__all__ = [
    "Callback",
    "EarlyStopping",
    "Checkpoint",
    "PrintLogger",
    "CSVLogger",
    "ProgressBar",
    "check_monitor",
]

_MONITOR_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_monitor(monitor: str, available: list[str], *, owner: str) -> None:
    """Raise unless ``monitor`` is one of the values the run will log."""
    if monitor not in available:
        hint = ""
        if monitor.startswith("val_") and not any(a.startswith("val_") for a in available):
            hint = " No validation data were given: pass val=... or monitor 'loss'."
        raise PhysnnError(
            f"{owner}: monitor {monitor!r} is not logged by this run; it logs "
            f"{', '.join(map(repr, available))}.{hint}"
        )


class Callback:
    """Base class; override any of the hooks."""

    def on_fit_start(self, state: "TrainState") -> None: ...

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None: ...

    def on_fit_end(self, state: "TrainState") -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class EarlyStopping(Callback):
    """Stop when the monitored value has stopped improving.

    The rule, exactly: after each epoch the monitored value ``v`` *improves*
    when ``v < best - min_delta`` (``mode="min"``) or ``v > best + min_delta``
    (``mode="max"``); the first epoch always improves.  ``wait`` counts the
    epochs since the last improvement; training stops at the end of the
    epoch where ``wait`` reaches ``patience``.  So with ``patience=3`` and the
    best value at epoch 10, the last epoch run is 13 — unless epoch 11, 12 or
    13 improves.  Patience counts epochs (validation runs once per epoch).

    With ``restore_best=True`` the model ends with the weights of the best
    epoch, whether training stopped early or ran to the end.

    Parameters
    ----------
    monitor : str
        A logged value: ``"val_loss"`` (default), ``"loss"`` (training loss) or
        ``"val_<metric>"``.  Checked against what the run logs before the first
        epoch, not after the last.
    patience : int >= 1
    min_delta : float >= 0
        The least change that counts as an improvement.
    mode : {"min", "max"}
        ``"max"`` for accuracies and AUCs.
    restore_best : bool

    Example
    -------
        >>> es = EarlyStopping(monitor="val_loss", patience=3)
        >>> [es.update(v) for v in [1.0, 0.8, 0.81, 0.79, 0.9, 0.85, 0.82]]
        [False, False, False, False, False, False, True]
        >>> es.best, es.best_epoch
        (0.79, 3)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
    ) -> None:
        if not isinstance(monitor, str) or not _MONITOR_RE.match(monitor):
            raise PhysnnError(
                f"EarlyStopping: 'monitor' must be a logged value name such as 'val_loss', "
                f"'loss' or 'val_accuracy'; got {monitor!r}."
            )
        self.monitor = monitor
        self.patience = check_int("patience", patience, low=1, owner="EarlyStopping")
        self.min_delta = check_range("min_delta", min_delta, low=0.0, owner="EarlyStopping")
        self.mode = check_choice("mode", mode, ["min", "max"], owner="EarlyStopping")
        self.restore_best = bool(restore_best)
        self.reset()

    def reset(self) -> None:
        self._tracker = BestTracker(self.monitor, self.mode, self.min_delta)
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._n = 0
        self._shared = False

    @property
    def best(self) -> float | None:
        """The best value by this callback's rule (an improvement is a change of more than ``min_delta``)."""
        return self._tracker.value

    @property
    def best_epoch(self) -> int | None:
        return self._tracker.epoch

    def update(self, value: float, epoch: int | None = None) -> bool:
        """Feed one epoch's value; return True when training should stop."""
        epoch = self._n if epoch is None else epoch
        self._n += 1
        if self._tracker.update(value, epoch):
            self.wait = 0
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = int(epoch)
            return True
        return False

    def on_fit_start(self, state: "TrainState") -> None:
        check_monitor(self.monitor, state.log_keys, owner="EarlyStopping")
        # the loop already keeps the best weights by its monitor: share them rather than copy them twice
        self._shared = (self.monitor, self.mode) == (state.monitor, state.mode)

    def _best_of(self, state: "TrainState") -> BestTracker:
        return state.best if self._shared else self._tracker

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None:
        stop = self.update(float(logs[self.monitor]), state.epoch)
        if not self._shared and self.restore_best and self._tracker.epoch == state.epoch:
            self._tracker.weights = {k: v.detach().clone() for k, v in state.raw_model.state_dict().items()}
        if stop:
            best = self._best_of(state)
            state.request_stop(
                StopReason.EARLY_STOPPING,
                f"Early stopping at epoch {state.epoch}: {self.monitor} has not improved by more "
                f"than {self.min_delta:g} for {self.patience} epochs (best {best.value:.6g} at "
                f"epoch {best.epoch}).",
            )

    def on_fit_end(self, state: "TrainState") -> None:
        best = self._best_of(state)
        if self.restore_best and best.weights is not None and state.stop_reason != StopReason.NAN_LOSS:
            state.raw_model.load_state_dict(best.weights)
            state.restored_epoch = best.epoch

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self._tracker.value,
            "best_epoch": self._tracker.epoch,
            "wait": self.wait,
            "n": self._n,
            "best_weights": self._tracker.weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._tracker.load_state_dict({"value": state.get("best"), "epoch": state.get("best_epoch"),
                                       "weights": state.get("best_weights")})
        self.wait = int(state.get("wait", 0))
        self._n = int(state.get("n", 0))


class Checkpoint(Callback):
    """Save the training state every ``every`` epochs and the best weights.

    Writes, atomically and on rank 0 only, into ``directory``:

    * ``checkpoint.pt`` — everything needed to resume (weights, optimizer,
      schedule, RNG states, history, callback state), loadable with
      ``weights_only=True``;
    * ``best.safetensors`` — the weights of the best epoch by ``monitor``
      (defaults to the run's monitor: ``val_loss`` with validation data, else
      ``loss``).

    Resume with ``fit(..., resume=directory / "checkpoint.pt")``.
    """

    def __init__(self, directory: str | Path, *, every: int = 1, monitor: str | None = None, mode: str = "min") -> None:
        self.directory = Path(directory)
        self.every = check_int("every", every, low=1, owner="Checkpoint")
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ["min", "max"], owner="Checkpoint")
        self._tracker: BestTracker | None = None

    @property
    def path(self) -> Path:
        return self.directory / "checkpoint.pt"

    def on_fit_start(self, state: "TrainState") -> None:
        if self.monitor is None:
            self.monitor = state.monitor
            self.mode = state.mode
        check_monitor(self.monitor, state.log_keys, owner="Checkpoint")
        best = None if self._tracker is None else self._tracker.value
        self._tracker = BestTracker(self.monitor, self.mode, value=best)

    @property
    def best(self) -> float | None:
        return None if self._tracker is None else self._tracker.value

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None:
        from physnn.train.checkpoint import save_state, save_weights

        better = self._tracker.update(float(logs.get(self.monitor, float("nan"))), state.epoch)
        if not state.is_main:
            return
        if better:
            save_weights(state.raw_model, self.directory / "best.safetensors")
        if (state.epoch + 1) % self.every == 0 or state.should_stop or state.epoch + 1 == state.epochs:
            save_state(state.training_state(), self.path)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._tracker = BestTracker(self.monitor or "loss", self.mode, value=state.get("best"))


def _fmt_logs(logs: dict[str, float], keys: list[str]) -> str:
    parts = []
    for k in keys:
        if k in logs:
            name = "Loss" if k == "loss" else k
            parts.append(f"{name} = {logs[k]:.4f}")
    return ", ".join(parts)


class PrintLogger(Callback):
    """Print the lecture's progress line every ``log_every`` epochs.

    Epochs are counted from 0, as in the lecture's ``range(200)`` loop, so
    ``log_every=50`` prints epochs 0, 50, 100, 150 (and the last)::

        Epoch 50: Loss = 0.1234, val_loss = 0.1400
    """

    def __init__(self, log_every: int = 50, *, stream: Any = None, keys: list[str] | None = None) -> None:
        self.log_every = check_int("log_every", log_every, low=1, owner="PrintLogger")
        self.stream = stream
        self.keys = keys

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None:
        if not state.is_main:
            return
        last = state.epoch + 1 == state.epochs or state.should_stop
        if state.epoch % self.log_every == 0 or last:
            keys = self.keys or ["loss", "val_loss", "val_accuracy", "val_r2"]
            print(f"Epoch {state.epoch}: {_fmt_logs(logs, keys)}", file=self.stream or sys.stdout, flush=True)

    def print_message(self, state: "TrainState", message: str) -> None:
        """Print the run's closing sentence (called by the loop once it is final)."""
        if state.is_main and message:
            print(message, file=self.stream or sys.stdout, flush=True)


class CSVLogger(Callback):
    """Rewrite ``path`` (atomically) with the history after every epoch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None:
        if state.is_main:
            state.history.to_csv(self.path)


class ProgressBar(Callback):
    """A rich progress bar over epochs with the latest loss; in Jupyter an HTML bar in the cell; silent otherwise.

    ``enabled=None`` shows it when stderr is a terminal or inside a notebook
    (:func:`physnn.train.notebook.in_notebook`).
    """

    def __init__(self, *, enabled: bool | None = None, description: str = "training") -> None:
        self.enabled = enabled
        self.description = description
        self._progress = None
        self._task = None

    def on_fit_start(self, state: "TrainState") -> None:
        from physnn.train.notebook import NotebookProgress, in_notebook

        notebook = in_notebook()
        enabled = self.enabled if self.enabled is not None else (sys.stderr.isatty() or notebook)
        if not enabled or not state.is_main:
            return
        if notebook:  # rich's live display needs ipywidgets in Jupyter; this bar needs only IPython
            self._progress = NotebookProgress(self.description, total=state.epochs, completed=state.epoch_start)
            self._progress.start()
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=state.epochs, completed=state.epoch_start, info="")

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None:
        if self._progress is not None:
            info = _fmt_logs(logs, ["loss", "val_loss"])
            if self._task is None:  # the notebook bar
                self._progress.update(state.epoch + 1, info=info)
            else:
                self._progress.update(self._task, completed=state.epoch + 1, info=info)

    def on_fit_end(self, state: "TrainState") -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None
