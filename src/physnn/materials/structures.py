r"""The user's own structures: any file ASE reads, with the energies, forces and stress it holds.

:func:`read_structures` reads extended XYZ (``energy=`` on the comment line, a
``forces`` column) or any other format ``ase.io.read(FILE, index=":")``
understands (ASE trajectories, VASP ``OUTCAR``/``vasprun.xml``, CIF, POSCAR, ...).
Labels come from the calculator ASE attaches while reading (a
``SinglePointCalculator``: ``atoms.get_potential_energy()``, ``get_forces()``,
``get_stress()``), else from ``atoms.info["energy"]`` (or ``free_energy``,
``total_energy``) and ``atoms.arrays["forces"]``.  Energies are totals in eV,
forces in eV/Å, stress in eV/Å³ (Voigt order xx, yy, zz, yz, xz, xy), as ASE
keeps them.  The elements are those found in the data.

:func:`write_structures` writes structures (with energies and forces, e.g.
predicted ones) back as extended XYZ, atomically.

    >>> import tempfile, pathlib
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> a = bulk("Cu", "fcc", a=3.6, cubic=True); a.calc = EMT()
    >>> p = write_structures(pathlib.Path(tempfile.mkdtemp()) / "cu.extxyz", [a],
    ...                      energies=[a.get_potential_energy()], forces=[a.get_forces()])
    >>> s = read_structures(p)
    >>> len(s), s.species, s.has_forces, round(float(s.energy[0]), 4)
    (1, ['Cu'], True, -0.0268)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError

__all__ = ["StructureSet", "read_structures", "write_structures", "ENERGY_KEYS"]

#: ``atoms.info`` keys read as the total energy (eV), in this order
ENERGY_KEYS = ("energy", "Energy", "free_energy", "total_energy", "energy_total")

_FORMATS = ("extended XYZ (.extxyz/.xyz with energy= on each comment line and a forces column) or any "
            "format ase.io.read understands (ASE .traj, VASP OUTCAR/vasprun.xml, CIF, POSCAR, ...)")


@dataclass
class StructureSet:
    """Structures and the labels their file holds.

    Attributes
    ----------
    atoms : list of ase.Atoms
        The structures (no calculator attached).
    energy : ndarray or None
        Total energies in eV, shape (n,); None when the file holds none.
    forces : list of ndarray or None
        Forces in eV/Å, one (n_atoms, 3) array per structure; None unless every structure has them.
    stress : ndarray or None
        Stress in eV/Å³, shape (n, 6) (Voigt); None unless every structure has it.
    path : Path or None
        The file read.
    """

    atoms: list[Any]
    energy: np.ndarray | None = None
    forces: list[np.ndarray] | None = None
    stress: np.ndarray | None = None
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.atoms)

    @property
    def species(self) -> list[str]:
        """The elements present, by atomic number."""
        from ase.data import chemical_symbols

        z = sorted({int(k) for a in self.atoms for k in a.numbers})
        return [chemical_symbols[k] for k in z]

    @property
    def n_atoms(self) -> np.ndarray:
        """Atoms per structure, shape (n,)."""
        return np.array([len(a) for a in self.atoms], dtype=np.int64)

    @property
    def has_forces(self) -> bool:
        return self.forces is not None

    @property
    def has_stress(self) -> bool:
        return self.stress is not None

    def subset(self, index: Sequence[int]) -> StructureSet:
        """The structures at ``index`` with their labels."""
        idx = [int(i) for i in index]
        return StructureSet(
            atoms=[self.atoms[i] for i in idx],
            energy=None if self.energy is None else self.energy[idx],
            forces=None if self.forces is None else [self.forces[i] for i in idx],
            stress=None if self.stress is None else self.stress[idx],
            path=self.path,
        )


def _result(atoms: Any, name: str) -> Any:
    calc = getattr(atoms, "calc", None)
    results = getattr(calc, "results", None)
    if isinstance(results, dict) and results.get(name) is not None:
        return results[name]
    return None


def _energy_of(atoms: Any) -> float | None:
    for key in ("energy", "free_energy"):
        v = _result(atoms, key)
        if v is not None:
            return float(np.asarray(v).reshape(-1)[0])
    for key in ENERGY_KEYS:
        v = atoms.info.get(key)
        if v is not None:
            try:
                return float(np.asarray(v, dtype=float).reshape(-1)[0])
            except (TypeError, ValueError):
                return None
    return None


def _forces_of(atoms: Any) -> np.ndarray | None:
    v = _result(atoms, "forces")
    if v is None:
        v = atoms.arrays.get("forces", atoms.arrays.get("force"))
    return None if v is None else np.asarray(v, dtype=np.float64)


def _stress_of(atoms: Any) -> np.ndarray | None:
    v = _result(atoms, "stress")
    if v is None:
        v = atoms.info.get("stress")
    if v is None:
        return None
    s = np.asarray(v, dtype=np.float64)
    if s.shape == (3, 3):
        s = s[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
    return s.reshape(-1) if s.size == 6 else None


def read_structures(path: str | os.PathLike, *, need_energy: bool = True,
                    owner: str = "read_structures") -> StructureSet:
    """Read every structure of a file ASE understands, with its energy, forces and stress.

    Parameters
    ----------
    path : path-like
        Extended XYZ or any file ``ase.io.read(path, index=":")`` reads.
    need_energy : bool
        Require an energy for every structure (training); ``False`` for prediction.
    owner : str
        Who reads, the start of error messages.

    Returns
    -------
    StructureSet

    Raises
    ------
    PhysnnError
        If the file is missing, empty, not readable by ASE (naming what it holds and what was
        expected), holds no structures, non-finite positions or labels, or — with
        ``need_energy`` — a structure without an energy.
    """
    from physnn.errors import FILE_KINDS, check_file, sniff_file

    p = check_file(path, owner=owner, what="structure file")
    kind = sniff_file(p)
    found = FILE_KINDS.get(kind, kind)
    if kind == "empty":
        raise PhysnnError(f"{owner}: structure file {str(p)!r} is empty (0 bytes); expected {_FORMATS}.")
    if kind in ("npz", "parquet", "hdf5", "root", "tiff", "png", "jpeg", "safetensors"):
        hint = (" A .npz from 'physnn materials generate' is read by 'physnn materials train' itself."
                if kind == "npz" else "")
        raise PhysnnError(f"{owner}: structure file {str(p)!r} is not structures ASE reads: it holds {found}; "
                          f"expected {_FORMATS}.{hint}")
    try:
        import ase.io
    except ImportError as exc:  # pragma: no cover - ase is a dependency of the materials extra
        raise PhysnnError(f"{owner}: reading structures needs ASE; install physnn[materials] ({exc}).") from None
    try:
        images = ase.io.read(p, index=":")
    except Exception as exc:  # ASE raises many kinds (UnknownFileTypeError, ValueError, StopIteration, ...)
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        why = why if len(why) < 200 else why[:200] + "..."
        raise PhysnnError(f"{owner}: cannot read {str(p)!r} as structures with ASE ({why}): it holds {found}; "
                          f"expected {_FORMATS}.") from None
    if not isinstance(images, list):
        images = [images]
    if not images:
        raise PhysnnError(f"{owner}: {str(p)!r} holds no structures; expected {_FORMATS}.")
    atoms, energy, forces, stress = [], [], [], []
    for i, a in enumerate(images):
        if len(a) == 0:
            raise PhysnnError(f"{owner}: structure {i} of {str(p)!r} has no atoms; remove it from the file.")
        if not np.all(np.isfinite(a.positions)) or not np.all(np.isfinite(np.asarray(a.cell))):
            raise PhysnnError(f"{owner}: structure {i} of {str(p)!r} has non-finite positions or cell; fix or "
                              "remove it.")
        e, f, s = _energy_of(a), _forces_of(a), _stress_of(a)
        if f is not None and f.shape != (len(a), 3):
            raise PhysnnError(f"{owner}: structure {i} of {str(p)!r} has forces of shape {f.shape}; expected "
                              f"({len(a)}, 3), one row per atom.")
        for name, v in (("energy", e), ("forces", f), ("stress", s)):
            if v is not None and not np.all(np.isfinite(v)):
                raise PhysnnError(f"{owner}: structure {i} of {str(p)!r} has a non-finite {name} (NaN or inf); "
                                  "fix or remove that structure.")
        clean = a.copy()
        clean.calc = None
        atoms.append(clean)
        energy.append(e)
        forces.append(f)
        stress.append(s)
    missing = [i for i, e in enumerate(energy) if e is None]
    if need_energy and missing:
        first = ", ".join(str(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise PhysnnError(
            f"{owner}: {len(missing)} of {len(images)} structures in {str(p)!r} have no energy (structures "
            f"{first}); training needs the total energy of every structure, in eV: extended XYZ with "
            "'energy=...' on each comment line, or a file whose calculator results ASE keeps (e.g. .traj, "
            "OUTCAR).")
    return StructureSet(
        atoms=atoms,
        energy=None if missing else np.asarray(energy, dtype=np.float64),
        forces=forces if all(f is not None for f in forces) else None,
        stress=np.asarray(stress) if all(s is not None for s in stress) else None,
        path=p,
    )


def write_structures(path: str | os.PathLike, atoms: Sequence[Any], *, energies: Sequence[float] | None = None,
                     forces: Sequence[np.ndarray] | None = None,
                     info: dict[str, Sequence[Any]] | None = None) -> Path:
    """Write ``atoms`` as extended XYZ, atomically, with ``energies`` (eV) and ``forces`` (eV/Å) if given.

    ``info`` adds per-structure values to each comment line (name -> one value per structure).
    """
    import ase.io
    from ase.calculators.singlepoint import SinglePointCalculator

    from physnn.files import atomic_path

    out = []
    for k, a in enumerate(atoms):
        b = a.copy()
        results = {}
        if energies is not None:
            results["energy"] = float(energies[k])
        if forces is not None:
            results["forces"] = np.asarray(forces[k], dtype=np.float64)
        b.calc = SinglePointCalculator(b, **results) if results else None
        for name, values in (info or {}).items():
            b.info[name] = values[k]
        out.append(b)
    with atomic_path(path) as tmp:
        ase.io.write(tmp, out, format="extxyz")
    return Path(path)
