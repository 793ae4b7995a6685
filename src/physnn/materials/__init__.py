"""Materials science: energies and forces of the user's structures, and alloy properties from simulation.

The user's own data: read any file ASE reads with its energies, forces and stress
(:mod:`~physnn.materials.structures`), train a per-atom potential on energies and
forces beside three baselines (:mod:`~physnn.materials.potential`, descriptors in
:mod:`~physnn.materials.descriptors`), keep it as a run and predict with it
(:mod:`~physnn.materials.runs`).  Simulated alloys: simulate
(:mod:`~physnn.materials.generate`), describe (:mod:`~physnn.materials.features`),
learn (:mod:`~physnn.materials.train`) and measure error and speed-up with
:mod:`physnn.surrogate`.  Heavy modules (ASE, dscribe, torch) load only when a
name is used.
"""

from __future__ import annotations

from physnn._lazy import lazy_exports
_LAZY = {
    "ELEMENTS": "physnn.materials.generate",
    "LABELS": "physnn.materials.generate",
    "TASKS": "physnn.materials.generate",
    "reference": "physnn.materials.generate",
    "vegard": "physnn.materials.generate",
    "fcc_alloy": "physnn.materials.generate",
    "check_fcc": "physnn.materials.generate",
    "mixing_energy": "physnn.materials.generate",
    "eos_fit": "physnn.materials.generate",
    "relax": "physnn.materials.generate",
    "label_structure": "physnn.materials.generate",
    "sample_symbols": "physnn.materials.generate",
    "generate": "physnn.materials.generate",
    "load_alloys": "physnn.materials.generate",
    "to_atoms": "physnn.materials.generate",
    "composition": "physnn.materials.features",
    "regular_solution": "physnn.materials.features",
    "soap": "physnn.materials.features",
    "per_atom": "physnn.materials.features",
    "PerAtomNet": "physnn.materials.models",
    "NetEnsemble": "physnn.materials.models",
    "train_materials": "physnn.materials.train",
    "load_materials_model": "physnn.materials.train",
    "MaterialsModel": "physnn.materials.train",
    "MaterialsResult": "physnn.materials.train",
    "StructureSet": "physnn.materials.structures",
    "read_structures": "physnn.materials.structures",
    "write_structures": "physnn.materials.structures",
    "LocalDescriptor": "physnn.materials.descriptors",
    "AtomicPotential": "physnn.materials.potential",
    "train_potential": "physnn.materials.potential",
    "PotentialResult": "physnn.materials.potential",
    "write_potential_run": "physnn.materials.runs",
    "load_potential": "physnn.materials.runs",
    "load_materials_run": "physnn.materials.runs",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _LAZY)
