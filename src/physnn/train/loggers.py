"""Experiment loggers: TensorBoard and MLflow, as training callbacks.

Both record the same three things of a run:

* every logged value of every epoch (``loss``, ``val_loss``, ``val_<metric>``, ``lr``) as a
  scalar at step = epoch;
* the hyper-parameters (a flat ``{"train.lr": 0.01, ...}`` dict) together with the final
  metrics — written by :meth:`finish`, or at the end of the fit with the last epoch's values
  when :meth:`finish` is not called;
* the run's figures (PNG files): images in TensorBoard, artifacts in MLflow.

They are plain :class:`~physnn.train.callbacks.Callback` objects, so they work with
:func:`physnn.train.fit` directly::

    >>> import tempfile, torch
    >>> from physnn.train import fit
    >>> from physnn.data import load_toy
    >>> d = load_toy("xor", n=64, seed=0)
    >>> tb = TensorBoardLogger(tempfile.mkdtemp(), hparams={"lr": 0.01})
    >>> h = fit(torch.nn.Linear(2, 1), d, loss="bce_with_logits", lr=0.01, epochs=2, callbacks=[tb],
    ...         progress=False)
    >>> tb.finish(dict(h.final))  # hyper-parameters with the final metrics; closes the writer

``physnn train CONFIG --log tensorboard`` writes under ``RUN/tensorboard/`` and
``--log mlflow`` to the SQLite store ``RUN/mlflow.db`` (artifacts in ``RUN/mlartifacts/``)
unless ``--log-uri`` names another tracking URI.  No TensorFlow is needed:
TensorBoard files are written by ``torch.utils.tensorboard``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from physnn.errors import PhysnnError
from physnn.train.callbacks import Callback

if TYPE_CHECKING:  # pragma: no cover
    from physnn.train.loop import TrainState

__all__ = ["TensorBoardLogger", "MLflowLogger", "flat_hparams", "make_logger", "logger_for_run", "LOGGERS",
           "check_tracking_uri"]

#: the names ``physnn train --log`` accepts
LOGGERS = ("tensorboard", "mlflow")


def flat_hparams(tree: dict[str, Any], prefix: str = "") -> dict[str, float | int | str | bool]:
    """A nested config as a flat dict of scalars: ``{"train": {"lr": 0.1}}`` → ``{"train.lr": 0.1}``.

    Lists and other values become their ``str``; ``None`` becomes ``"none"``.

        >>> flat_hparams({"seed": 0, "model": {"hidden": [8, 8]}, "train": {"lr": 0.1}})
        {'seed': 0, 'model.hidden': '[8, 8]', 'train.lr': 0.1}
    """
    out: dict[str, Any] = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flat_hparams(v, key + "."))
        elif isinstance(v, (bool, int, float, str)):
            out[key] = v
        elif v is None:
            out[key] = "none"
        else:
            out[key] = str(v)
    return out


def _scalars(logs: dict[str, Any]) -> dict[str, float]:
    """The finite numeric values of an epoch's logs, without the step counter."""
    out = {}
    for k, v in logs.items():
        if k == "epoch" or isinstance(v, bool):
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out[k] = f
    return out


def _pngs(figures: Any) -> list[Path]:
    if figures is None:
        return []
    if isinstance(figures, (str, Path)):
        p = Path(figures)
        return sorted(p.rglob("*.png")) if p.is_dir() else [p]
    return [Path(f) for f in figures]


class _RunLogger(Callback):
    """What both loggers share: the last epoch's values and the finish-once rule."""

    def __init__(self, hparams: dict[str, Any] | None) -> None:
        self.hparams = flat_hparams(dict(hparams or {}))
        self._last: dict[str, float] = {}
        self._finished = False
        self._main = True

    def on_fit_start(self, state: "TrainState") -> None:
        self._main = state.is_main
        self._finished = False
        if self._main:
            with self._errors("starting the run"):
                self._open(state)

    def on_epoch_end(self, state: "TrainState", logs: dict[str, float]) -> None:
        if not self._main:
            return
        values = _scalars(logs)
        self._last = values
        with self._errors(f"logging epoch {state.epoch}"):
            self._scalars(values, int(state.epoch))

    def on_fit_end(self, state: "TrainState") -> None:
        if self._main:
            self._flush()

    def finish(self, metrics: dict[str, Any] | None = None, figures: Any = None) -> None:
        """Write the hyper-parameters with the final ``metrics`` (default: the last epoch's values)
        and the ``figures`` (a folder of PNGs or a list of PNG paths); then close.  Runs once."""
        if self._finished or not self._main:
            return
        final = _scalars(dict(metrics)) if metrics is not None else dict(self._last)
        with self._errors("logging the final metrics and figures"):
            self._final(final, _pngs(figures))
        self._finished = True

    def fail(self) -> None:
        """Close after a run that raised (MLflow marks its run FAILED); nothing else is logged."""
        if not self._finished:
            self._finished = True
            try:
                self._failed()
            except Exception:  # the run's own error is the one to report
                pass

    def _errors(self, doing: str) -> Any:
        """Turn a tracking backend's failure (server gone, database refused) into one clear PhysnnError."""
        import contextlib

        @contextlib.contextmanager
        def guard():
            try:
                yield
            except (PhysnnError, OSError, KeyboardInterrupt):
                raise
            except Exception as exc:
                where = getattr(self, "tracking_uri", None) or getattr(self, "log_dir", "")
                raise PhysnnError(f"{type(self).__name__}: {doing} at {str(where)!r} failed: "
                                  f"{' '.join(str(exc).split())[:300]}") from None

        return guard()

    # the two backends
    def _failed(self) -> None: ...

    def _open(self, state: "TrainState") -> None: ...

    def _scalars(self, values: dict[str, float], step: int) -> None: ...

    def _flush(self) -> None: ...

    def _final(self, metrics: dict[str, float], figures: list[Path]) -> None: ...


class TensorBoardLogger(_RunLogger):
    """Log a run to TensorBoard event files in ``log_dir`` (``tensorboard --logdir LOG_DIR`` shows it).

    Scalars go under their log names (``loss``, ``val_loss``, ``val_accuracy``, ``lr``) with
    step = epoch; :meth:`finish` writes the hyper-parameters (the HParams dashboard) with the
    final metrics as ``final/<name>`` scalars, and each figure as an image ``figures/<stem>``.

    Parameters
    ----------
    log_dir : path
        Folder of the event files (created when training starts).
    hparams : dict, optional
        Hyper-parameters; nested dicts are flattened to dotted keys (:func:`flat_hparams`).

    Example
    -------
        >>> import tempfile
        >>> tb = TensorBoardLogger(tempfile.mkdtemp(), hparams={"train": {"lr": 0.01}})
        >>> tb.hparams
        {'train.lr': 0.01}
    """

    def __init__(self, log_dir: str | Path, *, hparams: dict[str, Any] | None = None) -> None:
        super().__init__(hparams)
        self.log_dir = Path(log_dir)
        self._writer: Any = None

    def _open(self, state: "TrainState") -> None:
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir=str(self.log_dir))

    def _scalars(self, values: dict[str, float], step: int) -> None:
        for k, v in values.items():
            self._writer.add_scalar(k, v, global_step=step)

    def _flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def _failed(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _final(self, metrics: dict[str, float], figures: list[Path]) -> None:
        from torch.utils.tensorboard.summary import hparams as hparams_summary

        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self.log_dir))
        w = self._writer
        final = {f"final/{k}": v for k, v in metrics.items()}
        exp, ssi, sei = hparams_summary(self.hparams, final)
        for summary in (exp, ssi, sei):  # into this run's own event file (add_hparams would start a new run)
            w.file_writer.add_summary(summary)
        for k, v in final.items():
            w.add_scalar(k, v)
        for png in figures:
            import matplotlib.image as mpimg

            w.add_image(f"figures/{png.stem}", mpimg.imread(png)[..., :3], dataformats="HWC")
        w.flush()
        w.close()
        self._writer = None


def check_tracking_uri(uri: str, *, owner: str = "mlflow") -> str:
    """Raise a :class:`PhysnnError` unless ``uri`` is a tracking URI MLflow can write to now.

    ``sqlite:///PATH`` needs a writable folder for PATH; ``http(s)://HOST:PORT`` must answer a
    TCP connection within 5 s (MLflow itself would retry for minutes); anything else (a file store,
    another database) must answer MLflow's client (``search_experiments``).

        >>> check_tracking_uri("http://127.0.0.1:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: mlflow: tracking URI 'http://127.0.0.1:1' is unreachable (...); ...
    """
    import os
    import socket
    from urllib.parse import urlparse

    if not isinstance(uri, str) or not uri.strip():
        raise PhysnnError(f"{owner}: the tracking URI must be a non-empty string such as 'sqlite:///mlflow.db' "
                          f"or 'http://host:5000'; got {uri!r}.")
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https"):
        host = parsed.hostname
        port = parsed.port or (443 if scheme == "https" else 80)
        try:
            with socket.create_connection((host, port), timeout=5):
                pass
        except OSError as exc:
            raise PhysnnError(f"{owner}: tracking URI {uri!r} is unreachable ({exc.strerror or exc}); start the "
                              "MLflow server there, or leave --log-uri out to log to the run directory.") from None
    elif scheme == "sqlite":
        path = uri.split("sqlite:///", 1)[-1] if uri.startswith("sqlite:///") else ""
        folder = Path(path).absolute().parent if path and path != ":memory:" else None
        while folder is not None and not folder.exists() and folder.parent != folder:
            folder = folder.parent  # created when logging starts
        if folder is not None and not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise PhysnnError(f"{owner}: tracking URI {uri!r}: folder {str(folder)!r} is not a writable "
                              "folder; fix its permissions, or leave --log-uri out to log to the run directory.")
    else:  # a file store, another database, a hosted service: ask MLflow itself, before any training
        try:
            from mlflow.tracking import MlflowClient

            MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
        except Exception as exc:
            text = " ".join(str(exc).split())
            if "maintenance mode" in text:
                text = ("this MLflow refuses its file store unless MLFLOW_ALLOW_FILE_STORE=true is set; "
                        "or give a database such as 'sqlite:///mlflow.db'")
            raise PhysnnError(f"{owner}: tracking URI {uri!r} cannot be used: {text[:300]}.") from None
    return uri


class MLflowLogger(_RunLogger):
    """Log a run to MLflow: metrics per epoch, parameters, final metrics and figures as artifacts.

    Parameters
    ----------
    tracking_uri : str
        Any tracking URI MLflow accepts: ``sqlite:///path/mlflow.db`` (a local database, no
        server), ``http://host:5000`` (a server), ... Checked when the logger is made
        (:func:`check_tracking_uri`), so an unreachable server fails before training starts.
    experiment : str
        The MLflow experiment (created when missing).
    run_name : str, optional
    hparams : dict, optional
        Logged as MLflow parameters (flattened to dotted keys).
    artifact_location : path, optional
        Where a newly created experiment keeps its artifacts (for local stores; default:
        MLflow's own choice).

    The MLflow run id is saved in the training checkpoint, so a resumed run
    (``physnn train --resume``) continues the same MLflow run.

    Example
    -------
        >>> MLflowLogger("http://127.0.0.1:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: mlflow: tracking URI 'http://127.0.0.1:1' is unreachable ...
    """

    def __init__(self, tracking_uri: str, *, experiment: str = "physnn", run_name: str | None = None,
                 hparams: dict[str, Any] | None = None, artifact_location: str | Path | None = None) -> None:
        super().__init__(hparams)
        self.tracking_uri = check_tracking_uri(tracking_uri)
        self.experiment = str(experiment)
        self.run_name = run_name
        self.artifact_location = artifact_location
        self.run_id: str | None = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The ``mlflow.tracking.MlflowClient`` of this logger's tracking URI."""
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def _open(self, state: "TrainState") -> None:
        if self.tracking_uri.startswith("sqlite:///") and ":memory:" not in self.tracking_uri:
            Path(self.tracking_uri[len("sqlite:///"):]).absolute().parent.mkdir(parents=True, exist_ok=True)
        c = self.client
        if self.run_id is not None:  # resumed: the same MLflow run goes on
            c.update_run(self.run_id, status="RUNNING")
            return
        exp = c.get_experiment_by_name(self.experiment)
        if exp is None:
            loc = None
            if self.artifact_location is not None:
                loc = Path(self.artifact_location).absolute().as_uri()
            exp_id = c.create_experiment(self.experiment, artifact_location=loc)
        else:
            exp_id = exp.experiment_id
        run = c.create_run(exp_id, run_name=self.run_name)
        self.run_id = run.info.run_id
        items = list(self.hparams.items())
        from mlflow.entities import Param

        for i in range(0, len(items), 100):
            c.log_batch(self.run_id, params=[Param(k, str(v)[:6000]) for k, v in items[i:i + 100]])

    def _scalars(self, values: dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, step) for k, v in values.items()])

    def _final(self, metrics: dict[str, float], figures: list[Path]) -> None:
        import time

        from mlflow.entities import Metric

        if self.run_id is None:
            return
        c = self.client
        now = int(time.time() * 1000)
        if metrics:
            c.log_batch(self.run_id, metrics=[Metric(f"final_{k}", v, now, 0) for k, v in metrics.items()])
        for png in figures:
            c.log_artifact(self.run_id, str(png), artifact_path="figures")
        c.set_terminated(self.run_id, status="FINISHED")

    def _failed(self) -> None:
        if self.run_id is not None:
            self.client.set_terminated(self.run_id, status="FAILED")

    def state_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "tracking_uri": self.tracking_uri}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("run_id") and state.get("tracking_uri") == self.tracking_uri:
            self.run_id = str(state["run_id"])


def make_logger(kind: str, directory: str | Path, *, hparams: dict[str, Any] | None = None,
                uri: str | None = None, run_name: str | None = None) -> TensorBoardLogger | MLflowLogger:
    """The logger ``physnn train --log KIND`` uses for the run directory ``directory``.

    ``tensorboard``: event files in ``DIRECTORY/tensorboard``.  ``mlflow``: ``uri``, or by
    default the SQLite store ``DIRECTORY/mlflow.db`` with artifacts in ``DIRECTORY/mlartifacts``.

        >>> make_logger("tensorboard", "runs/x").log_dir.as_posix()
        'runs/x/tensorboard'
    """
    from physnn.errors import check_choice

    kind = check_choice("--log", kind, list(LOGGERS), owner="train")
    d = Path(directory)
    if kind == "tensorboard":
        if uri is not None:
            raise PhysnnError("train: --log-uri is a tracking URI for --log mlflow; TensorBoard writes under "
                              "the run directory. Drop --log-uri or use --log mlflow.")
        return TensorBoardLogger(d / "tensorboard", hparams=hparams)
    if uri is None:
        return MLflowLogger(f"sqlite:///{d.absolute() / 'mlflow.db'}", hparams=hparams, run_name=run_name,
                            artifact_location=d / "mlartifacts", experiment="physnn")
    return MLflowLogger(uri, hparams=hparams, run_name=run_name, experiment="physnn")


def logger_for_run(cfg: Any, out: str | Path | None, kind: str | None, *, uri: str | None = None,
                   resume: bool = False) -> tuple[Path, TensorBoardLogger | MLflowLogger]:
    """The run directory and the logger of ``physnn train CONFIG --log KIND [--log-uri URI]``.

    The directory is fixed first (``out`` or ``runs/<name>``, the first free name unless
    resuming) because the logger writes inside it; the hyper-parameters are the whole resolved
    experiment (:func:`flat_hparams` of ``cfg``).  Bad input (an unknown ``kind``, ``--log-uri``
    without ``--log mlflow``, an unreachable tracking URI) raises before anything is written.

        >>> from physnn.config import parse_config
        >>> d, lg = logger_for_run(parse_config({"name": "demo"}), "runs/demo-x", "tensorboard")
        >>> lg.log_dir.as_posix(), lg.hparams["train.lr"]
        ('runs/demo-x/tensorboard', 0.001)
    """
    from physnn.rundir import unique_run_dir

    if kind is None:
        raise PhysnnError("train: --log-uri is the tracking URI of --log mlflow; add --log mlflow or drop --log-uri.")
    target = Path(out) if out is not None else Path("runs") / cfg.name
    if not resume:
        target = unique_run_dir(target)
    hp = flat_hparams(cfg.model_dump(mode="json"))
    return target, make_logger(kind, target, hparams=hp, uri=uri, run_name=cfg.name)
