r"""Train a jet tagger — an MLP on jet features or a particle-set network — and diagnose it.

The tagger outputs a logit :math:`f(x)`; training minimises the (optionally
weighted) binary cross-entropy

.. math:: L = -\frac{1}{\sum_i w_i}\sum_i w_i\,\big[y_i \log\sigma(f_i) + (1-y_i)\log(1-\sigma(f_i))\big]

on the common loop :func:`physnn.train.fit` (early stopping on the validation
loss keeps the best weights; a diverging run stops).  Models:

* ``mlp``: :class:`physnn.nn.MLP` on the standardised jet features ``X`` ``(N, d)``;
* ``pfn``: :class:`physnn.nn.sets.ParticleFlowNetwork` on constituents ``(N, P, F)`` + mask;
* ``particlenet``: :class:`physnn.nn.sets.ParticleNetLite` (EdgeConv) on the same.

:func:`train_tagger` splits the jets (stratified train/validation/test),
trains, scores every split and returns a :class:`Tagger` whose ``metrics``
hold :func:`physnn.hep.diagnostics.diagnose` on the test set (AUC, 1/ε_B at
ε_S = 0.3/0.5 with bootstrap errors, KS overtraining test, SIC, sculpting).
:func:`write_tagger_run` writes the run directory::

    RUN/config.toml  state.json  model.safetensors  history.csv  metrics.json
        figures/loss.png roc.png output.png sic.png ranking.png sculpting.png

``state.json`` is the one run format (:func:`physnn.rundir.write_state`, kind
``tagger``); :func:`load_tagger` reads it back (and the 0.1 format,
``physnn-hep-run-1``); :meth:`Tagger.module` is the network *with* its
preprocessing (standardisation, log p_T, sigmoid) — raw file columns in,
signal probability out.  :data:`RUN_KIND` lets the verbs work on tagger runs:
``physnn predict RUN jets.parquet --out scores.csv`` (one ``prob_<target>``
column, see :func:`target_name`), ``physnn export RUN --onnx F`` (that module)
and ``physnn show RUN``.

    >>> from physnn.hep.features import toy_jets
    >>> t = train_tagger(toy_jets(200, seed=1), model="mlp", hidden=[16], epochs=30, batch_size=32, seed=0)
    >>> t.metrics["auc"] > 0.9
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.hep.features import JetData, ParticleScaler
from physnn.rundir import RunKind
from physnn.train.objectives import Objective

__all__ = ["MODELS", "JetObjective", "Tagger", "TaggerModule", "train_tagger", "train_tagger_stream", "write_tagger_run",
           "load_tagger", "split_indices", "align_constituents", "target_name", "run_config_toml",
           "run_config_value", "RUN_KIND"]

#: the tagger kinds
MODELS: tuple[str, ...] = ("mlp", "pfn", "particlenet")
#: the run kind in ``state.json`` (:mod:`physnn.rundir`)
KIND = "tagger"


def target_name(label: str | None) -> str:
    """What a tagger's probability is of, for its output column ``prob_<target>``.

    The label column's name, unless it says nothing (``label``, or unknown): then ``signal``.

        >>> target_name("is_top"), target_name("label"), target_name(None)
        ('is_top', 'signal', 'signal')
    """
    return "signal" if label in (None, "", "label") else str(label)


def split_indices(y: np.ndarray, *, val: float = 0.2, test: float = 0.3, seed: int = 0) -> dict[str, np.ndarray]:
    """Stratified train/val/test indices (scikit-learn ``train_test_split``), each sorted.

        >>> s = split_indices(np.r_[np.zeros(50), np.ones(50)], val=0.2, test=0.3)
        >>> [len(s[k]) for k in ("train", "val", "test")]
        [50, 20, 30]
    """
    from sklearn.model_selection import train_test_split

    val = check_range("val", val, low=0.0, high=1.0, high_inclusive=False, owner="split")
    test = check_range("test", test, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False, owner="split")
    if val + test >= 1.0:
        raise PhysnnError(f"split: val + test = {val + test:g} leaves no training jets; make them smaller.")
    idx = np.arange(len(y))
    n_test, n_val = max(1, round(test * len(y))), round(val * len(y))
    rest, te = train_test_split(idx, test_size=n_test, stratify=y, random_state=seed)
    if n_val > 0:
        tr, va = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=seed)
    else:
        tr, va = rest, rest[:0]
    return {"train": np.sort(tr), "val": np.sort(va), "test": np.sort(te)}


class JetObjective(Objective):
    """Weighted BCE-with-logits on ``(inputs..., y, w)`` batches; logs ``val_loss`` and ``val_auc``.

    ``inputs`` is a tuple of tensors sharing the first axis — ``(X,)`` for an
    MLP, ``(x, mask)`` for a set network; ``model(*inputs)`` gives ``(N, 1)`` logits.
    """

    def __init__(self, inputs: Sequence[torch.Tensor], y: torch.Tensor, w: torch.Tensor | None = None, *,
                 val: tuple[Sequence[torch.Tensor], torch.Tensor, torch.Tensor | None] | None = None,
                 batch_size: int = 256) -> None:
        self.inputs = [torch.as_tensor(t) for t in inputs]
        self.y = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
        self.w = None if w is None else torch.as_tensor(w, dtype=torch.float32).reshape(-1, 1)
        self.val = val
        self.batch_size = check_int("batch_size", batch_size, low=1, owner="JetObjective")

    def log_keys(self) -> list[str]:
        return ["val_loss", "val_auc"] if self.val is not None else []

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        super().setup(model, device, rank, world)
        self.inputs = [t.to(device) for t in self.inputs]
        self.y = self.y.to(device)
        self.w = None if self.w is None else self.w.to(device)

    def batches(self, generator: torch.Generator):
        from physnn.train.batching import index_batches

        for i in index_batches(self.y.shape[0], self.batch_size, generator, rank=self.rank, world=self.world):
            yield (tuple(t[i] for t in self.inputs), self.y[i], None if self.w is None else self.w[i])

    def batch_size_of(self, batch: Any) -> int:
        return int(batch[1].shape[0])

    @staticmethod
    def _loss(logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
        per = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        if w is None:
            return per.mean()
        return (per * w).sum() / w.sum().clamp(min=1e-12)

    def loss(self, model: nn.Module, batch: Any) -> torch.Tensor:
        inputs, y, w = batch
        return self._loss(model(*inputs), y, w)

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.val is None:
            return {}
        from physnn.train.metrics import roc_auc

        inputs, y, w = self.val
        logits = predict_logits(model, inputs)
        yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
        wt = None if w is None else torch.as_tensor(w, dtype=torch.float32).reshape(-1, 1)
        return {"val_loss": float(self._loss(logits, yt, wt)),
                "val_auc": float(roc_auc(yt.numpy().ravel(), logits.numpy().ravel()))}


@torch.no_grad()
def predict_logits(model: nn.Module, inputs: Sequence[Any], chunk: int = 4096) -> torch.Tensor:
    """``model(*inputs)`` in eval mode, in chunks of jets, on the model's device; ``(N, 1)`` logits on the CPU."""
    was = model.training
    model.eval()
    try:
        ts = [torch.as_tensor(t) for t in inputs]
        dev = next((p.device for p in model.parameters()), torch.device("cpu"))
        out = [model(*(t[s : s + chunk].to(dev) for t in ts)).cpu() for s in range(0, ts[0].shape[0], chunk)]
    finally:
        model.train(was)
    return torch.cat(out)


def align_constituents(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    r"""Rotate and flip each jet's constituents into a standard orientation (features 0, 1, 2 = p_T, Δη, Δφ).

    With :math:`p_T`-fractions :math:`z_i` of the real particles: shift the
    :math:`z`-weighted centroid to the origin, rotate by
    :math:`\theta = \tfrac12\operatorname{atan2}(2C_{\eta\phi}, C_{\eta\eta}-C_{\phi\phi})`
    so the principal axis of the :math:`z`-weighted covariance lies along Δη, and
    flip each axis so that the :math:`z`-weighted third moment is positive —
    the standard jet-image preprocessing, here for particle sets.  A jet's
    tagging physics is (nearly) invariant under these moves, so the network
    need not learn them from few jets.  Padded slots stay zero.  Shape kept: ``(N, P, F)``.
    """
    m = mask.to(x.dtype)
    pt = x[..., 0] * m
    w = pt / pt.sum(1, keepdim=True).clamp(min=1e-12)
    eta, phi = x[..., 1], x[..., 2]
    eta = eta - (w * eta).sum(1, keepdim=True)
    phi = phi - (w * phi).sum(1, keepdim=True)
    cee, cpp, cep = (w * eta * eta).sum(1), (w * phi * phi).sum(1), (w * eta * phi).sum(1)
    th = 0.5 * torch.atan2(2 * cep, cee - cpp)
    c, s = torch.cos(th).unsqueeze(1), torch.sin(th).unsqueeze(1)
    er, pr = c * eta + s * phi, -s * eta + c * phi
    se = torch.where((w * er ** 3).sum(1, keepdim=True) < 0, -1.0, 1.0).to(x.dtype)
    sp = torch.where((w * pr ** 3).sum(1, keepdim=True) < 0, -1.0, 1.0).to(x.dtype)
    rest = [x[..., 3:]] if x.shape[-1] > 3 else []
    return torch.cat([x[..., :1], (er * se * m).unsqueeze(-1), (pr * sp * m).unsqueeze(-1), *rest], dim=-1)


class TaggerModule(nn.Module):
    """A tagger with its preprocessing: raw jet columns in, signal probability ``(N, 1)`` out.

    For ``mlp``: :math:`\\sigma(f((x-\\mu)/s))`.  For set networks: log of the
    p_T-like constituent features, standardisation over real particles, padded
    slots set to zero, then :math:`\\sigma(f(x, m))`.
    """

    def __init__(self, net: nn.Module, kind: str, *, mean: Sequence[float], scale: Sequence[float],
                 log_mask: Sequence[bool] | None = None, align: bool = False,
                 jet_mean: Sequence[float] | None = None, jet_scale: Sequence[float] | None = None) -> None:
        super().__init__()
        self.net, self.kind, self.align = net, kind, bool(align)
        self.use_jet = jet_mean is not None
        if self.use_jet:
            self.register_buffer("jet_mean", torch.tensor(list(jet_mean), dtype=torch.float32))
            self.register_buffer("jet_scale", torch.tensor(list(jet_scale), dtype=torch.float32))
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(list(scale), dtype=torch.float32))
        self.register_buffer("log_mask", torch.tensor(list(log_mask or [False] * len(mean)), dtype=torch.bool))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                jet: torch.Tensor | None = None) -> torch.Tensor:
        if self.kind == "mlp":
            return torch.sigmoid(self.net((x - self.mean) / self.scale))
        if mask is None:
            mask = (x != 0).any(-1)
        if self.align:
            x = align_constituents(x, mask)
        m = mask.unsqueeze(-1)
        safe = torch.where(m & self.log_mask, x, torch.ones_like(x))
        z = torch.where(self.log_mask, torch.log(safe), x)
        z = torch.where(m, (z - self.mean) / self.scale, torch.zeros_like(z))
        if self.use_jet:
            return torch.sigmoid(self.net(z, mask, (jet - self.jet_mean) / self.jet_scale))
        return torch.sigmoid(self.net(z, mask))


@dataclass
class Tagger:
    """A trained tagger: network, preprocessing, scores per split and diagnostics."""

    kind: str
    net: nn.Module
    feature_names: list[str]
    particle_names: list[str]
    scaler: dict[str, Any]
    config: dict[str, Any]
    history: Any = None
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    mass: dict[str, np.ndarray | None] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    ranking: list[dict[str, Any]] = field(default_factory=list)
    n_particles: int | None = None
    target: str = "signal"  #: the probability is of this (:func:`target_name`)

    def module(self) -> TaggerModule:
        """The network with its preprocessing, for prediction and ONNX export."""
        if self.kind == "mlp":
            return TaggerModule(self.net, "mlp", mean=self.scaler["mean"], scale=self.scaler["scale"])
        jet = self.scaler.get("jet")
        return TaggerModule(self.net, self.kind, mean=self.scaler["mean"], scale=self.scaler["std"],
                            log_mask=[n.lower().endswith("pt") for n in self.scaler["names"]],
                            align=self.scaler.get("align", False),
                            jet_mean=None if jet is None else jet["mean"], jet_scale=None if jet is None else jet["scale"])

    def inputs_of(self, jets: JetData) -> tuple[np.ndarray, ...]:
        """The raw arrays this tagger reads from ``jets``: ``(X,)`` or ``(particles, mask)``."""
        if self.kind == "mlp":
            if jets.feature_names != self.feature_names:
                raise PhysnnError(f"tagger: trained on features {self.feature_names}; the jets have {jets.feature_names}.")
            return (jets.X,)
        if jets.particles is None or jets.particle_names != self.particle_names:
            raise PhysnnError(f"tagger: trained on particle features {self.particle_names}; "
                              f"the jets have {jets.particle_names or 'none'}.")
        if self.scaler.get("jet") is not None:
            if jets.feature_names != self.feature_names:
                raise PhysnnError(f"tagger: trained with jet features {self.feature_names}; the jets have {jets.feature_names}.")
            return (jets.particles, jets.mask, jets.X)
        return (jets.particles, jets.mask)

    def predict(self, jets: JetData, *, device: str | None = None) -> np.ndarray:
        """Signal probability per jet ``(N,)``; ``device`` (``cpu``, ``cuda``, ``auto``): where the network runs."""
        from physnn.train.loop import resolve_device

        mod = self.module().eval().to(resolve_device(device or "cpu", owner="predict"))
        ins = [torch.as_tensor(a) for a in self.inputs_of(jets)]
        try:
            return predict_logits(mod, ins).numpy().ravel()
        finally:
            mod.cpu()

    def example_inputs(self, n: int = 4) -> tuple[torch.Tensor, ...]:
        """Plausible raw inputs of the right shapes (for ONNX export)."""
        g = torch.Generator().manual_seed(0)
        if self.kind == "mlp":
            mean = torch.tensor(self.scaler["mean"]); sc = torch.tensor(self.scaler["scale"])
            return (mean + sc * torch.randn(n, len(mean), generator=g),)
        p = self.n_particles or 16
        x = torch.randn(n, p, len(self.particle_names), generator=g).abs() + 0.1
        mask = torch.ones(n, p, dtype=torch.bool)
        mask[:, p // 2 :] = torch.rand(n, p - p // 2, generator=g) < 0.3
        x = x * mask.unsqueeze(-1)
        jet = self.scaler.get("jet")
        if jet is not None:
            g_mean, g_sc = torch.tensor(jet["mean"]), torch.tensor(jet["scale"])
            return (x, mask, g_mean + g_sc * torch.randn(n, len(g_mean), generator=g))
        return (x, mask)


def _build_net(kind: str, n_in: int, *, hidden: Sequence[int], phi: Sequence[int], f: Sequence[int],
               dropout: float, seed: int, n_global: int = 0) -> nn.Module:
    from physnn.nn.mlp import MLP
    from physnn.nn.sets import ParticleFlowNetwork, ParticleNetLite

    if kind == "mlp":
        return MLP(n_in, list(hidden), 1, dropout=dropout, seed=seed)
    if kind == "pfn":
        return ParticleFlowNetwork(n_in, phi=list(phi), f=list(f), dropout=dropout, n_global=n_global, seed=seed)
    return ParticleNetLite(n_in, blocks=[[32, 32], [64, 64]], k=8, f=list(f), n_global=n_global, seed=seed)


def _net_config(kind: str, net: nn.Module) -> dict[str, Any]:
    if kind == "mlp":
        from physnn.nn.mlp import model_config

        return model_config(net)
    return net.config()


def train_tagger(
    jets: JetData,
    *,
    model: str = "mlp",
    hidden: Sequence[int] = (64, 64),
    phi: Sequence[int] = (64, 64, 64),
    f: Sequence[int] = (64, 64),
    dropout: float = 0.0,
    epochs: int = 100,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    batch_size: int = 256,
    patience: int = 10,
    early_stopping: bool = True,
    align: bool = False,
    jet_features: bool = False,
    val: float = 0.2,
    test: float = 0.3,
    seed: int = 0,
    n_boot: int = 200,
    ranking: bool = True,
    progress: bool | None = False,
    split: dict[str, np.ndarray] | None = None,
    device: str = "cpu",
) -> Tagger:
    """Split, train on :func:`physnn.train.fit`, score all splits and diagnose on the test set.

    Args:
        jets: labelled jets (:func:`physnn.hep.features.load_jets`); set networks need ``particles``.
        model: ``mlp``, ``pfn`` or ``particlenet``.
        hidden: MLP hidden sizes; ``phi``/``f``: the PFN's Φ and F sizes.
        epochs, lr, weight_decay, batch_size: Adam training settings.
        patience: early stopping on ``val_loss`` (best weights restored).
        early_stopping: ``False`` trains all ``epochs`` and keeps the last weights
            (the validation loss is still logged) — e.g. to show overtraining.
        val, test: fractions of jets held out (stratified); ``split`` overrides
            with explicit index arrays ``{"train", "val", "test"}``.
        seed: split, initialisation and batch order.
        n_boot: bootstrap resamples for the errors.
        ranking: compute the permutation feature ranking on the test set.
        align: set networks: rotate/flip each jet's constituents into a standard
            orientation first (:func:`align_constituents`).
        jet_features: set networks: also feed the jet features ``X`` (standardised)
            to the network after pooling — a hybrid tagger (``n_global``).
        device: where the network trains and scores (``cpu``, ``cuda``, ``auto``); the
            returned tagger's network is on the CPU.
    """
    from physnn.data.arrays import Standardizer
    from physnn.hep.diagnostics import check_labels, diagnose, permutation_ranking
    from physnn.train import EarlyStopping, fit

    kind = check_choice("model", model, MODELS, owner="train_tagger")
    if jets.y is None:
        raise PhysnnError("train_tagger: the jets have no labels; read them with label='label' (the 0/1 column).")
    y = check_labels(jets.y, owner="train_tagger")
    seed = check_int("seed", seed, low=0, owner="train_tagger")
    sp = split if split is not None else split_indices(y, val=val, test=test, seed=seed)
    for k in ("train", "val", "test"):
        if k not in sp:
            raise PhysnnError(f"train_tagger: 'split' needs 'train', 'val' and 'test' indices; {k!r} is missing.")
        if k != "val" and len(np.unique(y[sp[k]])) < 2:
            raise PhysnnError(f"train_tagger: the {k} split holds one class only; use more jets.")
    tr = sp["train"]
    if kind == "mlp":
        if jets.X.shape[1] == 0:
            raise PhysnnError("train_tagger: model='mlp' needs jet features; name some (e.g. mass, tau32).")
        std = Standardizer().fit(jets.X[tr])
        scaler = std.to_dict()
        arrays = {k: (std.transform(jets.X[sp[k]]).astype(np.float32),) for k in sp}
        n_in = jets.X.shape[1]
    else:
        if jets.particles is None:
            raise PhysnnError(
                f"train_tagger: model={kind!r} needs constituents; read the jets with "
                "particles=['part_pt', 'part_deta', 'part_dphi'] (--particles) and n_particles."
            )
        parts = jets.particles
        if align:
            if parts.shape[2] < 3:
                raise PhysnnError("train_tagger: align=True needs the constituent features (pt, deta, dphi) first.")
            parts = align_constituents(torch.as_tensor(parts), torch.as_tensor(jets.mask)).numpy()
        ps = ParticleScaler(jets.particle_names).fit(parts[tr], jets.mask[tr])
        scaler = {**ps.to_dict(), "align": bool(align), "jet": None}
        arrays = {k: (ps.transform(parts[sp[k]], jets.mask[sp[k]]), jets.mask[sp[k]]) for k in sp}
        if jet_features:
            if jets.X.shape[1] == 0:
                raise PhysnnError("train_tagger: jet_features=True needs jet features (e.g. mass, tau32).")
            std = Standardizer().fit(jets.X[tr])
            scaler["jet"] = std.to_dict()
            arrays = {k: (*arrays[k], std.transform(jets.X[sp[k]]).astype(np.float32)) for k in sp}
        n_in = jets.particles.shape[2]
    torch.manual_seed(seed)
    n_global = jets.X.shape[1] if (kind != "mlp" and jet_features) else 0
    net = _build_net(kind, n_in, hidden=hidden, phi=phi, f=f, dropout=dropout, seed=seed, n_global=n_global)
    w = jets.weights
    t_in = {k: tuple(torch.as_tensor(a) for a in arrays[k]) for k in sp}
    has_val = len(sp["val"]) > 0
    obj = JetObjective(t_in["train"], torch.as_tensor(y[tr]), None if w is None else torch.as_tensor(w[tr]),
                       val=(t_in["val"], torch.as_tensor(y[sp["val"]]),
                            None if w is None else torch.as_tensor(w[sp["val"]])) if has_val else None,
                       batch_size=batch_size)
    cbs = ([EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)]
           if has_val and early_stopping else [])
    hist = fit(net, objective=obj, optimizer="adam", lr=lr, weight_decay=weight_decay, epochs=epochs,
               callbacks=cbs, seed=seed, progress=progress, threads="auto", device=device)
    scores = {k: torch.sigmoid(predict_logits(net, t_in[k])).numpy().ravel() for k in sp if len(sp[k])}
    net.cpu()
    labels = {k: y[sp[k]] for k in scores}
    mass = {k: (jets.mass[sp[k]] if jets.mass is not None else None) for k in scores}
    cfg = {"model": kind, "hidden": list(hidden), "phi": list(phi), "f": list(f), "dropout": float(dropout),
           "epochs": int(epochs), "lr": float(lr), "weight_decay": float(weight_decay),
           "batch_size": int(batch_size), "patience": int(patience), "early_stopping": bool(early_stopping),
           "val": float(val), "test": float(test),
           "align": bool(align), "jet_features": bool(jet_features),
           "seed": seed, "n_particles": None if jets.particles is None else int(jets.particles.shape[1])}
    tagger = Tagger(kind=kind, net=net, feature_names=list(jets.feature_names),
                    particle_names=list(jets.particle_names), scaler=scaler, config=cfg, history=hist,
                    scores=scores, labels=labels, mass=mass,
                    n_particles=cfg["n_particles"])
    te = sp["test"]
    metrics = diagnose(labels["test"], scores["test"], y_train=labels["train"], s_train=scores["train"],
                       mass=mass["test"], n_boot=n_boot, seed=seed)
    metrics.update({"n_train": int(len(tr)), "n_val": int(len(sp["val"])), "n_test": int(len(te)),
                    "epochs_run": hist.epochs_run, "best_epoch": hist.best_epoch,
                    "stop_reason": hist.stop_reason.value, "wall_time_s": float(hist.wall_time)})
    tagger.metrics = metrics
    if ranking:
        test_jets = jets.subset(te)
        raw = tagger.inputs_of(test_jets)
        mod = tagger.module().eval()
        if kind == "mlp":
            pred = lambda X: predict_logits(mod, [torch.as_tensor(X)]).numpy().ravel()  # noqa: E731
            tagger.ranking = permutation_ranking(pred, raw[0], labels["test"], tagger.feature_names, seed=seed)
        else:
            m_t = torch.as_tensor(raw[1])
            extra = [torch.as_tensor(a) for a in raw[2:]]
            pred = lambda P: predict_logits(mod, [torch.as_tensor(P), m_t, *extra]).numpy().ravel()  # noqa: E731
            tagger.ranking = permutation_ranking(pred, raw[0], labels["test"], tagger.particle_names,
                                                 mask=raw[1], seed=seed)
        metrics["ranking"] = tagger.ranking
    return tagger


def train_tagger_stream(
    stream: Any,
    *,
    hidden: Sequence[int] = (64, 64),
    dropout: float = 0.0,
    epochs: int = 100,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    batch_size: int = 256,
    patience: int = 10,
    early_stopping: bool = True,
    val: float = 0.2,
    test: float = 0.3,
    seed: int = 0,
    n_boot: int = 200,
    ranking: bool = True,
    progress: bool | None = False,
    device: str = "cpu",
    buffer_chunks: int = 4,
    workers: int = 0,
    sample_rows: int | None = 1_000_000,
    diagnostic_rows: int = 200_000,
) -> Tagger:
    """:func:`train_tagger` (``model='mlp'``) for jet tables larger than memory.

    ``stream`` is a :class:`physnn.data.stream.TableStream` of jet features with the 0/1 label as its
    target. Whole chunks (Parquet row groups, ROOT entry ranges) go to train / validation / test;
    the standardization is fitted on ``sample_rows`` training rows; training reads the chunks through
    shuffle buffers (:class:`physnn.train.streaming.StreamingSupervised`, sharded by rank under
    torchrun). The HEP diagnostics (AUC, rejection, KS, sculpting, ranking) are computed on the
    scores of up to ``diagnostic_rows`` test (and training) jets, whole chunks in a seeded order —
    one number per jet, so they fit in memory; ``metrics['n_test']`` says how many.
    """
    from physnn.data.arrays import Standardizer
    from physnn.hep.diagnostics import check_labels, diagnose, permutation_ranking
    from physnn.train import EarlyStopping, fit
    from physnn.train.streaming import StreamingSupervised

    owner = "train_tagger (streaming)"
    seed = check_int("seed", seed, low=0, owner=owner)
    check_int("diagnostic_rows", diagnostic_rows, low=1, owner=owner)
    if len(stream.target_names) != 1:
        raise PhysnnError(f"{owner}: one label column (0/1) is needed; got {stream.target_names}.")
    train, val_c, test_c = stream.split(val=val, test=test, seed=seed)
    mean, var, _ = stream.moments(train, sample_rows=sample_rows, seed=seed)
    std = Standardizer().set_moments(mean, var)
    torch.manual_seed(seed)
    net = _build_net("mlp", len(stream.feature_names), hidden=hidden, phi=(), f=(), dropout=dropout, seed=seed)
    obj = StreamingSupervised(stream, train, val_c, loss="bce_with_logits", batch_size=batch_size, metrics=[],
                              standardizer=std, buffer_chunks=buffer_chunks, workers=workers, n_outputs=1)
    cbs = [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)] if val_c and early_stopping else []
    hist = fit(net, objective=obj, optimizer="adam", lr=lr, weight_decay=weight_decay, epochs=epochs,
               callbacks=cbs, seed=seed, progress=progress, threads="auto", device=device)
    net.cpu()
    mod = TaggerModule(net, "mlp", mean=std.mean_.tolist(), scale=std.scale_.tolist()).eval()

    def sample(chunks: list) -> tuple[np.ndarray, np.ndarray]:
        xs, ys, n = [], [], 0
        for i in np.random.default_rng(seed).permutation(len(chunks)):
            X, y = stream.read(chunks[i])
            xs.append(X)
            ys.append(y[:, 0])
            n += len(X)
            if n >= diagnostic_rows:
                break
        return np.concatenate(xs), check_labels(np.concatenate(ys), owner=owner)

    raw = {k: sample(c) for k, c in (("train", train), ("test", test_c)) if c}
    if "test" not in raw:
        raise PhysnnError(f"{owner}: no test chunk (test = {test}); the diagnostics need a test split.")
    scores = {k: predict_logits(mod, [torch.as_tensor(X)]).numpy().ravel() for k, (X, _) in raw.items()}
    labels = {k: y for k, (_, y) in raw.items()}
    names = list(stream.feature_names)
    mass = {k: (X[:, names.index("mass")] if "mass" in names else None) for k, (X, _) in raw.items()}
    cfg = {"model": "mlp", "hidden": list(hidden), "phi": [], "f": [], "dropout": float(dropout),
           "epochs": int(epochs), "lr": float(lr), "weight_decay": float(weight_decay),
           "batch_size": int(batch_size), "patience": int(patience), "early_stopping": bool(early_stopping),
           "val": float(val), "test": float(test), "align": False, "jet_features": False, "seed": seed,
           "n_particles": None, "stream": True, "buffer_chunks": int(buffer_chunks)}
    tagger = Tagger(kind="mlp", net=net, feature_names=names, particle_names=[],
                    scaler=std.to_dict(), config=cfg, history=hist, scores=scores, labels=labels, mass=mass)
    metrics = diagnose(labels["test"], scores["test"], y_train=labels.get("train"), s_train=scores.get("train"),
                       mass=mass["test"], n_boot=n_boot, seed=seed)
    rows = lambda cs: int(sum(c.rows for c in cs))  # noqa: E731
    metrics.update({"n_train": rows(train), "n_val": rows(val_c), "n_test": int(len(labels["test"])),
                    "n_test_chunks_rows": rows(test_c), "epochs_run": hist.epochs_run, "best_epoch": hist.best_epoch,
                    "stop_reason": hist.stop_reason.value, "wall_time_s": float(hist.wall_time)})
    tagger.metrics = metrics
    if ranking:
        pred = lambda X: predict_logits(mod, [torch.as_tensor(X)]).numpy().ravel()  # noqa: E731
        tagger.ranking = permutation_ranking(pred, raw["test"][0], labels["test"], names, seed=seed)
        metrics["ranking"] = tagger.ranking
    return tagger


def run_config_toml(cfg: dict[str, Any], table: str = "hep_train") -> str:
    """The settings as TOML (``tomli_w``), ``None`` values left out."""
    import tomli_w

    clean = {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items() if v is not None}
    return f"# physnn {table.replace('_', ' ')}: the settings of this run\n" + tomli_w.dumps({table: clean})


def run_config_value(directory: Path, table: str, key: str) -> Any:
    """``[table] key`` of a run's ``config.toml`` (:func:`run_config_toml`), or None when not there or unreadable."""
    import tomllib

    try:
        return tomllib.loads((Path(directory) / "config.toml").read_text(encoding="utf-8")).get(table, {}).get(key)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def write_tagger_run(tagger: Tagger, directory: str | Path, *, data: str | None = None,
                     label: str | None = None, figures: bool = True) -> Path:
    """Write the run directory of a trained tagger (see module docs); every file atomically.

    Parameters
    ----------
    tagger : Tagger
        What :func:`train_tagger` returned.
    directory : path-like
        The run directory to create (``-2``, ``-3``, ... appended when it exists).
    data : str, optional
        The jet file(s) it was trained on, recorded in ``config.toml``.
    label : str, optional
        The label column it was trained on; names the prediction ``prob_<label>``
        (:func:`target_name`; default: the tagger's ``target``).
    figures : bool
        Write ``figures/*.png`` (loss, ROC, output, SIC, ranking, sculpting).

    Returns
    -------
    Path
        The run directory.
    """
    from physnn.files import nan_as_null, removed_on_error, write_text
    from physnn.hep.diagnostics import diagnostic_figures
    from physnn.rundir import create_run_dir, unique_run_dir, write_metrics, write_state
    from physnn.train.checkpoint import save_weights

    if label is not None:
        tagger.target = target_name(label)
    d = unique_run_dir(directory)
    with removed_on_error(d):  # a failed run leaves no directory behind
        create_run_dir(d, unique=False)
        extra = {**({"data": data} if data else {}), **({"label": label} if label else {})}
        write_text(d / "config.toml", run_config_toml({**tagger.config, **extra}))
        state = {"model": _net_config(tagger.kind, tagger.net), "feature_names": tagger.feature_names,
                 "particle_names": tagger.particle_names, "n_particles": tagger.n_particles,
                 "scaler": tagger.scaler, "task": "binary", "target": tagger.target}
        save_weights(tagger.net, d / "model.safetensors")
        write_state(d, KIND, state, seed=tagger.config["seed"])
        if tagger.history is not None:
            tagger.history.to_csv(d / "history.csv")
        write_metrics(d, nan_as_null(tagger.metrics))  # undefined on small data: null
        if figures:
            if tagger.history is not None:
                tagger.history.plot(path=d / "figures" / "loss.png")
            diagnostic_figures(d / "figures", y_test=tagger.labels["test"], s_test=tagger.scores["test"],
                               y_train=tagger.labels["train"], s_train=tagger.scores["train"],
                               mass=tagger.mass.get("test"), ranking=tagger.ranking or None, name=tagger.kind)
    return d


def load_tagger(directory: str | Path) -> Tagger:
    """Rebuild a tagger from its run directory (weights via safetensors, nothing unpickled).

    Reads the run format of :mod:`physnn.rundir` and physnn 0.1's ``physnn-hep-run-1``.

    Parameters
    ----------
    directory : path-like
        A run directory written by ``physnn hep train`` (:func:`write_tagger_run`).

    Returns
    -------
    Tagger
        The network (eval mode) with its names, scaler and target; no scores or metrics.
    """
    from physnn.rundir import read_state

    d = Path(directory)
    return _tagger_from_state(d, read_state(d, kind=KIND, owner="load_tagger"))


def _tagger_from_state(d: Path, state: dict[str, Any]) -> Tagger:
    from physnn.rundir import build_model
    from physnn.train.checkpoint import load_weights

    model = state.get("model")
    if not isinstance(model, dict) or model.get("kind") not in MODELS:
        raise PhysnnError(f"load_tagger: {d / 'state.json'}: the model config {model!r} is not a tagger's "
                          f"(one of {', '.join(MODELS)}); the run directory is damaged: train it again "
                          "with 'physnn hep train'.")
    if not (d / "model.safetensors").exists():
        raise PhysnnError(f"load_tagger: {str(d)!r} is not a finished run: model.safetensors is missing; "
                          "train it again with 'physnn hep train'.")
    net = build_model(model)
    load_weights(net, d / "model.safetensors")
    net.eval()
    seed = (state.get("provenance") or {}).get("seed", state.get("seed"))
    return Tagger(kind=model["kind"], net=net, feature_names=list(state["feature_names"]),
                  particle_names=list(state["particle_names"]), scaler=state["scaler"], config={"seed": seed},
                  n_particles=state.get("n_particles"), target=state.get("target", "signal"))


# ---------------------------------------------------------------- the verbs (physnn predict / export / show)

def _jets_for(tagger: Tagger, data: Path, tree: str | None) -> JetData:
    """Read ``data`` the way the tagger was trained: its jet features and/or constituents (padded as then)."""
    from physnn.hep.features import load_jets

    set_model = tagger.kind != "mlp"
    features = tagger.feature_names if (not set_model or tagger.scaler.get("jet") is not None) else []
    return load_jets(data, features=features, particles=tagger.particle_names if set_model else None,
                     n_particles=tagger.n_particles if set_model else None, label=None, tree=tree, mass=None)


def _predict(directory: Path, state: dict[str, Any], data: Path, out: Path, *, tree: str | None = None,
             device: str | None = None) -> Path:
    """Signal probability of every jet in ``data``: one column ``prob_<target>``, one row per jet."""
    from physnn.data import ArrayData, write_data
    from physnn.rundir import output_name

    tagger = _tagger_from_state(directory, state)
    prob = tagger.predict(_jets_for(tagger, data, tree), device=device)
    return write_data(ArrayData(prob.reshape(-1, 1), None, feature_names=[output_name("prob", tagger.target)],
                                name="predictions"), out)


def _onnx(directory: Path, state: dict[str, Any]) -> tuple[Any, tuple[Any, ...], list[str]]:
    """The tagger with its preprocessing and sigmoid: inputs x (and mask, jet), signal probability out."""
    tagger = _tagger_from_state(directory, state)
    inputs = tagger.example_inputs()
    return tagger.module().eval(), inputs, ["x", "mask", "jet"][: len(inputs)]


def _describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    from physnn.rundir import output_name

    model = state.get("model") or {}
    info: dict[str, Any] = {"data": run_config_value(directory, "hep_train", "data")}
    if model.get("kind") != "mlp":
        info["constituents"] = f"{', '.join(state.get('particle_names', []))} (up to {state.get('n_particles')})"
        if (state.get("scaler") or {}).get("jet") is not None:  # a hybrid tagger reads jet features too
            info["jet features"] = ", ".join(state["feature_names"])
    else:
        info["features"] = ", ".join(state.get("feature_names", []))
    info["output"] = output_name("prob", state.get("target", "signal"))
    return info


#: how ``physnn predict`` / ``export`` / ``show`` work on tagger runs (:mod:`physnn.rundir`)
RUN_KIND = RunKind(
    kind=KIND,
    predicts="a jet file (.parquet .root .h5 .npz .csv) with the columns the tagger was trained on "
             "(jagged constituents for set networks; --tree for ROOT) -> prob_<target>, one row per jet",
    predict=_predict, onnx=_onnx, describe=_describe,
)
