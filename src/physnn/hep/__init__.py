"""Particle physics: collider jets from Pythia 8 + FastJet, their substructure and files.

Nothing heavy is imported here: a name is loaded from its module on first use
(``physnn.hep.generate_jets`` imports :mod:`physnn.hep.generate`, which imports
Pythia only when a chunk is generated).  To export a new name, add one line to
``_EXPORTS``: ``"name": "module"``.

    >>> import physnn.hep as hep
    >>> hep.JET_COLUMNS[:4]
    ('pt', 'eta', 'phi', 'mass')
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule of physnn.hep that defines it
_EXPORTS: dict[str, str] = {
    # data generation (Pythia 8 + FastJet)
    "SIGNALS": "generate",
    "JetConfig": "generate",
    "pythia_settings": "generate",
    "generate_chunk": "generate",
    "generate_jets": "generate",
    # substructure
    "nsubjettiness": "nsubjettiness",
    "exclusive_kt_axes": "nsubjettiness",
    "tau_from_axes": "nsubjettiness",
    "kinematics": "nsubjettiness",
    "delta_phi": "nsubjettiness",
    "ptyphim_to_p4": "nsubjettiness",
    # jet files
    "JET_COLUMNS": "jetio",
    "CONSTITUENT_COLUMNS": "jetio",
    "write_jets": "jetio",
    "read_jets": "jetio",
    "read_jet_metadata": "jetio",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'physnn.hep' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"physnn.hep.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
