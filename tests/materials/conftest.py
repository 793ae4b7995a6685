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
