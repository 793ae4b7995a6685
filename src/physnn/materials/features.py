r"""Representations of an alloy: composition, regular-solution terms and SOAP.

* :func:`composition` — the mole fractions :math:`x_\text{el}` (what Vegard's
  law and every composition-only model sees);
* :func:`regular_solution` — :math:`x_i` and all pair products :math:`x_i x_j`
  (:math:`i<j`): a linear model on these *is* the regular-solution model
  :math:`E_\text{mix} = \sum_{i<j} \Omega_{ij} x_i x_j` (plus linear terms);
* :func:`soap` — the Smooth Overlap of Atomic Positions power spectrum
  (dscribe): a description of each atom's neighbour shells by species.
  ``average="outer"`` averages the per-atom power spectra, which sees how
  species are arranged; ``average="inner"`` averages the density expansion
  first, and on an ideal lattice that sum over centres depends on the
  composition only — identical for every ordering at fixed composition
  (a test shows it); ``average="off"`` keeps one row per atom (for a per-atom
  network, :func:`per_atom`).

    >>> import numpy as np
    >>> composition(np.array([[29, 29, 79, 79]]))
    array([[0. , 0. , 0.5, 0. , 0. , 0. , 0.5]])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_array, check_choice, check_int, check_range
from physnn.materials.generate import ELEMENTS

__all__ = ["ATOMIC_NUMBERS", "composition", "regular_solution", "regular_solution_names",
           "make_soap", "soap", "per_atom", "species_of"]

#: atomic numbers of :data:`~physnn.materials.generate.ELEMENTS`, same order
ATOMIC_NUMBERS = (13, 28, 29, 46, 47, 78, 79)


def _numbers(numbers: Any, owner: str) -> np.ndarray:
    z = check_array("numbers", numbers, ndim=2, owner=owner).astype(np.int64)
    bad = sorted(set(np.unique(z).tolist()) - set(ATOMIC_NUMBERS))
    if bad:
        raise PhysnnError(
            f"{owner}: atomic numbers {bad} are not among the alloy elements "
            f"{dict(zip(ELEMENTS, ATOMIC_NUMBERS))}; use structures of these elements only."
        )
    return z


def composition(numbers: Any) -> np.ndarray:
    r"""Mole fractions :math:`x_\text{el} = N_\text{el}/N`, shape (n_structures, 7), columns :data:`ELEMENTS`.

    ``numbers``: atomic numbers, shape (n_structures, n_sites).
    """
    z = _numbers(numbers, "composition")
    return np.stack([(z == k).mean(axis=1) for k in ATOMIC_NUMBERS], axis=1)


def regular_solution_names() -> list[str]:
    """Column names of :func:`regular_solution`: ``x_Al`` … then ``x_Al*x_Ni`` …

        >>> regular_solution_names()[6:8]
        ['x_Au', 'x_Al*x_Ni']
    """
    lin = [f"x_{e}" for e in ELEMENTS]
    return lin + [f"x_{a}*x_{b}" for a, b in combinations(ELEMENTS, 2)]


def regular_solution(numbers: Any) -> np.ndarray:
    r"""Regular-solution features :math:`[x_i]_{i} \,\|\, [x_i x_j]_{i<j}`, shape (n, 7 + 21 = 28).

    Because :math:`\sum_i x_i = 1`, :math:`x_i^2 = x_i - \sum_{j\ne i} x_i x_j`,
    so a linear model on these spans every quadratic function of composition.

        >>> import numpy as np
        >>> f = regular_solution(np.array([[29] * 16 + [79] * 16]))
        >>> f.shape, float(f[0, regular_solution_names().index("x_Cu*x_Au")])
        ((1, 28), 0.25)
    """
    x = composition(numbers)
    pairs = [x[:, i] * x[:, j] for i, j in combinations(range(len(ELEMENTS)), 2)]
    return np.concatenate([x, np.stack(pairs, axis=1)], axis=1)


def species_of(numbers: Any) -> list[str]:
    """The elements present in a data set, in :data:`ELEMENTS` order (SOAP's species list).

        >>> species_of([[79, 29], [29, 29]])
        ['Cu', 'Au']
    """
    z = set(np.unique(_numbers(numbers, "species_of")).tolist())
    return [e for e, k in zip(ELEMENTS, ATOMIC_NUMBERS) if k in z]


def make_soap(species: Sequence[str], *, r_cut: float = 5.0, n_max: int = 4, l_max: int = 4,
              sigma: float = 0.5, average: str = "outer", compression: str = "off", periodic: bool = True):
    r"""A dscribe :class:`~dscribe.descriptors.SOAP` (periodic by default; see :func:`soap`).

    ``species`` are chemical symbols (any element).  Validated, then built once per setting and
    reused (building one costs about as much as describing a structure)."""
    from ase.data import chemical_symbols

    owner = "soap"
    species = tuple(str(s) for s in species)
    if not species:
        raise PhysnnError(f"{owner}: 'species' is empty; list the elements of the structures, e.g. ['Cu', 'Au'].")
    for s in species:
        if s not in chemical_symbols[1:]:
            raise PhysnnError(f"{owner}: 'species' entry {s!r} is not a chemical symbol; use symbols like 'Cu', "
                              "'Au'.")
    return _make_soap(
        species,
        check_range("r_cut", r_cut, low=1.0, high=12.0, owner=owner),
        check_int("n_max", n_max, low=1, high=12, owner=owner),
        check_int("l_max", l_max, low=0, high=9, owner=owner),
        check_range("sigma", sigma, low=0.05, high=2.0, owner=owner),
        check_choice("average", average, ["outer", "inner", "off"], owner=owner),
        check_choice("compression", compression, ["off", "crossover", "mu1nu1"], owner=owner),
        bool(periodic),
    )


@functools.lru_cache(maxsize=32)
def _make_soap(species: tuple[str, ...], r_cut: float, n_max: int, l_max: int, sigma: float, average: str,
               compression: str, periodic: bool = True):
    from dscribe.descriptors import SOAP

    return SOAP(species=list(species), periodic=periodic, r_cut=r_cut, n_max=n_max, l_max=l_max, sigma=sigma,
                average=average, compression={"mode": compression})


def soap(structures: Sequence[Any], species: Sequence[str], *, r_cut: float = 5.0, n_max: int = 4,
         l_max: int = 4, sigma: float = 0.5, average: str = "outer", compression: str = "off",
         n_jobs: int = 1, periodic: bool = True) -> np.ndarray:
    r"""SOAP power spectra of ``structures`` (a list of :class:`ase.Atoms`), via dscribe.

    Each atom's neighbour density of species *Z* within ``r_cut`` (Å), smeared
    by Gaussians of width ``sigma``, is expanded in ``n_max`` radial functions
    and spherical harmonics up to ``l_max``: :math:`c^Z_{nlm}`.  The rotation-
    invariant power spectrum is
    :math:`p^{ZZ'}_{nn'l} = \pi\sqrt{8/(2l+1)} \sum_m c^Z_{nlm} c^{Z'}_{n'lm}`.

    Returns shape (n_structures, d) for ``average="outer"`` (mean of the per-atom
    :math:`p`) or ``"inner"`` (:math:`p` of the mean :math:`c`), and
    (n_structures, n_atoms, d) for ``"off"`` (all structures must have the same
    number of atoms).  ~1 ms per 32-atom structure here.

        >>> from physnn.materials.generate import fcc_alloy
        >>> soap([fcc_alloy(["Cu", "Au"] * 16)], ["Cu", "Au"]).shape
        (1, 180)
    """
    desc = make_soap(species, r_cut=r_cut, n_max=n_max, l_max=l_max, sigma=sigma,
                     average=average, compression=compression, periodic=periodic)
    structures = list(structures)
    if not structures:
        raise PhysnnError("soap: no structures given.")
    allowed = set(species)
    for i, at in enumerate(structures):
        extra = set(at.get_chemical_symbols()) - allowed
        if extra:
            raise PhysnnError(
                f"soap: structure {i} contains {sorted(extra)} but 'species' is {list(species)}; "
                "list every element that occurs in the data."
            )
    if average == "off" and len({len(a) for a in structures}) > 1:
        raise PhysnnError("soap: average='off' stacks atoms, so every structure must have the same number of atoms.")
    out = desc.create(structures, n_jobs=check_int("n_jobs", n_jobs, low=1, owner="soap"))
    out = np.asarray(out, dtype=np.float64)
    if len(structures) == 1:
        out = out[None]
    return out


def per_atom(structures: Sequence[Any], species: Sequence[str], **soap_options: Any) -> np.ndarray:
    """Per-atom inputs of a per-atom network: SOAP (``average="off"``) ‖ one-hot of the atom's species.

    Shape (n_structures, n_atoms, d_soap + len(species)).  The one-hot makes the
    central atom's own element explicit (a Behler–Parrinello network uses one
    network per element; a shared network with this one-hot is the same idea).

        >>> from physnn.materials.generate import fcc_alloy
        >>> per_atom([fcc_alloy(["Cu", "Au"] * 16)], ["Cu", "Au"]).shape
        (1, 32, 182)
    """
    soap_options = dict(soap_options)
    soap_options["average"] = "off"
    p = soap(structures, species, **soap_options)
    index = {s: i for i, s in enumerate(species)}
    onehot = np.zeros(p.shape[:2] + (len(species),))
    for n, at in enumerate(structures):
        for i, s in enumerate(at.get_chemical_symbols()):
            onehot[n, i, index[s]] = 1.0
    return np.concatenate([p, onehot], axis=2)
