"""Runs on disk: train from an experiment config, reload, predict.

A run directory (``runs/NAME/``) holds::

    config.toml         the fully resolved experiment (re-run it to repeat the run)
    model.safetensors   the final weights (best epoch when early stopping restores it)
    state.json          model config, feature/target names, standardizer, task, seed, versions
    history.csv         one row per epoch: loss, val_loss, val_<metric>, lr, time
    metrics.json        final loss and metrics on train / val / test, stop reason
    checkpoint.pt       full training state, for --resume (loaded with weights_only=True)
    figures/loss.png    training and validation loss per epoch
    figures/decision_boundary.png   for 2-D inputs with a classification loss

Every file is written atomically; nothing is unpickled on load.

    >>> import tempfile
    >>> from physnn.config import parse_config
    >>> cfg = parse_config({"name": "demo", "data": {"source": "toy:simplenet", "options": {"n": 200}},
    ...                     "model": {"kind": "simplenet"}, "train": {"epochs": 3}})
    >>> run = train_run(cfg, tempfile.mkdtemp() + "/demo", progress=False, quiet=True)
    >>> sorted(p.name for p in run.directory.iterdir())[:4]
    ['best.safetensors', 'checkpoint.pt', 'config.toml', 'figures']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physnn.config import ExperimentConfig, config_to_toml, parse_config
from physnn.errors import PhysnnError, check_file, check_input_file
from physnn.files import removed_on_error, write_json, write_text
from physnn.rundir import RunKind, build_model, read_state, unique_run_dir, write_state

__all__ = ["Run", "train_run", "load_run", "predict_run", "load_data_for", "build_experiment_model", "RUN_KIND"]

_TASK = {"bce": "binary", "bce_with_logits": "binary", "cross_entropy": "multiclass"}


@dataclass
class Run:
    """A trained run: its directory, model, standardizer and saved state."""

    directory: Path
    config: ExperimentConfig | None  #: None for PINN runs (their config.toml holds the solve settings)
    model: Any
    standardizer: Any
    state: dict[str, Any]
    history: Any = None

    @property
    def feature_names(self) -> list[str]:
        return list(self.state["feature_names"])

    def predict(self, X: np.ndarray, *, device: str | None = None, chunk: int = 65536) -> np.ndarray:
        """Model outputs for raw (unstandardized) ``X``: probabilities for classifiers.

        ``device`` (``cpu``, ``cuda``, ``auto``): where the network runs, ``chunk`` rows at a time; the
        model comes back to the CPU.
        """
        import torch

        from physnn.errors import check_array
        from physnn.train.loop import resolve_device

        X = check_array("X", X, ndim=2, n_features=len(self.feature_names), owner="predict")
        if self.standardizer is not None:
            X = self.standardizer.transform(X)
        dev = resolve_device(device or "cpu", owner="predict")
        self.model.eval().to(dev)
        dtype = next(self.model.parameters()).dtype
        try:
            with torch.no_grad():
                Xt = torch.as_tensor(np.asarray(X), dtype=dtype)
                out = torch.cat([self.model(Xt[i:i + chunk].to(dev)).float().cpu() for i in range(0, len(Xt), chunk)])
        finally:
            self.model.cpu()
        with torch.no_grad():
            loss = self.state["loss"]
            if loss == "bce_with_logits":
                out = torch.sigmoid(out)
            elif loss == "cross_entropy":
                out = torch.softmax(out, dim=1)
        return out.numpy()


def load_data_for(cfg: ExperimentConfig) -> Any:
    """The ArrayData a config names: ``toy:<name>`` or a file with the chosen columns."""
    from physnn.data import load_toy, read_data

    src = cfg.data.source
    if src.startswith("toy:"):
        options = dict(cfg.data.options)
        options.setdefault("seed", cfg.seed)
        data = load_toy(src[4:], **options)
        if cfg.data.features:
            from physnn.errors import check_columns

            check_columns("features", cfg.data.features, data.feature_names, owner=f"[data] {src}")
            idx = [data.feature_names.index(f) for f in cfg.data.features]
            from physnn.data import ArrayData

            data = ArrayData(data.X[:, idx], data.y, feature_names=cfg.data.features,
                             target_names=data.target_names, name=data.name)
        return data
    if cfg.data.options:
        raise PhysnnError(f"[data] options are for toy sets only; {src!r} is a file. Remove [data.options].")
    return read_data(src, features=cfg.data.features or None, target=cfg.data.target,
                     tree=cfg.data.tree or None)


def build_experiment_model(cfg: ExperimentConfig, n_in: int, n_out: int):
    """The model an experiment's ``[model]`` section describes, for ``n_in`` inputs and ``n_out`` outputs."""
    import torch

    from physnn.nn import MLP, SimpleNet

    torch.manual_seed(cfg.seed)
    if cfg.model.kind == "simplenet":
        if n_in != 10 or n_out != 1:
            raise PhysnnError(
                f"[model] kind = 'simplenet' is the lecture's 10-64-32-1 network but the data have "
                f"{n_in} features and {n_out} target(s); use kind = 'mlp' with hidden = [64, 32]."
            )
        return SimpleNet()
    out_act = None if cfg.model.out_activation == "identity" else cfg.model.out_activation
    return MLP(n_in, cfg.model.hidden, n_out, activation=cfg.model.activation,
               dropout=cfg.model.dropout, out_activation=out_act)


def train_run(
    cfg: ExperimentConfig,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool | None = None,
    quiet: bool = False,
    figures: bool = True,
    callbacks: Any = (),
) -> Run:
    """Train the experiment ``cfg`` and write its run directory (see module docs).

    ``callbacks`` are extra :class:`~physnn.train.callbacks.Callback` objects run after the
    run's own (checkpoint, history): experiment loggers, an Optuna pruning callback.

    ``out`` defaults to ``runs/<name>``; an existing directory is never
    overwritten (a suffix ``-2``, ``-3``… is added) unless ``resume`` is set,
    in which case training continues from ``out/checkpoint.pt``.
    """
    from physnn.data import standardize

    base = Path(out) if out is not None else Path("runs") / cfg.name
    if resume:
        check_file(base / "checkpoint.pt", owner="train --resume", what="checkpoint")
        directory = base
    else:
        directory = unique_run_dir(base)

    if cfg.data.stream:
        return _train_streaming(cfg, directory, resume=resume, progress=progress, quiet=quiet, figures=figures,
                                callbacks=list(callbacks))
    # everything that can be wrong with the input is found before anything is written
    data = load_data_for(cfg)
    loss = cfg.train.loss
    if loss == "cross_entropy" and not data.is_labels:
        raise PhysnnError(
            "[train] loss = 'cross_entropy' needs integer class labels 0..C-1 in one target column; "
            f"the target {data.target_names} holds real values."
        )
    split = data.split(val=cfg.data.val, test=cfg.data.test, stratify=cfg.data.stratify, seed=cfg.seed)
    scaler = None
    if cfg.data.standardize:
        split, scaler = standardize(split)
    n_in = data.n_features
    n_out = data.n_classes if loss == "cross_entropy" else max(data.n_targets, 1)
    model = build_experiment_model(cfg, n_in, n_out)
    names = {"feature_names": data.feature_names, "target_names": data.target_names, "n_classes": data.n_classes}

    def test_metrics(model: Any) -> dict[str, float] | None:
        if split.test is None:
            return None
        from physnn.train.objectives import Supervised

        obj = Supervised(split.train, split.val, loss=loss, metrics=cfg.train.metrics or None)
        return obj.final_metrics(model.cpu(), test=split.test)  # train, validation and test in one evaluation

    def draw(directory: Path, history: Any, model: Any) -> None:
        _figures(directory, history, model, split, scaler, loss)

    with removed_on_error(directory):  # a failed new run leaves no directory behind
        return _train_into(cfg, directory, {"data": split.train, "val": split.val}, names, scaler, model,
                           test_metrics, draw, resume=resume, progress=progress, quiet=quiet, figures=figures,
                           extra_callbacks=list(callbacks))


def load_stream_for(cfg: ExperimentConfig) -> Any:
    """The :class:`~physnn.data.stream.TableStream` a config with ``[data] stream = true`` names."""
    from physnn.data.stream import TableStream

    src = cfg.data.source
    if src.startswith("toy:"):
        raise PhysnnError(f"[data] stream = true reads Parquet or ROOT files; {src!r} is a built-in set "
                          "(it fits in memory: remove stream = true).")
    if cfg.data.stratify:
        raise PhysnnError("[data] stratify cannot be kept with stream = true (the split is by whole chunks); "
                          "remove stratify, or train in memory.")
    if cfg.data.options:
        raise PhysnnError(f"[data] options are for toy sets only; {src!r} is a file. Remove [data.options].")
    return TableStream(src, features=cfg.data.features or None, target=cfg.data.target,
                       tree=cfg.data.tree or None, chunk_rows=cfg.data.chunk_rows, owner=f"[data] {src}")


def _train_streaming(cfg: ExperimentConfig, directory: Path, *, resume: bool, progress: bool | None,
                     quiet: bool, figures: bool, callbacks: list[Any]) -> Run:
    """``train_run`` for ``[data] stream = true``: chunks split to train/val/test, standardization
    fitted on a sample of training chunks, :class:`~physnn.train.streaming.StreamingSupervised`."""
    from physnn.data import Standardizer
    from physnn.train.streaming import StreamingSupervised

    stream = load_stream_for(cfg)
    loss, t, d = cfg.train.loss, cfg.train, cfg.data
    if t.batch_size == 0:
        raise PhysnnError("[train] batch_size = 0 (full batch) cannot stream; give a mini-batch size.")
    train, val, test = stream.split(val=d.val, test=d.test, seed=cfg.seed)
    scaler = None
    if d.standardize:
        mean, var, _ = stream.moments(train, sample_rows=d.sample_rows or None, seed=cfg.seed)
        scaler = Standardizer().set_moments(mean, var)
    n_classes = None
    if loss == "cross_entropy":
        if len(stream.target_names) != 1:
            raise PhysnnError("[train] loss = 'cross_entropy' needs one target column of class labels 0..C-1.")
        labels = np.concatenate([stream.read(c)[1][:, 0] for c in train[: max(1, d.buffer_chunks)]])
        if not np.array_equal(labels, np.round(labels)) or labels.min() < 0:
            raise PhysnnError("[train] loss = 'cross_entropy' needs integer class labels 0..C-1; the target "
                              f"{stream.target_names} holds other values.")
        n_classes = int(labels.max()) + 1
    n_out = n_classes if loss == "cross_entropy" else len(stream.target_names)
    model = build_experiment_model(cfg, len(stream.feature_names), n_out)
    objective = StreamingSupervised(stream, train, val, loss=loss, batch_size=t.batch_size,
                                    metrics=t.metrics or None, standardizer=scaler,
                                    buffer_chunks=d.buffer_chunks, workers=d.workers, n_outputs=n_out)
    names = {"feature_names": stream.feature_names, "target_names": stream.target_names, "n_classes": n_classes,
             "stream": {"rows": stream.n_rows, "chunks": len(stream.chunks), "train_chunks": len(train),
                        "val_chunks": len(val), "test_chunks": len(test)}}

    def test_metrics(model: Any) -> dict[str, float] | None:
        # the final weights on validation and test chunks (no pass over the training chunks: the epoch's
        # running training loss is in the history)
        model = model.cpu()
        objective.device = next(model.parameters()).device
        return {**objective.evaluate_chunks(model, val, "val_"), **objective.evaluate_chunks(model, test, "test_")}

    def draw(directory: Path, history: Any, model: Any) -> None:
        history.plot(path=directory / "figures" / "loss.png")

    with removed_on_error(directory):
        return _train_into(cfg, directory, {"objective": objective}, names, scaler, model, test_metrics, draw,
                           resume=resume, progress=progress, quiet=quiet, figures=figures, extra_callbacks=callbacks)


def _train_into(cfg: ExperimentConfig, directory: Path, fit_data: dict[str, Any], names: dict[str, Any],
                scaler: Any, model: Any, test_metrics: Any, draw: Any, *,
                resume: bool, progress: bool | None, quiet: bool, figures: bool,
                extra_callbacks: list[Any] | None = None) -> Run:
    from physnn.nn import model_config
    from physnn.train import Checkpoint, CSVLogger, EarlyStopping, fit
    from physnn.train.checkpoint import save_weights

    loss = cfg.train.loss
    directory.mkdir(parents=True, exist_ok=True)
    write_text(directory / "config.toml", config_to_toml(cfg))

    callbacks: list[Any] = [Checkpoint(directory), CSVLogger(directory / "history.csv"), *(extra_callbacks or [])]
    es = cfg.early_stopping
    if es.enabled:
        callbacks.insert(0, EarlyStopping(monitor=es.monitor, patience=es.patience, min_delta=es.min_delta,
                                          mode=es.mode, restore_best=es.restore_best))
    t = cfg.train
    history = fit(
        model, **fit_data, loss=loss, optimizer=t.optimizer, lr=t.lr,
        weight_decay=t.weight_decay, momentum=t.momentum, nesterov=t.nesterov, epochs=t.epochs,
        batch_size=None if t.batch_size == 0 else t.batch_size, metrics=t.metrics or None,
        schedule=t.schedule, grad_clip=t.grad_clip or None, callbacks=callbacks, seed=cfg.seed,
        log_every=None if quiet or t.log_every == 0 else t.log_every, progress=progress,
        device=t.device, threads=t.threads or "auto", precision=t.precision,
        resume=(directory / "checkpoint.pt") if resume else None,
    )
    tested = test_metrics(model)
    if tested is not None:
        history.final = tested
    final = dict(history.final)

    state = {
        "model": model_config(model),
        "loss": loss,
        "task": _TASK.get(loss, "regression"),
        **names,
        "standardizer": None if scaler is None else scaler.to_dict(),
    }
    save_weights(model, directory / "model.safetensors")
    state = write_state_and_read(directory, state, cfg.seed)
    write_json(directory / "metrics.json", {
        "stop_reason": history.stop_reason.value, "message": history.message,
        "epochs_run": history.epochs_run, "best_epoch": history.best_epoch,
        "monitor": history.monitor, "best_value": history.best_value,
        "wall_time_s": history.wall_time, **{k: float(v) for k, v in final.items()},
    })
    history.to_csv(directory / "history.csv")
    if figures:
        draw(directory, history, model)
    return Run(directory, cfg, model, scaler, state, history)


def write_state_and_read(directory: Path, state: dict[str, Any], seed: int) -> dict[str, Any]:
    """Write a tabular run's state (:func:`physnn.rundir.write_state`) and return it as written."""
    write_state(directory, "tabular", state, seed=seed)
    return read_state(directory)


def _figures(directory: Path, history: Any, model: Any, split: Any, scaler: Any, loss: str) -> None:
    from physnn.viz.plots import plot_decision_boundary

    figs = directory / "figures"
    history.plot(path=figs / "loss.png")
    if split.train.n_features == 2 and loss in _TASK:
        import torch

        part = split.val if split.val is not None else split.train
        X = scaler.inverse_transform(part.X) if scaler is not None else part.X
        to_score = torch.sigmoid if loss == "bce_with_logits" else (
            (lambda t: torch.softmax(t, 1)) if loss == "cross_entropy" else None)
        plot_decision_boundary(model, X, part.y, transform=scaler.transform if scaler is not None else None,
                               to_score=to_score, path=figs / "decision_boundary.png",
                               title="Decision boundary (validation points)",
                               feature_names=tuple(split.train.feature_names))


def load_run(directory: str | Path) -> Run:
    """Rebuild a tabular (``physnn train``) or PINN (``physnn pinn``) run: model (safetensors), standardizer, config.

    Runs of other kinds load with their application's loader; :func:`physnn.rundir.predict` predicts with any.
    """
    import tomllib

    from physnn.data import Standardizer
    from physnn.train.checkpoint import load_weights

    d = Path(directory)
    state = read_state(d, kind=("tabular", "pinn"), owner="load_run")
    for name in ("model.safetensors", "config.toml"):
        if not (d / name).exists():
            raise PhysnnError(f"{str(d)!r} is not a finished physnn run: {name} is missing.")
    if state["kind"] == "pinn":
        model = build_model(state["model"])
        load_weights(model, d / "model.safetensors")
        model.eval()
        return Run(d, None, model, None, state)
    try:
        cfg_text = check_input_file(d / "config.toml", "text", what="run config").read_text(encoding="utf-8")
        cfg = parse_config(tomllib.loads(cfg_text), origin=str(d / "config.toml"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PhysnnError(f"{d / 'config.toml'}: not a valid experiment file ({type(exc).__name__}: {exc}); "
                          "the run directory is damaged; train it again with 'physnn train CONFIG'.") from None
    model = build_model(state["model"])
    load_weights(model, d / "model.safetensors")
    model.eval()
    scaler = Standardizer.from_dict(state["standardizer"]) if state.get("standardizer") else None
    return Run(d, cfg, model, scaler, state)


def predict_run(directory: str | Path, data_path: str | Path, out: str | Path, *, tree: str | None = None) -> Path:
    """Predict with a saved run of any kind on a data file; write the predictions to ``out``.

    For tabular runs the file must hold the run's feature columns (by name); other
    columns are ignored.  The output (CSV, NPZ, Parquet or HDF5, by suffix) has one
    column per model output: ``pred_<target>`` for regression, ``prob_<target>`` for
    binary classifiers, ``prob_<k>`` per class for multiclass; a PINN run writes its
    fields (``u``, ...) at the given points.  Other kinds: :func:`physnn.rundir.predict`.
    """
    from physnn.rundir import predict

    return predict(directory, data_path, out, tree=tree)


def _output_names(state: dict[str, Any], n_out: int) -> list[str]:
    task = state.get("task", "regression")
    if task == "pinn":
        return list(state["target_names"])
    if task == "multiclass":
        return [f"prob_{k}" for k in range(n_out)]
    prefix = "prob_" if task == "binary" else "pred_"
    return [prefix + t for t in state["target_names"]][:n_out]


def _predict(directory: Path, state: dict[str, Any], data: Path, out: Path, *, tree: str | None = None,
             device: str | None = None) -> Path:
    from physnn.data import ArrayData, read_data, write_data

    run = load_run(directory)
    X = read_data(data, features=run.feature_names, target=None, tree=tree).X
    pred = run.predict(X, device=device)
    write_data(ArrayData(pred, None, feature_names=_output_names(run.state, pred.shape[1]), name="predictions"), out)
    return Path(out)


def _onnx(directory: Path, state: dict[str, Any]) -> tuple[Any, tuple[Any, ...], list[str]]:
    """The network with its standardisation in front and, for classifiers, its probabilities behind."""
    import torch

    run = load_run(directory)
    if state["kind"] == "pinn":
        net = run.model
        return net.eval(), (torch.rand(4, len(run.feature_names), dtype=next(net.parameters()).dtype),), ["x"]
    n = len(run.feature_names)
    scaler = run.standardizer
    loss = state.get("loss")

    class WithPreprocessing(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = run.model
            self.register_buffer("mean", torch.tensor(list(scaler.mean_) if scaler else [0.0] * n, dtype=torch.float32))
            self.register_buffer("scale", torch.tensor(list(scaler.scale_) if scaler else [1.0] * n, dtype=torch.float32))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.net((x - self.mean) / self.scale)
            if loss == "bce_with_logits":
                y = torch.sigmoid(y)
            elif loss == "cross_entropy":
                y = torch.softmax(y, dim=1)
            return y

    return WithPreprocessing().eval(), (torch.randn(4, n),), ["x"]


def _describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"task": state.get("task")}
    model = state.get("model", {})
    if state["kind"] == "pinn":
        info["problem"] = model.get("problem")
        info["net"] = "-".join(str(v) for v in [model.get("net", {}).get("n_in"), *model.get("net", {}).get("hidden", []),
                                                 model.get("net", {}).get("n_out")])
    else:
        info["net"] = "simplenet 10-64-32-1" if model.get("kind") == "simplenet" else "-".join(
            str(v) for v in [model.get("n_in"), *model.get("hidden", []), model.get("n_out")])
        info["loss"] = state.get("loss")
    info["features"] = ", ".join(state.get("feature_names", []))
    info["targets"] = ", ".join(state.get("target_names", []))
    return info


#: how the verbs work on tabular runs (``physnn train``); PINN runs reuse the same functions
RUN_KIND = RunKind(
    kind="tabular",
    predicts="a table (CSV, NPZ, Parquet, HDF5, ROOT) with the run's feature columns -> pred_<target> / "
             "prob_<target> columns",
    predict=_predict, onnx=_onnx, describe=_describe,
)
