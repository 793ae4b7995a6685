r"""An interatomic potential learned from the user's structures: energies, and forces where the file has them.

The model (:class:`AtomicPotential`) is a per-atom network on local descriptors,
as in Behler–Parrinello networks and their successors (SchNet, MACE, NequIP):

.. math:: E = \sum_i \big[ e_{Z_i} + w\cdot\tilde d_i + \sum_m a_m e^{-\gamma|\tilde d_i - s_m|^2}
   + \sigma_E\, \overline{f_\theta}(\tilde d_i) \big], \qquad \tilde d_i = (d_i - \mu_d)/\sigma_d,
   \qquad \mathbf F_j = -\frac{\partial E}{\partial \mathbf r_j},
   \qquad \sigma_{ab} = \frac1V \frac{\partial E}{\partial \varepsilon_{ab}}

with :math:`d_i` the SOAP-like invariants of atom *i*'s neighbourhood
(:class:`~physnn.materials.descriptors.LocalDescriptor`, computed in torch so that
forces and stress are exact derivatives of the predicted energy, by autograd),
:math:`e_Z` a reference energy per element (least squares on the training
totals) and :math:`\sigma_E` the spread of the remaining energy per atom.  The
energy is a sum over atoms, so it is extensive: a model trained on 4- and
32-atom cells predicts 108-atom cells.

Without a force term (by default), a fixed part is fitted in closed form before
the network is trained: a linear term :math:`w\cdot\tilde d_i` and a sparse
Gaussian-kernel term on :math:`M` = 2000 training atoms :math:`s_m` (a
sparse GAP/SOAP-GAP-like energy): both are linear in their coefficients and the
energy per atom of a structure is their mean over its atoms, so a generalised
ridge regression on the per-structure means gives :math:`w, a`, penalised by
:math:`\alpha(|w|^2 + a^\top K_{MM} a)` — for the kernel term the norm of the
function it represents (the sparse Gaussian process's prior, as in GAP), not
:math:`|a|^2` (its :math:`\alpha` and :math:`\gamma` chosen on the validation
structures).  The network (:math:`\overline{f_\theta}`: one MLP, or the mean of
an ensemble of independently trained ones) then learns what that leaves.  On
energies alone (a few hundred numbers to learn a function of ~200 descriptors)
this is what takes our EMT alloys from 4.6 to 2.7 meV/atom
(``benchmarks/materials_own_data.py``): with :math:`|a|^2` it was 3.2, as the
plain ridge shrinks the 2000 strongly correlated kernel columns towards a rough
function; with :math:`a^\top K_{MM} a` the validation picks the smallest
:math:`\alpha` (EMT energies have no noise), the fixed part interpolates the
training energies and leaves the network almost nothing to learn.

Training (:func:`train_potential`) runs physnn's one loop, :func:`physnn.train.fit`,
on :class:`EnergyForceObjective`:

.. math:: L = w_E \,\frac{\mathrm{MSE}(E/N)}{\sigma_E^2} + w_F\,\frac{\mathrm{MSE}(\mathbf F)}{\sigma_F^2}
   \;[+\, w_S\,\frac{\mathrm{MSE}(\sigma)}{\sigma_S^2}]

(each term in units of its training spread, so the weights are comparable;
the force term only when the file has forces).  Beside it, on the same split,
three baselines: predict the mean energy per atom, a ridge on composition and
volume, and a kernel ridge on the SOAP power spectrum averaged over atoms
(dscribe).  Energies are reported in meV/atom, forces in meV/Å.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_int, check_range
from physnn.materials.descriptors import Graph, LocalDescriptor, collate, neighbour_graph
from physnn.train.objectives import Objective

__all__ = ["AtomicPotential", "EnergyForceObjective", "PotentialResult", "build_potential", "train_potential",
           "baseline_features", "ridge_on_validation", "MODEL_KIND", "BASELINES"]

#: the model kind in a run's ``state.json`` (``rundir.MODEL_BUILDERS``: ``physnn.materials.potential:build_potential``)
MODEL_KIND = "atomic_potential"
#: names of the baselines, as in metrics.json
BASELINES = ("predict the mean", "composition+volume ridge", "SOAP kernel ridge")
NETWORK = "per-atom network"


class AtomicPotential(nn.Module):
    r"""Energy as a sum of per-atom terms of local descriptors; forces and stress by autograd.

    Parameters
    ----------
    species : sequence of str
        The elements the model knows.
    hidden : sequence of int
        Hidden sizes of the per-atom MLP.
    activation : str
        Hidden activation (smooth: forces are derivatives of the energy).
    descriptor : dict, optional
        :class:`~physnn.materials.descriptors.LocalDescriptor` options (``r_cut``, ``n_radial``,
        ``n_angular``, ``r_min``).
    seed : int, optional
        Initial weights from this seed.
    linear : bool
        Add the fixed linear term :math:`w\cdot\tilde d_i` (buffer ``w_lin``, set by :func:`train_potential`).
    n_sparse : int
        Sparse points of the fixed Gaussian-kernel term (buffers ``sparse``, ``a_sparse``, ``gamma``; 0: none).
    ensemble : int
        MLPs whose mean is the network part (:class:`~physnn.materials.models.NetEnsemble` when above 1).

    ``forward(graph)`` takes a :class:`~physnn.materials.descriptors.Graph` (one structure or a
    batch, :func:`~physnn.materials.descriptors.collate`) and returns a dict: ``energy`` (B,)
    in eV, and ``forces`` (A, 3) in eV/Å and ``stress`` (B, 6) in eV/Å³ (Voigt) when asked.
    """

    def __init__(self, species: Sequence[str], hidden: Sequence[int] = (64, 64), *, activation: str = "silu",
                 descriptor: dict[str, Any] | None = None, seed: int | None = None, linear: bool = False,
                 n_sparse: int = 0, ensemble: int = 1) -> None:
        super().__init__()
        from physnn.nn import MLP

        opts = {k: v for k, v in (descriptor or {}).items() if k != "species"}
        self.descriptor = LocalDescriptor(species, **opts)
        self.species = list(self.descriptor.species)
        self.hidden = tuple(check_int("hidden size", h, low=1, owner="AtomicPotential") for h in hidden)
        self.activation = activation
        d = self.descriptor.n_features
        self.ensemble = check_int("ensemble", ensemble, low=1, high=64, owner="AtomicPotential")
        if self.ensemble == 1:
            self.net = MLP(d, list(self.hidden), 1, activation=activation, seed=seed)
        else:
            from physnn.materials.models import NetEnsemble

            self.net = NetEnsemble([MLP(d, list(self.hidden), 1, activation=activation,
                                        seed=None if seed is None else seed + 1000 * k)
                                    for k in range(self.ensemble)])
        self.register_buffer("x_mean", torch.zeros(d))
        self.register_buffer("x_std", torch.ones(d))
        # float64: element references of DFT totals are large (kept exact; the network adds a small part)
        self.register_buffer("e_ref", torch.zeros(len(self.species), dtype=torch.float64))
        self.register_buffer("e_scale", torch.ones(()))
        self.linear = bool(linear)
        if self.linear:
            # a linear term of the standardised descriptors (ridge on the training energies), fixed in training
            self.register_buffer("w_lin", torch.zeros(d, dtype=torch.float64))
        self.n_sparse = check_int("n_sparse", n_sparse, low=0, high=100_000, owner="AtomicPotential")
        if self.n_sparse:
            # a sparse Gaussian-kernel term sum_m a_m exp(-gamma |x - s_m|^2) of the standardised descriptors
            self.register_buffer("sparse", torch.zeros(self.n_sparse, d, dtype=torch.float64))
            self.register_buffer("a_sparse", torch.zeros(self.n_sparse, dtype=torch.float64))
            self.register_buffer("gamma", torch.zeros((), dtype=torch.float64))

    def config(self) -> dict[str, Any]:
        """What rebuilds this model: :func:`build_potential` of it."""
        return {"kind": MODEL_KIND, "species": list(self.species), "hidden": list(self.hidden),
                "activation": self.activation, "descriptor": self.descriptor.config(), "linear": self.linear,
                "n_sparse": self.n_sparse, "ensemble": self.ensemble}

    @property
    def r_cut(self) -> float:
        return self.descriptor.r_cut

    def graph(self, atoms: Any) -> Graph:
        """The neighbour graph of one structure for this model."""
        return neighbour_graph(atoms, self.r_cut, self.species)

    def descriptors(self, graph: Graph) -> torch.Tensor:
        """Raw per-atom descriptors of ``graph`` (no gradient), shape (A, n_features)."""
        with torch.no_grad():
            return self.descriptor(*graph.descriptor_inputs(self.x_mean.dtype))

    @torch.no_grad()
    def set_scaling(self, x: torch.Tensor, e_ref: np.ndarray, e_scale: float) -> None:
        """Standardise descriptors with training atoms ``x`` (A, d); set the element references and energy scale."""
        x = x.double()
        self.x_mean.copy_(x.mean(0).to(self.x_mean.dtype))
        sd = x.std(0)
        self.x_std.copy_(torch.where(sd > 1e-10, sd, torch.ones_like(sd)).to(self.x_std.dtype))
        self.e_ref.copy_(torch.as_tensor(e_ref, dtype=torch.float64))
        self.e_scale.fill_(float(e_scale))

    def kernel(self, xs: torch.Tensor) -> torch.Tensor:
        r""":math:`k(x_i, s_m) = \exp(-\gamma |x_i - s_m|^2)` of standardised descriptors ``xs`` (A, d) and the
        sparse points (float64, shape (A, n_sparse)); differentiable in ``xs``."""
        x = xs.double()
        d2 = (x * x).sum(1, keepdim=True) - 2.0 * x @ self.sparse.T + (self.sparse * self.sparse).sum(1)[None, :]
        return torch.exp(-self.gamma * d2.clamp(min=0.0))

    def fixed_energy(self, xs: torch.Tensor) -> torch.Tensor:
        """Per-atom energy (float64, (A,)) of the terms fitted before training (linear and sparse-kernel) of
        standardised descriptors ``xs``; differentiable in ``xs``, zero without them."""
        out = xs.new_zeros(xs.shape[0], dtype=torch.float64)
        if self.linear:
            out = out + xs.double() @ self.w_lin
        if self.n_sparse:
            out = out + self.kernel(xs) @ self.a_sparse
        return out

    def cache_fixed(self, graph: Graph) -> Graph:
        """Store :meth:`fixed_energy` of ``graph``'s atoms in it (after :meth:`cache_descriptors`, with the fixed
        terms set): energy-only passes in training then skip them.  Clear it if those terms change."""
        with torch.no_grad():
            x = graph.cache[0].to(self.x_mean.dtype)
            graph.fixed = self.fixed_energy((x - self.x_mean) / self.x_std)
        return graph

    def cache_descriptors(self, graph: Graph) -> Graph:
        """Store the descriptor parts and the pairs' basis in ``graph`` (no gradient): training computes them once."""
        with torch.no_grad():
            inputs = graph.descriptor_inputs(self.x_mean.dtype)
            graph.cache = self.descriptor.parts(*inputs)
            graph.basis = self.descriptor.pair_basis(inputs[0])
        return graph

    def forward(self, graph: Graph, *, forces: bool = False, stress: bool = False,
                create_graph: bool = False) -> dict[str, torch.Tensor]:
        dtype = self.x_mean.dtype
        vectors, centre, neighbour_species, species = graph.descriptor_inputs(dtype)
        need_grad = forces or stress
        with torch.set_grad_enabled(torch.is_grad_enabled() or need_grad):
            if graph.cache is not None:
                x, m1, m2 = (None if t is None else t.to(dtype) for t in graph.cache)
            elif need_grad:
                with torch.no_grad():
                    x, m1, m2 = self.descriptor.parts(vectors, centre, neighbour_species, species)
            else:
                x, m1, m2 = self.descriptor.parts(vectors, centre, neighbour_species, species)
            if need_grad:
                x = x.detach().requires_grad_(True)
            xs = (x - self.x_mean) / self.x_std
            eps = self.e_scale * self.net(xs)[:, 0]
            if graph.fixed is not None and not need_grad:
                eps = eps.double() + graph.fixed
            elif self.linear or self.n_sparse:
                eps = eps.double() + self.fixed_energy(xs)
            structure = torch.as_tensor(graph.structure)
            # totals in float64: sum of the exact element references and the network's atomic terms
            energy = torch.zeros(graph.n_structures, dtype=torch.float64).index_add(
                0, structure, self.e_ref.double()[species] + eps.double())
            out = {"energy": energy}
            if need_grad:
                # dE/dd by autograd through the network, then the descriptor's chain rule written out
                (gx,) = torch.autograd.grad(energy.sum(), x, create_graph=create_graph)
                g = self.descriptor.pair_gradient(gx, vectors, centre, neighbour_species, m1, m2, graph.basis)
                if forces:
                    f = torch.zeros(graph.n_atoms, 3, dtype=dtype).index_add(0, centre, g)
                    out["forces"] = f.index_add(0, torch.as_tensor(graph.neighbour), -g)
                if stress:
                    pair_structure = structure[centre]
                    w = (vectors[:, :, None] * g[:, None, :]).reshape(-1, 9)
                    w = torch.zeros(graph.n_structures, 9, dtype=dtype).index_add(0, pair_structure, w)
                    w = w.reshape(-1, 3, 3)
                    w = 0.5 * (w + w.transpose(1, 2))
                    vol = torch.as_tensor(graph.volume, dtype=dtype)
                    vol = torch.where(vol > 0, vol, torch.ones_like(vol))
                    voigt = w[:, [0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
                    out["stress"] = voigt / vol[:, None]
        return out

    def predict(self, structures: Sequence[Any], *, forces: bool = True, batch_size: int = 32,
                graphs: Sequence[Graph] | None = None) -> dict[str, Any]:
        """Total energies (eV, shape (n,)) and, with ``forces``, a list of (n_atoms, 3) force arrays (eV/Å)."""
        self.eval()
        graphs = list(graphs) if graphs is not None else [self.graph(a) for a in structures]
        energy, force_list = [], []
        for start in range(0, len(graphs), batch_size):
            part = graphs[start:start + batch_size]
            g = collate(part)
            out = self(g, forces=forces)
            energy.append(out["energy"].detach().double().numpy())
            if forces:
                f = out["forces"].detach().double().numpy()
                offsets = np.cumsum([0] + [p.n_atoms for p in part])
                force_list += [f[offsets[k]:offsets[k + 1]] for k in range(len(part))]
        res: dict[str, Any] = {"energy": np.concatenate(energy).astype(np.float64)}
        if forces:
            res["forces"] = force_list
        return res


def build_potential(config: dict[str, Any]) -> AtomicPotential:
    """An :class:`AtomicPotential` from its ``config()`` (weights are loaded by the caller)."""
    return AtomicPotential(config["species"], config["hidden"], activation=config.get("activation", "silu"),
                           descriptor=config.get("descriptor"), linear=bool(config.get("linear", False)),
                           n_sparse=int(config.get("n_sparse", 0)), ensemble=int(config.get("ensemble", 1)))


# ---------------------------------------------------------------- training objective

@dataclass
class Labels:
    """Training labels of a set of graphs: energies (n,), forces (list of (n_i, 3)) and stress (n, 6) or None."""

    energy: np.ndarray
    forces: list[np.ndarray] | None
    stress: np.ndarray | None
    n_atoms: np.ndarray


class EnergyForceObjective(Objective):
    r"""Mini-batches of structures; ``L = w_E MSE(E/N)/σ_E² + w_F MSE(F)/σ_F² [+ w_S MSE(σ)/σ_S²]``.

    Parameters
    ----------
    graphs : list of Graph
        Every structure's neighbour graph (training and validation).
    labels : Labels
        Their energies (eV), forces (eV/Å) and stress (eV/Å³).
    train, val : index arrays
        Which structures train and which validate (early stopping monitors ``val_loss``).
    batch_size : int
        Structures per mini-batch.
    energy_weight, force_weight, stress_weight : float
        :math:`w_E, w_F, w_S`; the force (stress) term is used only when ``labels`` has forces (stress)
        and its weight is above 0.
    scales : dict
        ``energy`` (:math:`\sigma_E`, eV/atom), ``forces`` (:math:`\sigma_F`, eV/Å), ``stress``.

    Logs ``val_loss``, ``val_energy_mae`` (meV/atom) and, with forces, ``val_force_mae`` (meV/Å).
    """

    def __init__(self, graphs: Sequence[Graph], labels: Labels, train: np.ndarray, val: np.ndarray, *,
                 batch_size: int = 16, energy_weight: float = 1.0, force_weight: float = 1.0,
                 stress_weight: float = 0.0, scales: dict[str, float]) -> None:
        self.graphs = list(graphs)
        self.labels = labels
        self.train = np.asarray(train, dtype=np.int64)
        self.val = np.asarray(val, dtype=np.int64)
        self.batch_size = batch_size
        self.w_e = energy_weight
        self.use_f = labels.forces is not None and force_weight > 0
        self.use_s = labels.stress is not None and stress_weight > 0
        self.w_f = force_weight if self.use_f else 0.0
        self.w_s = stress_weight if self.use_s else 0.0
        self.scales = dict(scales)
        self._val_batches = [self._batch(self.val[k:k + 64]) for k in range(0, len(self.val), 64)]

    def log_keys(self) -> list[str]:
        keys = ["val_loss", "val_energy_mae"]
        return keys + (["val_force_mae"] if self.labels.forces is not None else [])

    def _batch(self, idx: np.ndarray) -> dict[str, Any]:
        lab = self.labels
        b = {"graph": collate([self.graphs[i] for i in idx]), "n": len(idx),
             "energy": torch.as_tensor(lab.energy[idx]), "n_atoms": torch.as_tensor(lab.n_atoms[idx])}
        if lab.forces is not None:
            b["forces"] = torch.as_tensor(np.concatenate([lab.forces[i] for i in idx]))
        if lab.stress is not None:
            b["stress"] = torch.as_tensor(lab.stress[idx])
        return b

    def batches(self, generator: torch.Generator) -> Iterator[dict[str, Any]]:
        from physnn.train.batching import index_batches

        # under DDP each rank takes its share of every global batch of structures (the force term's mean
        # over atoms then weights the shards by their atom counts: close to, not exactly, one process)
        for idx in index_batches(len(self.train), self.batch_size, generator, rank=self.rank, world=self.world):
            yield self._batch(self.train[idx.numpy()])

    def batch_size_of(self, batch: Any) -> int:
        return int(batch["n"])

    def _terms(self, model: nn.Module, batch: dict[str, Any], *, training: bool) -> dict[str, torch.Tensor]:
        # training: only the terms of the loss (differentiable); evaluation: every force the file has
        forces = self.use_f if training else self.labels.forces is not None
        out = model(batch["graph"], forces=forces, stress=self.use_s,
                    create_graph=training and (self.use_f or self.use_s))
        dtype = out["energy"].dtype
        de = (out["energy"] - batch["energy"].to(dtype)) / batch["n_atoms"].to(dtype)
        terms = {"de": de}
        if "forces" in out:
            terms["df"] = out["forces"] - batch["forces"].to(out["forces"].dtype)
        if self.use_s:
            terms["ds"] = out["stress"] - batch["stress"].to(out["stress"].dtype)
        return terms

    def _loss(self, t: dict[str, torch.Tensor]) -> torch.Tensor:
        loss = self.w_e * (t["de"] ** 2).mean() / self.scales["energy"] ** 2
        if self.use_f:
            loss = loss + self.w_f * (t["df"] ** 2).mean() / self.scales["forces"] ** 2
        if self.use_s:
            loss = loss + self.w_s * (t["ds"] ** 2).mean() / self.scales["stress"] ** 2
        return loss

    def loss(self, model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return self._loss(self._terms(model, batch, training=True))

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        model.eval()
        de, df, loss, n = [], [], 0.0, 0
        for b in self._val_batches:
            t = self._terms(model, b, training=False)
            loss += float(self._loss(t).detach()) * b["n"]
            n += b["n"]
            de.append(t["de"].detach().abs())
            if "df" in t:
                df.append(t["df"].detach().abs().reshape(-1))
        logs = {"val_loss": loss / max(n, 1), "val_energy_mae": 1000.0 * float(torch.cat(de).mean())}
        if df:
            logs["val_force_mae"] = 1000.0 * float(torch.cat(df).mean())
        model.train()
        return logs


# ---------------------------------------------------------------- baselines

def baseline_features(atoms: Sequence[Any], species: Sequence[str]) -> np.ndarray:
    r"""Composition and volume of each structure: :math:`x_s`, :math:`x_s x_t` (s < t), :math:`v`, :math:`v^2`,
    :math:`v x_s` with :math:`v` the volume per atom (Å³; 0 for a structure without a 3-D cell)."""
    index = {s: k for k, s in enumerate(species)}
    x = np.zeros((len(atoms), len(species)))
    v = np.zeros(len(atoms))
    for n, a in enumerate(atoms):
        for s in a.get_chemical_symbols():
            x[n, index[s]] += 1.0
        x[n] /= len(a)
        v[n] = abs(float(np.linalg.det(np.asarray(a.cell)))) / len(a) if np.all(a.pbc) else 0.0
    pairs = [x[:, i] * x[:, j] for i, j in combinations(range(len(species)), 2)]
    cols = [x] + ([np.stack(pairs, axis=1)] if pairs else []) + [v[:, None], v[:, None] ** 2, v[:, None] * x]
    return np.concatenate(cols, axis=1)


def ridge_on_validation(x_tr: np.ndarray, y_tr: np.ndarray, x_va: np.ndarray, y_va: np.ndarray,
                        alphas: Sequence[float] = tuple(np.logspace(-8, 2, 21)), *,
                        penalty: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    r"""Ridge regression :math:`y \approx x\cdot w + b` with :math:`\alpha` chosen on validation data.

    :math:`w = (X_c^\top X_c + \alpha n P)^{-1} X_c^\top y_c` on the training data centred
    (:math:`b` not penalised; :math:`P` = ``penalty``, symmetric positive definite (d, d), default
    :math:`I`), for each ``alphas`` in turn; the one with the least validation MAE is kept.  With
    :math:`P = LL^\top` it is solved as a plain ridge in :math:`c = L^\top w`.  A kernel term
    :math:`\sum_m a_m k(x, s_m)` takes :math:`P = K_{MM}`, its RKHS norm (the sparse-GP / GAP
    prior).  Returns ``(w, {"intercept": b, "alpha", "val_mae", "train_mae"})``.

        >>> x = np.arange(20.0).reshape(10, 2); w, info = ridge_on_validation(x, x @ [1.0, 2.0], x, x @ [1.0, 2.0])
        >>> round(info["val_mae"], 6)
        0.0
    """
    x_tr, y_tr = np.asarray(x_tr, dtype=np.float64), np.asarray(y_tr, dtype=np.float64)
    x_va, y_va = np.asarray(x_va, dtype=np.float64), np.asarray(y_va, dtype=np.float64)
    mx, my = x_tr.mean(0), float(y_tr.mean())
    a = x_tr - mx
    back = None
    if penalty is not None:
        penalty = np.asarray(penalty, dtype=np.float64)
        if penalty.shape != (a.shape[1], a.shape[1]):
            raise PhysnnError(f"ridge_on_validation: penalty has shape {penalty.shape}; give a square matrix "
                              f"of the {a.shape[1]} features.")
        try:
            chol = np.linalg.cholesky(penalty)
        except np.linalg.LinAlgError:
            raise PhysnnError("ridge_on_validation: penalty is not positive definite; add a small multiple of "
                              "the identity to it.") from None
        back = np.linalg.inv(chol).T  # w = back @ c
        a = a @ back
    u, sv, vt = np.linalg.svd(a, full_matrices=False)
    uty = u.T @ (y_tr - my)
    best = None
    for alpha in alphas:
        w = vt.T @ (sv / (sv ** 2 + float(alpha) * len(y_tr)) * uty)
        if back is not None:
            w = back @ w
        b = my - float(mx @ w)
        err = float(np.mean(np.abs(x_va @ w + b - y_va))) if len(y_va) else 0.0
        if best is None or err < best[0]:
            best = (err, float(alpha), w, b)
    err, alpha, w, b = best
    return w, {"intercept": b, "alpha": alpha, "val_mae": err,
               "train_mae": float(np.mean(np.abs(x_tr @ w + b - y_tr)))}


def _ridge_baseline(f_tr, y_tr, f_te):
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-6, 3, 19)))
    return model.fit(f_tr, y_tr).predict(f_te)


def _kernel_ridge_baseline(f_tr, y_tr, f_va, y_va, f_te):
    """RBF kernel ridge; ``alpha`` and ``gamma`` chosen on the validation structures; returns (pred, choice)."""
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.preprocessing import StandardScaler

    sc = StandardScaler().fit(f_tr)
    a_tr, a_va, a_te = sc.transform(f_tr), sc.transform(f_va), sc.transform(f_te)
    d = a_tr.shape[1]
    mu = y_tr.mean()
    best = None
    for gamma in np.array([0.03, 0.1, 0.3, 1.0, 3.0]) / d:
        for alpha in np.logspace(-8, -1, 8):
            m = KernelRidge(kernel="rbf", gamma=gamma, alpha=alpha).fit(a_tr, y_tr - mu)
            err = float(np.mean(np.abs(m.predict(a_va) + mu - y_va)))
            if best is None or err < best[0]:
                best = (err, gamma, alpha)
    _, gamma, alpha = best
    a_all = np.concatenate([a_tr, a_va])
    y_all = np.concatenate([y_tr, y_va])
    mu = y_all.mean()
    m = KernelRidge(kernel="rbf", gamma=gamma, alpha=alpha).fit(a_all, y_all - mu)
    return m.predict(a_te) + mu, {"gamma": float(gamma), "alpha": float(alpha)}


def soap_average(atoms: Sequence[Any], species: Sequence[str]) -> np.ndarray:
    """SOAP power spectrum averaged over the atoms of each structure (dscribe; r_cut 5 Å, n_max 4, l_max 4)."""
    from physnn.materials.features import soap

    periodic = all(bool(np.all(a.pbc)) for a in atoms)
    return soap(atoms, species, average="outer", periodic=periodic,
                compression="crossover" if len(species) > 3 else "off")


# ---------------------------------------------------------------- training

@dataclass
class PotentialResult:
    """What :func:`train_potential` measured; errors on the held-out test structures."""

    model: AtomicPotential
    history: Any
    n_total: int
    split: dict[str, list[int]]
    metrics: dict[str, Any]
    predictions: dict[str, np.ndarray]  # name -> test energy per atom (eV/atom)
    y_test: np.ndarray  # test energy per atom (eV/atom)
    has_forces: bool
    settings: dict[str, Any] = field(default_factory=dict)
    test_forces: tuple[np.ndarray, np.ndarray] | None = None  # (reference, predicted), (n_atoms_test, 3) eV/Å

    def table(self) -> str:
        """The model and the baselines side by side: test MAE of E/atom (meV/atom) and of forces (meV/Å)."""
        t = self.metrics["test"]
        e, f = t["energy_mae_meV_per_atom"], t.get("force_mae_meV_per_A", {})
        lines = [f"held-out test structures: {self.metrics['n_test']} (train {self.metrics['n_train']}, "
                 f"validation {self.metrics['n_val']}); energy per atom std "
                 f"{self.metrics['energy_per_atom_std_meV']:.3g} meV/atom",
                 f"  {'model':<28s} {'E MAE [meV/atom]':>17s} {'F MAE [meV/Å]':>14s}"]
        for name in e:
            fv = f.get(name)
            lines.append(f"  {name:<28s} {e[name]:17.3f} {'-' if fv is None else f'{fv:.1f}':>14s}")
        if "zero forces" in f:
            lines.append(f"  {'(forces all zero)':<28s} {'-':>17s} {f['zero forces']:14.1f}")
        return "\n".join(lines)


def _split(n: int, test: float, val: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from physnn.materials.train import split_indices

    return split_indices(n, test=test, val=val, seed=seed)


def train_potential(
    data: Any,
    *,
    test: float = 0.2,
    val: float = 0.1,
    hidden: Sequence[int] | None = None,
    epochs: int = 400,
    lr: float | None = None,
    batch_size: int = 16,
    patience: int = 60,
    weight_decay: float = 0.0,
    energy_weight: float = 1.0,
    force_weight: float = 1.0,
    stress_weight: float = 0.0,
    descriptor: dict[str, Any] | None = None,
    seed: int = 0,
    linear: bool | None = None,
    n_sparse: int | None = None,
    ensemble: int | None = None,
    baselines: bool = True,
    progress: bool | None = None,
) -> PotentialResult:
    """Train an :class:`AtomicPotential` on a :class:`~physnn.materials.structures.StructureSet` and measure it.

    Parameters
    ----------
    data : StructureSet
        Structures with total energies (eV) and, optionally, forces and stress
        (:func:`~physnn.materials.structures.read_structures`).
    test, val : float
        Held-out fractions (seeded split of the structures).
    hidden, epochs, lr, batch_size, patience : network and training (Adam, learning rate halved on a
        validation plateau, early stopping on ``val_loss`` with the best weights restored).
    energy_weight, force_weight, stress_weight : float
        :math:`w_E, w_F, w_S` of :class:`EnergyForceObjective`.
        ``hidden`` and ``lr`` default to (64, 64) and 3e-3 with a force term, (32, 32) and 1e-3 on
        energies only (chosen on the validation split of ``benchmarks/materials_own_data.py``).
    weight_decay : float
        Adam's L2 penalty on the network's weights.
    descriptor : dict, optional
        :class:`~physnn.materials.descriptors.LocalDescriptor` options; default ``r_cut`` 6 Å,
        16 radial and 4 angular Gaussians, angular terms within ``r_cut_angular`` 4.5 Å, ``r_min``
        from the closest pair in the data.
    seed : int
        Seed of the split, the initial weights and the batch order.
    linear : bool, optional
        Fit the fixed linear (and sparse-kernel) term by ridge regression first; the network learns the rest.
        Default: only without a force term.
    n_sparse : int, optional
        Sparse points of the kernel term (training atoms drawn at random; 0: none); default 0 with a
        force term, 2000 on energies only.  Its coefficients are penalised by the kernel's norm
        :math:`a^\top K_{MM} a` (:func:`ridge_on_validation` with ``penalty``; on our EMT alloys
        validation 2.75 -> 2.10 meV/atom against :math:`|a|^2`; 3000 points: also 2.10).
    ensemble : int, optional
        Networks trained independently (initial-weight seeds ``seed + 1000 k``) and averaged (default 1;
        each costs one training; on our EMT alloys, energies only, 4 of them with 1000 sparse points
        did no better on validation than one with 2000).
    baselines : bool
        Also fit the three baselines (``False``: only the network).

    Returns
    -------
    PotentialResult
    """
    from physnn.train import EarlyStopping, ProgressBar, fit

    owner = "materials train"
    if data.energy is None:
        raise PhysnnError(f"{owner}: the structures have no energies; training needs them.")
    n = len(data)
    if n < 10:
        raise PhysnnError(f"{owner}: {str(data.path)!r} holds {n} structures; training needs at least 10 "
                          "(train, validation and test sets are drawn from them).")
    epochs = check_int("epochs", epochs, low=1, owner=owner)
    batch_size = check_int("batch_size", batch_size, low=1, owner=owner)
    patience = check_int("patience", patience, low=1, owner=owner)
    # energies only (no force term): 700 numbers to learn from instead of ~10^5, hence a smaller, slower-learning
    # network and the sparse-kernel term (chosen on the validation split of our EMT alloys)
    with_forces = data.has_forces and force_weight > 0
    hidden = ((64, 64) if with_forces else (32, 32)) if hidden is None else hidden
    lr = (3e-3 if with_forces else 1e-3) if lr is None else lr
    ensemble = 1 if ensemble is None else ensemble
    n_sparse = (0 if with_forces else 2000) if n_sparse is None else n_sparse
    # with forces the fixed terms' forces (fitted to energies only) are poor, and the network, scaled to the
    # small energy residual, learns slowly to undo them (own EMT alloys: 2.6 meV/atom, 85 meV/Å against 0.7, 21)
    linear = (not with_forces) if linear is None else bool(linear)
    ensemble = check_int("ensemble", ensemble, low=1, high=64, owner=owner)
    n_sparse = check_int("n_sparse", n_sparse, low=0, high=100_000, owner=owner)
    lr = check_range("lr", lr, low=0, high=1, low_inclusive=False, owner=owner)
    for name, w in (("energy_weight", energy_weight), ("force_weight", force_weight),
                    ("stress_weight", stress_weight)):
        check_range(name, w, low=0, owner=owner)
    if energy_weight == 0 and (force_weight == 0 or not data.has_forces):
        raise PhysnnError(f"{owner}: energy_weight is 0 and there is no force term; give energy_weight > 0.")
    species = data.species
    tr, va, te = _split(n, test, val, seed)
    n_atoms = data.n_atoms
    e_pa = data.energy / n_atoms

    opts = {"r_cut": 6.0, "n_radial": 16, "n_angular": 4}
    opts.update(descriptor or {})
    opts.setdefault("r_cut_angular", min(4.5, float(opts["r_cut"])))
    t0 = time.process_time()
    if "r_min" not in opts:
        # the first Gaussian where the closest pairs of the training structures are
        from physnn.materials.descriptors import neighbour_pairs

        closest = []
        for i in tr[: min(len(tr), 50)]:
            a = data.atoms[i]
            p, q, s = neighbour_pairs(a, float(opts["r_cut"]))
            if len(p):
                vec = a.positions[q] + s @ np.asarray(a.cell) - a.positions[p]
                closest.append(float(np.linalg.norm(vec, axis=1).min()))
        r_min = round(max(0.5, min(closest) - 0.3), 2) if closest else 1.5
        opts["r_min"] = min(r_min, 0.5 * float(opts["r_cut_angular"]))

    n_sparse = min(n_sparse, int(n_atoms[tr].sum()))  # sparse points are training atoms
    torch.manual_seed(seed)
    model = AtomicPotential(species, hidden, descriptor=opts, seed=seed, linear=linear,
                            n_sparse=n_sparse if linear else 0, ensemble=ensemble)
    graphs = [model.cache_descriptors(model.graph(a)) for a in data.atoms]
    t_graphs = time.process_time() - t0

    # element references: least squares of the training totals on the element counts
    counts = np.zeros((n, len(species)))
    index = {s: k for k, s in enumerate(species)}
    for k, a in enumerate(data.atoms):
        for s in a.get_chemical_symbols():
            counts[k, index[s]] += 1
    e_ref, *_ = np.linalg.lstsq(counts[tr], data.energy[tr], rcond=None)
    resid = (data.energy - counts @ e_ref) / n_atoms
    x_tr = torch.cat([graphs[i].cache[0] for i in tr])
    model.set_scaling(x_tr, e_ref, max(float(np.std(resid[tr])), 1e-6))
    del x_tr
    linear_fit: dict[str, Any] = {}
    if linear:
        # per-structure means of the standardised descriptors: E/N is linear in them for a linear atomic term
        mean_x = np.stack([((g.cache[0].double() - model.x_mean.double()) / model.x_std.double()).mean(0).numpy()
                           for g in graphs])
        w_lin, linear_fit = ridge_on_validation(mean_x[tr], resid[tr], mean_x[va], resid[va])
        feats = mean_x
        if model.n_sparse:
            # sparse points: training atoms drawn at random; gamma (in units of 1/d) and the ridge's alpha
            # chosen on the validation structures
            rng = np.random.default_rng(seed)
            atoms_tr = np.concatenate([np.full(graphs[i].n_atoms, i) for i in tr])
            rows = np.concatenate([np.arange(graphs[i].n_atoms) for i in tr])
            pick = rng.choice(len(rows), size=model.n_sparse, replace=False)
            with torch.no_grad():
                xs_all = [(g.cache[0].double() - model.x_mean.double()) / model.x_std.double() for g in graphs]
                model.sparse.copy_(torch.stack([xs_all[atoms_tr[p]][rows[p]] for p in pick]))
                best = None
                d_lin = mean_x.shape[1]
                for g in (0.1, 0.3, 1.0):
                    model.gamma.fill_(g / model.descriptor.n_features)
                    phi = torch.stack([model.kernel(x).mean(0) for x in xs_all]).numpy()
                    f = np.concatenate([mean_x, phi], axis=1)
                    # the sparse GP's prior: the kernel term penalised by its RKHS norm a^T K_MM a (not |a|^2,
                    # which favours rough functions of 2000 correlated columns), the linear term by |w|^2
                    penalty = np.eye(d_lin + model.n_sparse)
                    penalty[d_lin:, d_lin:] = model.kernel(model.sparse).numpy() + 1e-6 * np.eye(model.n_sparse)
                    w, fit_info = ridge_on_validation(f[tr], resid[tr], f[va], resid[va],
                                                      alphas=tuple(np.logspace(-16, -2, 29)), penalty=penalty)
                    if best is None or fit_info["val_mae"] < best[2]["val_mae"]:
                        best = (g, w, fit_info, f)
                g, w, fit_info, feats = best
                model.gamma.fill_(g / model.descriptor.n_features)
                model.a_sparse.copy_(torch.as_tensor(w[mean_x.shape[1]:]))
            w_lin, linear_fit = w[: mean_x.shape[1]], {**fit_info, "gamma_times_d": g, "n_sparse": model.n_sparse,
                                                       "linear_only": linear_fit}
            del xs_all
        model.w_lin.copy_(torch.as_tensor(w_lin, dtype=torch.float64))
        model.e_ref.add_(linear_fit["intercept"])  # a constant per atom: part of every element's reference
        resid = resid - feats @ np.concatenate([w_lin, model.a_sparse.numpy()] if model.n_sparse else [w_lin]) \
            - linear_fit["intercept"]
    e_scale = max(float(np.std(resid[tr])), 1e-6)
    model.e_scale.fill_(e_scale)
    if model.linear or model.n_sparse:
        for g in graphs:
            model.cache_fixed(g)

    f_scale = 1.0
    if data.has_forces:
        f_all = np.concatenate([data.forces[i] for i in tr])
        f_scale = max(float(np.sqrt(np.mean(f_all ** 2))), 1e-6)
    s_scale = max(float(np.std(data.stress[tr])), 1e-9) if data.has_stress else 1.0
    labels = Labels(energy=data.energy, forces=data.forces, stress=data.stress, n_atoms=n_atoms)
    objective = EnergyForceObjective(graphs, labels, tr, va, batch_size=batch_size, energy_weight=energy_weight,
                                     force_weight=force_weight, stress_weight=stress_weight,
                                     scales={"energy": e_scale, "forces": f_scale, "stress": s_scale})
    import sys

    show = sys.stderr.isatty() if progress is None else bool(progress)
    t1 = time.process_time()
    histories = []
    fixed = {k: v for k, v in model.named_buffers() if not k.startswith(("net.", "descriptor."))}
    for k in range(ensemble):
        # members differ in their initial weights and batch order (seed + 1000 k); same split, scaling, linear term
        member = model if ensemble == 1 else AtomicPotential(species, hidden, descriptor=opts, seed=seed + 1000 * k,
                                                             linear=linear, n_sparse=model.n_sparse)
        if member is not model:
            own = dict(member.named_buffers())
            with torch.no_grad():
                for name, buf in fixed.items():
                    own[name].copy_(buf)
        callbacks = [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)]
        if show:
            callbacks.append(ProgressBar(enabled=True, description="per-atom network" + (
                f" {k + 1}/{ensemble}" if ensemble > 1 else "")))
        histories.append(fit(member, objective=objective, optimizer="adam", lr=lr, weight_decay=weight_decay,
                             epochs=epochs, schedule="plateau",
                             schedule_options={"factor": 0.5, "patience": max(patience // 4, 5)},
                             callbacks=callbacks, seed=seed + 1000 * k, threads=1, progress=False))
        if member is not model:
            model.net.members[k].load_state_dict(member.net.state_dict())
    history = histories[0]
    t_train = time.process_time() - t1
    model.eval()

    # the test set: the network, and the baselines on the same split
    pred = model.predict([data.atoms[i] for i in te], forces=data.has_forces, graphs=[graphs[i] for i in te])
    y_te = e_pa[te]
    preds = {NETWORK: pred["energy"] / n_atoms[te]}
    extra: dict[str, Any] = {}
    if baselines:
        preds["predict the mean"] = np.full(len(te), e_pa[tr].mean())
        f_comp = baseline_features(data.atoms, species)
        preds["composition+volume ridge"] = _ridge_baseline(f_comp[tr], e_pa[tr], f_comp[te])
        t2 = time.process_time()
        f_soap = soap_average(data.atoms, species)
        preds["SOAP kernel ridge"], extra["soap_kernel_ridge"] = _kernel_ridge_baseline(
            f_soap[tr], e_pa[tr], f_soap[va], e_pa[va], f_soap[te])
        extra["soap_kernel_ridge"]["cpu_s"] = time.process_time() - t2
    order = [b for b in BASELINES if b in preds] + [NETWORK]
    e_mae = {k: 1000.0 * float(np.mean(np.abs(preds[k] - y_te))) for k in order}
    e_rmse = {k: 1000.0 * float(np.sqrt(np.mean((preds[k] - y_te) ** 2))) for k in order}
    test_m: dict[str, Any] = {"energy_mae_meV_per_atom": e_mae, "energy_rmse_meV_per_atom": e_rmse,
                              "total_energy_mae_eV": float(np.mean(np.abs(pred["energy"] - data.energy[te])))}
    test_forces = None
    if data.has_forces:
        f_true = np.concatenate([data.forces[i] for i in te])
        f_pred = np.concatenate(pred["forces"])
        test_m["force_mae_meV_per_A"] = {"zero forces": 1000.0 * float(np.mean(np.abs(f_true))),
                                         NETWORK: 1000.0 * float(np.mean(np.abs(f_pred - f_true)))}
        test_forces = (f_true, f_pred)
    metrics = {
        "n_total": n, "n_train": len(tr), "n_val": len(va), "n_test": len(te),
        "units": {"energy": "meV/atom", "forces": "meV/Å", "stored": "eV, eV/Å, eV/Å³"},
        "energy_per_atom_std_meV": 1000.0 * float(np.std(e_pa[te])),
        "test": test_m,
        "trained_on": ["energy"] + (["forces"] if objective.use_f else []) + (["stress"] if objective.use_s else []),
        "loss_weights": {"energy": energy_weight, "forces": objective.w_f, "stress": objective.w_s},
        "scales": objective.scales,
        "baseline_settings": extra,
        "linear_term": linear_fit,
        "stop_reason": history.stop_reason.value, "best_epoch": history.best_epoch,
        "epochs_run": history.epochs_run,
        "ensemble": ensemble,
        "members": [{"stop_reason": h.stop_reason.value, "best_epoch": h.best_epoch, "epochs_run": h.epochs_run}
                    for h in histories],
        "cpu_s": {"neighbour_graphs": t_graphs, "training": t_train},
    }
    settings = {"test": test, "val": val, "hidden": list(hidden), "epochs": epochs, "lr": lr,
                "batch_size": batch_size, "patience": patience, "weight_decay": weight_decay,
                "energy_weight": energy_weight,
                "force_weight": force_weight, "stress_weight": stress_weight, "descriptor": opts, "seed": seed,
                "linear": linear, "n_sparse": model.n_sparse, "ensemble": ensemble}
    return PotentialResult(model=model, history=history, n_total=n,
                           split={"train": tr.tolist(), "val": va.tolist(), "test": te.tolist()},
                           metrics=metrics, predictions=preds, y_test=y_te, has_forces=data.has_forces,
                           settings=settings, test_forces=test_forces)
