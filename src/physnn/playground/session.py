"""One training session per browser tab, on physnn's own :func:`~physnn.train.fit`.

A :class:`Session` owns the tab's settings, data and network and runs in one
thread of its own.  Training is one long ``fit`` call; a callback
(:class:`FrameGate`) ends every epoch by sending a *frame* (epoch, losses,
metrics, the output heat map, every neuron's map, the weights) and then
decides, from the commands that came in meanwhile, whether the next epoch
runs now, waits (pause, or the page has not drawn the last frames yet) or the
fit ends so that a new one starts:

* ``learningRate`` changes at once, in the running optimizer;
* optimizer, regularization, batch size, schedule, early stopping end the fit
  and a new fit continues from the same weights;
* network, activation, loss, features build a new network; data settings new
  data.

Flow control: at most :data:`WINDOW` frames are on their way to the page at a
time; the page acknowledges each frame once drawn.  So training runs one
epoch per drawn frame, as fast as the browser draws, never ahead of it.

Nothing from the page is evaluated: every message is a JSON object whose
``type`` is looked up in a table and whose values are validated.
"""

from __future__ import annotations

import base64
import json
import math
import queue
import random
import threading
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.playground import datasets as D
from physnn.playground import frames as F
from physnn.playground.params import (
    DATA_KEYS, DEFAULTS, LIVE_KEYS, RESET_KEYS, RESTART_KEYS, encode_state, parse_state,
)
from physnn.train.callbacks import Callback, EarlyStopping
from physnn.train.objectives import Supervised

__all__ = ["Session", "WINDOW", "build_model", "PlaygroundObjective", "encode"]

#: Frames sent but not yet acknowledged by the page before training waits.
WINDOW = 2
_EPOCHS_FOREVER = 10**9


class PlaygroundObjective(Supervised):
    """Supervised learning plus TF Playground's L1 or L2 penalty on the weights (not the biases).

    ``loss = data loss + rate · Σ|w|`` (L1) or ``+ rate · Σ w²/2`` (L2), so the
    L2 gradient is ``rate · w`` as in TF Playground.  Losses reported by
    :meth:`evaluate` are the data loss alone.
    """

    def __init__(self, train: Any, val: Any = None, *, loss: str, batch_size: int | None,
                 penalty: str = "none", rate: float = 0.0) -> None:
        super().__init__(train, val, loss=loss, batch_size=batch_size, metrics=[])
        self.penalty, self.rate = penalty, float(rate)
        self._weights: list[torch.Tensor] = []

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        super().setup(model, device, rank, world)
        self._weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        base = super().loss(model, batch)
        if self.penalty == "none" or self.rate == 0.0:
            return base
        if self.penalty == "L1":
            return base + self.rate * sum(w.abs().sum() for w in self._weights)
        return base + 0.5 * self.rate * sum((w * w).sum() for w in self._weights)


class _EarlyStop(EarlyStopping):
    """EarlyStopping that restores the best weights only when it is what stopped the fit."""

    def on_fit_end(self, state: Any) -> None:
        if state.stop_reason == "early_stopping":
            super().on_fit_end(state)


def hidden_activations(params: dict[str, Any]) -> list[str]:
    """physnn's activation name for every hidden layer (TF's ``linear`` is physnn's ``identity``)."""
    acts = params["activations"] or [params["activation"]] * len(params["networkShape"])
    return ["identity" if a == "linear" else a for a in acts]


def n_outputs(params: dict[str, Any], data: D.PlayData) -> int:
    if data.task == "classification" and params["loss"] == "cross_entropy":
        return data.n_classes
    return 1


def build_model(params: dict[str, Any], n_in: int, data: D.PlayData, *, seed: int) -> nn.Module:
    """The network the settings describe: physnn's :class:`~physnn.nn.MLP`.

    Classification with ``loss=mse`` is TF Playground's: one tanh output,
    labels ±1.  With ``cross_entropy`` there is one logit per class (softmax).
    Regression has one linear output.
    """
    from physnn.nn import MLP

    out_act = "tanh" if (data.task == "classification" and params["loss"] == "mse") else None
    init: Any = "auto"
    if params["initZero"]:
        init = lambda w: w.zero_()  # noqa: E731
    return MLP(n_in, list(params["networkShape"]), n_outputs(params, data),
               activation=hidden_activations(params), dropout=params["dropout"],
               out_activation=out_act, init=init, seed=seed)


class FrameGate(Callback):
    """The callback that ends each epoch: send a frame, then run on, wait or stop the fit."""

    def __init__(self, session: "Session") -> None:
        self.session = session

    def on_fit_start(self, state: Any) -> None:
        self.session._fit_state = state

    def on_epoch_end(self, state: Any, logs: dict[str, float]) -> None:
        s = self.session
        s.epoch += 1
        s.test_loss = float(logs.get("val_loss", float("nan")))
        if s.steps_left > 0:
            s.steps_left -= 1
            if s.steps_left == 0:
                s.running = False
        s.send_frame()
        if s.max_epochs and s.epoch >= s.max_epochs and not state.should_stop:
            state.request_stop("completed", f"Finished {s.max_epochs} epochs.")
        if not state.should_stop:
            s._between_epochs(state)


class Session:
    """The training session of one browser tab; see the module docs.

    Parameters
    ----------
    send : callable
        ``send(message: dict)``, thread-safe: hands a message to the tab.
    """

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self._commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.params: dict[str, Any] = dict(DEFAULTS)
        self.params["seed"] = f"{random.random():.5f}"
        self.data: D.PlayData | None = None
        self.model: nn.Module | None = None
        self.table: D.Table | None = None
        self.epoch = 0
        self.test_loss = float("nan")
        self.running = False
        self.steps_left = 0
        self.in_flight = 0
        self.closed = False
        self.max_epochs = 0
        self._need_data = True
        self._need_model = True
        self._need_restart = False
        self._started = False
        self._fit_state: Any = None
        self._fits = 0
        self._thread = threading.Thread(target=self._main, name="physnn-playground-session", daemon=True)

    # ------------------------------------------------------------------ outside API (any thread)
    def start(self) -> None:
        self._thread.start()

    def command(self, msg: dict[str, Any]) -> None:
        """Queue one message from the page (validated later, in the session's thread)."""
        self._commands.put(msg)

    def close(self, timeout: float | None = None) -> None:
        """End the session: the fit stops after the current epoch and the thread exits."""
        self._commands.put({"type": "close"})
        if timeout is not None and self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ------------------------------------------------------------------ the session's thread
    def _main(self) -> None:
        while not self.closed:
            try:
                self._loop_once()
            except Exception as exc:  # a bug must not kill the tab's session: report, rebuild
                self.running = False
                self._send({"type": "error", "message": f"internal error: {type(exc).__name__}: {exc}",
                            "detail": traceback.format_exc(limit=3)})
                self._need_model = True
                self._wait_for_command()

    def _loop_once(self) -> None:
        if not self._started:
            self._wait_for_command()  # the page's hello comes first
            return
        if self._need_data:
            self._build_data()
        if self._need_model:
            self._build_model()
        self._need_restart = False
        if not (self.running or self.steps_left > 0):
            self._wait_for_command()
            return
        self._fit()

    def _wait_for_command(self) -> None:
        try:
            msg = self._commands.get(timeout=0.5)
        except queue.Empty:
            return
        self._handle(msg)

    def _drain(self) -> None:
        while True:
            try:
                msg = self._commands.get_nowait()
            except queue.Empty:
                return
            self._handle(msg)

    def _between_epochs(self, state: Any) -> None:
        """Inside the fit, after a frame: handle commands; return to run the next epoch."""
        while True:
            self._drain()
            if self.closed or self._need_data or self._need_model or self._need_restart:
                state.request_stop("callback", "playground: settings changed")
                return
            if (self.running or self.steps_left > 0) and self.in_flight < WINDOW:
                return
            self._wait_for_command()

    # ------------------------------------------------------------------ commands
    def _handle(self, msg: Any) -> None:
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            self._error("a message must be a JSON object with a 'type'")
            return
        kind = msg["type"]
        handler = {
            "hello": self._on_hello, "set": self._on_set, "play": self._on_play, "pause": self._on_pause,
            "step": self._on_step, "reset": self._on_reset, "regenerate": self._on_regenerate,
            "ack": self._on_ack, "close": self._on_close, "add_point": self._on_add_point,
            "upload": self._on_upload, "columns": self._on_columns, "edit": self._on_edit,
            "export": self._on_export,
        }.get(kind)
        if handler is None:
            self._error(f"unknown message type {kind[:40]!r}")
            return
        try:
            handler(msg)
        except PhysnnError as exc:
            self._error(str(exc))

    def _error(self, message: str) -> None:
        self._send({"type": "error", "message": message})

    def _on_close(self, msg: dict[str, Any]) -> None:
        self.closed = True
        self.running = False

    def _on_ack(self, msg: dict[str, Any]) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def _on_hello(self, msg: dict[str, Any]) -> None:
        values = msg.get("hash") or {}
        if not isinstance(values, dict):
            values = {}
        if "seed" not in values:
            values = {**values, "seed": self.params["seed"]}
        params, notes = parse_state(values)
        if params["problem"] == "classification" and params["dataset"] == "custom" or \
                params["problem"] == "regression" and params["regDataset"] == "custom-reg":
            notes.append("the link names your own data, which a link cannot carry; upload the CSV again "
                         "(using the default data set meanwhile)")
            params["dataset"], params["regDataset"] = DEFAULTS["dataset"], DEFAULTS["regDataset"]
        self._started = True
        self._apply(params, notes, force=True)

    def _on_set(self, msg: dict[str, Any]) -> None:
        values = msg.get("values")
        params, notes = parse_state(values if isinstance(values, dict) else {}, base=self.params)
        if not isinstance(values, dict):
            notes.append("'set' needs 'values': an object of settings")
        self._apply(params, notes)

    def _apply(self, params: dict[str, Any], notes: list[str], *, force: bool = False) -> None:
        changed = {k for k in params if params[k] != self.params.get(k)}
        custom = self.data is not None and self.data.name in ("custom", "custom-reg")
        self.params = params
        if params["problem"] == "classification" and params["loss"] == "mse" and self._classes() > 2:
            notes.append(f"{self._classes()} classes need loss=cross_entropy (softmax); using it")
            params["loss"] = "cross_entropy"
            changed.add("loss")
        self.max_epochs = params["epochs"]
        if force or changed & set(DATA_KEYS):
            if custom and not force and changed <= {"percTrainData", "seed"} and self.table is not None:
                self._use_columns(*self._table_columns)
            elif not (custom and not (changed & {"dataset", "regDataset", "problem"})):
                self._need_data = True
        if changed & set(RESET_KEYS):
            self._need_model = True
        if changed & set(RESTART_KEYS):
            self._need_restart = True
        if "learningRate" in changed and self._fit_state is not None and params["schedule"] == "none":
            for g in self._fit_state.optimizer.param_groups:
                g["lr"] = float(params["learningRate"])
        elif "learningRate" in changed:
            self._need_restart = True
        self._send({"type": "state", "params": self.params, "hash": encode_state(self.params), "notes": notes})
        if changed & set(LIVE_KEYS) and not (self._need_data or self._need_model) and self.model is not None:
            self.send_frame(count=False)

    def _classes(self) -> int:
        if self.params["problem"] != "classification":
            return 0
        if self.data is not None and self.data.name == "custom":
            return self.data.n_classes
        return 3 if self.params["dataset"] == "blobs" else 2

    def _on_play(self, msg: dict[str, Any]) -> None:
        self.running = True
        self._status()

    def _on_pause(self, msg: dict[str, Any]) -> None:
        self.running = False
        self.steps_left = 0
        self._status()

    def _on_step(self, msg: dict[str, Any]) -> None:
        self.running = False
        self.steps_left = 1

    def _on_reset(self, msg: dict[str, Any]) -> None:
        self.running = False
        self.steps_left = 0
        self._need_model = True
        self._status()

    def _on_regenerate(self, msg: dict[str, Any]) -> None:
        params = dict(self.params)
        params["seed"] = f"{random.random():.5f}"
        if self.data is not None and self.data.name in ("custom", "custom-reg"):
            params["dataset"], params["regDataset"] = DEFAULTS["dataset"], DEFAULTS["regDataset"]
        self._apply(params, [], force=True)

    def _status(self, message: str = "") -> None:
        self._send({"type": "status", "running": self.running, "epoch": self.epoch, "message": message})

    def _number(self, msg: dict[str, Any], key: str, lo: float, hi: float) -> float:
        v = msg.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
            raise PhysnnError(f"{msg.get('type')}: {key!r} must be a number in [{lo:g}, {hi:g}]; got {str(v)[:30]!r}.")
        return float(v)

    def _on_add_point(self, msg: dict[str, Any]) -> None:
        if self.data is None:
            return
        x = self._number(msg, "x", -D.DOMAIN, D.DOMAIN)
        y = self._number(msg, "y", -D.DOMAIN, D.DOMAIN)
        if self.data.task == "classification":
            k = int(self._number(msg, "label", 0, max(self.data.n_classes, 2) - 1 + (self.data.n_classes < 10)))
            n_classes = max(self.data.n_classes, k + 1)
            data = self.data.with_point(x, y, k)
            data.n_classes = n_classes
            if len(data.class_names) < n_classes:
                data.class_names = data.class_names + [str(i) for i in range(len(data.class_names), n_classes)]
        else:
            v = self._number(msg, "label", -1, 1)
            data = self.data.with_point(x, y, v)
        grew = self.data.task == "classification" and data.n_classes != self.data.n_classes
        self.data = data
        self.table = None
        key = "dataset" if data.task == "classification" else "regDataset"
        self.params[key] = data.name
        notes = []
        if grew and data.n_classes > 2 and self.params["loss"] == "mse":
            self.params["loss"] = "cross_entropy"
            notes.append(f"{data.n_classes} classes need loss=cross_entropy (softmax); using it")
        self._send({"type": "state", "params": self.params, "hash": encode_state(self.params), "notes": notes})
        self._send_data()
        if grew:
            self._need_model = True
        else:
            self._need_restart = True
            self.send_frame(count=False)

    def _on_upload(self, msg: dict[str, Any]) -> None:
        name = str(msg.get("name") or "upload.csv")[:100]
        text = msg.get("text")
        if not isinstance(text, str):
            raise PhysnnError("upload: the file's text is missing; pick a CSV file.")
        table = D.read_csv_table(name, text)
        cols = table.columns
        x, y, label = cols[0], cols[1], cols[-1]
        for want, lst in (("x", ("x1", "x", "X1")), ("y", ("x2", "y", "X2")), ("label", ("label", "class", "y", "target"))):
            for c in lst:
                if c in cols:
                    if want == "x":
                        x = c
                    elif want == "y" and c != x:
                        y = c
                    elif want == "label" and c not in (x, y):
                        label = c
                    break
        self.table = table
        self._send({"type": "table", "name": table.name, "columns": cols, "rows": table.n_rows,
                    "x": x, "y": y, "label": label})
        self._use_columns(x, y, label)

    def _on_columns(self, msg: dict[str, Any]) -> None:
        if self.table is None:
            raise PhysnnError("columns: no table was uploaded in this tab; upload a CSV first.")
        self._use_columns(str(msg.get("x")), str(msg.get("y")), str(msg.get("label")))

    def _use_columns(self, x: str, y: str, label: str) -> None:
        assert self.table is not None
        data = D.table_dataset(self.table, x, y, label, perc=self.params["percTrainData"], seed=self.params["seed"])
        self._table_columns = (x, y, label)
        self.data = data
        notes = []
        self.params["problem"] = data.task
        if data.task == "classification":
            self.params["dataset"] = "custom"
            if data.n_classes > 2 and self.params["loss"] == "mse":
                self.params["loss"] = "cross_entropy"
                notes.append(f"{data.n_classes} classes need loss=cross_entropy (softmax); using it")
        else:
            self.params["regDataset"] = "custom-reg"
            self.params["loss"] = "mse"
        self._send({"type": "state", "params": self.params, "hash": encode_state(self.params), "notes": notes})
        self._need_data = False
        self._send_data()
        self._need_model = True
        self.running = False

    def _on_edit(self, msg: dict[str, Any]) -> None:
        if self.model is None:
            return
        layers = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        li = int(self._number(msg, "layer", 0, len(layers) - 1))
        lin = layers[li]
        to = int(self._number(msg, "to", 0, lin.out_features - 1))
        value = self._number(msg, "value", -1e3, 1e3)
        frm = msg.get("from", -1)
        with torch.no_grad():
            if frm == -1 or frm is None:
                lin.bias[to] = value
            else:
                j = int(self._number(msg, "from", 0, lin.in_features - 1))
                lin.weight[to, j] = value
        self.send_frame(count=False)

    def _on_export(self, msg: dict[str, Any]) -> None:
        if self.model is None or self.data is None:
            raise PhysnnError("export: nothing to export yet; wait for the page to load.")
        from physnn.playground.export import export_zip

        blob, filename = export_zip(self)
        self._send({"type": "export", "filename": filename, "data": base64.b64encode(blob).decode("ascii"),
                    "bytes": len(blob)})

    # ------------------------------------------------------------------ data, model, fit
    def _build_data(self) -> None:
        self.data = D.make_dataset(self.params)
        self.table = None
        self._need_data = False
        self._need_model = True
        self._send_data()

    def _send_data(self) -> None:
        d = self.data
        assert d is not None
        label = d.label.tolist() if d.task == "classification" else np.round(d.target_values(), 4).tolist()
        self._send({
            "type": "data", "name": d.name, "task": d.task, "classes": d.n_classes, "classNames": d.class_names,
            "xy": np.round(d.xy, 3).ravel().tolist(), "label": label, "train": d.train.astype(int).tolist(),
            "axes": [[n, round(lo, 6), round(hi, 6)] for n, lo, hi in d.axes], "curve": d.curve,
            "domain": D.DOMAIN,
        })

    def _split_tensors(self) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        assert self.data is not None
        return F.split_tensors(self.data, self.params)

    def _build_model(self) -> None:
        assert self.data is not None
        n_in = len(D.selected_features(self.params, curve=self.data.curve))
        self.model = build_model(self.params, n_in, self.data, seed=D.seed_of(self.params["seed"]) % (2**31))
        self.epoch = 0
        self.test_loss = float("nan")
        self._fit_state = None
        self._need_model = False
        self._need_restart = False
        self._send({"type": "model", "shape": list(self.params["networkShape"]),
                    "features": D.selected_features(self.params, curve=self.data.curve),
                    "outputs": n_outputs(self.params, self.data),
                    "activations": hidden_activations(self.params)})
        self.send_frame(count=False)

    def _optimizer(self) -> tuple[str, float, dict[str, Any]]:
        name = self.params["optimizer"]
        if name == "momentum":
            return "sgd", 0.9, {}
        if name == "adam":
            return "adam", 0.0, {}
        return "sgd", 0.0, {}

    def _fit(self) -> None:
        from physnn.train import fit

        assert self.model is not None and self.data is not None
        p = self.params
        (Xt, yt), (Xv, yv) = self._split_tensors()
        objective = PlaygroundObjective((Xt, yt), (Xv, yv), loss=p["loss"], batch_size=p["batchSize"],
                                        penalty=p["regularization"], rate=p["regularizationRate"])
        optimizer, momentum, options = self._optimizer()
        epochs = _EPOCHS_FOREVER
        if self.max_epochs:
            epochs = max(1, self.max_epochs - self.epoch)
            if self.epoch >= self.max_epochs:
                self.running = False
                self.steps_left = 0
                self._status(f"Finished {self.max_epochs} epochs; raise 'epochs' or reset to go on.")
                return
        schedule, sopts = p["schedule"], {}
        if schedule == "step":
            sopts = {"step_size": 100, "gamma": 0.5}
        elif schedule == "cosine":
            sopts = {}
            epochs = self.max_epochs - self.epoch if self.max_epochs else 500
        callbacks: list[Callback] = []
        if p["earlyStopping"]:
            callbacks.append(_EarlyStop(monitor="val_loss", patience=p["patience"]))
        callbacks.append(FrameGate(self))
        self._fits += 1
        h = fit(self.model, objective=objective, optimizer=optimizer, lr=p["learningRate"], momentum=momentum,
                optimizer_options=options, epochs=epochs, schedule=schedule, schedule_options=sopts,
                callbacks=callbacks, monitor="val_loss", seed=(D.seed_of(p["seed"]) + self._fits) % (2**31),
                progress=False, threads=None)
        self._fit_state = None
        self.test_loss = float("nan")  # the weights may have been restored: measure again
        reason = h.stop_reason.value
        if reason in ("early_stopping", "nan_loss", "completed"):
            self.running = False
            self.steps_left = 0
            self.send_frame(count=False)
            self._status(h.message)

    # ------------------------------------------------------------------ frames
    def send_frame(self, *, count: bool = True) -> None:
        """Send the current network's frame; ``count``: it is an epoch's frame (flow-controlled)."""
        if self.model is None or self.data is None:
            return
        frame = self.build_frame()
        frame["running"] = self.running or self.steps_left > 0
        frame["ack"] = count
        if count:
            self.in_flight += 1
        self._send(frame)

    def build_frame(self) -> dict[str, Any]:
        """The frame for the network as it is now (:func:`physnn.playground.frames.build_frame`)."""
        assert self.model is not None and self.data is not None
        lr = None if self._fit_state is None else float(self._fit_state.optimizer.param_groups[0]["lr"])
        return F.build_frame(self.model, self.data, self.params, epoch=self.epoch, test_loss=self.test_loss, lr=lr)


def encode(msg: dict[str, Any]) -> str:
    """A message as compact JSON; a NaN or Inf that slipped in becomes null."""
    try:
        return json.dumps(msg, separators=(",", ":"), allow_nan=False)
    except ValueError:
        from physnn.files import nan_as_null

        return json.dumps(nan_as_null(msg), separators=(",", ":"), allow_nan=False)
