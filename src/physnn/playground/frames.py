"""What the page draws, from a network and its data: one *frame* per epoch.

A frame is a JSON object::

    {"type": "frame", "epoch": 12, "trainLoss": 0.21, "testLoss": 0.24, "lr": 0.03,
     "metrics": {"accuracy": 0.93, "confusion": [[110, 9], [8, 123]]}   # or {"r2": 0.87}
     "heat": "<base64>", "heatKind": "value",      # GRID × GRID bytes (GRID/2 for big networks), row 0 at the top
     "nodes": {"res": 20, "maps": ["<base64>", ...]},   # every input feature, then every hidden neuron
     "weights": [[[...]]], "biases": [[...]]}          # per Linear layer (out × in), rounded

Heat-map bytes ``q`` stand for values ``q / 127.5 - 1`` in [-1, 1] (TF Playground's colour
scale: −1 orange, +1 blue).  With three or more classes (softmax) ``heatKind`` is
``"classes"``: ``heat`` holds the winning class and ``conf`` its probability (× 255).  For the
noisy polynomial (a curve ``x₂ = f(x₁)``) ``curve`` holds ``f`` on the grid and the heat map
shows which side of it a point lies.  The size stays under ~50 kB: neuron maps share
:data:`NODE_MAP_BYTES` (their resolution drops for big networks; none beyond ~1,000
neurons) and weights are sent while there are at most :data:`MAX_SENT_WEIGHTS`.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.playground import datasets as D

__all__ = ["GRID", "NODE_MAP_BYTES", "MAX_SENT_WEIGHTS", "build_frame", "inputs", "targets", "split_tensors",
           "data_loss", "test_metrics", "layer_outputs"]

#: The output heat map is GRID × GRID (TF Playground's density).
GRID = 100
#: Bytes of per-neuron maps in one frame, at most.
NODE_MAP_BYTES = 16_000
#: Weights are sent with every frame while the network has at most this many.
MAX_SENT_WEIGHTS = 3_000
#: Networks with more parameters get a GRID/2 × GRID/2 heat map (4× fewer forward passes per frame).
BIG_NETWORK = 5_000


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def _quantize(v: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] → 0..255 (clipped; NaN → the middle)."""
    return np.round((np.clip(np.nan_to_num(v), -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def inputs(xy: np.ndarray, data: D.PlayData, params: dict[str, Any]) -> torch.Tensor:
    """The network's input tensor for points ``xy`` (the selected features)."""
    return torch.as_tensor(D.features(xy, params, curve=data.curve), dtype=torch.float32)


def targets(data: D.PlayData, params: dict[str, Any], mask: np.ndarray) -> torch.Tensor:
    """Targets of the points ``mask`` selects: ±1 (squared error), class indices (cross-entropy) or values."""
    if data.task == "classification":
        lab = data.label[mask].astype(np.int64)
        if params["loss"] == "cross_entropy":
            return torch.as_tensor(lab)
        return torch.as_tensor((2.0 * lab - 1.0).reshape(-1, 1), dtype=torch.float32)
    return torch.as_tensor(data.target_values()[mask].reshape(-1, 1), dtype=torch.float32)


def _cached(data: D.PlayData, params: dict[str, Any], what: str, make: Any) -> Any:
    """``make()``, kept on ``data`` for these features and loss (every frame needs the same tensors)."""
    key = (what, tuple(D.selected_features(params, curve=data.curve)), params["loss"], data.n)
    if key not in data.cache:
        if len(data.cache) > 16:
            data.cache.clear()
        data.cache[key] = make()
    return data.cache[key]


def split_tensors(data: D.PlayData, params: dict[str, Any]) -> tuple[tuple[torch.Tensor, torch.Tensor],
                                                                     tuple[torch.Tensor, torch.Tensor]]:
    """(X, y) of the training and of the test points (the training points when there is no test point)."""
    def make() -> Any:
        test = ~data.train if (~data.train).any() else data.train
        return ((inputs(data.xy[data.train], data, params), targets(data, params, data.train)),
                (inputs(data.xy[test], data, params), targets(data, params, test)))

    return _cached(data, params, "split", make)


def _grid_inputs(data: D.PlayData, params: dict[str, Any], n: int) -> torch.Tensor:
    """Inputs at the n × n grid over the frame (row 0 at the top), for the heat maps."""
    def make() -> torch.Tensor:
        g = np.linspace(-D.DOMAIN, D.DOMAIN, n)
        xx, yy = np.meshgrid(g, g[::-1])
        return inputs(np.c_[xx.ravel(), yy.ravel()], data, params)

    return _cached(data, params, f"grid{n}", make)


def data_loss(model: nn.Module, params: dict[str, Any], X: torch.Tensor, y: torch.Tensor) -> float:
    """The loss (without regularization) of ``model`` on (X, y)."""
    from physnn.train.losses import get_loss

    with torch.no_grad():
        return float(get_loss(params["loss"])(model(X), y))


def layer_outputs(model: nn.Module, X: torch.Tensor, n_hidden: int) -> list[torch.Tensor]:
    """Every hidden layer's output after its activation, for the MLP ``model``."""
    outs: list[torch.Tensor] = []
    h, n_linear, pending = X, 0, False
    for m in model:
        h = m(h)
        if isinstance(m, nn.Linear):
            n_linear += 1
            pending = n_linear <= n_hidden
        elif pending and not isinstance(m, nn.Dropout):
            outs.append(h)
            pending = False
    return outs


def _output_value(out: torch.Tensor, data: D.PlayData, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """Heat-map values in [-1, 1] (binary, regression) or (class, confidence) for several classes."""
    if data.task == "classification" and params["loss"] == "cross_entropy":
        prob = torch.softmax(out, dim=1)
        if prob.shape[1] == 2:
            return (prob[:, 1] - prob[:, 0]).numpy(), None
        conf, cls = prob.max(dim=1)
        return cls.numpy().astype(np.float64), conf.numpy()
    return out[:, 0].numpy(), None


def test_metrics(model: nn.Module, data: D.PlayData, params: dict[str, Any], X: torch.Tensor,
                 y: torch.Tensor) -> dict[str, Any]:
    """Accuracy and confusion matrix (rows: true class) or R² on (X, y)."""
    with torch.no_grad():
        out = model(X)
    if data.task == "classification":
        if params["loss"] == "cross_entropy":
            pred, true = out.argmax(dim=1).numpy(), y.numpy()
        else:
            pred, true = (out[:, 0] >= 0).numpy().astype(int), (y[:, 0] > 0).numpy().astype(int)
        k = max(data.n_classes, 2)
        conf = np.zeros((k, k), dtype=int)
        np.add.at(conf, (true, pred), 1)
        return {"accuracy": float((pred == true).mean()) if len(true) else None, "confusion": conf.tolist()}
    yt, pr = y[:, 0].numpy(), out[:, 0].numpy()
    ss = float(((yt - yt.mean()) ** 2).sum())
    return {"r2": _finite(1 - float(((yt - pr) ** 2).sum()) / ss) if ss > 0 else None}


def _node_maps(model: nn.Module, data: D.PlayData, params: dict[str, Any]) -> dict[str, Any] | None:
    n_in = len(D.selected_features(params, curve=data.curve))
    hidden = list(params["networkShape"])
    n_maps = n_in + sum(hidden)
    if n_maps * 16 > NODE_MAP_BYTES:
        return None
    res = int(min(20, math.isqrt(NODE_MAP_BYTES // n_maps)))
    X = _grid_inputs(data, params, res)
    maps = []
    for j in range(X.shape[1]):
        col = X[:, j].numpy()
        maps.append(_b64(_quantize(col / (float(np.abs(col).max()) or 1.0))))
    for h in layer_outputs(model, X, len(hidden)):
        a = h.numpy()
        maps += [_b64(_quantize(a[:, j])) for j in range(a.shape[1])]
    return {"res": res, "maps": maps}


def _weights(model: nn.Module) -> tuple[list[Any] | None, list[Any] | None]:
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if sum(m.weight.numel() for m in layers) > MAX_SENT_WEIGHTS:
        return None, None
    return ([np.round(m.weight.detach().numpy().astype(np.float64), 4).tolist() for m in layers],
            [np.round(m.bias.detach().numpy().astype(np.float64), 4).tolist() for m in layers])


def build_frame(model: nn.Module, data: D.PlayData, params: dict[str, Any], *, epoch: int,
                test_loss: float = float("nan"), lr: float | None = None) -> dict[str, Any]:
    """The frame for ``model`` as it is now (evaluated in eval mode; the mode is restored).

    ``test_loss``: the loss the fit just measured, if any (else it is computed).
    """
    was = model.training
    model.eval()
    try:
        (Xt, yt), (Xv, yv) = split_tensors(data, params)
        train_loss = data_loss(model, params, Xt, yt)
        if not math.isfinite(test_loss):
            test_loss = data_loss(model, params, Xv, yv)
        frame: dict[str, Any] = {"type": "frame", "epoch": epoch, "trainLoss": _finite(train_loss),
                                 "testLoss": _finite(test_loss),
                                 "metrics": test_metrics(model, data, params, Xv, yv),
                                 "lr": float(params["learningRate"] if lr is None else lr)}
        g = np.linspace(-D.DOMAIN, D.DOMAIN, GRID)
        big = sum(p.numel() for p in model.parameters()) > BIG_NETWORK
        with torch.no_grad():
            if data.curve:
                f = model(inputs(np.c_[g, np.zeros(GRID)], data, params))[:, 0].numpy() * D.DOMAIN
                heat = np.tanh((f[None, :] - g[::-1][:, None]) / 1.5)
                frame.update(curve=np.round(np.nan_to_num(f), 3).tolist(), heat=_b64(_quantize(heat).ravel()),
                             heatKind="value")
            else:
                X = _grid_inputs(data, params, GRID // 2 if big else GRID)
                value, conf = _output_value(model(X), data, params)
                if conf is None:
                    frame.update(heat=_b64(_quantize(value)), heatKind="value")
                else:
                    frame.update(heat=_b64(value.astype(np.uint8)), conf=_b64(np.round(conf * 255)),
                                 heatKind="classes")
            frame["nodes"] = _node_maps(model, data, params)
        frame["weights"], frame["biases"] = _weights(model)
        return frame
    finally:
        model.train(was)
