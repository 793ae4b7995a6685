r"""Anomaly detection: an autoencoder trained on background jets only; its reconstruction error is the score.

The autoencoder :math:`g(f(x))` (:class:`physnn.nn.autoencoder.DenseAutoencoder`)
learns to reconstruct standardised jet features of *background* (QCD) jets;
the anomaly score of a jet is its reconstruction error

.. math:: s(x) = \frac{1}{d}\,\lVert g(f(x)) - x \rVert^2 .

No signal label is used in training; signal jets (tops, Ws) are only used to
measure the AUC afterwards.  Such a score tends to follow the jet mass (heavy
QCD jets are rare, so badly reconstructed), which sculpts the background
mass spectrum under a cut.  The decorrelation option here is **DisCo**
(Kasieczka & Shih 2020): the loss adds the squared *distance correlation*
between the per-jet error and the jet mass over each background batch,

.. math:: L = \frac{1}{B}\sum_{i} s(x_i) + \lambda\, \mathrm{dCor}^2\big(s, m\big),

which is zero if and only if score and mass are independent (Székely et al.
2007).  :func:`distance_correlation` is that statistic (biased V-statistic
form).  :func:`train_anomaly` reports the AUC for signal vs background on
held-out jets, the Pearson and distance correlations of score and mass on
background, and the sculpting JSD.

:func:`write_anomaly_run` writes the run directory (kind ``anomaly`` of
:mod:`physnn.rundir`), :func:`load_anomaly` reads it back (also physnn 0.1's
``physnn-hep-anomaly-1``), and :data:`RUN_KIND` lets the verbs work on it:
``physnn predict RUN jets.parquet --out scores.csv`` writes one column
``score_anomaly`` (the reconstruction error, one row per jet), and
``physnn export RUN --onnx F`` writes :class:`AnomalyModule` — the
standardisation, the autoencoder and the error in one network, raw jet
features in, that score out.

    >>> import torch
    >>> x = torch.linspace(0, 1, 50)
    >>> round(float(distance_correlation(x, 3 * x + 1)), 6)
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_int, check_range
from physnn.hep.features import JetData
from physnn.rundir import RunKind, output_name
from physnn.train.objectives import Objective

__all__ = ["distance_correlation", "AutoencoderObjective", "AnomalyResult", "AnomalyModule", "train_anomaly",
           "write_anomaly_run", "load_anomaly", "ANOMALY_FEATURES", "SCORE_NAME", "RUN_KIND"]

#: the run kind in ``state.json`` (:mod:`physnn.rundir`)
KIND = "anomaly"
#: the column ``physnn predict`` writes: ``rundir.output_name("score", "anomaly")``
SCORE_NAME = output_name("score", "anomaly")

#: default inputs of the anomaly autoencoder: the jet mass and the N-subjettiness values τ1..τ4
#: (chosen on generated top/QCD jets, split seed 0: AUC 0.92 vs 0.77 for the 8 tagger features
#: with pT, whose narrow window only adds reconstruction noise)
ANOMALY_FEATURES: tuple[str, ...] = ("mass", "tau1", "tau2", "tau3", "tau4")


def _centred(d: torch.Tensor) -> torch.Tensor:
    return d - d.mean(0, keepdim=True) - d.mean(1, keepdim=True) + d.mean()


def distance_correlation(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Squared distance correlation :math:`\mathrm{dCor}^2(x, y) \in [0, 1]` of two 1-D samples (differentiable).

    With :math:`a_{ij} = |x_i - x_j|` and :math:`b_{ij} = |y_i - y_j|` double-centred
    to :math:`A, B`: :math:`\mathrm{dCov}^2 = \overline{AB}`, and
    :math:`\mathrm{dCor}^2 = \mathrm{dCov}^2(x,y)/\sqrt{\mathrm{dCov}^2(x,x)\,\mathrm{dCov}^2(y,y)}`.
    Cost :math:`O(n^2)`: use it on batches.
    """
    x = x.reshape(-1, 1).to(torch.float64) if x.dtype == torch.float64 else x.reshape(-1, 1)
    y = y.reshape(-1, 1).to(x.dtype)
    A = _centred(torch.cdist(x, x))
    B = _centred(torch.cdist(y, y))
    dxy, dxx, dyy = (A * B).mean(), (A * A).mean(), (B * B).mean()
    return dxy / torch.sqrt(dxx * dyy).clamp(min=1e-12)


class AutoencoderObjective(Objective):
    """Mean reconstruction error of background batches, plus ``lam`` × DisCo(error, mass) when ``lam > 0``.

    Logs ``val_loss`` (the same objective on validation background) and
    ``val_mse`` (the reconstruction error alone).
    """

    def __init__(self, X: torch.Tensor, mass: torch.Tensor | None = None, *, val: tuple | None = None,
                 lam: float = 0.0, batch_size: int = 256) -> None:
        self.X = torch.as_tensor(X, dtype=torch.float32)
        self.mass = None if mass is None else torch.as_tensor(mass, dtype=torch.float32)
        self.lam = check_range("lam", lam, low=0.0, owner="AutoencoderObjective")
        if self.lam > 0 and self.mass is None:
            raise PhysnnError("AutoencoderObjective: DisCo decorrelation (lam > 0) needs the jet mass.")
        self.val = val
        self.batch_size = check_int("batch_size", batch_size, low=2, owner="AutoencoderObjective")

    def log_keys(self) -> list[str]:
        return ["val_loss", "val_mse"] if self.val is not None else []

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        super().setup(model, device, rank, world)
        self.X = self.X.to(device)
        self.mass = None if self.mass is None else self.mass.to(device)
        if self.val is not None:
            self.val = tuple(None if t is None else torch.as_tensor(t).to(device) for t in self.val)

    def batches(self, generator: torch.Generator):
        from physnn.train.batching import index_batches

        # min_size=2: the distance correlation (and a mean over the batch) needs two jets per rank
        for i in index_batches(self.X.shape[0], self.batch_size, generator, rank=self.rank, world=self.world,
                               min_size=2):
            yield (self.X[i], None if self.mass is None else self.mass[i])

    def batch_size_of(self, batch: Any) -> int:
        return int(batch[0].shape[0])

    def _loss(self, model: nn.Module, x: torch.Tensor, m: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        err = ((model(x) - x) ** 2).mean(dim=1)
        mse = err.mean()
        if self.lam > 0:
            return mse + self.lam * distance_correlation(err, m), mse
        return mse, mse

    def loss(self, model: nn.Module, batch: Any) -> torch.Tensor:
        return self._loss(model, *batch)[0]

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.val is None:
            return {}
        was = model.training
        model.eval()
        try:
            x, m = self.val
            # DisCo is O(n^2): evaluate it on at most 2,000 validation jets
            n = min(2000, x.shape[0])
            total, mse = self._loss(model, x[:n], None if m is None else m[:n])
        finally:
            model.train(was)
        return {"val_loss": float(total), "val_mse": float(mse)}


@dataclass
class AnomalyResult:
    """A trained anomaly detector and what it measured on held-out jets."""

    model: nn.Module
    feature_names: list[str]
    scaler: dict[str, Any]
    config: dict[str, Any]
    history: Any = None
    scores: np.ndarray | None = None  #: test-set anomaly scores
    labels: np.ndarray | None = None  #: test-set labels (1 = signal)
    mass: np.ndarray | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score (reconstruction error) of raw jet features ``(N, d)``."""
        mean, scale = np.asarray(self.scaler["mean"]), np.asarray(self.scaler["scale"])
        z = torch.as_tensor(((np.asarray(X) - mean) / scale).astype(np.float32))
        return self.model.reconstruction_error(z).numpy()

    def module(self) -> AnomalyModule:
        """The per-jet score as one network (standardisation, autoencoder, error), for predict and ONNX."""
        return AnomalyModule(self.model, mean=self.scaler["mean"], scale=self.scaler["scale"])


class AnomalyModule(nn.Module):
    r"""Raw jet features ``(N, d)`` in, anomaly score ``(N,)`` out: :math:`\frac1d\lVert g(f(z)) - z\rVert^2`.

    With :math:`z = (x - \mu)/s`, the standardisation fitted on the training background.

    Parameters
    ----------
    autoencoder : torch.nn.Module
        The trained autoencoder (``(N, d) -> (N, d)``).
    mean, scale : sequence of float
        The standardisation, one value per feature.
    """

    def __init__(self, autoencoder: nn.Module, *, mean: Sequence[float], scale: Sequence[float]) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(list(scale), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.mean) / self.scale
        return ((self.autoencoder(z) - z) ** 2).mean(dim=1)


def train_anomaly(
    jets: JetData,
    *,
    hidden: Sequence[int] = (32, 16),
    latent: int = 2,
    decorrelate: str = "none",
    lam: float = 10.0,
    epochs: int = 200,
    lr: float = 1e-3,
    batch_size: int = 256,
    patience: int = 15,
    test: float = 0.3,
    val: float = 0.2,
    seed: int = 0,
    progress: bool | None = False,
    device: str = "cpu",
) -> AnomalyResult:
    """Train the autoencoder on background jets only and measure the anomaly score on held-out jets.

    Args:
        jets: labelled jets (labels only used to pick background and for the AUC).
        hidden, latent: the autoencoder (``n_in-hidden-latent``, mirrored).
        decorrelate: ``"none"`` or ``"disco"`` (loss + ``lam`` · dCor²(score, mass)).
        test, val: fractions of jets held out (stratified); the autoencoder
            trains on the *background* of the remaining training part.
        device: where it trains (``cpu``, ``cuda``, ``auto``); the result's model is on the CPU.

    Returns an :class:`AnomalyResult` whose ``metrics`` hold ``auc`` (signal
    vs background on the test set), ``pearson_mass_score_background``,
    ``dcor2_mass_score_background``, the sculpting JSD and the sample sizes.
    """
    from physnn.data.arrays import Standardizer
    from physnn.hep.classify import split_indices
    from physnn.hep.diagnostics import check_labels, diagnose
    from physnn.nn.autoencoder import DenseAutoencoder
    from physnn.train import EarlyStopping, fit

    from physnn.errors import check_choice

    decorrelate = check_choice("decorrelate", decorrelate, ("none", "disco"), owner="train_anomaly")
    if jets.y is None:
        raise PhysnnError("train_anomaly: the jets need labels (0 = background to train on, 1 = signal to test).")
    y = check_labels(jets.y, owner="train_anomaly")
    if jets.X.shape[1] < 2:
        raise PhysnnError("train_anomaly: give at least 2 jet features (e.g. mass, tau21, tau32).")
    if decorrelate == "disco" and jets.mass is None:
        raise PhysnnError("train_anomaly: decorrelate='disco' needs a 'mass' column in the jet file.")
    sp = split_indices(y, val=val, test=test, seed=seed)
    tr = sp["train"][y[sp["train"]] == 0]
    va = sp["val"][y[sp["val"]] == 0]
    te = sp["test"]
    std = Standardizer().fit(jets.X[tr])
    Z = std.transform(jets.X).astype(np.float32)
    mass = jets.mass
    torch.manual_seed(seed)
    ae = DenseAutoencoder(jets.X.shape[1], list(hidden), latent, seed=seed)
    lam_eff = float(lam) if decorrelate == "disco" else 0.0
    mt = None if mass is None else torch.as_tensor(mass)
    obj = AutoencoderObjective(torch.as_tensor(Z[tr]), None if mt is None else mt[tr],
                               val=(torch.as_tensor(Z[va]), None if mt is None else mt[va]) if len(va) > 1 else None,
                               lam=lam_eff, batch_size=batch_size)
    cbs = [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)] if len(va) > 1 else []
    hist = fit(ae, objective=obj, optimizer="adam", lr=lr, epochs=epochs, callbacks=cbs, seed=seed,
               progress=progress, threads="auto", device=device)
    ae.cpu()
    s_te = ae.reconstruction_error(torch.as_tensor(Z[te])).numpy()
    y_te = y[te]
    m_te = None if mass is None else mass[te]
    d = diagnose(y_te, s_te, mass=m_te, n_boot=100, seed=seed)
    metrics: dict[str, Any] = {"auc": d["auc"], "auc_err": d["auc_err"], "decorrelate": decorrelate,
                               "lam": lam_eff, "n_train_background": int(len(tr)), "n_test": int(len(te)),
                               "n_test_signal": int(y_te.sum()),
                               "rejection_at_0.3": d["rejection_at_0.3"], "rejection_at_0.5": d["rejection_at_0.5"],
                               "epochs_run": hist.epochs_run, "stop_reason": hist.stop_reason.value}
    if m_te is not None:
        b = y_te == 0
        metrics["pearson_mass_score_background"] = d["sculpting"]["pearson_mass_score_background"]
        with torch.no_grad():
            metrics["dcor2_mass_score_background"] = float(distance_correlation(
                torch.as_tensor(s_te[b][:3000], dtype=torch.float64), torch.as_tensor(m_te[b][:3000], dtype=torch.float64)))
        metrics["jsd"] = d["sculpting"]["jsd"]
    cfg = {"features": list(jets.feature_names), "hidden": list(hidden), "latent": int(latent),
           "decorrelate": decorrelate, "lam": lam_eff, "epochs": int(epochs), "lr": float(lr),
           "batch_size": int(batch_size), "seed": int(seed), "test": float(test), "val": float(val)}
    return AnomalyResult(model=ae, feature_names=list(jets.feature_names), scaler=std.to_dict(), config=cfg,
                         history=hist, scores=s_te, labels=y_te, mass=m_te, metrics=metrics)


def write_anomaly_run(res: AnomalyResult, directory: str | Path, *, data: str | None = None,
                      figures: bool = True) -> Path:
    """Write ``config.toml``, ``state.json``, ``model.safetensors``, ``history.csv``, ``metrics.json`` and figures.

    Parameters
    ----------
    res : AnomalyResult
        What :func:`train_anomaly` returned.
    directory : path-like
        The run directory to create (``-2``, ``-3``, ... appended when it exists).
    data : str, optional
        The jet file(s) it was trained on, recorded in ``config.toml``.
    figures : bool
        Write ``figures/*.png`` (loss, ROC, score distributions, sculpting).

    Returns
    -------
    Path
        The run directory; a failure leaves none behind.
    """
    from physnn.files import nan_as_null, removed_on_error, write_text
    from physnn.hep.classify import run_config_toml
    from physnn.hep.diagnostics import diagnostic_figures
    from physnn.rundir import create_run_dir, unique_run_dir, write_metrics, write_state
    from physnn.train.checkpoint import save_weights

    d = unique_run_dir(directory)
    with removed_on_error(d):  # a failed run leaves no directory behind
        create_run_dir(d, unique=False)
        write_text(d / "config.toml", run_config_toml({**res.config, **({"data": data} if data else {})},
                                                      "hep_anomaly"))
        save_weights(res.model, d / "model.safetensors")
        write_state(d, KIND, {"model": res.model.config(), "feature_names": res.feature_names,
                              "scaler": res.scaler}, seed=res.config.get("seed"))
        if res.history is not None:
            res.history.to_csv(d / "history.csv")
            if figures:
                res.history.plot(path=d / "figures" / "loss.png")
        write_metrics(d, nan_as_null(res.metrics))  # undefined on small data: null
        if figures:
            diagnostic_figures(d / "figures", y_test=res.labels, s_test=res.scores, mass=res.mass,
                               name="autoencoder")
    return d


def load_anomaly(directory: str | Path) -> AnomalyResult:
    """Rebuild an anomaly detector from its run directory (weights via safetensors, nothing unpickled).

    Reads the run format of :mod:`physnn.rundir` and physnn 0.1's ``physnn-hep-anomaly-1``.

    Parameters
    ----------
    directory : path-like
        A run directory written by ``physnn hep anomaly`` (:func:`write_anomaly_run`).

    Returns
    -------
    AnomalyResult
        The autoencoder (eval mode), its features and standardisation; ``score(X)`` and
        ``module()`` give the anomaly score.  No test scores or metrics.
    """
    from physnn.rundir import read_state

    d = Path(directory)
    return _anomaly_from_state(d, read_state(d, kind=KIND, owner="load_anomaly"))


def _anomaly_from_state(d: Path, state: dict[str, Any]) -> AnomalyResult:
    from physnn.rundir import build_model
    from physnn.train.checkpoint import load_weights

    model = state.get("model")
    if not isinstance(model, dict) or model.get("kind") != "autoencoder":
        raise PhysnnError(f"load_anomaly: {d / 'state.json'}: the model config {model!r} is not an autoencoder's; "
                          "the run directory is damaged: train it again with 'physnn hep anomaly'.")
    if not (d / "model.safetensors").exists():
        raise PhysnnError(f"load_anomaly: {str(d)!r} is not a finished run: model.safetensors is missing; "
                          "train it again with 'physnn hep anomaly'.")
    ae = build_model(model)
    load_weights(ae, d / "model.safetensors")
    ae.eval()
    seed = (state.get("provenance") or {}).get("seed", model.get("seed"))
    return AnomalyResult(model=ae, feature_names=list(state["feature_names"]), scaler=state["scaler"],
                         config={"seed": seed})


# ---------------------------------------------------------------- the verbs (physnn predict / export / show)

def _predict(directory: Path, state: dict[str, Any], data: Path, out: Path, *, tree: str | None = None) -> Path:
    """Anomaly score of every jet in ``data``: one column ``score_anomaly``, one row per jet."""
    from physnn.data import ArrayData, write_data
    from physnn.hep.classify import predict_logits
    from physnn.hep.features import load_jets

    res = _anomaly_from_state(directory, state)
    X = load_jets(data, features=res.feature_names, label=None, tree=tree, mass=None).X
    score = predict_logits(res.module(), [torch.as_tensor(X, dtype=torch.float32)]).numpy().reshape(-1, 1)
    return write_data(ArrayData(score, None, feature_names=[SCORE_NAME], name="predictions"), out)


def _onnx(directory: Path, state: dict[str, Any]) -> tuple[Any, tuple[Any, ...], list[str]]:
    """:class:`AnomalyModule`: raw jet features x ``(batch, d)`` in, the anomaly score ``(batch,)`` out."""
    res = _anomaly_from_state(directory, state)
    mean, scale = torch.tensor(res.scaler["mean"]), torch.tensor(res.scaler["scale"])
    x = mean + scale * torch.randn(4, len(mean), generator=torch.Generator().manual_seed(0))
    return res.module().eval(), (x.float(),), ["x"]


def _describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    from physnn.hep.classify import run_config_value

    model = state.get("model") or {}
    net = "-".join(str(v) for v in [model.get("n_in"), *model.get("hidden", []), model.get("latent")])
    return {"data": run_config_value(directory, "hep_anomaly", "data"),
            "autoencoder": f"{net} (mirrored)",
            "decorrelate": run_config_value(directory, "hep_anomaly", "decorrelate"),
            "features": ", ".join(state.get("feature_names", [])), "output": SCORE_NAME}


#: how ``physnn predict`` / ``export`` / ``show`` work on anomaly runs (:mod:`physnn.rundir`)
RUN_KIND = RunKind(
    kind=KIND,
    predicts="a jet file (.parquet .root .h5 .npz .csv) with the jet features it was trained on "
             "(--tree for ROOT) -> score_anomaly (reconstruction error), one row per jet",
    predict=_predict, onnx=_onnx, describe=_describe,
)
