"""What a training run leaves behind: per-epoch records, the stop reason, the best epoch.

A :class:`History` is a list of per-epoch dictionaries (``epoch``, ``loss``,
``val_loss``, ``val_<metric>``, ``lr``, ``time``) plus a short verdict::

    >>> h = History(monitor="val_loss", mode="min")
    >>> h.append({"epoch": 0, "loss": 1.0, "val_loss": 1.2})
    >>> h.append({"epoch": 1, "loss": 0.5, "val_loss": 0.9})
    >>> h["val_loss"]
    [1.2, 0.9]
    >>> h.best_epoch, h.best_value
    (1, 0.9)
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from physnn.errors import PhysnnError, check_choice
from physnn.files import write_text

__all__ = ["History", "StopReason", "FitResult", "LazyMetrics"]


class StopReason(str, Enum):
    """Why :func:`physnn.train.fit` returned."""

    COMPLETED = "completed"  #: ran all requested epochs
    EARLY_STOPPING = "early_stopping"  #: the monitored value stopped improving
    NAN_LOSS = "nan_loss"  #: the loss became NaN or Inf; best weights restored
    INTERRUPTED = "interrupted"  #: KeyboardInterrupt; best weights restored
    CALLBACK = "callback"  #: a user callback asked to stop


class LazyMetrics(Mapping):
    """A read-only mapping of metrics computed on first use, then kept (and the means to compute them dropped).

    :func:`physnn.train.fit` ends with the loss and metrics on the whole training and validation sets
    (``History.final``); for a wide network that evaluation costs about a third of an epoch, and most
    callers never read it — so it runs when first read, with the weights the fit ended with.

        >>> calls = []
        >>> m = LazyMetrics(lambda: calls.append(1) or {"train_loss": 0.5})
        >>> len(calls)
        0
        >>> m["train_loss"], dict(m), len(calls)   # computed once, on first read
        (0.5, {'train_loss': 0.5}, 1)
    """

    def __init__(self, compute: Callable[[], Mapping[str, float]]) -> None:
        self._compute: Callable[[], Mapping[str, float]] | None = compute
        self._values: dict[str, float] | None = None

    def _get(self) -> dict[str, float]:
        if self._values is None:
            compute, self._compute = self._compute, None
            self._values = dict(compute()) if compute is not None else {}
        return self._values

    def __getitem__(self, key: str) -> float:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get()) if self._values is not None else "LazyMetrics(<not computed yet>)"


@dataclass
class History:
    """Per-epoch training records and the run's verdict.

    Attributes
    ----------
    records : list of dict
        One dict per epoch with at least ``epoch`` and ``loss`` (mean training
        loss over the epoch's batches); ``val_loss`` and ``val_<metric>`` when
        validation data were given; ``lr`` and ``time`` (seconds since start).
    monitor, mode : str
        The value that decides the best epoch and whether lower (``"min"``) or
        higher (``"max"``) is better.
    stop_reason : StopReason
    message : str
        A sentence saying why training stopped (shown by the CLI).
    best_epoch : int or None
        Epoch with the best monitored value (the weights the model ends with
        when ``restore_best`` is on, or after a NaN).
    wall_time : float
        Seconds spent in :func:`fit`.
    final : Mapping
        Metrics at the end (e.g. on train/val/test); after :func:`~physnn.train.fit` a
        :class:`LazyMetrics`, computed when first read.
    """

    monitor: str = "loss"
    mode: str = "min"
    records: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: StopReason = StopReason.COMPLETED
    message: str = ""
    wall_time: float = 0.0
    final: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mode = check_choice("mode", self.mode, ["min", "max"], owner="History")

    # -- records ---------------------------------------------------------
    def append(self, record: dict[str, Any]) -> None:
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> list[Any]:
        keys = self.keys()
        if key not in keys:
            raise PhysnnError(
                f"History has no column {key!r}; available: {', '.join(map(repr, keys))}."
            )
        return [r.get(key, float("nan")) for r in self.records]

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.records:
            for k in r:
                seen.setdefault(k, None)
        return list(seen)

    @property
    def epochs_run(self) -> int:
        return len(self.records)

    def _values(self) -> list[tuple[int, float]]:
        out = []
        for r in self.records:
            v = r.get(self.monitor)
            if v is not None and math.isfinite(v):
                out.append((int(r["epoch"]), float(v)))
        return out

    @property
    def best_epoch(self) -> int | None:
        vals = self._values()
        if not vals:
            return None
        pick = min if self.mode == "min" else max
        return pick(vals, key=lambda t: t[1])[0]

    @property
    def best_value(self) -> float | None:
        vals = self._values()
        if not vals:
            return None
        pick = min if self.mode == "min" else max
        return pick(vals, key=lambda t: t[1])[1]

    # -- output ----------------------------------------------------------
    def to_csv(self, path: str | Path | None = None) -> str:
        """Return the records as CSV text; write them atomically to ``path`` if given."""
        buf = io.StringIO()
        keys = self.keys()
        w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        for r in self.records:
            w.writerow({k: r.get(k, "") for k in keys})
        text = buf.getvalue()
        if path is not None:
            write_text(path, text)
        return text

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (records included)."""
        return {
            "monitor": self.monitor,
            "mode": self.mode,
            "stop_reason": self.stop_reason.value,
            "message": self.message,
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "best_value": self.best_value,
            "wall_time": self.wall_time,
            "final": dict(self.final),
            "records": [dict(r) for r in self.records],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "History":
        h = cls(monitor=d.get("monitor", "loss"), mode=d.get("mode", "min"))
        h.records = [dict(r) for r in d.get("records", [])]
        h.stop_reason = StopReason(d.get("stop_reason", "completed"))
        h.message = d.get("message", "")
        h.wall_time = float(d.get("wall_time", 0.0))
        h.final = dict(d.get("final", {}))
        return h

    def plot(self, ax: Any = None, *, path: str | Path | None = None, logy: bool | None = None):
        """Plot training and validation loss per epoch; mark the best epoch.

        Returns the matplotlib ``Axes``. With ``path`` the figure is saved (PNG,
        atomically).  ``logy=None`` picks a log scale when the loss spans more
        than two decades.
        """
        from physnn.viz.plots import plot_history

        return plot_history(self, ax=ax, path=path, logy=logy)

    def __repr__(self) -> str:
        best = "" if self.best_epoch is None else f", best_epoch={self.best_epoch}"
        return (
            f"History(epochs_run={self.epochs_run}, stop_reason={self.stop_reason.value!r}"
            f"{best}, monitor={self.monitor!r})"
        )

    # -- Jupyter display -------------------------------------------------
    def _repr_png_(self) -> bytes | None:
        """The loss curve as PNG bytes, for Jupyter's inline display (``None`` before the first epoch).

        Drawn on a figure of its own (not pyplot's), so showing a ``History`` opens no window and leaves
        no figure behind; :mod:`physnn.viz` is imported only here, when a notebook asks.
        """
        if not self.records or "loss" not in self.keys():
            return None
        from matplotlib.figure import Figure

        from physnn.viz.plots import plot_history

        fig = Figure(figsize=(6, 4))
        plot_history(self, ax=fig.add_subplot())
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        return buf.getvalue()

    def _repr_html_(self) -> str:
        """A summary table (stop reason, best epoch, last epoch's values, final metrics) and the loss curve.

            >>> h = History(monitor="val_loss")
            >>> h.append({"epoch": 0, "loss": 1.0, "val_loss": 1.2})
            >>> "<table" in h._repr_html_() and "val_loss" in h._repr_html_()
            True
        """
        import base64
        import html

        def num(v: Any) -> str:
            return f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))

        rows = [("epochs run", self.epochs_run), ("stopped", self.stop_reason.value)]
        if self.message:
            rows.append(("why", self.message))
        if self.best_epoch is not None:
            rows.append((f"best {self.monitor}", f"{num(self.best_value)} at epoch {self.best_epoch}"))
        if self.records:
            last = self.records[-1]
            rows += [(f"last {k}", last[k]) for k in self.keys() if k != "epoch" and k in last]
        if isinstance(self.final, LazyMetrics) and self.final._values is None:
            rows.append(("final metrics", "computed when first read (history.final)"))
        else:
            rows += [(f"final {k}", v) for k, v in self.final.items()]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td style='text-align:left'>"
                       f"{num(v)}</td></tr>" for k, v in rows)
        png = self._repr_png_()
        img = "" if png is None else (f"<img alt='loss per epoch' src='data:image/png;base64,"
                                      f"{base64.b64encode(png).decode('ascii')}'/>")
        return f"<div><b>History</b><table>{body}</table>{img}</div>"


@dataclass(repr=False, eq=False)
class FitResult(History):
    """What :func:`physnn.train.fit` returns: the :class:`History`, plus what a caller may need next.

    Everything a ``History`` has (records, ``stop_reason``, ``best_epoch``, ``final``, ``plot``, ...),
    and:

    Attributes
    ----------
    best_weights : dict of str to Tensor, or None
        A copy of the model's ``state_dict`` at ``best_epoch`` (the model itself ends with them when
        early stopping restored them, or with the last epoch's otherwise).
    optimizer : torch.optim.Optimizer or None
        The optimizer, with its state (moments, a quasi-Newton matrix), to continue from.
    """

    best_weights: dict[str, Any] | None = None
    optimizer: Any = None

    @classmethod
    def of(cls, history: History, *, best_weights: dict[str, Any] | None, optimizer: Any) -> "FitResult":
        """The result of a fit that left ``history``."""
        out = cls(monitor=history.monitor, mode=history.mode, records=history.records,
                  stop_reason=history.stop_reason, message=history.message, wall_time=history.wall_time,
                  final=history.final)
        out.best_weights, out.optimizer = best_weights, optimizer
        return out
