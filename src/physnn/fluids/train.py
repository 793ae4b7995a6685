r"""Train neural surrogates of the flow solvers on the common loop, and measure them.

The metric and the loss are the FNO papers' relative L2 error per sample,

.. math::

    \varepsilon = \frac1N\sum_{i=1}^N \frac{\lVert \hat u_i - u_i\rVert_2}{\lVert u_i\rVert_2},

minimised by :class:`RelativeL2` — an :class:`~physnn.train.objectives.Objective`
for :func:`physnn.train.fit` (mini-batches by index permutation, validation
after each epoch).  For Navier–Stokes it rolls a one-step model forward
(``rollout=T``): the model maps the last ``n_in`` snapshots (N, n_in, s, s) to
the next (N, 1, s, s), its output is appended and the window slides, for
``T`` steps — the paper's recurrent FNO-2D; the loss is the relative L2 of
the whole predicted trajectory.

Models (``model=``): ``"fno"`` (:class:`~physnn.nn.spectral.FNO1d` /
:class:`~physnn.nn.spectral.FNO2d`), ``"mlp"`` (Burgers: an MLP from the s
grid values to the s output values), ``"resnet"`` (Navier–Stokes: a small
periodic-padding convolutional ResNet, :class:`ResNet2d`).  Baselines that
need no training are scored beside them: for Burgers ``u(T) = 0`` and the
linear heat-equation solution :math:`\hat u_k e^{-\nu k^2 T}` (Burgers
without its nonlinear term); for Navier–Stokes *persistence* (the last input
snapshot repeated).

    >>> from physnn.fluids.data import burgers_dataset
    >>> d = burgers_dataset(24, grid=64, nu=0.1, seed=0, cache_dir=None)
    >>> r = train_burgers(d, model="fno", s=64, n_train=16, n_test=8, epochs=2, modes=4, width=8)
    >>> r.kind, r.test_pred.shape, 0 < r.test_rel_l2 < 10
    ('burgers', (8, 64), True)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int
from physnn.train.objectives import Objective

__all__ = ["relative_l2", "rollout", "RelativeL2", "ResNet2d", "Increment", "SurrogateResult", "train_burgers",
           "train_ns", "build_surrogate", "save_run", "load_run", "heat_baseline", "fields_figure",
           "resolution_errors", "resolution_figure", "measure_speed", "Standardized", "ridge_baseline", "train_map2d",
           "default_task", "run_config_toml"]


def relative_l2(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    r"""Per-sample relative L2 error averaged over the batch; inputs (N, ...).

        >>> round(relative_l2(torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 5.0]])).item(), 5)   # |(3, -1)| / |(0, 5)|
        0.63246
    """
    d = (pred - true).reshape(pred.shape[0], -1).norm(dim=1)
    return (d / true.reshape(true.shape[0], -1).norm(dim=1).clamp_min(1e-12)).mean()


def rollout(model: nn.Module, x: torch.Tensor, steps: int) -> torch.Tensor:
    """Roll a one-step model forward: (N, n_in, s, s) → (N, steps, s, s), sliding the input window."""
    outs = []
    for _ in range(steps):
        y = model(x)
        outs.append(y)
        x = torch.cat([x[:, 1:], y], dim=1)
    return torch.cat(outs, dim=1)


class RelativeL2(Objective):
    """Minimise the relative L2 error of ``model(x)`` (or its rollout) against ``y``.

    Parameters
    ----------
    train, val : (X, Y) tensors with first axis = samples
        Burgers: X (N, s), Y (N, s).  Navier–Stokes: X (N, n_in, s, s), Y (N, T, s, s).
    batch_size : int
    rollout : int, optional
        Roll the model forward this many steps (Y must then have T = rollout channels).

    Logs ``val_loss`` (= validation relative L2) after each epoch when ``val`` is given.
    """

    def __init__(self, train: tuple[torch.Tensor, torch.Tensor], val: tuple | None = None, *,
                 batch_size: int = 20, rollout: int | None = None, eval_batch_size: int = 100) -> None:
        self.X, self.Y = (torch.as_tensor(a, dtype=torch.float32) for a in train)
        if self.X.shape[0] != self.Y.shape[0] or self.X.shape[0] < 1:
            raise PhysnnError(
                f"RelativeL2: X has {self.X.shape[0]} samples but Y has {self.Y.shape[0]}; "
                "they must be the same, at least one."
            )
        self.val = None if val is None else tuple(torch.as_tensor(a, dtype=torch.float32) for a in val)
        self.batch_size = check_int("batch_size", batch_size, low=1, owner="RelativeL2")
        self.eval_batch_size = check_int("eval_batch_size", eval_batch_size, low=1, owner="RelativeL2")
        self.steps = None if rollout is None else check_int("rollout", rollout, low=1, owner="RelativeL2")
        if self.steps is not None and self.Y.shape[1] != self.steps:
            raise PhysnnError(f"RelativeL2: rollout={self.steps} but Y has {self.Y.shape[1]} snapshots.")

    def log_keys(self) -> list[str]:
        return [] if self.val is None else ["val_loss"]

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        super().setup(model, device, rank, world)
        self.X, self.Y = self.X.to(device), self.Y.to(device)
        if self.val is not None:
            self.val = tuple(a.to(device) for a in self.val)
        with torch.no_grad():
            try:
                out = self.forward(model, self.X[:1])
            except RuntimeError as exc:
                raise PhysnnError(f"RelativeL2: the model cannot take inputs of shape "
                                  f"{tuple(self.X.shape[1:])} per sample ({exc}).") from None
        if out.shape[1:] != self.Y.shape[1:]:
            raise PhysnnError(f"RelativeL2: the model gives {tuple(out.shape[1:])} per sample but the "
                              f"targets are {tuple(self.Y.shape[1:])}.")

    def forward(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return model(x) if self.steps is None else rollout(model, x, self.steps)

    def batches(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        from physnn.train.batching import index_batches

        for idx in index_batches(self.X.shape[0], self.batch_size, generator, rank=self.rank, world=self.world,
                                 device=self.X.device):
            yield self.X[idx], self.Y[idx]

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        return relative_l2(self.forward(model, xb), yb)

    @torch.no_grad()
    def predict(self, model: nn.Module, X: torch.Tensor) -> torch.Tensor:
        was = model.training
        model.eval()
        try:
            out = [self.forward(model, X[i : i + self.eval_batch_size]) for i in range(0, X.shape[0], self.eval_batch_size)]
        finally:
            model.train(was)
        return torch.cat(out)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.val is None:
            return {}
        return {"val_loss": float(relative_l2(self.predict(model, self.val[0]), self.val[1]))}


class ResNet2d(nn.Module):
    r"""A small convolutional ResNet for periodic fields: (N, C_in, s, s) → (N, C_out, s, s).

    Lift by a 1×1 convolution to ``width`` channels, ``blocks`` residual blocks
    :math:`v \leftarrow v + \mathrm{conv}_3(\sigma(\mathrm{conv}_3(v)))` with
    circular padding (the torus), then a 1×1 projection.  A local-stencil
    baseline for :class:`~physnn.nn.spectral.FNO2d`.

        >>> ResNet2d(in_channels=10, width=8, blocks=2)(torch.randn(2, 10, 16, 16)).shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(self, *, in_channels: int = 10, out_channels: int = 1, width: int = 32, blocks: int = 4) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, low=1, owner="ResNet2d")
        self.out_channels = check_int("out_channels", out_channels, low=1, owner="ResNet2d")
        self.width = check_int("width", width, low=1, owner="ResNet2d")
        self.blocks = check_int("blocks", blocks, low=1, owner="ResNet2d")
        self.lift = nn.Conv2d(in_channels, width, 1)
        conv = lambda: nn.Conv2d(width, width, 3, padding=1, padding_mode="circular")  # noqa: E731
        self.body = nn.ModuleList(nn.Sequential(conv(), nn.GELU(), conv()) for _ in range(blocks))
        self.act = nn.GELU()
        self.out = nn.Conv2d(width, out_channels, 1)

    def config(self) -> dict:
        return {"kind": "resnet2d", "in_channels": self.in_channels, "out_channels": self.out_channels,
                "width": self.width, "blocks": self.blocks}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = self.lift(x)
        for b in self.body:
            v = self.act(v + b(v))
        return self.out(v)


class Increment(nn.Module):
    r"""Predict the next snapshot as the last input plus a learned increment.

    .. math:: \hat w_{t+1} = w_t + f_\theta(w_{t-n_{in}+1}, \dots, w_t)

    ``net`` maps (N, n_in, s, s) → (N, 1, s, s); the wrapper adds the last
    input channel, so the network learns only the change over one step (on
    Navier–Stokes ν=1e-3 about 9 % of the field per unit time, while the
    field itself is O(1)).

        >>> inc = Increment(ResNet2d(in_channels=3, width=4, blocks=1))
        >>> x = torch.randn(2, 3, 8, 8)
        >>> torch.allclose(inc(x) - x[:, -1:], inc.net(x))
        True
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def config(self) -> dict:
        return {"kind": "increment", "net": _config_of(self.net)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1:] + self.net(x)


def build_surrogate(config: dict[str, Any]) -> nn.Module:
    """Rebuild a model from its config dict (``kind`` = fno1d, fno2d, resnet2d, mlp or increment)."""
    from physnn.nn.spectral import FNO1d, FNO2d

    if not isinstance(config, dict):
        raise PhysnnError(f"build_surrogate: a model config is a dict with a 'kind'; got {config!r}.")
    cfg = dict(config)
    kind = check_choice("kind", cfg.pop("kind", None) or "", ["fno1d", "fno2d", "resnet2d", "mlp", "increment"],
                        owner="build_surrogate")
    if kind == "increment":
        return Increment(build_surrogate(cfg["net"]))
    if kind == "fno1d":
        return FNO1d(**cfg)
    if kind == "fno2d":
        return FNO2d(**cfg)
    if kind == "resnet2d":
        return ResNet2d(**cfg)
    from physnn.nn import build_model

    return build_model({"kind": "mlp", **cfg})


def _config_of(model: nn.Module) -> dict[str, Any]:
    if isinstance(model, Standardized):
        return _config_of(model.net)
    if hasattr(model, "config") and isinstance(getattr(model, "config")(), dict) and "kind" in model.config():
        return model.config()
    from physnn.nn import model_config

    return model_config(model)


class Standardized(nn.Module):
    r"""A network on standardised fields: :math:`y = \sigma_y\,f_\theta\big((x - \mu_x)/\sigma_x\big) + \mu_y`.

    One mean and one standard deviation per array (not per grid point), so the
    network still applies at any resolution.  Used for a user's own files, whose
    fields may be of any scale; the four numbers are kept in the run's
    ``state.json`` (``"scaling"``) and the weights file holds ``net``'s alone.

        >>> m = Standardized(nn.Identity(), {"x_mean": 1.0, "x_std": 2.0, "y_mean": 0.0, "y_std": 4.0})
        >>> m(torch.tensor([3.0])).item()   # (3 - 1) / 2 * 4
        4.0
    """

    def __init__(self, net: nn.Module, scaling: dict[str, float]) -> None:
        super().__init__()
        self.net = net
        self.scaling = {k: float(scaling[k]) for k in ("x_mean", "x_std", "y_mean", "y_std")}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.scaling
        return self.net((x - s["x_mean"]) / s["x_std"]) * s["y_std"] + s["y_mean"]


def _scaling(x: np.ndarray, y: np.ndarray | None) -> dict[str, float]:
    """Means and standard deviations of the training arrays (y None: the same as x, for a rollout)."""
    def ms(a: np.ndarray) -> tuple[float, float]:
        a = np.asarray(a, dtype=np.float64)
        std = float(a.std())
        return float(a.mean()), std if std > 0 else 1.0

    xm, xs = ms(x)
    ym, ys = (xm, xs) if y is None else ms(y)
    return {"x_mean": xm, "x_std": xs, "y_mean": ym, "y_std": ys}


def ridge_baseline(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    r"""A linear ridge map from the flattened input fields to the flattened outputs, fitted on the training set.

    :math:`\hat y = \bar y + (x - \bar x) W`, with the ridge penalty chosen by
    generalised cross-validation over :math:`\lambda = s_\max^2\cdot 10^{-10 \ldots 1}`
    (:math:`s_\max` the largest singular value of the centred inputs).  Computed
    through the SVD of the (N, d) training inputs, so the (d, d_out) matrix is
    never formed: cheap for N up to a few thousand at any field size.

        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(50, 8)); w = rng.normal(size=(8, 8))
        >>> p = ridge_baseline(x[:40], x[:40] @ w, x[40:])
        >>> bool(np.abs(p - x[40:] @ w).max() < 1e-3)
        True
    """
    n = x_train.shape[0]
    X = np.asarray(x_train, dtype=np.float64).reshape(n, -1)
    Y = np.asarray(y_train, dtype=np.float64).reshape(n, -1)
    T = np.asarray(x_test, dtype=np.float64).reshape(x_test.shape[0], -1)
    xm, ym = X.mean(0), Y.mean(0)
    U, sv, Vt = np.linalg.svd(X - xm, full_matrices=False)
    UtY = U.T @ (Y - ym)
    resid0 = float(((Y - ym) ** 2).sum() - (UtY**2).sum())  # the part of Y outside the span of U
    best = (np.inf, 0.0)
    top = float(sv[0] ** 2) if sv.size and sv[0] > 0 else 1.0
    for lam in top * 10.0 ** np.arange(-10, 2):
        f = sv**2 / (sv**2 + lam)
        rss = resid0 + float((((1 - f)[:, None] * UtY) ** 2).sum())
        gcv = rss / max(1.0 - f.sum() / n, 1e-12) ** 2
        if gcv < best[0]:
            best = (gcv, lam)
    lam = best[1]
    coef = (sv / (sv**2 + lam))[:, None] * UtY
    pred = ym + ((T - xm) @ Vt.T) @ coef
    return pred.reshape((x_test.shape[0], *y_train.shape[1:])).astype(np.float32)


@dataclass
class SurrogateResult:
    """A trained surrogate with its held-out predictions and costs.

    ``test_rel_l2`` is the relative L2 error on the held-out samples;
    ``baselines`` maps a baseline's name to its relative L2 on the same
    samples; ``train_cpu_s`` is the CPU time (``time.process_time``) of the
    fit, ``train_wall_s`` its wall time.
    """

    kind: str  #: "burgers" or "ns"
    model: nn.Module
    history: Any
    settings: dict[str, Any]
    test_input: np.ndarray
    test_true: np.ndarray
    test_pred: np.ndarray
    test_rel_l2: float
    baselines: dict[str, float] = field(default_factory=dict)
    train_cpu_s: float = 0.0
    train_wall_s: float = 0.0
    data_meta: dict[str, Any] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """:func:`physnn.surrogate.regression_report` of the test predictions, baselines beside."""
        from physnn.surrogate import regression_report

        return regression_report(self.test_true, self.test_pred, self._baseline_preds)

    _baseline_preds: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


def heat_baseline(a: np.ndarray, *, nu: float, t: float) -> np.ndarray:
    r"""Burgers without its nonlinear term: :math:`\hat u_m(t) = \hat u_m(0)\,e^{-\nu(2\pi m)^2 t}`. (N, s) → (N, s)."""
    m = np.fft.rfftfreq(a.shape[-1], d=1.0 / a.shape[-1])
    return np.fft.irfft(np.fft.rfft(a, axis=-1) * np.exp(-nu * (2 * np.pi * m) ** 2 * t), n=a.shape[-1], axis=-1)


def _common_baselines(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                      truth: np.ndarray, *, persistence: bool = True) -> dict[str, np.ndarray]:
    """Zero, the mean training output, a linear ridge map and, when shapes agree, the input itself."""
    base = {"zero": np.zeros_like(truth),
            "mean of training outputs": np.broadcast_to(y_train.mean(0, dtype=np.float64), truth.shape)
            .astype(np.float32),
            "linear ridge map": ridge_baseline(x_train, y_train, x_test)}
    if persistence and x_test.shape == truth.shape:
        base["persistence (output = input)"] = x_test
    return base


def _splits(n: int, n_train: int, n_val: int, n_test: int, owner: str) -> tuple[slice, slice, slice]:
    if n_train + n_val + n_test > n:
        raise PhysnnError(
            f"{owner}: n_train + n_val + n_test = {n_train} + {n_val} + {n_test} = "
            f"{n_train + n_val + n_test} exceeds the {n} samples of the data set; generate more "
            "(--n) or lower the split sizes."
        )
    return slice(0, n_train), slice(n_train, n_train + n_val), slice(n - n_test, n)


def _fit(model, objective, *, epochs, lr, seed, progress, device, threads, weight_decay, schedule):
    from physnn.train import EarlyStopping, fit

    # with validation data: keep the weights of the best validation epoch (patience = all epochs)
    cbs = [EarlyStopping(monitor="val_loss", patience=epochs, restore_best=True)] if objective.val is not None else []
    c0, w0 = time.process_time(), time.perf_counter()
    hist = fit(model, objective=objective, optimizer="adam", lr=lr, weight_decay=weight_decay, epochs=epochs,
               schedule=schedule, seed=seed, progress=progress, device=device, threads=threads, callbacks=cbs)
    return hist, time.process_time() - c0, time.perf_counter() - w0


def train_burgers(data: dict[str, Any], *, model: str = "fno", s: int = 256, n_train: int = 1000,
                  n_val: int = 0, n_test: int = 200, epochs: int = 40, batch_size: int = 20, lr: float = 1e-3,
                  weight_decay: float = 1e-4, schedule: str = "cosine", modes: int = 16, width: int = 64,
                  layers: int = 4, hidden: tuple[int, ...] = (512, 512), seed: int = 0,
                  progress: bool | None = None, device: str = "cpu", threads: int | None = 1,
                  normalize: bool = False) -> SurrogateResult:
    r"""Learn :math:`u_0 \mapsto u(\cdot, T)` of a Burgers data set at resolution ``s``.

    The first ``n_train`` samples train, the next ``n_val`` validate (the best
    epoch by ``val_loss``; without them, by the training loss), the last
    ``n_test`` are held out.  ``model="fno"``: :class:`~physnn.nn.spectral.FNO1d`
    (``modes``, ``width``, ``layers``); ``"mlp"``: an MLP s → ``hidden`` → s
    (GELU).  Adam with ``weight_decay``, cosine schedule, relative-L2 loss.

    Any 1-D map of fields (N, grid) → (N, grid) trains the same way: a user's
    own arrays come as ``{"a": inputs, "u": outputs, "meta": {"kind": "fields", ...}}``
    (``physnn fluids train FILE --input NAME --output NAME``); ``s=None`` keeps
    the data's resolution; ``normalize=True`` wraps the network in
    :class:`Standardized` (fields of any scale).  Baselines: zero, the mean
    training output, a linear ridge map (:func:`ridge_baseline`), the input
    itself (persistence) and, when the data say ``nu`` and ``t``, the heat
    equation.
    """
    owner = "train_burgers"
    model = check_choice("model", model, ["fno", "mlp"], owner=owner)
    if data.get("meta", {}).get("kind") not in ("burgers", "fields"):
        raise PhysnnError(f"{owner}: the data set is not a Burgers set (kind {data.get('meta', {}).get('kind')!r}).")
    a, u = np.asarray(data["a"]), np.asarray(data["u"])
    if a.ndim != 2 or a.shape != u.shape:
        raise PhysnnError(f"{owner}: inputs {a.shape} and outputs {u.shape} must be 1-D fields of one shape (N, grid).")
    grid = a.shape[1]
    s = grid if s is None else check_int("s", s, low=2, owner=owner)
    if grid % s:
        raise PhysnnError(f"{owner}: s={s} must divide the data's grid of {grid} points (e.g. s={grid // 4}).")
    for nm, v, lo in (("n_train", n_train, 1), ("n_val", n_val, 0), ("n_test", n_test, 1)):
        check_int(nm, v, low=lo, owner=owner)
    tr, va, te = _splits(len(a), n_train, n_val, n_test, owner)
    a_s, u_s = a[:, :: grid // s], u[:, :: grid // s]
    torch.manual_seed(seed)
    if model == "fno":
        from physnn.nn.spectral import FNO1d

        net: nn.Module = FNO1d(modes=modes, width=width, layers=layers)
    else:
        from physnn.nn import MLP

        net = MLP(s, list(hidden), s, activation="gelu")
    if normalize:
        net = Standardized(net, _scaling(a_s[tr], u_s[tr]))
    t = lambda x: torch.as_tensor(x, dtype=torch.float32)  # noqa: E731
    obj = RelativeL2((t(a_s[tr]), t(u_s[tr])), (t(a_s[va]), t(u_s[va])) if n_val else None, batch_size=batch_size)
    hist, cpu, wall = _fit(net, obj, epochs=epochs, lr=lr, seed=seed, progress=progress, device=device,
                           threads=threads, weight_decay=weight_decay, schedule=schedule)
    net = net.cpu()
    obj.setup(net, torch.device("cpu"))
    pred = obj.predict(net, t(a_s[te])).numpy()
    meta = data.get("meta", {})
    truth = u_s[te]
    base = _common_baselines(a_s[tr], u_s[tr], a_s[te], truth)
    if "nu" in meta and "t" in meta:
        base["heat (no nonlinearity)"] = heat_baseline(a_s[te].astype(np.float64), nu=meta["nu"], t=meta["t"])
    rel = lambda p: float(relative_l2(t(p), t(truth)))  # noqa: E731
    settings = {"model": model, "s": s, "n_train": n_train, "n_val": n_val, "n_test": n_test, "epochs": epochs,
                "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay, "schedule": schedule,
                "seed": seed, "normalize": bool(normalize), "net": _config_of(net)}
    res = SurrogateResult("burgers", net, hist, settings, a_s[te], truth, pred, rel(pred),
                          {k: rel(v) for k, v in base.items()}, cpu, wall, dict(meta))
    res._baseline_preds = base
    return res


def train_ns(data: dict[str, Any], *, model: str = "fno", n_in: int = 10, n_out: int | None = None,
             n_train: int = 100, n_val: int = 0, n_test: int = 20, epochs: int = 20, batch_size: int = 10,
             lr: float = 1e-3, weight_decay: float = 1e-4, schedule: str = "cosine", modes: int = 12,
             width: int = 20, layers: int = 4, blocks: int = 4, increment: bool = False, seed: int = 0,
             progress: bool | None = None, device: str = "cpu", threads: int | None = 1,
             normalize: bool = False) -> SurrogateResult:
    r"""Learn the first ``n_in`` vorticity snapshots → the next ``n_out`` (recurrent one-step model).

    ``model="fno"``: :class:`~physnn.nn.spectral.FNO2d` (the paper's FNO-2D:
    ``modes=12, width=20``); ``"resnet"``: :class:`ResNet2d` (``width``,
    ``blocks``).  ``increment=True`` wraps the network in :class:`Increment`
    (it predicts :math:`w_{t+1} - w_t`).  ``n_out`` defaults to all remaining
    snapshots.  The baseline *persistence* repeats the last input snapshot;
    zero, the mean training output and a linear ridge map (all input frames →
    all output frames, :func:`ridge_baseline`) are scored beside it.

    A user's own time series (N, T, s, s) comes as ``{"w": array, "meta":
    {"kind": "fields", ...}}``; ``normalize=True`` wraps the network in
    :class:`Standardized` with one mean and scale for input and output (the
    output is fed back as input).
    """
    owner = "train_ns"
    model = check_choice("model", model, ["fno", "resnet"], owner=owner)
    if data.get("meta", {}).get("kind") not in ("ns", "fields"):
        raise PhysnnError(f"{owner}: the data set is not a Navier–Stokes set (kind {data.get('meta', {}).get('kind')!r}).")
    w = np.asarray(data["w"])
    if w.ndim != 4:
        raise PhysnnError(f"{owner}: a time series of 2-D fields has shape (N, T, s, s); got {w.shape}.")
    steps = w.shape[1]
    n_in = check_int("n_in", n_in, low=1, high=steps - 1, owner=owner)
    n_out = steps - n_in if n_out is None else check_int("n_out", n_out, low=1, high=steps - n_in, owner=owner)
    for nm, v, lo in (("n_train", n_train, 1), ("n_val", n_val, 0), ("n_test", n_test, 1)):
        check_int(nm, v, low=lo, owner=owner)
    tr, va, te = _splits(len(w), n_train, n_val, n_test, owner)
    X, Y = w[:, :n_in], w[:, n_in : n_in + n_out]
    torch.manual_seed(seed)
    if model == "fno":
        from physnn.nn.spectral import FNO2d

        net: nn.Module = FNO2d(modes=modes, width=width, layers=layers, in_channels=n_in)
    else:
        net = ResNet2d(in_channels=n_in, width=width, blocks=blocks)
    if increment:
        net = Increment(net)
    if normalize:
        net = Standardized(net, _scaling(X[tr], None))
    t = lambda x: torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)  # noqa: E731
    obj = RelativeL2((t(X[tr]), t(Y[tr])), (t(X[va]), t(Y[va])) if n_val else None, batch_size=batch_size,
                     rollout=n_out, eval_batch_size=10)
    hist, cpu, wall = _fit(net, obj, epochs=epochs, lr=lr, seed=seed, progress=progress, device=device,
                           threads=threads, weight_decay=weight_decay, schedule=schedule)
    net = net.cpu()
    obj.setup(net, torch.device("cpu"))
    pred = obj.predict(net, t(X[te])).numpy()
    truth = Y[te]
    base = {"persistence": np.repeat(X[te][:, -1:], n_out, axis=1),
            **_common_baselines(X[tr], Y[tr], X[te], truth, persistence=False)}
    rel = lambda p: float(relative_l2(t(p), t(truth)))  # noqa: E731
    settings = {"model": model, "increment": bool(increment), "n_in": n_in, "n_out": n_out, "n_train": n_train, "n_val": n_val,
                "n_test": n_test, "epochs": epochs, "batch_size": batch_size, "lr": lr,
                "weight_decay": weight_decay, "schedule": schedule, "seed": seed, "normalize": bool(normalize),
                "net": _config_of(net)}
    res = SurrogateResult("ns", net, hist, settings, X[te], truth, pred, rel(pred),
                          {k: rel(v) for k, v in base.items()}, cpu, wall, dict(data.get("meta", {})))
    res._baseline_preds = base
    return res


def train_map2d(data: dict[str, Any], *, model: str = "fno", n_train: int = 100, n_val: int = 0, n_test: int = 20,
                epochs: int = 20, batch_size: int = 10, lr: float = 1e-3, weight_decay: float = 1e-4,
                schedule: str = "cosine", modes: int = 12, width: int = 20, layers: int = 4, blocks: int = 4,
                seed: int = 0, progress: bool | None = None, device: str = "cpu", threads: int | None = 1,
                normalize: bool = True) -> SurrogateResult:
    r"""Learn a map of 2-D fields: ``x`` (N, C_in, s, s) → ``y`` (N, C_out, s, s), in one step.

    ``data = {"x": ..., "y": ..., "meta": {...}}``: the channels are whatever the
    user's arrays hold, e.g. a field (C = 1) or several frames of a time series
    (C = T).  ``model="fno"``: :class:`~physnn.nn.spectral.FNO2d` with
    ``in_channels=C_in, out_channels=C_out``; ``"resnet"``: :class:`ResNet2d`.
    The first ``n_train`` samples train, the next ``n_val`` validate, the last
    ``n_test`` are held out.  Baselines: zero, the mean training output, a
    linear ridge map, and the input itself when it has the output's shape.

        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(6, 1, 16, 16)).astype(np.float32)
        >>> r = train_map2d({"x": x, "y": 2 * x}, n_train=4, n_test=2, epochs=1, modes=3, width=4, progress=False)
        >>> r.kind, r.test_pred.shape
        ('fields2d', (2, 1, 16, 16))
    """
    owner = "train_map2d"
    model = check_choice("model", model, ["fno", "resnet"], owner=owner)
    X, Y = np.asarray(data["x"], dtype=np.float32), np.asarray(data["y"], dtype=np.float32)
    if X.ndim != 4 or Y.ndim != 4 or X.shape[0] != Y.shape[0] or X.shape[2:] != Y.shape[2:]:
        raise PhysnnError(f"{owner}: x {X.shape} and y {Y.shape} must be (N, C, s_x, s_y) with the same N and grid.")
    for nm, v, lo in (("n_train", n_train, 1), ("n_val", n_val, 0), ("n_test", n_test, 1)):
        check_int(nm, v, low=lo, owner=owner)
    tr, va, te = _splits(len(X), n_train, n_val, n_test, owner)
    c_in, c_out = X.shape[1], Y.shape[1]
    torch.manual_seed(seed)
    if model == "fno":
        from physnn.nn.spectral import FNO2d

        net: nn.Module = FNO2d(modes=modes, width=width, layers=layers, in_channels=c_in, out_channels=c_out)
    else:
        net = ResNet2d(in_channels=c_in, out_channels=c_out, width=width, blocks=blocks)
    if normalize:
        net = Standardized(net, _scaling(X[tr], Y[tr]))
    t = lambda x: torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)  # noqa: E731
    obj = RelativeL2((t(X[tr]), t(Y[tr])), (t(X[va]), t(Y[va])) if n_val else None, batch_size=batch_size,
                     eval_batch_size=10)
    hist, cpu, wall = _fit(net, obj, epochs=epochs, lr=lr, seed=seed, progress=progress, device=device,
                           threads=threads, weight_decay=weight_decay, schedule=schedule)
    net = net.cpu()
    obj.setup(net, torch.device("cpu"))
    pred = obj.predict(net, t(X[te])).numpy()
    truth = Y[te]
    base = _common_baselines(X[tr], Y[tr], X[te], truth)
    rel = lambda p: float(relative_l2(t(p), t(truth)))  # noqa: E731
    settings = {"model": model, "n_train": n_train, "n_val": n_val, "n_test": n_test, "epochs": epochs,
                "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay, "schedule": schedule,
                "seed": seed, "normalize": bool(normalize), "net": _config_of(net)}
    res = SurrogateResult("fields2d", net, hist, settings, X[te], truth, pred, rel(pred),
                          {k: rel(v) for k, v in base.items()}, cpu, wall, dict(data.get("meta", {})))
    res._baseline_preds = base
    return res


def default_task(result: SurrogateResult) -> dict[str, Any]:
    """What a run maps, for ``physnn predict``: the layout and the array names (the generator's: a → u, w → w)."""
    grid = [int(g) for g in result.test_input.shape[2:]]
    if result.kind == "burgers":
        return {"layout": "1d", "input": "a", "output": "u", "s": result.settings["s"], "grid": [result.settings["s"]]}
    if result.kind == "ns":
        return {"layout": "series", "input": "w", "output": "w", "n_in": result.settings["n_in"],
                "n_out": result.settings["n_out"], "grid": grid}
    c_in, c_out = result.test_input.shape[1], result.test_true.shape[1]
    return {"layout": "2d", "input": "x", "output": "y", "in_channels": c_in, "out_channels": c_out,
            "input_ndim": 4, "output_ndim": 4, "grid": grid}


def _toml_value(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str)) and not isinstance(x, bool) for x in v):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return None


def run_config_toml(config: dict[str, Any]) -> str:
    """The settings that made a run as TOML: scalars at the top, one table per nested dict (one level)."""
    lines, tables = [], []
    for k, v in config.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif (text := _toml_value(v)) is not None:
            lines.append(f"{k} = {text}")
    for name, table in tables:
        lines += ["", f"[{name}]"]
        lines += [f"{k} = {text}" for k, v in table.items() if (text := _toml_value(v)) is not None]
    return "\n".join(lines) + "\n"


def save_run(result: SurrogateResult, out: str | Path, *, figures: bool = True, task: dict[str, Any] | None = None,
             config: dict[str, Any] | None = None) -> Path:
    """Write a run directory (the one physnn run format, kind ``fluids``; atomic writes).

    ``model.safetensors`` (the network; a :class:`Standardized` wrapper's four numbers go to the
    state), ``state.json`` (through :func:`physnn.rundir.write_state`: the model config, the
    ``task`` — layout and array names, what :func:`physnn.fluids.runs.predict` needs —, the
    scaling, the settings and the data's description), ``config.toml`` (``config``, default: the
    settings), ``history.csv``, ``metrics.json``, ``figures/loss.png`` and ``figures/fields.png``.
    """
    from physnn.files import write_text
    from physnn.rundir import create_run_dir, write_metrics, write_state
    from physnn.train.checkpoint import save_weights

    d = create_run_dir(out, unique=False)
    net = result.model.net if isinstance(result.model, Standardized) else result.model
    save_weights(net, d / "model.safetensors")
    state = {"model": _config_of(net), "problem": result.kind, "task": task or default_task(result),
             "scaling": result.model.scaling if isinstance(result.model, Standardized) else None,
             "settings": result.settings, "data": result.data_meta}
    write_state(d, "fluids", state, seed=result.settings.get("seed"))
    write_text(d / "config.toml", run_config_toml(config if config is not None else
                                                  {k: v for k, v in result.settings.items() if k != "net"}))
    write_metrics(d, {"test_rel_l2": result.test_rel_l2, "baselines_rel_l2": result.baselines,
                      "train_cpu_s": result.train_cpu_s, "train_wall_s": result.train_wall_s,
                      "epochs_run": result.history.epochs_run, "stop_reason": result.history.stop_reason.value,
                      "final": {k: float(v) for k, v in dict(result.history.final).items()}})
    result.history.to_csv(d / "history.csv")
    if figures:
        from physnn.viz.plots import save_figure

        result.history.plot(path=d / "figures" / "loss.png")
        save_figure(fields_figure(result), d / "figures" / "fields.png")
    return d


def load_run(out: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model of a fluids run directory and load its weights: ``(model, state)``.

    Reads runs written today (``physnn-run-2``, kind ``fluids``) and by physnn 0.1
    (``physnn-fluids-run-1``); the model comes back with its :class:`Standardized`
    wrapper when the run has one, in eval mode, taking raw fields.
    """
    from physnn.errors import check_file
    from physnn.rundir import read_state
    from physnn.train.checkpoint import load_weights

    d = Path(out)
    state = read_state(d, kind="fluids", owner="load_run")
    config = state["settings"]["net"] if "legacy_format" in state else state.get("model")
    model = build_surrogate(config)
    load_weights(model, check_file(d / "model.safetensors", owner="load_run", what="weights"))
    if state.get("scaling"):
        model = Standardized(model, state["scaling"])
    model.eval()
    return model, state


def fields_figure(result: SurrogateResult, *, index: int = 0) -> Any:
    """Predicted vs true field of one held-out sample, and the error (a matplotlib Figure).

    Burgers: input, truth and prediction on one axis, the error below.
    Navier–Stokes: truth, prediction and error at the first and last predicted step.
    """
    from physnn.viz.plots import pyplot

    plt = pyplot()
    i = check_int("index", index, low=0, high=len(result.test_true) - 1, owner="fields_figure")
    true, pred = result.test_true[i], result.test_pred[i]
    rel = float(np.linalg.norm(pred - true) / max(np.linalg.norm(true), 1e-12))
    if result.kind == "burgers":
        x = np.arange(true.shape[-1]) / true.shape[-1]
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
        ax.plot(x, result.test_input[i], color="0.6", lw=1, label="$u_0$ (input)")
        ax.plot(x, true, "k-", lw=2, label="$u(T)$ solver")
        ax.plot(x, pred, "r--", lw=1.5, label=f"$u(T)$ {result.settings['model'].upper()}")
        ax.set_ylabel("u")
        ax.legend(fontsize=8)
        what = "Burgers" if result.data_meta.get("kind") != "fields" else result.data_meta.get("output", "field")
        ax.set_title(f"{what} held-out sample {i}: relative L2 {rel:.2e}")
        ax2.plot(x, pred - true, "r-")
        ax2.set_xlabel("x")
        ax2.set_ylabel("prediction − truth")
        return fig
    steps = [0, true.shape[0] - 1]
    fig, axes = plt.subplots(len(steps), 3, figsize=(12, 3.4 * len(steps)), squeeze=False, layout="constrained")
    n_in = result.settings.get("n_in", 0)
    for r, k in enumerate(steps):
        lim = float(np.abs(true[k]).max())
        for c, (img, name) in enumerate(((true[k], "solver"), (pred[k], result.settings["model"].upper()),
                                         (pred[k] - true[k], "error"))):
            ax = axes[r][c]
            im = ax.imshow(img.T, origin="lower", cmap="RdBu_r", vmin=-lim if c < 2 else None,
                           vmax=lim if c < 2 else None, extent=(0, 1, 0, 1))
            ax.set_title(f"{name}, t = {n_in + k + 1}" if result.kind == "ns" else f"{name}, channel {k}")
            fig.colorbar(im, ax=ax, fraction=0.046)
    what = "Navier–Stokes vorticity" if result.data_meta.get("kind") != "fields" else \
        f"{result.data_meta.get('input', 'input')} → {result.data_meta.get('output', 'output')}"
    fig.suptitle(f"{what}, held-out sample {i}: relative L2 {rel:.2e}")
    return fig


def resolution_errors(model: nn.Module, data: dict[str, Any], resolutions: list[int], *, n_test: int = 200) -> dict[int, float]:
    """Relative L2 of a Burgers model on the last ``n_test`` samples at each resolution s (strided from the data grid).

    A Fourier neural operator has the same weights at every s: trained at 256,
    it can be evaluated at 128 or 512 (zero-shot super-resolution).
    """
    a, u = np.asarray(data["a"]), np.asarray(data["u"])
    grid = a.shape[1]
    out = {}
    model.eval()
    for s in resolutions:
        if grid % s:
            raise PhysnnError(f"resolution_errors: s={s} must divide the data grid {grid}.")
        x = torch.as_tensor(a[-n_test:, :: grid // s], dtype=torch.float32)
        y = torch.as_tensor(u[-n_test:, :: grid // s], dtype=torch.float32)
        with torch.no_grad():
            out[int(s)] = float(relative_l2(model(x), y))
    return out


def resolution_figure(errors: dict[int, float], *, trained_at: int) -> Any:
    """Relative L2 against the evaluation resolution s, the training resolution marked."""
    from physnn.viz.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    s = sorted(errors)
    ax.plot(s, [errors[k] for k in s], "o-")
    ax.axvline(trained_at, color="0.5", ls="--", label=f"trained at s = {trained_at}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("evaluation resolution s")
    ax.set_ylabel("held-out relative L2")
    ax.set_title("FNO on Burgers: error vs resolution")
    ax.legend()
    return fig


def measure_speed(result: SurrogateResult, *, n: int = 50, repeats: int = 3, clock: str = "cpu") -> dict[str, float]:
    r"""Seconds per sample of the solver and of the surrogate on ``n`` held-out inputs, batched and one by one.

    The solver runs at the surrogate's resolution on the same inputs (Burgers:
    :math:`u_0 \mapsto u(T)`; Navier–Stokes: from the last input snapshot over
    the predicted horizon), the network on one torch thread; CPU time
    (:func:`physnn.surrogate.time_per_sample` with ``clock="cpu"``) by
    default, since wall time on a shared machine is inflated by the others.
    Returns ``solver_batched``, ``solver_single``, ``model_batched``,
    ``model_single`` (s/sample) and the speed-ups ``speedup_batched`` and
    ``speedup_single`` (solver / model, same batching).
    """
    from physnn.surrogate import speedup, time_per_sample

    n = check_int("n", n, low=1, owner="measure_speed")
    n = min(n, len(result.test_input))
    x = result.test_input[:n].astype(np.float64)
    meta = result.data_meta
    if result.kind == "burgers":
        from physnn.fluids.burgers import solve_burgers

        sim = lambda xs: solve_burgers(xs, nu=meta.get("nu", 0.01), t=meta.get("t", 1.0))  # noqa: E731
    else:
        from physnn.fluids.navier_stokes import solve_ns

        steps = result.settings["n_out"]
        sim = lambda xs: solve_ns(xs[:, -1], nu=meta.get("nu", 1e-3), t=np.arange(1.0, steps + 1))  # noqa: E731
    model = result.model.eval()
    xt = torch.as_tensor(result.test_input[:n], dtype=torch.float32)

    def net(xs: torch.Tensor) -> None:
        with torch.no_grad():
            if result.kind == "ns":
                rollout(model, xs, result.settings["n_out"])
            else:
                model(xs)

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = {
            "solver_batched": time_per_sample(lambda: sim(x), n, repeats, clock=clock),
            "solver_single": time_per_sample(lambda: sim(x[:1]), 1, repeats, clock=clock),
            "model_batched": time_per_sample(lambda: net(xt), n, repeats, clock=clock),
            "model_single": time_per_sample(lambda: net(xt[:1]), 1, repeats, clock=clock),
        }
    finally:
        torch.set_num_threads(old)
    out["speedup_batched"] = speedup(out["solver_batched"], out["model_batched"])
    out["speedup_single"] = speedup(out["solver_single"], out["model_single"])
    return out
