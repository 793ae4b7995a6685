"""A small alloy data set in the generator's format, labelled cheaply (EMT single points)."""

import json

import numpy as np
import pytest


@pytest.fixture(scope="session")
def cuau_data():
    """40 Cu16Au16 orderings; 'e_mix_relaxed' holds the *unrelaxed* EMT mixing energy (5 ms each)
    so the fixture is quick; one structure is marked failed with NaN labels."""
    pytest.importorskip("ase")
    pytest.importorskip("dscribe")
    from physnn.materials.generate import LABELS, fcc_alloy, mixing_energy, sample_symbols

    atoms = [fcc_alloy(sample_symbols("B", i, seed=11)) for i in range(40)]
    e = np.array([mixing_energy(a) for a in atoms])
    d = {
        "numbers": np.array([a.numbers for a in atoms], dtype=np.int16),
        "cell": np.array([np.asarray(a.cell) for a in atoms]),
        "positions": np.array([a.positions for a in atoms]),
        "ok": np.ones(40, dtype=bool),
        "status": np.array(["ok"] * 40, dtype="U200"),
        "t_single": np.full(40, 0.005), "t_eos": np.full(40, 0.04), "t_relax": np.full(40, 0.4),
    }
    for k in LABELS:
        d[k] = e.copy() if k.startswith("e_mix") else np.full(40, 1.0)
    d["ok"][7] = False
    d["status"][7] = "nan_energy"
    for k in LABELS:
        d[k][7] = np.nan
    d["meta"] = np.array(json.dumps({"task": "B", "seed": 11, "n": 40, "n_failed": 1}))
    return d


def emt_structures(n: int, seed: int = 0, elements=("Ni", "Cu", "Au")):
    """``n`` small strained, rattled FCC alloys (4 or 32 atoms) of ``elements`` labelled by EMT
    (energy, forces, stress kept in a SinglePointCalculator, as ase.io.read gives them)."""
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.calculators.singlepoint import SinglePointCalculator

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        rep = int(rng.choice([1, 2]))
        atoms = bulk("Cu", "fcc", a=3.7, cubic=True).repeat((rep, rep, rep))
        atoms.set_chemical_symbols(list(rng.choice(elements, size=len(atoms))))
        e = rng.uniform(-0.03, 0.03, size=(3, 3))
        atoms.set_cell(np.asarray(atoms.cell) @ (np.eye(3) + 0.5 * (e + e.T)), scale_atoms=True)
        atoms.positions += rng.normal(0.0, 0.05, size=atoms.positions.shape)
        atoms.calc = EMT()
        energy, forces, stress = atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces, stress=stress)
        out.append(atoms)
    return out


@pytest.fixture(scope="session")
def emt_extxyz(tmp_path_factory):
    """30 EMT structures (Ni/Cu/Au, 4 and 32 atoms) with energies, forces and stress, as extended XYZ."""
    pytest.importorskip("ase")
    from ase.io import write

    path = tmp_path_factory.mktemp("own") / "structures.extxyz"
    write(path, emt_structures(30, seed=3), format="extxyz")
    return path
