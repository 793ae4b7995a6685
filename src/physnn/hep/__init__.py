"""Particle physics: collider jets from Pythia 8 + FastJet, their substructure and files.

Nothing heavy is imported here: a name is loaded from its module on first use
(``physnn.hep.generate_jets`` imports :mod:`physnn.hep.generate`, which imports
Pythia only when a chunk is generated).  The generator is three modules:
:mod:`~physnn.hep.pythia` (settings, process, seeds), :mod:`~physnn.hep.jetfinding`
(pre-filters, jets, truth matching) and :mod:`~physnn.hep.generate` (event loop,
chunks, workers; it re-exports the public names of the other two).  To export a new name, add one line to
``_EXPORTS``: ``"name": "module"``.

    >>> import physnn.hep as hep
    >>> hep.JET_COLUMNS[:4]
    ('pt', 'eta', 'phi', 'mass')
"""

from __future__ import annotations

from physnn._lazy import lazy_exports
# public name -> submodule of physnn.hep that defines it
_EXPORTS: dict[str, str] = {
    # data generation (Pythia 8 + FastJet)
    "SIGNALS": "pythia",
    "JetConfig": "pythia",
    "pythia_settings": "pythia",
    "CellFilter": "jetfinding",
    "jet_kinematics": "jetfinding",
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
    "load_jets": "features",
    "JetData": "features",
    "jets_from_columns": "features",
    "concat_jets": "features",
    "pad_jagged": "features",
    "ParticleScaler": "features",
    "roc": "diagnostics",
    "rejection_at": "diagnostics",
    "bootstrap_rejection": "diagnostics",
    "bootstrap_auc": "diagnostics",
    "overtraining": "diagnostics",
    "significance_improvement": "diagnostics",
    "permutation_ranking": "diagnostics",
    "sculpting": "diagnostics",
    "diagnose": "diagnostics",
    "train_tagger": "classify",
    "load_tagger": "classify",
    "align_constituents": "classify",
    "train_anomaly": "anomaly",
    "load_anomaly": "anomaly",
    "distance_correlation": "anomaly",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, {k: f"physnn.hep.{m}" for k, m in _EXPORTS.items()})
