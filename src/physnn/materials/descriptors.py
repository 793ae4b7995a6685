r"""Local atomic environments in torch: neighbour pairs and a SOAP-like descriptor with derivatives.

A per-atom potential needs, for each atom *i*, a description :math:`d_i` of its
neighbours within :math:`r_c` that is invariant to rotations, translations and
the order of atoms — and, to be trained on forces, the derivative of
:math:`d_i` with respect to every position.  Computing the descriptor in torch
from the pair vectors :math:`\mathbf r_{ij}` gives that derivative by autograd
(so :math:`\mathbf F = -\partial E/\partial \mathbf r` and the stress are exact
derivatives of the predicted energy, and the force loss is differentiated once
more in training).

:func:`neighbour_pairs` lists every pair :math:`(i, j, \mathbf S)` with
:math:`|\mathbf r_j + \mathbf S\cdot\mathrm{cell} - \mathbf r_i| < r_c` (periodic
images included).  :class:`LocalDescriptor` maps them to, per atom and per
neighbour species :math:`s` (a Gaussian radial basis :math:`g_k`, times the
cosine cutoff :math:`f_c`):

* radial terms :math:`R_{s k} = \sum_{j \in s} g_k(r_{ij})` — the species-resolved
  radial density (Behler–Parrinello's :math:`G^2`, and what EMT's densities are
  built from);
* angular terms, the :math:`l = 1, 2` power spectrum of the neighbour density:
  with :math:`\mathbf m^{(1)}_{sk} = \sum_{j\in s} g_k(r_{ij})\,\hat{\mathbf r}_{ij}`
  and :math:`\mathbf M^{(2)}_{sk} = \sum_{j\in s} g_k(r_{ij})(\hat{\mathbf r}_{ij}
  \hat{\mathbf r}_{ij}^\top - \tfrac13 I)`, the invariants
  :math:`\mathbf m^{(1)}_{sk}\cdot \mathbf m^{(1)}_{s'k}` and
  :math:`\mathbf M^{(2)}_{sk} : \mathbf M^{(2)}_{s'k}` for :math:`s \le s'` — SOAP's
  :math:`p^{ss'}_{kkl}` (up to constants) written with Cartesian tensors;
* the one-hot of the atom's own species.

    >>> from ase.build import bulk
    >>> d = LocalDescriptor(["Cu", "Au"], r_cut=4.0, n_radial=6, n_angular=2)
    >>> g = neighbour_graph(bulk("Cu", "fcc", a=3.6, cubic=True), 4.0, d.species)
    >>> d.n_features, tuple(d(*g.descriptor_inputs()).shape)
    (26, (4, 26))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_int, check_range

__all__ = ["LocalDescriptor", "Graph", "neighbour_pairs", "neighbour_graph", "collate"]

#: structures above this many atoms use ASE's neighbour list (linear in N) instead of all-pairs NumPy
_DENSE_MAX_ATOMS = 400


def _pairs_dense(positions: np.ndarray, cell: np.ndarray, pbc: np.ndarray, r_cut: float):
    """All pairs within ``r_cut`` over the periodic images that can hold one (NumPy, O(N² · images))."""
    n = len(positions)
    wrap = np.zeros((n, 3))
    if np.any(pbc):
        inv = np.linalg.inv(cell) if abs(np.linalg.det(cell)) > 1e-12 else None
        if inv is None:
            raise PhysnnError("neighbour_pairs: a periodic structure has a cell of zero volume; give its cell "
                              "or set pbc=False.")
        # wrap the atoms into the cell along periodic axes (a rattled atom may lie outside): then
        # fractional differences are within (-1, 1) and ceil(r_cut / plane spacing) images suffice
        wrap = np.where(pbc, np.floor(positions @ inv), 0.0)
        positions = positions - wrap @ cell
        heights = 1.0 / np.linalg.norm(inv.T, axis=1)  # spacing of the lattice planes
        reps = [int(math.ceil(r_cut / h)) if p else 0 for h, p in zip(heights, pbc)]
    else:
        reps = [0, 0, 0]
    ranges = [np.arange(-r, r + 1) for r in reps]
    shifts = np.stack(np.meshgrid(*ranges, indexing="ij"), axis=-1).reshape(-1, 3)
    offsets = shifts @ cell  # (S, 3)
    d = positions[None, :, None, :] + offsets[None, None, :, :] - positions[:, None, None, :]  # (i, j, S, 3)
    r2 = np.einsum("ijsk,ijsk->ijs", d, d)
    mask = r2 < r_cut * r_cut
    zero = np.flatnonzero(np.all(shifts == 0, axis=1))[0]
    mask[np.arange(n), np.arange(n), zero] = False
    i, j, s = np.nonzero(mask)
    # shifts for the positions as given: r_j + S cell - r_i with r = wrapped + wrap·cell
    return i, j, (shifts[s] - wrap[j] + wrap[i]).astype(np.float64)


def neighbour_pairs(atoms: Any, r_cut: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j, S)`` of ``atoms`` closer than ``r_cut`` (Å), periodic images included.

    ``S`` (P, 3) are the integer cell shifts: the neighbour sits at ``positions[j] + S @ cell``.
    Both orders of a pair are listed; an atom is never its own neighbour in the same image.
    """
    pos = np.asarray(atoms.positions, dtype=np.float64)
    cell = np.asarray(atoms.cell, dtype=np.float64)
    pbc = np.asarray(atoms.pbc, dtype=bool)
    if len(atoms) <= _DENSE_MAX_ATOMS:
        return _pairs_dense(pos, cell, pbc, r_cut)
    from ase.neighborlist import neighbor_list

    i, j, s = neighbor_list("ijS", atoms, r_cut)
    return i, j, s.astype(np.float64)


@dataclass
class Graph:
    """Atoms and neighbour pairs of one structure, or of a batch of them (:func:`collate`).

    Attributes
    ----------
    species : (A,) int64 — index of each atom's element in the descriptor's species list.
    centre, neighbour : (P,) int64 — the atoms of each pair.
    vectors : (P, 3) float64 — ``r_j + S·cell - r_i`` (Å).
    structure : (A,) int64 — the structure each atom belongs to (0 for one structure).
    volume : (B,) float64 — cell volume per structure (0 when the cell is not 3-D).
    """

    species: np.ndarray
    centre: np.ndarray
    neighbour: np.ndarray
    vectors: np.ndarray
    structure: np.ndarray
    volume: np.ndarray
    #: optional precomputed descriptor parts ``(x, m1, m2)`` (fixed geometry: computed once for training)
    cache: tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None] | None = None
    #: optional precomputed :meth:`LocalDescriptor.pair_basis` of the pairs
    basis: dict[str, torch.Tensor] | None = None
    #: optional precomputed per-atom energy (A,) of a model's fixed (not trained) terms
    fixed: torch.Tensor | None = None

    @property
    def n_atoms(self) -> int:
        return len(self.species)

    @property
    def n_structures(self) -> int:
        return len(self.volume)

    def descriptor_inputs(self, dtype: torch.dtype = torch.float32,
                          vectors: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """``(vectors, centre, neighbour_species, species)`` as tensors, the inputs of :class:`LocalDescriptor`."""
        v = torch.as_tensor(self.vectors, dtype=dtype) if vectors is None else vectors
        sp = torch.as_tensor(self.species)
        centre = torch.as_tensor(self.centre)
        return v, centre, sp[torch.as_tensor(self.neighbour)], sp


def neighbour_graph(atoms: Any, r_cut: float, species: Sequence[str]) -> Graph:
    """The :class:`Graph` of one structure for a descriptor of ``species`` and cutoff ``r_cut``."""
    index = {s: k for k, s in enumerate(species)}
    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(index))
    if unknown:
        raise PhysnnError(f"neighbour_graph: the structure contains {unknown}, which the model was not trained "
                          f"on (it knows {list(species)}); predict only structures of these elements.")
    i, j, s = neighbour_pairs(atoms, r_cut)
    cell = np.asarray(atoms.cell, dtype=np.float64)
    pos = np.asarray(atoms.positions, dtype=np.float64)
    vec = pos[j] + s @ cell - pos[i]
    vol = abs(float(np.linalg.det(cell))) if np.all(atoms.pbc) else 0.0
    return Graph(species=np.array([index[x] for x in symbols], dtype=np.int64), centre=i.astype(np.int64),
                 neighbour=j.astype(np.int64), vectors=vec, structure=np.zeros(len(atoms), dtype=np.int64),
                 volume=np.array([vol]))


def collate(graphs: Sequence[Graph]) -> Graph:
    """One :class:`Graph` of several structures (atom indices offset, ``structure`` numbered 0..B-1)."""
    offsets = np.cumsum([0] + [g.n_atoms for g in graphs[:-1]])
    return Graph(
        species=np.concatenate([g.species for g in graphs]),
        centre=np.concatenate([g.centre + o for g, o in zip(graphs, offsets)]),
        neighbour=np.concatenate([g.neighbour + o for g, o in zip(graphs, offsets)]),
        vectors=np.concatenate([g.vectors for g in graphs]),
        structure=np.concatenate([np.full(g.n_atoms, k, dtype=np.int64) for k, g in enumerate(graphs)]),
        volume=np.concatenate([g.volume for g in graphs]),
        cache=None if any(g.cache is None for g in graphs) else tuple(
            None if graphs[0].cache[k] is None else torch.cat([g.cache[k] for g in graphs])
            for k in range(3)),
        basis=None if any(g.basis is None for g in graphs) else {
            k: torch.cat([g.basis[k] for g in graphs]) for k in graphs[0].basis},
        fixed=None if any(g.fixed is None for g in graphs) else torch.cat([g.fixed for g in graphs]),
    )


class LocalDescriptor(nn.Module):
    r"""Per-atom radial and angular (:math:`l = 1, 2`) species-resolved invariants (see module docs).

    Parameters
    ----------
    species : sequence of str
        The elements, in the order of the species indices of a :class:`Graph`.
    r_cut : float
        Cutoff radius (Å); the cosine cutoff makes every term go smoothly to zero there.
    n_radial : int
        Gaussians of the radial terms, centred evenly on ``[r_min, r_cut]``.
    n_angular : int
        Gaussians of the angular terms (0: radial terms only).
    r_min : float
        Centre of the first Gaussian (Å); closer neighbours still count (its tail).
    r_cut_angular : float, optional
        Cutoff of the angular terms (default ``r_cut``); a shorter one (as ANI's 3.5 Å beside 5.2 Å)
        keeps the many distant pairs out of the costlier angular terms.

    Shape: ``forward(vectors (P, 3), centre (P,), neighbour_species (P,), species (A,))`` -> ``(A, n_features)``.
    """

    def __init__(self, species: Sequence[str], *, r_cut: float = 6.0, n_radial: int = 16, n_angular: int = 4,
                 r_min: float = 1.5, r_cut_angular: float | None = None) -> None:
        super().__init__()
        owner = "LocalDescriptor"
        self.species = [str(s) for s in species]
        if not self.species:
            raise PhysnnError(f"{owner}: 'species' is empty; list the elements of the structures.")
        self.r_cut = check_range("r_cut", r_cut, low=1.0, high=20.0, owner=owner)
        self.r_min = check_range("r_min", r_min, low=0.0, high=self.r_cut, high_inclusive=False, owner=owner)
        self.n_radial = check_int("n_radial", n_radial, low=1, high=64, owner=owner)
        self.n_angular = check_int("n_angular", n_angular, low=0, high=32, owner=owner)
        self.r_cut_angular = self.r_cut if r_cut_angular is None else check_range(
            "r_cut_angular", r_cut_angular, low=self.r_min, high=self.r_cut, low_inclusive=False, owner=owner)
        self.register_buffer("mu", torch.linspace(self.r_min, self.r_cut, self.n_radial, dtype=torch.float64))
        self.width = (self.r_cut - self.r_min) / max(self.n_radial - 1, 1)
        na = max(self.n_angular, 1)
        self.register_buffer("mu_a", torch.linspace(self.r_min, self.r_cut_angular, na, dtype=torch.float64))
        self.width_a = (self.r_cut_angular - self.r_min) / max(na - 1, 1)
        s = len(self.species)
        iu = torch.triu_indices(s, s)
        self.register_buffer("triu", iu[0] * s + iu[1])

    @property
    def n_pairs_species(self) -> int:
        s = len(self.species)
        return s * (s + 1) // 2

    @property
    def n_features(self) -> int:
        s = len(self.species)
        return s * self.n_radial + 2 * self.n_pairs_species * self.n_angular + s

    def config(self) -> dict[str, Any]:
        """What rebuilds this descriptor: ``LocalDescriptor(**config)``."""
        return {"species": list(self.species), "r_cut": self.r_cut, "n_radial": self.n_radial,
                "n_angular": self.n_angular, "r_min": self.r_min, "r_cut_angular": self.r_cut_angular}

    def _basis(self, r: torch.Tensor, mu: torch.Tensor, width: float,
               r_cut: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Gaussians times the cosine cutoff at ``r_cut`` (default the radial one), and their r-derivative."""
        rc = self.r_cut if r_cut is None else r_cut
        inside = (r < rc).to(r.dtype)
        fc = 0.5 * (torch.cos(math.pi * r / rc) + 1.0) * inside
        dfc = -0.5 * math.pi / rc * torch.sin(math.pi * r / rc) * inside
        z = (r[:, None] - mu.to(r.dtype)) / width
        e = torch.exp(-(z ** 2))
        return e * fc[:, None], e * (dfc[:, None] - 2.0 * z / width * fc[:, None])

    def parts(self, vectors: torch.Tensor, centre: torch.Tensor, neighbour_species: torch.Tensor,
              species: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """The descriptors (A, n_features) and the angular moments m1 (A, S, Ka, 3), M2 (A, S, Ka, 9).

        The moments are what :meth:`pair_gradient` needs; differentiable like :meth:`forward`.
        """
        s = len(self.species)
        n_atoms = species.shape[0]
        dtype = vectors.dtype
        r = torch.linalg.vector_norm(vectors, dim=1)
        g, _ = self._basis(r, self.mu, self.width)  # (P, K)
        slot = centre * s + neighbour_species
        radial = torch.zeros(n_atoms * s, self.n_radial, dtype=dtype).index_add(0, slot, g)
        parts = [radial.reshape(n_atoms, s * self.n_radial)]
        m1 = m2 = None
        if self.n_angular:
            ka = self.n_angular
            ang = torch.nonzero(r.detach() < self.r_cut_angular).reshape(-1)  # angular terms: closer pairs only
            ra = r[ang]
            ga, _ = self._basis(ra, self.mu_a, self.width_a, self.r_cut_angular)  # (P_a, Ka)
            u = vectors[ang] / ra[:, None]
            uu = (u[:, :, None] * u[:, None, :]).reshape(-1, 9)
            uu = uu - torch.eye(3, dtype=dtype).reshape(1, 9) / 3.0
            slot_a = slot[ang]
            m1 = torch.zeros(n_atoms * s, ka * 3, dtype=dtype).index_add(
                0, slot_a, (ga[:, :, None] * u[:, None, :]).reshape(-1, ka * 3)).reshape(n_atoms, s, ka, 3)
            m2 = torch.zeros(n_atoms * s, ka * 9, dtype=dtype).index_add(
                0, slot_a, (ga[:, :, None] * uu[:, None, :]).reshape(-1, ka * 9)).reshape(n_atoms, s, ka, 9)
            for m in (m1, m2):
                p = torch.einsum("aski,atki->akst", m, m).reshape(n_atoms, ka, s * s)
                parts.append(p[:, :, self.triu].reshape(n_atoms, -1))
        parts.append(nn.functional.one_hot(species, s).to(dtype))
        return torch.cat(parts, dim=1), m1, m2

    def forward(self, vectors: torch.Tensor, centre: torch.Tensor, neighbour_species: torch.Tensor,
                species: torch.Tensor) -> torch.Tensor:
        return self.parts(vectors, centre, neighbour_species, species)[0]

    def pair_basis(self, vectors: torch.Tensor) -> dict[str, torch.Tensor]:
        """What :meth:`pair_gradient` needs of each pair's geometry (fixed in training: computed once).

        ``u`` (P, 3) the unit vectors; ``dg`` (P, K) the radial basis' derivative; for the angular
        terms, on the pairs within ``r_cut_angular`` only (``ang``, their indices): ``ga_r`` =
        :math:`g_k/r` and ``dga`` = :math:`g_k'` (P_a, Ka).
        """
        with torch.no_grad():
            r = torch.linalg.vector_norm(vectors, dim=1)
            out = {"u": vectors / r[:, None], "dg": self._basis(r, self.mu, self.width)[1]}
            if self.n_angular:
                ang = torch.nonzero(r < self.r_cut_angular).reshape(-1)
                ra = r[ang]
                ga, dga = self._basis(ra, self.mu_a, self.width_a, self.r_cut_angular)
                out.update(ang=ang, ga_r=ga / ra[:, None], dga=dga)
        return out

    def pair_gradient(self, grad: torch.Tensor, vectors: torch.Tensor, centre: torch.Tensor,
                      neighbour_species: torch.Tensor, m1: torch.Tensor | None,
                      m2: torch.Tensor | None, basis: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        r""":math:`\partial E/\partial \mathbf r_p` for every pair, given ``grad`` = :math:`\partial E/\partial d` (A, n_features).

        The chain rule through the descriptor written out, so forces need no second autograd pass
        through the descriptor: the result is linear in ``grad`` and differentiable with respect to
        it (what training on forces backpropagates through); ``vectors``, ``m1``, ``m2`` and
        ``basis`` (:meth:`pair_basis`) are constants (the geometry is fixed).  With
        :math:`\hat{\mathbf r}` the pair's direction and :math:`w = \partial E/\partial(\text{moment})`
        at the pair's centre and species:

        * radial: :math:`\sum_k \partial E/\partial R_{sk}\, g_k'(r)\, \hat{\mathbf r}`;
        * :math:`l = 1`: :math:`\sum_k [(g_k' - g_k/r)(\mathbf w_k\cdot\hat{\mathbf r})\hat{\mathbf r} + (g_k/r)\mathbf w_k]`;
        * :math:`l = 2`: :math:`\sum_k [(g_k' - 2g_k/r)(\hat{\mathbf r}^\top W_k\hat{\mathbf r})\hat{\mathbf r} + (2g_k/r)W_k\hat{\mathbf r}]`.

        Shape (P, 3).
        """
        s = len(self.species)
        n_atoms = grad.shape[0]
        dtype = grad.dtype
        if basis is None:
            basis = self.pair_basis(vectors.to(dtype))
        u = basis["u"].to(dtype)
        slot = centre * s + neighbour_species
        k = self.n_radial
        g_rad = grad[:, : s * k].reshape(n_atoms * s, k)[slot]  # (P, K)
        along = (g_rad * basis["dg"].to(dtype)).sum(1)
        out = along[:, None] * u
        if not self.n_angular:
            return out
        ka, npair = self.n_angular, self.n_pairs_species
        ang = basis["ang"]
        ua, ga_r, dga = u[ang], basis["ga_r"].to(dtype), basis["dga"].to(dtype)
        slot_a = slot[ang]
        off = s * k
        ws = []
        for j, m in enumerate((m1, m2)):
            gq = grad[:, off + j * ka * npair: off + (j + 1) * ka * npair].reshape(n_atoms, ka, npair)
            full = gq.new_zeros(n_atoms, ka, s * s).index_copy(2, self.triu, gq).reshape(n_atoms, ka, s, s)
            full = full + full.transpose(2, 3)  # dE/dm_s = sum_t U_st m_t, U_ss = 2 u_ss
            w = torch.einsum("akst,atkc->askc", full, m.to(dtype))  # (A, S, Ka, C)
            ws.append(w.reshape(n_atoms * s, ka, -1)[slot_a])  # (P_a, Ka, C)
        w1, w2 = ws
        wu1 = (w1 * ua[:, None, :]).sum(2)  # (P_a, Ka)
        wu2 = torch.einsum("pkij,pj->pki", w2.reshape(-1, ka, 3, 3), ua)  # W û, (P_a, Ka, 3)
        uwu2 = (wu2 * ua[:, None, :]).sum(2)  # û W û
        along_a = ((dga - ga_r) * wu1).sum(1) + ((dga - 2.0 * ga_r) * uwu2).sum(1)
        across = (ga_r[:, :, None] * (w1 + 2.0 * wu2)).sum(1)
        return out.index_add(0, ang, along_a[:, None] * ua + across)
