"""Hyper-parameter tuning with Optuna: ``physnn tune CONFIG.toml --trials N``.

The experiment file's ``[tune]`` section declares the search space and the objective::

    [tune]
    metric = "val_accuracy"        # a value the run logs: loss, val_loss, val_<metric>
    direction = "maximize"         # default: by the metric (losses and errors minimize)
    pruner = "median"              # or "none"; startup_trials, warmup_epochs tune it
    sampler = "tpe"                # or "random"
    [tune.params]
    "train.lr" = {low = 1e-4, high = 1e-1, log = true}     # float range, log scale
    "train.batch_size" = {low = 16, high = 128, step = 16}  # int range (both ends integers)
    "model.hidden" = {choices = [[16], [32, 32]]}          # categorical

Each trial is a normal ``physnn train`` run (:func:`physnn.runs.train_run`) of the
experiment with the trial's values put in, under ``OUT/trials/trial-NNNN``; an epoch
callback reports the metric to Optuna (``trial.report``) and stops trials the pruner
gives up on (``trial.should_prune``; a pruned trial leaves no run directory).  The
objective is the metric of the finished run (its ``metrics.json``: for ``val_*`` the
validation value of the final weights, for ``loss`` the training loss).

The study lives in a database (default ``sqlite:///OUT/study.db``; any SQLAlchemy URL
Optuna accepts), so several processes (``--jobs K``, or several ``physnn tune`` commands
on the same ``--storage``) run trials of one study at once, and a study that was
interrupted resumes: ``--trials N`` is the number of finished (complete or pruned) trials
the study should have, so re-running the command runs only the missing ones.

Written to ``OUT``: ``tune.json`` (settings), ``trials.csv`` (one row per trial),
``best.json`` and ``best`` (a link to the best trial's run directory: ``physnn predict
OUT/best DATA`` works), ``figures/optimization_history.png`` and
``figures/param_importances.png`` (Optuna's matplotlib figures).

    >>> from physnn.config import parse_config
    >>> cfg = parse_config({"data": {"source": "toy:moons"}, "tune": {
    ...     "params": {"train.lr": {"low": 1e-4, "high": 1e-1, "log": True}}}})
    >>> space = search_space(cfg)
    >>> space["train.lr"]
    Param(key='train.lr', kind='float', low=0.0001, high=0.1, log=True, step=None, choices=None)
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from physnn.config import ExperimentConfig, parse_config
from physnn.errors import PhysnnError, check_int
from physnn.files import write_json, write_text
from physnn.train.callbacks import Callback

__all__ = ["Param", "TuneResult", "search_space", "objective_of", "tune", "open_study", "apply_params",
           "PruningCallback", "write_outputs", "per_trial_sampler"]

_SPEC_KEYS = {"low", "high", "log", "step", "choices"}


@dataclass(frozen=True)
class Param:
    """One dimension of the search space: ``kind`` is ``"float"``, ``"int"`` or ``"categorical"``."""

    key: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple[Any, ...] | None = None

    def suggest(self, trial: Any) -> Any:
        """The trial's value for this dimension (``trial.suggest_float`` / ``_int`` / ``_categorical``)."""
        if self.kind == "categorical":
            idx = trial.suggest_categorical(self.key, list(range(len(self.choices)))
                                            if _unhashable(self.choices) else list(self.choices))
            return self.choices[idx] if _unhashable(self.choices) else idx
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.key, float(self.low), float(self.high), step=self.step, log=self.log)


def _unhashable(choices: tuple[Any, ...]) -> bool:
    """Optuna stores categorical choices of None, bool, int, float and str; others go by index."""
    return any(not isinstance(c, (type(None), bool, int, float, str)) for c in choices)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def apply_params(cfg: ExperimentConfig, values: dict[str, Any], *, origin: str = "[tune]") -> ExperimentConfig:
    """A copy of ``cfg`` with dotted ``values`` put in (and no ``[tune]`` section), validated.

    A key must name a key the experiment has (``data.options.*`` may add toy-set options).

        >>> from physnn.config import parse_config
        >>> apply_params(parse_config({}), {"train.lr": 0.05, "model.hidden": [8]}).train.lr
        0.05
    """
    data = cfg.model_dump(mode="json", exclude_none=True)
    data.pop("tune", None)
    for key, value in values.items():
        parts = key.split(".")
        node = data
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            free = parts[:i] == ["data", "options"]  # toy-set keyword arguments: any name
            if not isinstance(node, dict) or (part not in node and not (free and last)):
                where = ".".join(parts[:i]) or "the experiment"
                allowed = ", ".join(sorted(node)) if isinstance(node, dict) else "none (it is a value)"
                raise PhysnnError(f"{origin}: unknown key {key!r}: {where} has no {part!r} (its keys: {allowed}); "
                                  "give a dotted key of the experiment such as 'train.lr' or 'model.hidden'.")
            if last:
                if isinstance(node.get(part), dict) and not free:
                    raise PhysnnError(f"{origin}: {key!r} is a section, not a value; tune one of its keys "
                                      f"({', '.join(sorted(node[part]))}).")
                node[part] = value
            else:
                node = node[part]
    return parse_config(data, origin=f"{origin} with {values}")


def search_space(cfg: ExperimentConfig) -> dict[str, Param]:
    """The ``[tune] params`` of ``cfg`` checked and typed; each value's ends or choices are checked
    against the experiment (a learning rate range must give valid learning rates).

    Raises :class:`~physnn.errors.PhysnnError` for no ``[tune]`` section or no params, an unknown
    key, ``low > high``, ``log`` with ``low <= 0``, empty ``choices``, a non-numeric end.
    """
    if cfg.tune is None or not cfg.tune.params:
        raise PhysnnError("tune: the experiment file has no [tune.params]; add a search space, e.g.\n"
                          "[tune.params]\n\"train.lr\" = {low = 1e-4, high = 1e-1, log = true}".replace("\n", " "))
    space: dict[str, Param] = {}
    for key, spec in cfg.tune.params.items():
        where = f"[tune.params] {key!r}"
        if not isinstance(spec, dict):
            raise PhysnnError(f"{where}: give a table such as {{low = 1e-4, high = 1e-1, log = true}} or "
                              f"{{choices = [16, 32]}}; got {spec!r}.")
        unknown = sorted(set(spec) - _SPEC_KEYS)
        if unknown:
            raise PhysnnError(f"{where}: unknown field(s) {', '.join(unknown)}; a range takes low, high, log, step "
                              "and a categorical takes choices.")
        if "choices" in spec:
            extra = sorted(set(spec) - {"choices"})
            choices = spec["choices"]
            if extra:
                raise PhysnnError(f"{where}: choices cannot be combined with {', '.join(extra)}; give either "
                                  "choices or a range.")
            if not isinstance(choices, list) or not choices:
                raise PhysnnError(f"{where}: choices must be a non-empty list such as [16, 32, 64]; got {choices!r}.")
            p = Param(key, "categorical", choices=tuple(choices))
            tests = list(choices)
        else:
            if "low" not in spec or "high" not in spec:
                raise PhysnnError(f"{where}: a range needs both low and high (or give choices = [...]); got {spec!r}.")
            low, high, log, step = spec["low"], spec["high"], spec.get("log", False), spec.get("step")
            for name, v in (("low", low), ("high", high)) + ((("step", step),) if step is not None else ()):
                if not _is_num(v):
                    raise PhysnnError(f"{where}: {name} must be a finite number; got {v!r}.")
            if not isinstance(log, bool):
                raise PhysnnError(f"{where}: log must be true or false; got {log!r}.")
            if low > high:
                raise PhysnnError(f"{where}: low = {low!r} is greater than high = {high!r}; swap them.")
            if log and low <= 0:
                raise PhysnnError(f"{where}: a log-scale range needs low > 0; got low = {low!r} "
                                  "(use e.g. low = 1e-5, or log = false).")
            if step is not None and step <= 0:
                raise PhysnnError(f"{where}: step must be > 0; got {step!r}.")
            if step is not None and log:
                raise PhysnnError(f"{where}: step and log = true cannot be combined (Optuna); drop one.")
            kind = "int" if _is_int(low) and _is_int(high) and (step is None or _is_int(step)) else "float"
            p = Param(key, kind, low=low, high=high, log=log, step=step)
            tests = [low, high]
        for v in tests:  # each end / choice must make a valid experiment
            apply_params(cfg, {key: v}, origin=where)
        space[key] = p
    objective_of(cfg)
    return space


def _log_keys(cfg: ExperimentConfig) -> list[str]:
    """The values a run of ``cfg`` logs each epoch (``loss``, ``val_loss``, ``val_<metric>``)."""
    from physnn.train.losses import loss_task
    from physnn.train.metrics import default_metrics

    keys = ["loss"]
    if cfg.data.val > 0:
        metrics = cfg.train.metrics or list(default_metrics(loss_task(cfg.train.loss)))
        keys += ["val_loss", *[f"val_{m}" for m in metrics]]
    return keys


def objective_of(cfg: ExperimentConfig) -> tuple[str, str]:
    """``(metric, direction)`` of ``cfg``'s ``[tune]``; the metric must be one the run logs.

        >>> from physnn.config import parse_config
        >>> objective_of(parse_config({"train": {"loss": "bce_with_logits"}, "tune": {"metric": "val_roc_auc"}}))
        ('val_roc_auc', 'maximize')
    """
    from physnn.train.metrics import metric_mode

    t = cfg.tune
    metric = t.metric if t is not None else "val_loss"
    keys = _log_keys(cfg)
    if metric not in keys:
        hint = " ([data] val = 0: no validation values; set val > 0 or use 'loss')" if cfg.data.val == 0 else ""
        raise PhysnnError(f"[tune] metric {metric!r} is not logged by this experiment; it logs "
                          f"{', '.join(keys)}{hint}. Add the metric to [train] metrics or pick one of these.")
    direction = t.direction if t is not None and t.direction else None
    if direction is None:
        name = metric.removeprefix("val_")
        direction = "minimize" if name == "loss" or metric_mode(name) == "min" else "maximize"
    return metric, direction


class PruningCallback(Callback):
    """Report ``monitor`` to an Optuna trial after each epoch; raise ``optuna.TrialPruned`` when the
    pruner says so (the run then stops and :func:`physnn.runs.train_run` removes its directory).

        >>> PruningCallback(trial=None, monitor="val_loss").monitor
        'val_loss'
    """

    def __init__(self, trial: Any, monitor: str) -> None:
        self.trial = trial
        self.monitor = monitor
        self.pruned_at: int | None = None

    def on_epoch_end(self, state: Any, logs: dict[str, float]) -> None:
        import optuna

        value = float(logs.get(self.monitor, float("nan")))
        if not math.isfinite(value):
            return
        self.trial.report(value, step=int(state.epoch))
        if self.trial.should_prune():
            self.pruned_at = int(state.epoch)
            raise optuna.TrialPruned(f"pruned at epoch {state.epoch} ({self.monitor} = {value:.6g})")


@dataclass
class TuneResult:
    """What :func:`tune` leaves: the study, the output folder, the best trial and its run directory."""

    study: Any
    out: Path
    best_value: float | None
    best_params: dict[str, Any]
    best_run: Path | None
    counts: dict[str, int]


def _storage_error(url: str, exc: BaseException) -> PhysnnError:
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
    if "locked" in text:
        why = "the database is locked by another program (it held the lock past the timeout); close it or retry"
    elif "not a database" in text or "file is encrypted" in text:
        why = "the file is not a study database (not SQLite); give another --storage or move the file away"
    elif "unable to open" in text or "readonly" in text or "permission" in text.lower():
        why = "it cannot be opened for writing (missing folder or no permission); check the path"
    else:
        why = "check the URL and that the database server is running"
    return PhysnnError(f"tune: study storage {url!r}: {text}; {why}.")


def open_study(cfg: ExperimentConfig, storage: str, study_name: str, *, lock_timeout: float = 20.0,
               seed: int | None = None) -> Any:
    """Create or load the study ``study_name`` in ``storage`` (an SQLAlchemy URL), its sampler and pruner
    set from ``[tune]``.  A study of that name made for another search space or metric is refused.

    Errors of the database (locked, not a database, unreachable) become one-line PhysnnErrors.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    metric, direction = objective_of(cfg)
    t = cfg.tune
    if storage.startswith("sqlite:///"):
        path = Path(storage[len("sqlite:///"):])
        if not path.parent.is_dir():
            raise PhysnnError(f"tune: study storage {storage!r}: folder {str(path.parent)!r} does not exist; "
                              "create it or give another --storage.")
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise PhysnnError(f"tune: study storage {storage!r}: no permission to read and write {str(path)!r}.")
    kwargs = {"connect_args": {"timeout": lock_timeout}} if storage.startswith("sqlite") else {}
    sampler = per_trial_sampler(t.sampler, cfg.seed if seed is None else seed)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=t.startup_trials, n_warmup_steps=t.warmup_epochs)
              if t.pruner == "median" else optuna.pruners.NopPruner())
    space = json.dumps(t.params, sort_keys=True)
    try:
        rdb = _rdb_storage(storage, kwargs)
        study = optuna.create_study(storage=rdb, study_name=study_name, direction=direction, sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
        old = study.user_attrs
        if not old:
            study.set_user_attr("physnn", {"metric": metric, "space": space, "experiment": cfg.name})
        elif old.get("physnn", {}).get("metric") != metric or old.get("physnn", {}).get("space") != space:
            raise PhysnnError(f"tune: study {study_name!r} in {storage!r} was made for another search space or "
                              f"metric ({old.get('physnn', {}).get('metric')!r}); give a new --study-name or "
                              "another --storage to start afresh.")
    except PhysnnError:
        raise
    except ImportError as exc:  # the URL's database driver (psycopg2, pymysql, ...) is not installed
        raise PhysnnError(f"tune: study storage {storage!r}: its database driver is not installed "
                          f"({' '.join(str(exc).split())[:200]}); install it, or use sqlite:///PATH.") from None
    except ValueError as exc:  # e.g. the study's direction differs
        raise PhysnnError(f"tune: study {study_name!r} in {storage!r}: {exc}; give a new --study-name.") from None
    except Exception as exc:  # sqlalchemy / sqlite errors
        if type(exc).__module__.split(".")[0] in ("sqlalchemy", "sqlite3", "optuna"):
            raise _storage_error(storage, exc) from None
        raise
    return study


def _rdb_storage(url: str, engine_kwargs: dict[str, Any]) -> Any:
    """Optuna's RDBStorage; two processes creating the same new database at once collide on its
    schema (a UNIQUE constraint): the loser waits for the winner and opens what it made."""
    import time

    import optuna

    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
        except Exception as exc:
            text = str(exc)
            if attempt == 4 or not ("UNIQUE constraint" in text or "already exists" in text):
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def per_trial_sampler(kind: str, seed: int) -> Any:
    """An Optuna sampler (``"tpe"`` or ``"random"``) seeded anew for each trial by ``(seed, trial number)``.

    Trial numbers are unique in a study, so processes sharing one study never draw the same
    values from the same seed, a resumed study does not repeat its first draws, and a study run
    by one process is reproducible.  Each trial gets a fresh sampler of ``kind`` (TPE reads the
    finished trials from the study, so nothing else is lost).

        >>> import optuna
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> draws = []
        >>> for _ in range(2):
        ...     st = optuna.create_study(sampler=per_trial_sampler("random", 0))
        ...     st.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        ...     draws.append([t.params["x"] for t in st.trials])
        >>> draws[0] == draws[1] and len(set(draws[0])) == 3
        True
    """
    import optuna

    def make(n: int) -> Any:
        s = (int(seed) * 1_000_003 + int(n) * 7_919) % 2**31
        return optuna.samplers.RandomSampler(seed=s) if kind == "random" else optuna.samplers.TPESampler(seed=s)

    class PerTrialSampler(optuna.samplers.BaseSampler):
        def __init__(self) -> None:
            self._current: tuple[int, Any] | None = None

        def _for(self, trial: Any) -> Any:
            if self._current is None or self._current[0] != trial.number:
                self._current = (trial.number, make(trial.number))
            return self._current[1]

        def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
            return self._for(trial).infer_relative_search_space(study, trial)

        def sample_relative(self, study: Any, trial: Any, search_space: Any) -> Any:
            return self._for(trial).sample_relative(study, trial, search_space)

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

        def before_trial(self, study: Any, trial: Any) -> None:
            self._for(trial).before_trial(study, trial)

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            self._for(trial).after_trial(study, trial, state, values)

        def reseed_rng(self) -> None:  # the seeds come from the trial numbers
            pass

    return PerTrialSampler()


def _finished(study: Any) -> int:
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def _objective(cfg: ExperimentConfig, space: dict[str, Param], metric: str, out: Path,
               on_trial: Callable[[str], None] | None, figures: bool = True) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        import shutil

        import optuna

        from physnn.runs import train_run

        values = {key: p.suggest(trial) for key, p in space.items()}
        trial_cfg = apply_params(cfg, values)
        directory = out / "trials" / f"trial-{trial.number:04d}"
        trial.set_user_attr("run", str(directory.relative_to(out)))
        trial.set_user_attr("values", values)  # categorical lists are stored by index; these are the values
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        pruner = PruningCallback(trial, metric)
        try:
            run = train_run(trial_cfg, directory, progress=False, quiet=True, callbacks=[pruner], figures=figures)
        except optuna.TrialPruned:
            if on_trial:
                on_trial(f"trial {trial.number}: pruned at epoch {pruner.pruned_at} ({_fmt(values)})")
            raise
        except BaseException:  # interrupted or failed: the trial will not be resumed, its run is dropped
            shutil.rmtree(directory, ignore_errors=True)
            raise
        if run.history.stop_reason.value == "interrupted":  # Ctrl-C inside fit: stop the study, drop the trial
            shutil.rmtree(directory, ignore_errors=True)
            raise KeyboardInterrupt
        final = dict(run.history.final)
        key = "train_loss" if metric == "loss" else metric
        value = float(final[key]) if key in final else float(run.history.records[-1][metric])
        if on_trial:
            on_trial(f"trial {trial.number}: {metric} = {value:.6g} ({_fmt(values)})")
        return value

    return objective


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in values.items())


def _worker(cfg_data: dict[str, Any], storage: str, study_name: str, out: str, n_trials: int,
            timeout: float | None, seed: int, lock_timeout: float, verbose: bool, figures: bool = True) -> None:
    """One process of ``--jobs K``: run trials until the study has ``n_trials`` finished ones."""
    import torch

    torch.set_num_threads(1)
    cfg = parse_config(cfg_data)
    _optimize(cfg, storage, study_name, Path(out), n_trials, timeout, seed, lock_timeout,
              print if verbose else None, [], figures)


def _optimize(cfg: ExperimentConfig, storage: str, study_name: str, out: Path, n_trials: int, timeout: float | None,
              seed: int, lock_timeout: float, on_trial: Callable[[str], None] | None, callbacks: list[Any],
              figures: bool = True) -> Any:
    import optuna
    from optuna.study import MaxTrialsCallback

    space = search_space(cfg)
    metric, _ = objective_of(cfg)
    study = open_study(cfg, storage, study_name, lock_timeout=lock_timeout)
    remaining = n_trials - _finished(study)
    if remaining <= 0:
        return study
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    try:
        study.optimize(_objective(cfg, space, metric, out, on_trial, figures), n_trials=remaining, timeout=timeout,
                       callbacks=[MaxTrialsCallback(n_trials, states=states), *callbacks], gc_after_trial=False)
    except PhysnnError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("sqlalchemy", "sqlite3"):
            raise _storage_error(storage, exc) from None
        raise
    return study


def tune(cfg: ExperimentConfig, out: str | Path, *, n_trials: int, timeout: float | None = None,
         storage: str | None = None, study_name: str | None = None, jobs: int = 1, figures: bool = True,
         lock_timeout: float = 20.0, on_trial: Callable[[str], None] | None = None,
         callbacks: list[Any] | None = None) -> TuneResult:
    """Tune ``cfg``'s ``[tune.params]`` with Optuna until its study has ``n_trials`` finished trials.

    Parameters
    ----------
    cfg : ExperimentConfig
        An experiment with a ``[tune]`` section (see the module docs).
    out : path
        Output folder: ``trials/trial-NNNN`` run directories, ``trials.csv``, ``best``,
        ``best.json``, ``figures/``, ``tune.json``; reused (the study resumes) when it exists.
    n_trials : int >= 1
        Finished (complete or pruned) trials the study should have; those it already has count.
    timeout : float, optional
        Seconds after which no new trial starts (per process).
    storage : str, optional
        SQLAlchemy URL of the study database (default ``sqlite:///OUT/study.db``).
    study_name : str, optional
        Default: the experiment's ``name``.
    jobs : int >= 1
        Processes running trials at once (each a fresh Python process on the same study).
    figures : bool
        Optuna's figures of the study and each trial run's own figures (``figures/loss.png``, ...);
        ``False`` skips both (faster trials).
    lock_timeout : float
        Seconds an SQLite study waits for a lock held by another process before it fails.
    on_trial : callable, optional
        Called with one line per finished trial.
    callbacks : list, optional
        Extra Optuna study callbacks ``f(study, frozen_trial)`` (this process only).

    Returns
    -------
    TuneResult

    Example
    -------
        >>> import tempfile
        >>> from physnn.config import parse_config
        >>> cfg = parse_config({"name": "t", "data": {"source": "toy:moons", "options": {"n": 64}},
        ...     "model": {"hidden": [4]}, "train": {"loss": "bce_with_logits", "epochs": 2},
        ...     "tune": {"params": {"train.lr": {"low": 1e-3, "high": 1e-1, "log": True}}}})
        >>> res = tune(cfg, tempfile.mkdtemp() + "/t", n_trials=2, figures=False)
        >>> res.counts["complete"] + res.counts["pruned"]
        2
    """
    n_trials = check_int("--trials", n_trials, low=1, owner="tune")
    jobs = check_int("--jobs", jobs, low=1, owner="tune")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise PhysnnError(f"tune: --timeout must be a positive number of seconds; got {timeout!r}.")
    search_space(cfg)  # every bad input found before anything is written
    out = Path(out)
    study_name = study_name or cfg.name
    marker = out / "tune.json"
    ours = {"study.db", "trials", "tune.json"}  # a second process may see the folder the first just made
    if out.exists() and not marker.exists() and any(p.name not in ours and not p.name.startswith(("study.db", "."))
                                                    for p in out.iterdir()):
        raise PhysnnError(f"tune: {str(out)!r} exists and is not a physnn tune folder (no tune.json); "
                          "give another --out.")
    if marker.exists():
        from physnn.files import read_json

        old = read_json(marker, owner="tune")
        if old.get("study_name") != study_name:
            raise PhysnnError(f"tune: {str(out)!r} holds study {old.get('study_name')!r}, not {study_name!r}; "
                              "give another --out, or the same --study-name to resume it.")
        storage = storage or old.get("storage")
    created = not out.exists()
    default_storage = storage is None  # OUT/study.db, recorded as such so the folder can be moved
    if storage is None:
        storage = f"sqlite:///{out.absolute() / 'study.db'}"
        if created:
            out.mkdir(parents=True)
    from physnn.files import removed_on_error

    with removed_on_error(out if created else None):  # a study that cannot be opened leaves nothing
        open_study(cfg, storage, study_name, lock_timeout=lock_timeout)
        out.mkdir(parents=True, exist_ok=True)
        metric, direction = objective_of(cfg)
        write_json(marker, {"study_name": study_name, "storage": None if default_storage else storage, "metric": metric,
                            "direction": direction, "params": cfg.tune.params, "experiment": cfg.name})
    if jobs == 1:
        study = _optimize(cfg, storage, study_name, out, n_trials, timeout, cfg.seed, lock_timeout, on_trial,
                          list(callbacks or []), figures)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        data = cfg.model_dump(mode="json", exclude_none=True)
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(_worker, data, storage, study_name, str(out), n_trials, timeout,
                                   cfg.seed, lock_timeout, on_trial is not None, figures)
                       for k in range(jobs)]
            for f in futures:
                f.result()
        study = open_study(cfg, storage, study_name, lock_timeout=lock_timeout)
    return write_outputs(study, out, figures=figures)


def write_outputs(study: Any, out: str | Path, *, figures: bool = True) -> TuneResult:
    """Write ``trials.csv``, ``best.json``, the ``best`` link and (``figures``) Optuna's matplotlib figures."""
    import optuna

    out = Path(out)
    trials = study.get_trials(deepcopy=False)
    names = sorted({k for t in trials for k in t.params})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["number", "state", "value", *names, "epochs_reported", "run", "worker", "duration_s"])
    for t in trials:
        dur = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else ""
        run = t.user_attrs.get("run", "") if t.state == optuna.trial.TrialState.COMPLETE else ""
        w.writerow([t.number, t.state.name.lower(), "" if t.value is None else repr(float(t.value)),
                    *[_cell(t.user_attrs.get("values", t.params).get(n, "")) for n in names],
                    len(t.intermediate_values), run,
                    t.user_attrs.get("worker", ""), dur if dur == "" else f"{dur:.3f}"])
    write_text(out / "trials.csv", buf.getvalue())
    counts = {s: sum(t.state.name.lower() == s for t in trials) for s in ("complete", "pruned", "fail", "running")}
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None
                and (out / str(t.user_attrs.get("run", "-"))).is_dir()]
    best_run, best_value, best_params = None, None, {}
    if complete:
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MINIMIZE else -1.0
        best = min(complete, key=lambda t: (sign * float(t.value), t.number))
        best_value, best_params = float(best.value), dict(best.user_attrs.get("values", best.params))
        best_run = out / best.user_attrs["run"]
        write_json(out / "best.json", {"trial": best.number, "value": best_value, "params": best_params,
                                       "run": best.user_attrs["run"], "metric": study.user_attrs.get(
                                           "physnn", {}).get("metric"), "direction": study.direction.name.lower(),
                                       **{f"n_{k}": v for k, v in counts.items()}})
        tmp = out / f".best-{os.getpid()}"
        if os.path.lexists(tmp):
            tmp.unlink()
        os.symlink(best_run.relative_to(out), tmp)
        os.replace(tmp, out / "best")
    if figures and complete:
        _figures(study, out / "figures", len(complete))
    return TuneResult(study, out, best_value, best_params, best_run, counts)


def _cell(v: Any) -> Any:
    return repr(v) if isinstance(v, float) else v


def _figures(study: Any, folder: Path, n_complete: int) -> None:
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances

    from physnn.files import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    plots = [("optimization_history.png", plot_optimization_history)]
    if n_complete >= 2:
        plots.append(("param_importances.png", plot_param_importances))
    for name, plot in plots:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna's matplotlib figures are marked experimental
            try:
                ax = plot(study)
            except (ValueError, RuntimeError):  # importances of a space that did not vary
                continue
        fig = ax.figure
        fig.set_size_inches(7, 4.5)
        fig.tight_layout()
        with atomic_path(folder / name) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        plt.close(fig)
